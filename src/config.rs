//! Server settings: flags > environment > `roster.toml` > defaults.
//!
//! These are per server, never per tenant (tenant behaviour lives in `tenants/*.yaml`).
//! Every setting is listed in README.md; keep the two in step.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde::Deserialize;

/// Settings given on the command line or in the environment (clap reads both; flags win).
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// Settings file; a missing default file is fine, a missing named one is an error.
    /// (`--settings`, not `--config`: `roster import --config` names an import configuration.)
    #[arg(long = "settings", env = "ROSTER_CONFIG", global = true)]
    pub settings_file: Option<PathBuf>,
    /// Database URL (`sqlite://…` or `postgres://…`).
    #[arg(long, env = "ROSTER_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Redis URL; without it sessions, queue notifications and caches stay in-process.
    #[arg(long, env = "ROSTER_REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// Address the HTTP server listens on.
    #[arg(long, env = "ROSTER_BIND", global = true)]
    pub bind: Option<String>,
    /// Directory of tenant descriptors applied at `serve`.
    #[arg(long, env = "ROSTER_TENANTS_DIR", global = true)]
    pub tenants_dir: Option<PathBuf>,
    /// Directory for the default SQLite file and the mail outbox.
    #[arg(long, env = "ROSTER_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Public base URL used in links (default: http://<bind>).
    #[arg(long, env = "ROSTER_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// SMTP server host; without it mails are written as .eml files to `<data_dir>/outbox/`.
    #[arg(long, env = "ROSTER_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// SMTP port (default 587, or 465 with `tls`, 25 with `none`).
    #[arg(long, env = "ROSTER_SMTP_PORT", global = true)]
    pub smtp_port: Option<u16>,
    /// SMTP user name.
    #[arg(long, env = "ROSTER_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(
        long,
        env = "ROSTER_SMTP_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// SMTP transport security: `starttls` (default), `tls` or `none`.
    #[arg(long, env = "ROSTER_SMTP_SECURITY", global = true)]
    pub smtp_security: Option<String>,
    /// Default sender address of mails.
    #[arg(long, env = "ROSTER_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// Log format: `text` (default) or `json`.
    #[arg(long, env = "ROSTER_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Session cookie marked `Secure` (default: when the public URL starts with `https://`).
    #[arg(long, env = "ROSTER_SECURE_COOKIES", global = true)]
    pub secure_cookies: Option<bool>,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a trusted proxy).
    #[arg(long, env = "ROSTER_TRUST_FORWARDED_FOR", global = true)]
    pub trust_forwarded_for: Option<bool>,
    /// I9: seconds between runs of staged imports (default 900, every 15 minutes).
    #[arg(long, env = "ROSTER_IMPORT_INTERVAL", global = true)]
    pub import_interval: Option<u64>,
}

/// The optional settings file; the same keys as the flags, with SMTP in `[smtp]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    redis_url: Option<String>,
    bind: Option<String>,
    tenants_dir: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    mail_from: Option<String>,
    log_format: Option<String>,
    secure_cookies: Option<bool>,
    trust_forwarded_for: Option<bool>,
    import_interval: Option<u64>,
    #[serde(default)]
    smtp: FileSmtp,
    #[serde(default)]
    auth: FileAuth,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAuth {
    session_idle_minutes: Option<u64>,
    max_failures_per_account: Option<u32>,
    max_failures_per_address: Option<u32>,
    failure_window_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSmtp {
    host: Option<String>,
    port: Option<u16>,
    username: Option<String>,
    password: Option<String>,
    security: Option<String>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS.
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// No encryption (local relays and test sinks only).
    None,
}

/// SMTP delivery.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Credentials, when the server wants them.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<String>,
    /// Connection security.
    pub security: SmtpSecurity,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Sessions, cookies and sign-in throttling (R7, U6); see docs/security.md.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The session cookie carries `Secure`.
    pub secure_cookies: bool,
    /// The client address is the last `X-Forwarded-For` entry instead of the socket peer.
    pub trust_forwarded_for: bool,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// Failed sign-ins per account (tenant + login) within `failure_window` before refusing.
    pub max_failures_per_account: u32,
    /// Failed sign-ins per client address within `failure_window` before refusing.
    pub max_failures_per_address: u32,
    /// How long failures are counted; the refusal ends when it runs out.
    pub failure_window: Duration,
}

/// Resolved server settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database URL.
    pub database_url: String,
    /// Redis URL, if any.
    pub redis_url: Option<String>,
    /// Listen address.
    pub bind: String,
    /// Tenant descriptor directory.
    pub tenants_dir: PathBuf,
    /// Data directory (SQLite file, outbox).
    pub data_dir: PathBuf,
    /// Base URL for links in mails and console output.
    pub public_url: String,
    /// SMTP delivery; `None` writes mails to the outbox directory.
    pub smtp: Option<SmtpSettings>,
    /// Default sender.
    pub mail_from: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Sessions and sign-in.
    pub auth: AuthSettings,
    /// I9: staged imports run on the next multiple of this interval (or on "run now").
    pub import_interval: Duration,
}

impl Settings {
    /// Merges flags and environment (already in `args`) over the settings file and defaults.
    pub fn resolve(args: &SettingsArgs) -> anyhow::Result<Self> {
        let file = match &args.settings_file {
            Some(path) => read_file(path)?,
            None if Path::new("roster.toml").exists() => read_file(Path::new("roster.toml"))?,
            None => FileSettings::default(),
        };
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| {
                format!("sqlite://{}?mode=rwc", data_dir.join("roster.db").display())
            });
        let bind = args
            .bind
            .clone()
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let public_url = args
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        let security = match args.smtp_security.clone().or(file.smtp.security).as_deref() {
            None | Some("starttls") => SmtpSecurity::StartTls,
            Some("tls") => SmtpSecurity::Tls,
            Some("none") => SmtpSecurity::None,
            Some(other) => {
                anyhow::bail!("smtp security `{other}` is not one of `starttls`, `tls`, `none`")
            }
        };
        let smtp = args
            .smtp_host
            .clone()
            .or(file.smtp.host)
            .map(|host| SmtpSettings {
                host,
                port: args.smtp_port.or(file.smtp.port).unwrap_or(match security {
                    SmtpSecurity::StartTls => 587,
                    SmtpSecurity::Tls => 465,
                    SmtpSecurity::None => 25,
                }),
                username: args.smtp_username.clone().or(file.smtp.username),
                password: args.smtp_password.clone().or(file.smtp.password),
                security,
            });
        let log_format = match args.log_format.clone().or(file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => anyhow::bail!("log format `{other}` is not one of `text`, `json`"),
        };
        let auth = AuthSettings {
            secure_cookies: args
                .secure_cookies
                .or(file.secure_cookies)
                .unwrap_or_else(|| public_url.starts_with("https://")),
            trust_forwarded_for: args
                .trust_forwarded_for
                .or(file.trust_forwarded_for)
                .unwrap_or(false),
            session_idle: Duration::from_secs(
                60 * file.auth.session_idle_minutes.unwrap_or(8 * 60).max(1),
            ),
            max_failures_per_account: file.auth.max_failures_per_account.unwrap_or(5).max(1),
            max_failures_per_address: file.auth.max_failures_per_address.unwrap_or(20).max(1),
            failure_window: Duration::from_secs(
                file.auth.failure_window_seconds.unwrap_or(15 * 60).max(1),
            ),
        };
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            anyhow::bail!("database URL must start with `sqlite:` or `postgres://`");
        }
        Ok(Self {
            database_url,
            redis_url: args
                .redis_url
                .clone()
                .or(file.redis_url)
                .filter(|u| !u.is_empty()),
            bind,
            tenants_dir: args
                .tenants_dir
                .clone()
                .or(file.tenants_dir)
                .unwrap_or_else(|| PathBuf::from("tenants")),
            data_dir,
            public_url,
            smtp,
            mail_from: args
                .mail_from
                .clone()
                .or(file.mail_from)
                .unwrap_or_else(|| "Roster <no-reply@localhost>".to_owned()),
            log_format,
            auth,
            import_interval: Duration::from_secs(
                args.import_interval
                    .or(file.import_interval)
                    .unwrap_or(900)
                    .max(1),
            ),
        })
    }

    /// Directory where mails are written when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read settings file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_embedded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let args = SettingsArgs {
            settings_file: Some(dir.path().join("missing.toml")),
            ..Default::default()
        };
        assert!(
            Settings::resolve(&args).is_err(),
            "a named missing file is an error"
        );

        let cwd_independent = SettingsArgs::default();
        let s = Settings::resolve(&cwd_independent).expect("defaults");
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert!(s.database_url.starts_with("sqlite://data/roster.db"));
        assert!(s.smtp.is_none());
        assert_eq!(s.outbox_dir(), PathBuf::from("data/outbox"));
        assert!(!s.auth.secure_cookies, "http public URL: no Secure cookie");
        assert_eq!(s.auth.max_failures_per_account, 5);
    }

    #[test]
    fn cookies_are_secure_behind_https_unless_told_otherwise() {
        let mut args = SettingsArgs {
            public_url: Some("https://roster.example".into()),
            ..Default::default()
        };
        assert!(
            Settings::resolve(&args)
                .expect("resolve")
                .auth
                .secure_cookies
        );
        args.secure_cookies = Some(false);
        assert!(
            !Settings::resolve(&args)
                .expect("resolve")
                .auth
                .secure_cookies
        );
    }

    #[test]
    fn flags_beat_file_and_file_beats_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("roster.toml");
        std::fs::write(
            &file,
            "bind = \"0.0.0.0:9000\"\ntenants_dir = \"/srv/tenants\"\n[smtp]\nhost = \"mail.example.org\"\nsecurity = \"tls\"\n",
        )
        .expect("write");
        let args = SettingsArgs {
            settings_file: Some(file.clone()),
            bind: Some("127.0.0.1:1".into()),
            ..Default::default()
        };
        let s = Settings::resolve(&args).expect("resolve");
        assert_eq!(s.bind, "127.0.0.1:1");
        assert_eq!(s.tenants_dir, PathBuf::from("/srv/tenants"));
        let smtp = s.smtp.expect("smtp");
        assert_eq!((smtp.host.as_str(), smtp.port), ("mail.example.org", 465));

        std::fs::write(&file, "colour = \"red\"\n").expect("write");
        let err = Settings::resolve(&args).expect_err("unknown key");
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }
}
