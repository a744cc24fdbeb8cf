//! I2 HR / U8: employments into departments of existing organisations. (Filled in below.)

use super::diff::{Diff, Env};
use super::fields::ImportField;
use super::row::Row;
use super::values::Stored;

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
