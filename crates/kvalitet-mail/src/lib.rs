//! kvalitet's mailer: sends one plain-text message through the SMTP relay a municipality
//! configures (`smtp://`, `smtp://...?tls=required` for STARTTLS, or `smtps://`), with lettre.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use kvalitet_app::ports::{Mail, MailError, Mailer};

/// Why a mailer could not be made from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the SMTP relay address is not valid: {0}")]
    Url(String),
    #[error("the sender address {0:?} is not valid: {1}")]
    From(String, String),
}

/// A relay and the address messages come from.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    // The transport holds the relay's password: only the sender is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// A relay that does not answer within this is treated as down; the message is tried again.
const TIMEOUT: Duration = Duration::from_secs(20);

impl SmtpMailer {
    /// `url` as lettre reads it, e.g. `smtp://user:password@relay.kommun.se:587?tls=required`;
    /// `from` an address, optionally with a name: `kvalitet <noreply@kommun.se>`.
    pub fn new(url: &str, from: &str) -> Result<Self, ConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ConfigError::Url(e.to_string()))?
            .timeout(Some(TIMEOUT))
            .build();
        let from = from.parse().map_err(|e: lettre::address::AddressError| {
            ConfigError::From(from.to_owned(), e.to_string())
        })?;
        Ok(Self { transport, from })
    }
}

impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| {
                MailError::Permanent(format!("{}: {e}", mail.to))
            })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            // Quoted-printable keeps a message with Swedish letters readable as it is sent.
            .body(
                Body::new_with_encoding(
                    mail.body.clone(),
                    ContentTransferEncoding::QuotedPrintable,
                )
                .map_err(|_| MailError::Permanent("the message cannot be encoded".into()))?,
            )
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            // A 5xx answer will be the same next time; anything else (4xx, no connection, a
            // timeout) may pass.
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }
}
