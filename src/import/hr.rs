//! I2 HR / U8: employments into departments of existing organisations. (Filled in below.)

use super::diff::{Diff, Env};
use super::fields::ImportField;
use super::refs::Refs;
use super::row::Row;
use super::state::LineState;
use super::values::Stored;

/// Departments a file creates or re-parents, across its rows.
#[derive(Debug, Default)]
pub struct FileDepartments {}

impl FileDepartments {
    /// Notes the department of row `ord`.
    pub fn note(&mut self, _row: &Row, _ord: u32, _line: u64, _refs: &Refs) -> Result<(), String> {
        Ok(())
    }

    /// Checks the departments across the file.
    pub fn resolve(&mut self, _lines: &mut [LineState], _refs: &Refs) {}
}

/// Employment and department writes of one HR row.
#[derive(Debug, Clone, Default)]
pub struct HrOps {}

/// Whether `field` belongs to the employment rather than the user.
pub fn is_hr_field(field: ImportField) -> bool {
    use ImportField as F;
    matches!(
        field,
        F::OrganisationCode
            | F::DepartmentCode
            | F::DepartmentName
            | F::ParentDepartmentCode
            | F::JobTitle
            | F::EmploymentStart
            | F::EmploymentEnd
    )
}

/// Plans the employment of a stored user.
pub fn plan_existing(_row: &Row, _s: &Stored, _env: &Env<'_>, _d: &mut Diff) -> Result<(), String> {
    Ok(())
}

/// Plans the employment of a new user.
pub fn plan_new(_row: &Row, _env: &Env<'_>, _d: &mut Diff) -> Result<(), String> {
    Ok(())
}

/// Writes the employment and department changes of `rows`.
pub async fn write<C: sea_orm::ConnectionTrait>(
    _txn: &C,
    _tenant: crate::store::TenantId,
    _rows: &[super::apply::Writes],
    _now: chrono::DateTime<chrono::Utc>,
) -> crate::Result<()> {
    Ok(())
}
