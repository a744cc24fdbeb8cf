//! I5/U7: superiors named by `SuperiorExternalId`, resolved once the whole file is read
//! (a superior may come later in the file). The superior is a row of the file or a stored
//! user, found in the row's namespace first, then in any; it must hold the superior role —
//! stored, or given by `Superior=True` on its own row; a row whose superior fails fails too;
//! and no chain of superiors, stored links included, may loop back on itself.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::index::{AMBIGUOUS, Index, KeyKind, KeyMap, Slot, key};
use super::state::LineState;
use crate::store::TenantId;
use crate::store::entity::users;

/// Who a row's superior is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A stored user who stays stored (not a new row).
    Stored(Uuid),
    /// The new user created by the row with this ordinal.
    Line(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    User(Uuid),
    Line(u32),
}

struct Ref {
    ord: u32,
    ext: Box<str>,
    ns: Option<String>,
}

/// The superior links of a file, collected during the first pass.
#[derive(Default)]
pub struct Graph {
    refs: Vec<Ref>,
    /// Rows that clear their superior.
    cleared: HashSet<u32>,
    /// External ids the file's rows have, per namespace and in any namespace.
    exact: KeyMap<u32>,
    any: KeyMap<u32>,
    /// Rows with a Superior cell: whether they will hold the role.
    flags: HashMap<u32, bool>,
    /// Stored users that are rows of the file, both ways.
    slot_ord: HashMap<Slot, u32>,
    ord_slot: HashMap<u32, Slot>,
}

impl Graph {
    /// Notes row `ord`: its external id after the import (`ns`, `ext`), its stored user,
    /// its Superior cell, and its SuperiorExternalId cell (`Some("")` clears).
    #[allow(clippy::too_many_arguments)]
    pub fn note(
        &mut self,
        ord: u32,
        own: Option<(&str, &str)>,
        slot: Option<Slot>,
        flag: Option<bool>,
        superior: Option<&str>,
        row_ns: Option<String>,
    ) {
        if let Some((ns, ext)) = own {
            self.exact.insert(key(KeyKind::External, ns, ext), ord);
            self.any
                .entry(key(KeyKind::ExternalAny, "", ext))
                .and_modify(|o| *o = AMBIGUOUS)
                .or_insert(ord);
        }
        if let Some(slot) = slot {
            self.slot_ord.insert(slot, ord);
            self.ord_slot.insert(ord, slot);
        }
        if let Some(f) = flag {
            self.flags.insert(ord, f);
        }
        match superior {
            Some("") => {
                self.cleared.insert(ord);
            }
            Some(ext) => self.refs.push(Ref {
                ord,
                ext: ext.into(),
                ns: row_ns,
            }),
            None => {}
        }
    }

    /// Whether any row names a superior.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Resolves every reference, failing the rows whose superior is unknown, not a superior,
    /// failing itself, or part of a loop. Returns each remaining row's superior.
    pub async fn resolve<C: ConnectionTrait>(
        &self,
        db: &C,
        tenant: TenantId,
        lines: &mut [LineState],
        index: &Index,
    ) -> crate::Result<HashMap<u32, Target>> {
        let mut targets: HashMap<u32, (Node, Option<u32>)> = HashMap::new();
        for r in &self.refs {
            let Some(line) = lines.get_mut(r.ord as usize) else {
                continue;
            };
            if !line.ok() {
                continue;
            }
            match self.find(r, index) {
                Err(m) => line.fail(m),
                Ok((node, file_ord)) => {
                    if let Some(o) = file_ord
                        && lines.get(o as usize).is_some_and(|l| !l.ok())
                    {
                        // Reported by the cascade below, naming the superior's line.
                        targets.insert(r.ord, (node, file_ord));
                        continue;
                    }
                    let is_superior = match (file_ord.and_then(|o| self.flags.get(&o)), node) {
                        (Some(f), _) => *f,
                        (None, Node::User(id)) => index.superiors.contains(&id),
                        (None, Node::Line(_)) => false,
                    };
                    if is_superior {
                        targets.insert(r.ord, (node, file_ord));
                        continue;
                    }
                    let hint = file_ord
                        .and_then(|o| lines.get(o as usize))
                        .map(|l| format!("; set Superior to True on line {}", l.line))
                        .unwrap_or_default();
                    if let Some(line) = lines.get_mut(r.ord as usize) {
                        line.fail(format!(
                            "superior `{}` does not hold the superior role{hint}",
                            r.ext
                        ));
                    }
                }
            }
        }
        self.cascade(lines, &targets);
        self.cycles(db, tenant, lines, index, &targets).await?;
        self.cascade(lines, &targets);
        Ok(targets
            .into_iter()
            .filter(|(ord, _)| lines.get(*ord as usize).is_some_and(LineState::ok))
            .map(|(ord, (node, _))| {
                let t = match node {
                    Node::User(id) => Target::Stored(id),
                    Node::Line(o) => Target::Line(o),
                };
                (ord, t)
            })
            .collect())
    }

    /// A row whose superior's row fails, fails too (until nothing changes).
    fn cascade(&self, lines: &mut [LineState], targets: &HashMap<u32, (Node, Option<u32>)>) {
        loop {
            let mut changed = false;
            for r in &self.refs {
                let Some((_, Some(o))) = targets.get(&r.ord) else {
                    continue;
                };
                let o = *o;
                let ok_self = lines.get(r.ord as usize).is_some_and(LineState::ok);
                let ok_target = lines.get(o as usize).is_some_and(LineState::ok);
                if ok_self && !ok_target {
                    let at = lines.get(o as usize).map(|l| l.line).unwrap_or_default();
                    if let Some(l) = lines.get_mut(r.ord as usize) {
                        l.fail(format!("superior `{}` (line {at}) has errors", r.ext));
                    }
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The superior of `r`: the node and, when it is a row of the file, its ordinal.
    fn find(&self, r: &Ref, index: &Index) -> Result<(Node, Option<u32>), String> {
        let from_slot = |slot: Slot| -> Result<(Node, Option<u32>), String> {
            if slot == AMBIGUOUS {
                return Err(format!(
                    "SuperiorExternalId `{}` is used in several sub-tenants",
                    r.ext
                ));
            }
            let id = index.ids.get(slot as usize).copied().unwrap_or_default();
            Ok((Node::User(id), self.slot_ord.get(&slot).copied()))
        };
        let from_ord = |ord: u32| -> Result<(Node, Option<u32>), String> {
            if ord == AMBIGUOUS {
                return Err(format!(
                    "SuperiorExternalId `{}` is used in several sub-tenants",
                    r.ext
                ));
            }
            // A row about a stored user stands for that user.
            match self.ord_slot.get(&ord) {
                Some(slot) => from_slot(*slot),
                None => Ok((Node::Line(ord), Some(ord))),
            }
        };
        if let Some(ns) = &r.ns {
            if let Some(o) = self.exact.get(&key(KeyKind::External, ns, &r.ext)) {
                return from_ord(*o);
            }
            if let Some(s) = index.find(KeyKind::External, ns, &r.ext) {
                return from_slot(s);
            }
        }
        if let Some(o) = self.any.get(&key(KeyKind::ExternalAny, "", &r.ext)) {
            return from_ord(*o);
        }
        if let Some(s) = index.find(KeyKind::ExternalAny, "", &r.ext) {
            return from_slot(s);
        }
        Err(format!(
            "superior `{}` is neither in the file nor stored",
            r.ext
        ))
    }

    async fn cycles<C: ConnectionTrait>(
        &self,
        db: &C,
        tenant: TenantId,
        lines: &mut [LineState],
        index: &Index,
        targets: &HashMap<u32, (Node, Option<u32>)>,
    ) -> crate::Result<()> {
        if targets.is_empty() {
            return Ok(());
        }
        let stored: HashMap<Uuid, Uuid> = tenant
            .find::<users::Entity>()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::SuperiorId)
            .filter(users::Column::SuperiorId.is_not_null())
            .into_tuple::<(Uuid, Option<Uuid>)>()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(id, s)| s.map(|s| (id, s)))
            .collect();
        let mut user_ord: HashMap<Uuid, u32> = HashMap::new();
        for (slot, ord) in &self.slot_ord {
            if let Some(id) = index.ids.get(*slot as usize) {
                user_ord.insert(*id, *ord);
            }
        }
        let ref_of: HashMap<u32, &str> = self.refs.iter().map(|r| (r.ord, &*r.ext)).collect();
        let row_of = |n: Node| match n {
            Node::Line(o) => Some(o),
            Node::User(id) => user_ord.get(&id).copied(),
        };
        let next = |n: Node| -> Option<Node> {
            match row_of(n) {
                Some(o) if targets.contains_key(&o) => targets.get(&o).map(|t| t.0),
                Some(o) if self.cleared.contains(&o) || ref_of.contains_key(&o) => None,
                _ => match n {
                    Node::User(id) => stored.get(&id).map(|s| Node::User(*s)),
                    Node::Line(_) => None,
                },
            }
        };
        let mut done: HashSet<Node> = HashSet::new();
        let mut failing: Vec<(u32, String)> = Vec::new();
        for r in &self.refs {
            if !targets.contains_key(&r.ord) {
                continue;
            }
            let start = match self.ord_slot.get(&r.ord) {
                Some(slot) => {
                    Node::User(index.ids.get(*slot as usize).copied().unwrap_or_default())
                }
                None => Node::Line(r.ord),
            };
            let mut path = vec![start];
            let mut seen: HashSet<Node> = HashSet::from([start]);
            let mut current = start;
            while let Some(n) = next(current) {
                if done.contains(&n) {
                    break;
                }
                if !seen.insert(n) {
                    // A loop from `n` back to `n`.
                    let from = path.iter().position(|p| *p == n).unwrap_or(0);
                    let cycle: Vec<Node> = path[from..].to_vec();
                    // Each member of the loop names the next one as its superior.
                    let mut ring: Vec<String> = cycle
                        .iter()
                        .filter_map(|c| row_of(*c).and_then(|o| ref_of.get(&o)))
                        .map(|e| format!("`{e}`"))
                        .collect();
                    if let Some(first) = ring.first().cloned() {
                        ring.push(first);
                    }
                    let text = ring.join(" → ");
                    for c in &cycle {
                        if let Some(o) = row_of(*c) {
                            failing.push((o, format!("cyclic superiors: {text}")));
                        }
                    }
                    break;
                }
                path.push(n);
                current = n;
            }
            done.extend(path);
        }
        for (ord, message) in failing {
            if let Some(l) = lines.get_mut(ord as usize) {
                l.fail(message);
            }
        }
        Ok(())
    }
}
