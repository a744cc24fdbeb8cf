//! I2 HR: departments across an HR file. A department the organisation lacks is created by
//! the first row naming it, and every later row naming it depends on that row. The parent
//! department code (column AE in the Dutch tenant) builds the extra organisation layer: the
//! parent must exist or be created by the file, one department gets one parent per file, and
//! no chain of parents — stored ones included — may loop. Rows that break a rule fail, and
//! so do the rows that depend on them. Parents are linked once every department exists.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::fields::ImportField as F;
use super::refs::Refs;
use super::row::{Cell, Row, Val};
use super::state::Lines;
use crate::domain::tree::{ring_text, walk_parents};
use crate::store::TenantId;
use crate::store::entity::departments;

/// The departments of one file.
#[derive(Debug, Default)]
pub struct FileDepartments {
    /// New departments: code → (row creating it, organisation, its line).
    created: HashMap<String, (u32, Uuid, u64)>,
    /// Parents the file gives: code → (row, parent code or none).
    parents: HashMap<String, (u32, Option<String>)>,
    /// Names the file gives to departments: code → (row, name).
    names: HashMap<String, (u32, String)>,
    /// Rows that use a department another row creates.
    uses: Vec<(u32, String)>,
}

impl FileDepartments {
    /// Notes the department of row `ord`.
    pub fn note(&mut self, row: &Row, ord: u32, line: u64, refs: &Refs) -> Result<(), String> {
        let Some(code) = row.text(F::DepartmentCode) else {
            return Ok(());
        };
        let Cell::Value(Val::Id(org)) = row.get(F::OrganisationCode) else {
            return Ok(());
        };
        if !refs.departments.contains_key(code) {
            match self.created.get(code) {
                Some((_, other, at)) if other != org => {
                    return Err(format!(
                        "department `{code}` is created for organisation `{}` on line {at}",
                        refs.organisations.code(*other).unwrap_or("?"),
                    ));
                }
                Some(_) => self.uses.push((ord, code.to_owned())),
                None => {
                    self.created.insert(code.to_owned(), (ord, *org, line));
                }
            }
        }
        if let Some(name) = row.text(F::DepartmentName) {
            match self.names.get(code) {
                Some((_, n)) if n != name => {
                    return Err(format!(
                        "department `{code}` is given two names in this file (`{n}` and `{name}`)"
                    ));
                }
                Some(_) => {}
                None => {
                    self.names.insert(code.to_owned(), (ord, name.to_owned()));
                }
            }
        }
        let parent = match row.get(F::ParentDepartmentCode) {
            Cell::Absent => return Ok(()),
            Cell::Empty => None,
            Cell::Value(v) => match v {
                Val::Text(p) => Some(p.clone()),
                _ => None,
            },
        };
        if parent.as_deref() == Some(code) {
            return Err(format!("department `{code}` cannot be its own parent"));
        }
        match self.parents.get(code) {
            Some((_, p)) if *p != parent => Err(format!(
                "department `{code}` is given two parents in this file (`{}` and `{}`)",
                p.as_deref().unwrap_or(""),
                parent.as_deref().unwrap_or("")
            )),
            Some(_) => Ok(()),
            None => {
                self.parents.insert(code.to_owned(), (ord, parent));
                Ok(())
            }
        }
    }

    /// After the whole file: unknown parents, loops of parents, and rows depending on rows
    /// that fail.
    pub fn resolve(&mut self, lines: &mut Lines, refs: &Refs) {
        let exists = |c: &str| refs.departments.contains_key(c) || self.created.contains_key(c);
        for (code, (ord, parent)) in &self.parents {
            if let Some(p) = parent
                && !exists(p)
            {
                lines.fail(
                    *ord as usize,
                    format!("unknown parent department `{p}` of department `{code}`"),
                );
            }
        }
        // The parent of each department after the import.
        let mut parent_of: HashMap<&str, &str> = HashMap::new();
        for (code, d) in &refs.departments {
            if let Some(p) = d.parent_id.and_then(|id| refs.department_codes.get(&id)) {
                parent_of.insert(code, p);
            }
        }
        for (code, (_, parent)) in &self.parents {
            match parent {
                Some(p) => parent_of.insert(code, p),
                None => parent_of.remove(code.as_str()),
            };
        }
        let mut failing: Vec<(u32, String)> = Vec::new();
        let mut done: HashSet<&str> = HashSet::new();
        for start in self.parents.keys() {
            // The same walk the API uses for departments and units (domain::tree).
            let (path, ring_at) =
                walk_parents(start.as_str(), |c| parent_of.get(c).copied(), &done);
            if let Some(at) = ring_at {
                let text = ring_text(&path[at..]);
                for c in &path[at..] {
                    if let Some((ord, _)) = self.parents.get(*c) {
                        failing.push((*ord, format!("cyclic departments: {text}")));
                    }
                }
            }
            done.extend(path);
        }
        for (ord, m) in failing {
            lines.fail(ord as usize, m);
        }
        // Rows using a department whose creating row fails, fail too.
        for (ord, code) in &self.uses {
            let Some((first, _, _)) = self.created.get(code) else {
                continue;
            };
            let at = lines
                .line(*first as usize)
                .map(|l| (lines.ok(*first as usize), l));
            if let Some((false, line)) = at {
                lines.fail(
                    *ord as usize,
                    format!("department `{code}` (created on line {line}) has errors"),
                );
            }
        }
    }

    /// Sets the parents the file gives, once every department exists (idempotent: a resumed
    /// import sets them again). `lines` tells which rows succeeded.
    pub async fn link<C: ConnectionTrait>(
        &self,
        db: &C,
        tenant: TenantId,
        lines: &Lines,
    ) -> crate::Result<()> {
        if self.parents.is_empty() {
            return Ok(());
        }
        let stored = tenant.find::<departments::Entity>().all(db).await?;
        let ids: HashMap<&str, Uuid> = stored.iter().map(|d| (d.code.as_str(), d.id)).collect();
        let parent_now: HashMap<Uuid, Option<Uuid>> =
            stored.iter().map(|d| (d.id, d.parent_id)).collect();
        let now = Utc::now();
        for (code, (ord, parent)) in &self.parents {
            if !lines.ok(*ord as usize) {
                continue;
            }
            let Some(id) = ids.get(code.as_str()) else {
                continue;
            };
            let parent_id = parent.as_deref().and_then(|p| ids.get(p)).copied();
            if parent_now.get(id) == Some(&parent_id) {
                continue;
            }
            tenant
                .update_many::<departments::Entity>()
                .col_expr(departments::Column::ParentId, Expr::value(parent_id))
                .col_expr(departments::Column::UpdatedAt, Expr::value(now))
                .filter(departments::Column::Id.eq(*id))
                // X9: a department a descriptor declares is managed by it; imports leave it.
                .filter(departments::Column::ManagedBy.is_null())
                .exec(db)
                .await?;
        }
        Ok(())
    }
}
