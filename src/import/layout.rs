//! I2: which column fills which field. The built-in standard user format, or a tenant's
//! import configuration (applied from its descriptor into `import_configurations`), selected
//! by code. A layout is the one input the readers need besides the file.

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::fields::{ImportField, STANDARD, STANDARD_REQUIRED, column_index, column_letters};
use crate::store::TenantId;
use crate::store::entity::import_configurations;
use crate::tenancy::descriptor::{ColumnMapping, ImportFormat, ImportKind};

/// Where a field's value is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnSource {
    /// The column (or XML element) with this name.
    Header(String),
    /// The column at this 0-based position (`A` = 0).
    Letter(usize),
}

/// One mapped field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// What the column fills.
    pub field: ImportField,
    /// Where it is.
    pub source: ColumnSource,
    /// I3: the column must be present in the file.
    pub required: bool,
}

impl Binding {
    /// How a message names this column: `Email`, or `E (email)` for letter mappings.
    pub fn describe(&self) -> String {
        match &self.source {
            ColumnSource::Header(h) => h.clone(),
            ColumnSource::Letter(i) => format!("{} ({})", column_letters(*i), self.field),
        }
    }
}

/// A resolved import configuration. The position of a binding in `columns` is its *slot*:
/// records hand out values by slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Configuration code; `None` for the built-in standard format.
    pub code: Option<String>,
    /// The `import_configurations` row, for configured layouts.
    pub config_id: Option<Uuid>,
    /// What the rows import.
    pub kind: ImportKind,
    /// File format.
    pub format: ImportFormat,
    /// CSV delimiter.
    pub delimiter: u8,
    /// Whether the first CSV line names the columns.
    pub has_header: bool,
    /// Catalog code given to users the import creates.
    pub catalog: Option<String>,
    /// The mapped fields, by slot.
    pub columns: Vec<Binding>,
}

impl Layout {
    /// I2: the built-in standard user format (semicolon, header line).
    pub fn standard(format: ImportFormat) -> Self {
        Self {
            code: None,
            config_id: None,
            kind: ImportKind::Users,
            format,
            delimiter: b';',
            has_header: true,
            catalog: None,
            columns: STANDARD
                .iter()
                .map(|f| Binding {
                    field: *f,
                    source: ColumnSource::Header(f.standard_header().to_owned()),
                    required: STANDARD_REQUIRED.contains(f),
                })
                .collect(),
        }
    }

    /// The layout of a stored configuration row.
    pub fn from_row(row: &import_configurations::Model) -> crate::Result<Self> {
        let bad = |m: String| {
            crate::Error::BadRequest(format!("import configuration `{}`: {m}", row.code))
        };
        let kind = match row.kind.as_str() {
            "users" => ImportKind::Users,
            "personal_budget" => ImportKind::PersonalBudget,
            "extended_properties" => ImportKind::ExtendedProperties,
            "hr" => ImportKind::Hr,
            other => return Err(bad(format!("unknown kind `{other}`"))),
        };
        let format = match row.format.as_str() {
            "xml" => ImportFormat::Xml,
            _ => ImportFormat::Csv,
        };
        let delimiter = match row.delimiter.as_bytes() {
            [b] if b.is_ascii() => *b,
            _ => {
                return Err(bad(format!(
                    "delimiter `{}` is not one ASCII character",
                    row.delimiter
                )));
            }
        };
        let mappings: Vec<ColumnMapping> = serde_json::from_value(row.mapping.clone())
            .map_err(|e| bad(format!("unreadable mapping: {e}")))?;
        let mut columns = Vec::with_capacity(mappings.len());
        for m in mappings {
            let field: ImportField = m.field.parse().map_err(bad)?;
            let source = match (m.header, m.column) {
                (Some(h), _) => ColumnSource::Header(h),
                (None, Some(letter)) => ColumnSource::Letter(
                    column_index(&letter).ok_or_else(|| bad(format!("bad column `{letter}`")))?,
                ),
                (None, None) => return Err(bad(format!("field `{field}` has no column"))),
            };
            columns.push(Binding {
                field,
                source,
                required: m.required,
            });
        }
        let catalog = row
            .options
            .get("catalog")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        Ok(Self {
            code: Some(row.code.clone()),
            config_id: Some(row.id),
            kind,
            format,
            delimiter,
            has_header: row.has_header,
            catalog,
            columns,
        })
    }

    /// The standard format (`code` = `None`) or the tenant's configuration `code`, in
    /// `format` when given (an XML file read with a header-mapped configuration).
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        tenant: TenantId,
        code: Option<&str>,
        format: Option<ImportFormat>,
    ) -> crate::Result<Self> {
        let mut layout = match code {
            None => Self::standard(format.unwrap_or_default()),
            Some(code) => {
                let row = tenant
                    .find::<import_configurations::Entity>()
                    .filter(import_configurations::Column::Code.eq(code))
                    .one(db)
                    .await?
                    .ok_or_else(|| {
                        crate::Error::NotFound(format!("import configuration `{code}`"))
                    })?;
                Self::from_row(&row)?
            }
        };
        if let Some(format) = format {
            layout.format = format;
        }
        if layout.format == ImportFormat::Xml
            && layout
                .columns
                .iter()
                .any(|b| matches!(b.source, ColumnSource::Letter(_)))
        {
            return Err(crate::Error::BadRequest(
                "this configuration maps columns by letter, which XML files do not have".into(),
            ));
        }
        Ok(layout)
    }

    /// The slot of `field`, if the layout maps it.
    pub fn slot(&self, field: ImportField) -> Option<usize> {
        self.columns.iter().position(|b| b.field == field)
    }

    /// I3: whether every column is mapped by name, so any other column is an error.
    pub fn closed(&self) -> bool {
        self.columns
            .iter()
            .all(|b| matches!(b.source, ColumnSource::Header(_)))
    }
}
