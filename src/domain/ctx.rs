//! Who acts, for which tenant, through which door: passed to every domain function that
//! touches tenant data (T4) and written into the audit trail (X3).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::store::TenantId;

/// Through which front door a change arrives (X3 "source").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Back-office or portal pages.
    Web,
    /// The JSON API.
    Api,
    /// A file import.
    Import,
    /// SCIM provisioning.
    Scim,
    /// A background job.
    Job,
    /// The operator's command line.
    Cli,
}

impl Source {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Import => "import",
            Source::Scim => "scim",
            Source::Job => "job",
            Source::Cli => "cli",
        }
    }
}

/// What kind of principal acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A back-office account (session).
    Backoffice,
    /// A portal user.
    User,
    /// A back-office account through an API token.
    Token,
    /// Roster itself (jobs, registration flows).
    System,
    /// The operator at the command line.
    Operator,
}

impl ActorKind {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Backoffice => "backoffice",
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::System => "system",
            ActorKind::Operator => "operator",
        }
    }
}

/// The principal behind a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Kind.
    pub kind: ActorKind,
    /// Account or user id, when there is one.
    pub id: Option<Uuid>,
    /// A human-readable label (login name); never an e-mail address.
    pub label: String,
}

/// The context of one domain operation.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The tenant everything happens in.
    pub tenant: TenantId,
    /// Who acts.
    pub actor: Actor,
    /// Through which door.
    pub source: Source,
    /// The HTTP request id, when there is one.
    pub request_id: Option<String>,
}

impl Ctx {
    /// An operator at the command line.
    pub fn operator(tenant: TenantId, label: impl Into<String>) -> Self {
        Self {
            tenant,
            actor: Actor {
                kind: ActorKind::Operator,
                id: None,
                label: label.into(),
            },
            source: Source::Cli,
            request_id: None,
        }
    }

    /// Roster itself, e.g. a background job.
    pub fn system(tenant: TenantId, source: Source) -> Self {
        Self {
            tenant,
            actor: Actor {
                kind: ActorKind::System,
                id: None,
                label: "roster".into(),
            },
            source,
            request_id: None,
        }
    }
}
