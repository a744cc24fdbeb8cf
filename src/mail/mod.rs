//! Outgoing mail (J2): rendered from `templates/mail/<lang>/<name>.txt` and delivered by SMTP,
//! or written as `.eml` files to the outbox directory when no SMTP server is configured, or
//! kept in memory for tests. Mails are sent from jobs, never inline in a request.

mod templates;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub use templates::{
    Rendered, check_override, names as template_names, render, render_for, render_with,
};

use crate::config::{Settings, SmtpSecurity};

/// A file attached to a mail.
#[derive(Debug, Clone)]
pub struct MailAttachment {
    /// File name shown to the recipient.
    pub filename: String,
    /// MIME type, e.g. `text/csv`.
    pub content_type: String,
    /// Content.
    pub content: Vec<u8>,
}

/// A mail ready to send.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Sender override (a tenant's own sender); default: the server's.
    pub from: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// Attachments.
    pub attachments: Vec<MailAttachment>,
}

#[derive(Clone)]
enum Transport {
    Outbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Memory(Arc<Mutex<Vec<Mail>>>),
}

/// Delivers mails.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: String,
}

impl Mailer {
    /// SMTP when configured, else `.eml` files in the outbox directory.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let transport = match &settings.smtp {
            None => Transport::Outbox(settings.outbox_dir()),
            Some(smtp) => {
                let builder = match smtp.security {
                    SmtpSecurity::StartTls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
                    }
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                };
                let mut builder = builder.port(smtp.port);
                if let (Some(user), Some(pass)) = (&smtp.username, &smtp.password) {
                    builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Self {
            transport,
            from: settings.mail_from.clone(),
        })
    }

    /// A mailer that keeps every mail in memory; the handle reads them back (tests).
    pub fn memory() -> (Self, Arc<Mutex<Vec<Mail>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        (
            Self {
                transport: Transport::Memory(sent.clone()),
                from: "Roster <no-reply@localhost>".into(),
            },
            sent,
        )
    }

    /// Sends one mail.
    pub async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        if let Transport::Memory(sent) = &self.transport {
            sent.lock()
                .map_err(|_| anyhow::anyhow!("mail store poisoned"))?
                .push(mail);
            return Ok(());
        }
        let from: Mailbox = mail
            .from
            .as_deref()
            .unwrap_or(&self.from)
            .parse()
            .context("invalid sender address")?;
        let to: Mailbox = mail.to.parse().context("invalid recipient address")?;
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone());
        let builder = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject.clone());
        let message = if mail.attachments.is_empty() {
            builder.singlepart(text)?
        } else {
            let mut multipart = MultiPart::mixed().singlepart(text);
            for a in &mail.attachments {
                let content_type =
                    ContentType::parse(&a.content_type).unwrap_or(ContentType::TEXT_PLAIN);
                multipart = multipart.singlepart(
                    Attachment::new(a.filename.clone()).body(a.content.clone(), content_type),
                );
            }
            builder.multipart(multipart)?
        };
        match &self.transport {
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .context("cannot write mail to the outbox")?;
            }
            Transport::Smtp(smtp) => {
                smtp.send(message).await.context("SMTP delivery failed")?;
            }
            Transport::Memory(_) => {}
        }
        Ok(())
    }
}
