//! The first pass: every row is validated, identified and planned against stored data, a
//! batch at a time (one query per table per batch), and its verdict kept in a
//! [`LineState`]. Nothing is written. After the last batch, superiors (U7) and departments
//! (U8) are resolved across the whole file; the quota (I6) is then checked by the caller.

use std::collections::{HashMap, HashSet};

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::departments::FileDepartments;
use super::diff::{self, Env};
use super::digest::Spec;
use super::fetch::{self, Needs};
use super::fields::ImportField as F;
use super::identify::{Claims, Who, first_key, identify, line_of, row_namespace};
use super::index::{Index, KeyKind, Slot};
use super::layout::Layout;
use super::record::Record;
use super::refs::Refs;
use super::report::{MatchedBy, Outcome};
use super::row::{Cell, Row, Val, parse};
use super::state::{LineState, Lines, at_line};
use super::superiors::{Graph, Targets};
use super::values::Stored;
use crate::domain::users::{login_base, suggest_login, taken_logins, taken_with_prefixes};
use crate::tenancy::descriptor::ImportKind;

/// What an earlier attempt of a resumed import recorded for a line.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    /// Its outcome.
    pub outcome: Outcome,
    /// Its user.
    pub user_id: Option<Uuid>,
    /// How the user was identified.
    pub matched_by: Option<MatchedBy>,
}

/// What an earlier attempt of a resumed import recorded, by line: single records, and runs
/// of unchanged records (one report row from a first to a last line, I8).
#[derive(Debug, Default)]
pub struct RecordedLines {
    singles: HashMap<u64, Recorded>,
    /// First line, last line and outcome of each run, by first line.
    runs: Vec<(u64, u64, Recorded)>,
}

impl RecordedLines {
    /// Notes what a report row recorded for the record(s) on lines `first` to `last`.
    pub fn insert(&mut self, first: u64, last: Option<u64>, r: Recorded) {
        match last {
            Some(last) if last > first => self.runs.push((first, last, r)),
            _ => {
                self.singles.insert(first, r);
            }
        }
    }

    /// Ready for [`RecordedLines::get`].
    pub fn sorted(mut self) -> Self {
        self.runs.sort_unstable_by_key(|(first, _, _)| *first);
        self
    }

    /// What was recorded for the record on `line`.
    pub fn get(&self, line: u64) -> Option<Recorded> {
        if let Some(r) = self.singles.get(&line) {
            return Some(*r);
        }
        let i = self.runs.partition_point(|(first, _, _)| *first <= line);
        let (_, last, r) = self.runs.get(i.checked_sub(1)?)?;
        (line <= *last).then_some(*r)
    }
}

/// The state of one import across both passes.
pub struct Planner<'a> {
    /// The layout.
    pub layout: &'a Layout,
    /// The reference data.
    pub refs: &'a Refs,
    /// The identity index.
    pub index: &'a Index,
    /// Column names for messages, by slot.
    pub labels: Vec<String>,
    /// Catalog given to new users.
    pub default_catalog: Option<Uuid>,
    /// Relations the columns need.
    pub needs: Needs,
    /// The verdict on each row so far.
    pub lines: Lines,
    /// Superior references.
    pub graph: Graph,
    /// Departments named by the file.
    pub departments: FileDepartments,
    /// Lines an earlier attempt wrote (resume), by line number.
    pub recorded: RecordedLines,
    /// Resolved superiors, by row ordinal (after [`Planner::finish`]).
    pub targets: Targets,
    claims: Claims,
    spec: Option<Spec>,
}

enum Item {
    Done(LineState),
    Row {
        row: Row,
        who: Who,
    },
    /// The row's digest equals its user's: unchanged, nothing to load.
    Same {
        row: Row,
        slot: Slot,
        by: MatchedBy,
    },
}

impl<'a> Planner<'a> {
    /// A planner for one file.
    pub fn new(
        layout: &'a Layout,
        refs: &'a Refs,
        index: &'a Index,
        labels: Vec<String>,
        default_catalog: Option<Uuid>,
        recorded: RecordedLines,
    ) -> Self {
        Self {
            layout,
            refs,
            index,
            labels,
            default_catalog,
            needs: Needs::of(layout),
            lines: Lines::default(),
            graph: Graph::default(),
            departments: FileDepartments::default(),
            recorded,
            targets: Targets::default(),
            claims: Claims::default(),
            spec: Spec::of(layout),
        }
    }

    /// The environment of a diff.
    pub fn env(&self) -> Env<'a> {
        Env {
            refs: self.refs,
            kind: self.layout.kind,
            default_catalog: self.default_catalog,
            now: chrono::Utc::now(),
        }
    }

    /// Names of the extended properties a batch mentions.
    pub fn property_names<'r>(rows: impl Iterator<Item = &'r Row>) -> Vec<String> {
        rows.filter_map(|r| r.text(F::PropertyName).map(str::to_owned))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect()
    }

    /// Plans one batch of rows.
    pub async fn survey<C: ConnectionTrait>(
        &mut self,
        db: &C,
        batch: &[Record],
    ) -> crate::Result<()> {
        let base = self.lines.len();
        let t0 = std::time::Instant::now();
        // Every row of the batch has its ordinal (and line) before any is planned: claims
        // name the row taking them, which may be an earlier row of this batch.
        for rec in batch {
            self.lines.push(LineState::new(rec.line));
        }
        let mut items = Vec::with_capacity(batch.len());
        for (i, rec) in batch.iter().enumerate() {
            let ord = (base + i) as u32;
            if let Some(r) = self.recorded.get(rec.line) {
                items.push(Item::Done(self.replay(rec, ord, r)));
                continue;
            }
            let item = match parse(rec, self.layout, &self.labels, self.refs) {
                Err(m) => {
                    self.note_failed(rec, ord);
                    Item::Done(LineState::error(rec.line, m))
                }
                Ok(row) => match self.claim(&row, ord) {
                    Ok(Who::Stored { slot, by }) if self.same(&row, slot) => {
                        Item::Same { row, slot, by }
                    }
                    Ok(who) => Item::Row { row, who },
                    Err(m) => Item::Done(LineState::error(rec.line, at_line(rec.line, &m))),
                },
            };
            items.push(item);
        }
        let ids: Vec<Uuid> = items
            .iter()
            .filter_map(|it| match it {
                Item::Row {
                    who: Who::Stored { slot, .. },
                    ..
                } => self.index.ids.get(*slot as usize).copied(),
                _ => None,
            })
            .collect();
        let names = Self::property_names(items.iter().filter_map(|it| match it {
            Item::Row { row, .. } => Some(row),
            Item::Done(_) | Item::Same { .. } => None,
        }));
        let t1 = std::time::Instant::now();
        let stored = fetch::stored(
            db,
            self.refs.tenant,
            &ids,
            self.needs,
            &self.index.superiors,
            &names,
        )
        .await?;
        let t2 = std::time::Instant::now();
        let taken = self.taken(db, &items).await?;
        let t3 = std::time::Instant::now();
        let env = self.env();
        let mut verify = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let ord = (base + i) as u32;
            let state = match item {
                Item::Done(s) => s,
                Item::Same { row, slot, by } => {
                    let mut state = LineState::new(row.line);
                    state.slot = Some(slot);
                    state.matched_by = Some(by);
                    let ns = row_namespace(&row, self.refs);
                    let own = row
                        .text(F::ExternalId)
                        .map(|e| (ns.clone().unwrap_or_default(), e.to_owned()));
                    self.note_graph(
                        &row,
                        ord,
                        own.as_ref().map(|(n, e)| (n.as_str(), e.as_str())),
                        Some(slot),
                        ns,
                    );
                    state
                }
                Item::Row { row, who } => {
                    let (state, check) = self.plan(&row, who, ord, &stored, &taken, &env);
                    if let Some((password, hash)) = check {
                        verify.push((i, password, hash));
                    }
                    state
                }
            };
            self.lines.set(base + i, state);
        }
        tracing::debug!(
            parse_ms = (t1 - t0).as_millis() as u64,
            fetch_ms = (t2 - t1).as_millis() as u64,
            logins_ms = (t3 - t2).as_millis() as u64,
            plan_ms = t3.elapsed().as_millis() as u64,
            rows = batch.len(),
            "import batch planned"
        );
        // A stored password is compared by verifying it: argon2, in parallel, off the
        // async threads; only rows that carry a password pay for it.
        let mut set = tokio::task::JoinSet::new();
        for (i, password, hash) in verify {
            set.spawn(async move { (i, crate::auth::password::verify(password, hash).await) });
        }
        while let Some(joined) = set.join_next().await {
            let (i, same) = joined.map_err(|e| anyhow::anyhow!("password check failed: {e}"))?;
            if !same? {
                self.lines.password_changed(base + i);
            }
        }
        Ok(())
    }

    /// A line written by an earlier attempt: its claims and links count, it is not planned.
    /// A run of unchanged lines was recorded without user ids: each finds its user again by
    /// the key that identified it then (it is unchanged, so the key still does).
    fn replay(&mut self, rec: &Record, ord: u32, mut r: Recorded) -> LineState {
        let parsed = parse(rec, self.layout, &self.labels, self.refs);
        // A run of unchanged rows keeps no user ids, nor does one of created rows with
        // external ids (`Executor::import_rows_with`): found again by the same key.
        if r.user_id.is_none()
            && let Ok(row) = &parsed
            && let Ok(Who::Stored { slot, by }) = identify(row, self.refs, self.index)
            && match r.outcome {
                Outcome::Unchanged => true,
                Outcome::Created => by == MatchedBy::ExternalId,
                _ => false,
            }
        {
            r.user_id = self.index.ids.get(slot as usize).copied();
        }
        let slot = r.user_id.and_then(|id| self.index.slot_of(&id));
        if let Ok(row) = parsed {
            if let Some(slot) = slot {
                let extra = self.extra(&row);
                let _ = self.claims.user(slot, ord, extra, &self.lines);
            } else if let Some((k, by, v)) = first_key(&row, self.refs) {
                let _ = self.claims.new_user(k, by, ord, &v, &self.lines);
            }
            let ns = row_namespace(&row, self.refs);
            let own = row
                .text(F::ExternalId)
                .map(|e| (ns.clone().unwrap_or_default(), e.to_owned()));
            self.note_graph(
                &row,
                ord,
                own.as_ref().map(|(n, e)| (n.as_str(), e.as_str())),
                slot,
                ns,
            );
            let _ = self.departments.note(&row, ord, rec.line, self.refs);
        }
        LineState {
            line: rec.line,
            outcome: r.outcome,
            matched_by: r.matched_by,
            slot,
            login: None,
            message: None,
            password_changed: false,
            recorded: Some(r.user_id),
        }
    }

    /// A row that does not parse may still be someone's superior: its external id is noted,
    /// so the rows naming it learn that it failed.
    fn note_failed(&mut self, rec: &Record, ord: u32) {
        let Some(ext) = self.layout.slot(F::ExternalId).and_then(|s| rec.get(s)) else {
            return;
        };
        if ext.is_empty() {
            return;
        }
        let unit = self
            .layout
            .slot(F::OrganisationUnit)
            .and_then(|s| rec.get(s))
            .and_then(|code| self.refs.units.id(code));
        let ns = self.refs.namespace(unit).to_owned();
        self.graph.note(
            &mut self.claims.keys,
            ord,
            Some((&ns, ext)),
            None,
            None,
            None,
            None,
        );
    }

    /// Whether the row's digest shows it changes nothing of stored user `slot`.
    fn same(&self, row: &Row, slot: Slot) -> bool {
        let Some(spec) = &self.spec else {
            return false;
        };
        match (spec.row(row, self.refs), self.index.digest(slot)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    fn extra<'r>(&self, row: &'r Row) -> Option<&'r str> {
        (self.layout.kind == ImportKind::ExtendedProperties)
            .then(|| row.text(F::PropertyName))
            .flatten()
    }

    /// U4 plus the file's own consistency: a user once per file.
    fn claim(&mut self, row: &Row, ord: u32) -> Result<Who, String> {
        let who = identify(row, self.refs, self.index)?;
        match who {
            Who::Stored { slot, .. } => {
                let extra = self.extra(row);
                self.claims.user(slot, ord, extra, &self.lines)?
            }
            Who::New => {
                if matches!(
                    self.layout.kind,
                    ImportKind::PersonalBudget | ImportKind::ExtendedProperties
                ) {
                    let key = first_key(row, self.refs)
                        .map(|(_, by, v)| format!(" with {} `{v}`", by.as_str()))
                        .unwrap_or_default();
                    return Err(format!(
                        "no user{key}; this import changes existing users only"
                    ));
                }
                if let Some((k, by, v)) = first_key(row, self.refs) {
                    self.claims.new_user(k, by, ord, &v, &self.lines)?;
                }
            }
        }
        Ok(who)
    }

    /// U1/I4: login names taken anywhere (other tenants included) among those the batch
    /// gives or would generate.
    async fn taken<C: ConnectionTrait>(
        &self,
        db: &C,
        items: &[Item],
    ) -> crate::Result<HashSet<String>> {
        let mut explicit = Vec::new();
        let mut bases = Vec::new();
        for item in items {
            let Item::Row { row, who } = item else {
                continue;
            };
            match (who, row.text(F::Login)) {
                (Who::New, Some(l)) => explicit.push(l.to_owned()),
                (Who::New, None) => bases.push(login_base(
                    row.text(F::FirstName).unwrap_or(""),
                    row.text(F::LastName).unwrap_or(""),
                )),
                (Who::Stored { .. }, Some(l))
                    if self.refs.settings.features.editable_login_name =>
                {
                    explicit.push(l.to_owned())
                }
                _ => {}
            }
        }
        let mut taken = taken_logins(db, &explicit).await?;
        // Explicit names that are taken get a suggestion; generated ones a free number.
        let mut prefixes: Vec<String> = taken.iter().cloned().collect();
        prefixes.extend(bases);
        prefixes.sort();
        prefixes.dedup();
        taken.extend(taken_with_prefixes(db, &prefixes).await?);
        Ok(taken)
    }

    fn login_free(&self, candidate: &str, ord: u32, taken: &HashSet<String>) -> bool {
        !(self.index.has_login(candidate)
            || self.claims.login_taken(candidate, ord).is_some()
            || taken.contains(candidate))
    }

    #[allow(clippy::too_many_arguments)]
    fn plan(
        &mut self,
        row: &Row,
        who: Who,
        ord: u32,
        stored: &HashMap<Uuid, Stored>,
        taken: &HashSet<String>,
        env: &Env<'_>,
    ) -> (LineState, Option<(String, String)>) {
        let line = row.line;
        let mut state = LineState::new(line);
        let fail = |mut s: LineState, m: String| {
            s.fail(at_line(line, &m));
            (s, None)
        };
        let ns = row_namespace(row, self.refs);
        match who {
            Who::New => {
                let login = match row.text(F::Login) {
                    Some(l) => {
                        if let Some(first) = self.claims.login_taken(l, ord) {
                            let first = line_of(&self.lines, first);
                            return fail(
                                state,
                                format!("Uid `{l}` is already given on line {first}"),
                            );
                        }
                        if !self.login_free(l, ord, taken) {
                            let free = suggest_login(l, |c| !self.login_free(c, ord, taken));
                            return fail(
                                state,
                                format!("Uid `{l}` is taken; a free one is `{free}`"),
                            );
                        }
                        l.to_owned()
                    }
                    None => {
                        let base = login_base(
                            row.text(F::FirstName).unwrap_or(""),
                            row.text(F::LastName).unwrap_or(""),
                        );
                        suggest_login(&base, |c| !self.login_free(c, ord, taken))
                    }
                };
                let d = match diff::new_user(row, &login, env) {
                    Ok(d) => d,
                    Err(m) => return fail(state, m),
                };
                if let Err(m) = self.claim_keys(&d, None, ord) {
                    return fail(state, m);
                }
                if let Err(m) = self.departments.note(row, ord, line, self.refs) {
                    return fail(state, m);
                }
                self.claims.take_login(&login, ord);
                state.outcome = Outcome::Created;
                state.login = Some(login.into_boxed_str());
                let own = d.new_external.clone();
                self.note_graph(
                    row,
                    ord,
                    own.as_ref().map(|(n, e)| (n.as_str(), e.as_str())),
                    None,
                    ns,
                );
                (state, None)
            }
            Who::Stored { slot, by } => {
                state.slot = Some(slot);
                state.matched_by = Some(by);
                let id = self
                    .index
                    .ids
                    .get(slot as usize)
                    .copied()
                    .unwrap_or_default();
                let Some(s) = stored.get(&id) else {
                    return fail(state, "the user was removed while the import ran".into());
                };
                if !confirms(row, by, s) {
                    return fail(
                        state,
                        "the user could not be identified reliably; please report this".into(),
                    );
                }
                let d = match diff::existing(row, s, env) {
                    Ok(d) => d,
                    Err(m) => return fail(state, m),
                };
                if let Some(l) = &d.new_login {
                    if let Some(first) = self.claims.login_taken(l, ord) {
                        let first = line_of(&self.lines, first);
                        return fail(state, format!("Uid `{l}` is already given on line {first}"));
                    }
                    if !self.login_free(l, ord, taken) {
                        return fail(state, format!("Uid `{l}` is taken"));
                    }
                    self.claims.take_login(l, ord);
                }
                if let Err(m) = self.claim_keys(&d, Some(slot), ord) {
                    return fail(state, m);
                }
                if let Err(m) = self.departments.note(row, ord, line, self.refs) {
                    return fail(state, m);
                }
                state.outcome = if d.changes.is_empty() {
                    Outcome::Unchanged
                } else {
                    Outcome::Updated
                };
                let own = match &d.new_external {
                    Some((n, e)) => Some((n.clone(), e.clone())),
                    None => s
                        .user
                        .external_id
                        .clone()
                        .map(|e| (s.user.external_id_scope.clone(), e)),
                };
                self.note_graph(
                    row,
                    ord,
                    own.as_ref().map(|(n, e)| (n.as_str(), e.as_str())),
                    Some(slot),
                    ns,
                );
                (state, d.check_password)
            }
        }
    }

    /// T3/U3: external ids and user numbers the row gives must be free.
    fn claim_keys(&mut self, d: &diff::Diff, own: Option<Slot>, ord: u32) -> Result<(), String> {
        if let Some((ns, ext)) = &d.new_external {
            if let Some(other) = self.index.find(KeyKind::External, ns, ext)
                && Some(other) != own
            {
                return Err(format!(
                    "ExternalId `{ext}` is already used by another user"
                ));
            }
            let k = super::index::key(KeyKind::External, ns, ext);
            if let Some(first) = self.claims.other(k, ord) {
                let first = line_of(&self.lines, first);
                return Err(format!(
                    "ExternalId `{ext}` is already given on line {first}"
                ));
            }
            self.claims.take(k, ord);
        }
        if let Some(n) = &d.new_user_number {
            if let Some(other) = self.index.find(KeyKind::UserNumber, "", n)
                && Some(other) != own
            {
                return Err(format!("UserNumber `{n}` is already used by another user"));
            }
            let k = super::index::key(KeyKind::UserNumber, "", n);
            if let Some(first) = self.claims.other(k, ord) {
                let first = line_of(&self.lines, first);
                return Err(format!("UserNumber `{n}` is already given on line {first}"));
            }
            self.claims.take(k, ord);
        }
        Ok(())
    }

    fn note_graph(
        &mut self,
        row: &Row,
        ord: u32,
        own: Option<(&str, &str)>,
        slot: Option<Slot>,
        ns: Option<String>,
    ) {
        let flag = match row.get(F::Superior) {
            Cell::Absent => None,
            Cell::Value(Val::Bool(b)) => Some(*b),
            _ => Some(false),
        };
        let superior = match row.get(F::SuperiorExternalId) {
            Cell::Absent => None,
            Cell::Empty => Some(""),
            Cell::Value(v) => match v {
                Val::Text(t) => Some(t.as_str()),
                _ => None,
            },
        };
        if flag.is_some() || superior.is_some() || own.is_some() {
            self.graph
                .note(&mut self.claims.keys, ord, own, slot, flag, superior, ns);
        }
    }

    /// After the last batch: resolves superiors and departments across the file, then lets
    /// go of what only the first pass needs.
    pub async fn finish(&mut self, db: &sea_orm::DatabaseConnection) -> crate::Result<()> {
        if !self.graph.is_empty() {
            let keys = std::mem::take(&mut self.claims.keys);
            self.targets = self
                .graph
                .resolve(db, self.refs.tenant, &mut self.lines, self.index, keys)
                .await?;
        }
        self.departments.resolve(&mut self.lines, self.refs);
        // The second pass needs only the verdicts and the resolved superiors.
        self.claims = Claims::default();
        self.graph = Graph::default();
        Ok(())
    }

    /// Room for about `rows` rows in all, scaled from what the rows so far took, so the
    /// per-row stores do not grow (and briefly hold two copies) near the end of a big file.
    pub fn reserve(&mut self, rows: usize) {
        let so_far = self.lines.len().max(1);
        if rows <= so_far {
            return;
        }
        let more = |have: usize| (have * rows / so_far).saturating_sub(have);
        self.lines.reserve(rows);
        self.claims.keys.reserve(more(self.claims.keys.len()));
        self.graph.reserve(rows, so_far);
    }

    /// Bytes held by the per-row state (for the debug log).
    pub fn bytes(&self) -> usize {
        self.lines.bytes() + self.claims.bytes() + self.graph.bytes()
    }

    /// How many users the import creates.
    pub fn creates(&self) -> u64 {
        self.lines.creates()
    }
}

/// Whether the stored user really has the key that found it (the index keeps hashes).
fn confirms(row: &Row, by: MatchedBy, s: &Stored) -> bool {
    let u = &s.user;
    match by {
        MatchedBy::ExternalId => u.external_id.as_deref() == row.text(F::ExternalId),
        MatchedBy::Uid => Some(u.login.as_str()) == row.text(F::Login),
        MatchedBy::Email => match (u.email.as_deref(), row.text(F::Email)) {
            (Some(a), Some(b)) => a.to_lowercase() == b.to_lowercase(),
            _ => false,
        },
        MatchedBy::UserNumber => u.user_number.as_deref() == row.text(F::UserNumber),
        MatchedBy::PersonnelNumber => u.personnel_number.as_deref() == row.text(F::PersonnelNumber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i8_recorded_runs_cover_the_lines_from_first_to_last() {
        let r = |outcome| Recorded {
            outcome,
            user_id: None,
            matched_by: None,
        };
        let mut lines = RecordedLines::default();
        lines.insert(10, Some(14), r(Outcome::Unchanged));
        lines.insert(2, None, r(Outcome::Created));
        lines.insert(3, Some(3), r(Outcome::Error));
        lines.insert(4, Some(8), r(Outcome::Unchanged));
        let lines = lines.sorted();
        let at = |line| lines.get(line).map(|r| r.outcome);
        assert_eq!(at(1), None);
        assert_eq!(at(2), Some(Outcome::Created));
        assert_eq!(at(3), Some(Outcome::Error));
        for line in [4, 6, 8, 10, 12, 14] {
            assert_eq!(at(line), Some(Outcome::Unchanged), "line {line}");
        }
        assert_eq!(at(9), None);
        assert_eq!(at(15), None);
    }
}
