//! I5/U7: superiors named by `SuperiorExternalId`, resolved once the whole file is read
//! (a superior may come later in the file). The superior is a row of the file or a stored
//! user, found in the row's namespace first, then in any; it must hold the superior role —
//! stored, or given by `Superior=True` on its own row; a row whose superior fails fails too;
//! and no chain of superiors, stored links included, may loop back on itself.
//!
//! Kept compactly for files of a million rows: the external ids rows have live in the
//! planner's [`KeyTable`] (the same entries that claim them), references are a few bytes
//! each with their texts in one string, and per-row and per-user marks are plain vectors.

use std::collections::HashSet;

use sea_orm::DatabaseConnection;

use super::index::{AMBIGUOUS, Index, KeyKind, Slot, key};
use super::keys::KeyTable;
use super::state::Lines;
use crate::store::TenantId;

/// Who a row's superior is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A stored user who stays stored (not a new row), by index slot.
    Stored(Slot),
    /// The new user created by the row with this ordinal.
    Line(u32),
}

/// Each row's resolved superior, by row ordinal (8 bytes a row: the ordinal and the
/// node as [`Node::pack`]s it).
#[derive(Debug, Default)]
pub struct Targets(Vec<(u32, u32)>);

impl Targets {
    /// The superior of row `ord`.
    pub fn get(&self, ord: u32) -> Option<Target> {
        self.0
            .binary_search_by_key(&ord, |(o, _)| *o)
            .ok()
            .map(|i| Node::unpack(self.0[i].1).target())
    }

    /// Every row with a superior, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Target)> + '_ {
        self.0.iter().map(|(o, n)| (*o, Node::unpack(*n).target()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    User(Slot),
    Line(u32),
}

/// The high bit of a packed node: a stored user's slot (else a row's ordinal). Slots and
/// ordinals stay below it: neither a tenant nor a file reaches two billion users.
const USER_BIT: u32 = 1 << 31;
/// No value, in a packed [`Hop`].
const NONE: u32 = u32::MAX;

impl Node {
    fn pack(self) -> u32 {
        match self {
            Node::User(s) => s | USER_BIT,
            Node::Line(o) => o & !USER_BIT,
        }
    }

    fn unpack(v: u32) -> Self {
        if v & USER_BIT != 0 {
            Node::User(v & !USER_BIT)
        } else {
            Node::Line(v)
        }
    }

    fn target(self) -> Target {
        match self {
            Node::User(s) => Target::Stored(s),
            Node::Line(o) => Target::Line(o),
        }
    }
}

/// A row's superior reference: the text in [`Graph::texts`], the namespace by number.
struct Ref {
    ord: u32,
    at: u32,
    len: u16,
    ns: u16,
}

const NO_NAMESPACE: u16 = u16::MAX;

/// Where a reference leads: the node and, when it is a row of the file, its ordinal.
#[derive(Debug, Clone, Copy)]
struct Hop {
    node: Node,
    row: Option<u32>,
}

impl Hop {
    /// 8 bytes; [`NONE`] in both halves for no hop.
    fn pack(hop: Option<Hop>) -> (u32, u32) {
        match hop {
            None => (NONE, NONE),
            Some(h) => (h.node.pack(), h.row.unwrap_or(NONE)),
        }
    }

    fn unpack((node, row): (u32, u32)) -> Option<Hop> {
        (node != NONE).then(|| Hop {
            node: Node::unpack(node),
            row: (row != NONE).then_some(row),
        })
    }
}

/// Row marks.
const FLAG: u8 = 1;
const FLAG_TRUE: u8 = 2;
const CLEARED: u8 = 4;

/// The superior links of a file, collected during the first pass.
#[derive(Default)]
pub struct Graph {
    refs: Vec<Ref>,
    texts: String,
    namespaces: Vec<String>,
    /// By row: its Superior cell and whether it clears its superior.
    marks: Vec<u8>,
    /// By stored user: 1 + the ordinal of the row about it, 0 for none.
    slot_ord: Vec<u32>,
}

impl Graph {
    /// Notes row `ord`: its external id after the import (`ns`, `ext`, kept in `keys`),
    /// its stored user, its Superior cell, and its SuperiorExternalId cell (`Some("")`
    /// clears).
    #[allow(clippy::too_many_arguments)]
    pub fn note(
        &mut self,
        keys: &mut KeyTable,
        ord: u32,
        own: Option<(&str, &str)>,
        slot: Option<Slot>,
        flag: Option<bool>,
        superior: Option<&str>,
        row_ns: Option<String>,
    ) {
        if let Some((ns, ext)) = own {
            let _ = keys.first(key(KeyKind::External, ns, ext), ord);
            keys.set_or(key(KeyKind::ExternalAny, "", ext), ord, AMBIGUOUS);
        }
        if let Some(slot) = slot.filter(|s| *s != AMBIGUOUS) {
            let at = slot as usize;
            if self.slot_ord.len() <= at {
                self.slot_ord.resize(at + 1, 0);
            }
            self.slot_ord[at] = ord + 1;
        }
        let mut mark = 0;
        if let Some(f) = flag {
            mark |= FLAG | if f { FLAG_TRUE } else { 0 };
        }
        match superior {
            Some("") => mark |= CLEARED,
            Some(ext) if self.texts.len() + ext.len() <= u32::MAX as usize => {
                let ns = match row_ns {
                    None => NO_NAMESPACE,
                    Some(ns) => match self.namespaces.iter().position(|n| *n == ns) {
                        Some(i) => i as u16,
                        None => {
                            self.namespaces.push(ns);
                            (self.namespaces.len() - 1) as u16
                        }
                    },
                };
                self.refs.push(Ref {
                    ord,
                    at: self.texts.len() as u32,
                    len: u16::try_from(ext.len()).unwrap_or(u16::MAX),
                    ns,
                });
                self.texts.push_str(ext);
            }
            _ => {}
        }
        if mark != 0 {
            let at = ord as usize;
            if self.marks.len() <= at {
                self.marks.resize(at + 1, 0);
            }
            self.marks[at] |= mark;
        }
    }

    /// Room for `rows` rows in all, scaled from the first `so_far`.
    pub fn reserve(&mut self, rows: usize, so_far: usize) {
        let more = |have: usize| (have * rows / so_far.max(1)).saturating_sub(have);
        self.refs.reserve(more(self.refs.len()));
        self.texts.reserve(more(self.texts.len()));
        if !self.marks.is_empty() {
            self.marks.reserve(rows.saturating_sub(self.marks.len()));
        }
    }

    /// Whether any row names a superior.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Bytes held (for the debug log).
    pub fn bytes(&self) -> usize {
        self.refs.capacity() * std::mem::size_of::<Ref>()
            + self.texts.capacity()
            + self.marks.capacity()
            + self.slot_ord.capacity() * 4
    }

    fn ext(&self, r: &Ref) -> &str {
        let at = r.at as usize;
        &self.texts[at..at + usize::from(r.len)]
    }

    fn mark(&self, ord: u32) -> u8 {
        self.marks.get(ord as usize).copied().unwrap_or(0)
    }

    /// The Superior cell of row `ord`.
    fn flag(&self, ord: u32) -> Option<bool> {
        let m = self.mark(ord);
        (m & FLAG != 0).then_some(m & FLAG_TRUE != 0)
    }

    /// The row about stored user `slot`.
    fn ord_of_slot(&self, slot: Slot) -> Option<u32> {
        self.slot_ord
            .get(slot as usize)
            .and_then(|o| o.checked_sub(1))
    }

    /// The stored user row `ord` is about (as noted).
    fn slot_of_ord(&self, lines: &Lines, ord: u32) -> Option<Slot> {
        lines
            .slot(ord as usize)
            .filter(|s| self.ord_of_slot(*s) == Some(ord))
    }

    /// The position in `refs` of row `ord`'s reference.
    fn ref_at(&self, ord: u32) -> Option<usize> {
        self.refs.binary_search_by_key(&ord, |r| r.ord).ok()
    }

    /// Resolves every reference, failing the rows whose superior is unknown, not a superior,
    /// failing itself, or part of a loop. Returns each remaining row's superior.
    pub async fn resolve(
        &mut self,
        db: &DatabaseConnection,
        tenant: TenantId,
        lines: &mut Lines,
        index: &Index,
        keys: KeyTable,
    ) -> crate::Result<Targets> {
        // Rows replayed from an earlier attempt are noted before their batch's other rows.
        self.refs.sort_by_key(|r| r.ord);
        let mut hops: Vec<(u32, u32)> = vec![(NONE, NONE); self.refs.len()];
        for (i, r) in self.refs.iter().enumerate() {
            if !lines.ok(r.ord as usize) {
                continue;
            }
            let hop = match self.find(r, index, &keys, lines) {
                Err(m) => {
                    lines.fail(r.ord as usize, m);
                    continue;
                }
                Ok(hop) => hop,
            };
            if let Some(o) = hop.row
                && !lines.ok(o as usize)
            {
                // Reported by the cascade below, naming the superior's line.
                hops[i] = Hop::pack(Some(hop));
                continue;
            }
            let is_superior = match (hop.row.and_then(|o| self.flag(o)), hop.node) {
                (Some(f), _) => f,
                (None, Node::User(slot)) => index
                    .ids
                    .get(slot as usize)
                    .is_some_and(|id| index.superiors.contains(id)),
                (None, Node::Line(_)) => false,
            };
            if is_superior {
                hops[i] = Hop::pack(Some(hop));
                continue;
            }
            let hint = hop
                .row
                .and_then(|o| lines.line(o as usize))
                .map(|l| format!("; set Superior to True on line {l}"))
                .unwrap_or_default();
            let m = format!(
                "superior `{}` does not hold the superior role{hint}",
                self.ext(r)
            );
            lines.fail(r.ord as usize, m);
        }
        // The rest needs no keys: a million-row file's biggest table goes first.
        drop(keys);
        self.cascade(lines, &hops);
        self.cycles(db, tenant, lines, index, &hops).await?;
        self.cascade(lines, &hops);
        Ok(Targets(
            self.refs
                .iter()
                .zip(hops)
                .filter_map(|(r, hop)| {
                    let hop = Hop::unpack(hop)?;
                    lines.ok(r.ord as usize).then_some((r.ord, hop.node.pack()))
                })
                .collect(),
        ))
    }

    /// A row whose superior's row fails, fails too (until nothing changes).
    fn cascade(&self, lines: &mut Lines, hops: &[(u32, u32)]) {
        loop {
            let mut changed = false;
            for (r, hop) in self.refs.iter().zip(hops) {
                let Some(Hop { row: Some(o), .. }) = Hop::unpack(*hop) else {
                    continue;
                };
                let o = o as usize;
                if lines.ok(r.ord as usize) && !lines.ok(o) {
                    let at = lines.line(o).unwrap_or_default();
                    let m = format!("superior `{}` (line {at}) has errors", self.ext(r));
                    lines.fail(r.ord as usize, m);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Where reference `r` leads.
    fn find(&self, r: &Ref, index: &Index, keys: &KeyTable, lines: &Lines) -> Result<Hop, String> {
        let ext = self.ext(r);
        let ambiguous = || format!("SuperiorExternalId `{ext}` is used in several sub-tenants");
        let from_slot = |slot: Slot| -> Result<Hop, String> {
            if slot == AMBIGUOUS {
                return Err(ambiguous());
            }
            Ok(Hop {
                node: Node::User(slot),
                row: self.ord_of_slot(slot),
            })
        };
        // A row of the file; a row about a stored user stands for that user.
        let from_ord = |ord: u32| -> Option<Result<Hop, String>> {
            if ord == AMBIGUOUS {
                return Some(Err(ambiguous()));
            }
            if ord as usize >= lines.len() {
                return None;
            }
            Some(match self.slot_of_ord(lines, ord) {
                Some(slot) => from_slot(slot),
                None => Ok(Hop {
                    node: Node::Line(ord),
                    row: Some(ord),
                }),
            })
        };
        if r.ns != NO_NAMESPACE {
            let ns = self.namespaces[usize::from(r.ns)].as_str();
            if let Some(found) = keys.get(key(KeyKind::External, ns, ext)).and_then(from_ord) {
                return found;
            }
            if let Some(s) = index.find(KeyKind::External, ns, ext) {
                return from_slot(s);
            }
        }
        if let Some(found) = keys
            .get(key(KeyKind::ExternalAny, "", ext))
            .and_then(from_ord)
        {
            return found;
        }
        if let Some(s) = index.find(KeyKind::ExternalAny, "", ext) {
            return from_slot(s);
        }
        Err(format!(
            "superior `{ext}` is neither in the file nor stored"
        ))
    }

    async fn cycles(
        &self,
        db: &DatabaseConnection,
        tenant: TenantId,
        lines: &mut Lines,
        index: &Index,
        hops: &[(u32, u32)],
    ) -> crate::Result<()> {
        if hops.iter().all(|h| Hop::unpack(*h).is_none()) {
            return Ok(());
        }
        // The stored superior of each stored user, by slot.
        let up = index.stored_superiors(db, tenant).await?;
        let row_of = |n: Node| match n {
            Node::Line(o) => Some(o),
            Node::User(slot) => self.ord_of_slot(slot),
        };
        let next = |n: Node| -> Option<Node> {
            if let Some(o) = row_of(n)
                && let Some(i) = self.ref_at(o)
            {
                // The row names a superior: the link after the import (none if it fails).
                return Hop::unpack(hops[i]).map(|h| h.node);
            }
            if row_of(n).is_some_and(|o| self.mark(o) & CLEARED != 0) {
                return None;
            }
            match n {
                Node::User(slot) => up
                    .get(slot as usize)
                    .filter(|s| **s != AMBIGUOUS)
                    .map(|s| Node::User(*s)),
                Node::Line(_) => None,
            }
        };
        let mut done_rows = vec![false; lines.len()];
        let mut done_users = vec![false; index.len()];
        let done = |n: Node, rows: &[bool], users: &[bool]| match n {
            Node::Line(o) => rows.get(o as usize).copied().unwrap_or(false),
            Node::User(s) => users.get(s as usize).copied().unwrap_or(false),
        };
        let mut failing: Vec<(u32, String)> = Vec::new();
        for (r, hop) in self.refs.iter().zip(hops) {
            if Hop::unpack(*hop).is_none() {
                continue;
            }
            let start = match self.slot_of_ord(lines, r.ord) {
                Some(slot) => Node::User(slot),
                None => Node::Line(r.ord),
            };
            let mut path = vec![start];
            let mut seen: HashSet<Node> = HashSet::from([start]);
            let mut current = start;
            while let Some(n) = next(current) {
                if done(n, &done_rows, &done_users) {
                    break;
                }
                if !seen.insert(n) {
                    // A loop from `n` back to `n`; each member names the next as superior.
                    let from = path.iter().position(|p| *p == n).unwrap_or(0);
                    let cycle = &path[from..];
                    let mut ring: Vec<String> = cycle
                        .iter()
                        .filter_map(|c| row_of(*c).and_then(|o| self.ref_at(o)))
                        .map(|i| format!("`{}`", self.ext(&self.refs[i])))
                        .collect();
                    if let Some(first) = ring.first().cloned() {
                        ring.push(first);
                    }
                    let text = ring.join(" → ");
                    for c in cycle {
                        if let Some(o) = row_of(*c) {
                            failing.push((o, format!("cyclic superiors: {text}")));
                        }
                    }
                    break;
                }
                path.push(n);
                current = n;
            }
            for n in path {
                match n {
                    Node::Line(o) => {
                        if let Some(d) = done_rows.get_mut(o as usize) {
                            *d = true;
                        }
                    }
                    Node::User(s) => {
                        if let Some(d) = done_users.get_mut(s as usize) {
                            *d = true;
                        }
                    }
                }
            }
        }
        for (ord, message) in failing {
            lines.fail(ord as usize, message);
        }
        Ok(())
    }
}
