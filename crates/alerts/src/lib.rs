//! vigil-alerts: tells an instance's admins when something changed for the worse. Pure
//! [`rules`] turn a stored scan or check into alerts; the [`Dispatcher`] (called by the
//! monitor) enqueues them in the store's outbox, once per subscription and occurrence; the
//! delivery loop ([`run`]) sends what is due by webhook, mail, ntfy or Mastodon direct message
//! and retries failures with backoff until they are sent or given up.
//!
//! Subscriptions made by the public stay silent until confirmed: the only message their target
//! gets is a link with a token (`/alerts/confirm?token=…`), so nobody can point alerts at
//! someone else's inbox or server. The operator's subscriptions are confirmed from the start.

pub mod dispatch;
pub mod http;
pub mod rules;
pub mod send;

use std::time::Duration;

pub use dispatch::{Delivery, DeliveryReport, Dispatcher, run};
pub use rules::{Fired, Priority, RuleConfig, ScanFacts};
pub use send::{Payload, Senders, signature};

/// How the connection to the SMTP relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    /// Plain SMTP, for a relay on this machine or its own network (port 25).
    #[default]
    Plain,
    /// STARTTLS, required: a relay that does not offer it gets no mail (submission, port 587).
    StartTls,
    /// TLS from the first byte (submissions, port 465; RFC 8314 prefers it).
    Tls,
}

impl SmtpSecurity {
    /// The usual port of each kind, when the operator names none.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

/// An SMTP relay for mail alerts.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The `From:` address.
    pub from: String,
    /// PEM certificates to trust for the relay in place of the public web roots (a relay with
    /// its own CA). Only with STARTTLS or TLS.
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .finish()
    }
}

/// The operator's bot account that sends direct messages.
#[derive(Clone, PartialEq, Eq)]
pub struct MastodonBot {
    /// `https://bots.example`
    pub instance: String,
    /// An access token with `write:statuses`.
    pub token: String,
}

impl std::fmt::Debug for MastodonBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MastodonBot")
            .field("instance", &self.instance)
            .field("token", &"***")
            .finish()
    }
}

/// Everything alerting needs from the operator.
#[derive(Debug, Clone)]
pub struct AlertConfig {
    pub smtp: Option<SmtpConfig>,
    pub mastodon: Option<MastodonBot>,
    pub rules: RuleConfig,
    /// The site's public base URL, for confirmation links (`https://vigil.example`).
    pub public_url: Option<String>,
    /// Deadline of one delivery attempt.
    pub timeout: Duration,
    /// Let public subscriptions reach private addresses (tests only).
    pub allow_private_targets: bool,
    /// Seconds between attempts; the alert fails after the last.
    pub backoff: Vec<i64>,
    /// How often the delivery loop looks for due alerts.
    pub poll: Duration,
    /// Sent with every HTTP delivery.
    pub user_agent: String,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            smtp: None,
            mastodon: None,
            rules: RuleConfig::default(),
            public_url: None,
            timeout: Duration::from_secs(15),
            allow_private_targets: false,
            backoff: vigil_store::DEFAULT_BACKOFF.to_vec(),
            poll: Duration::from_secs(10),
            user_agent: format!("Vigil/{} alerts", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Why one delivery attempt failed (stored as the alert's `last_error`).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The configuration cannot send on this channel.
    #[error("{0}")]
    Config(String),
    /// The target is unusable (bad URL, address or handle, or a private address).
    #[error("bad target: {0}")]
    BadTarget(String),
    /// No connection could be made.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The attempt ran past its deadline.
    #[error("timed out")]
    Timeout,
    /// The receiver answered with a non-2xx status.
    #[error("answered HTTP {0}")]
    Status(u16),
    /// The SMTP server refused or failed.
    #[error("SMTP: {0}")]
    Smtp(String),
}

/// Why alerting could not do its part (the monitor logs it and goes on).
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    #[error(transparent)]
    Send(#[from] SendError),
    /// A subscription request that cannot be right.
    #[error("invalid subscription: {0}")]
    Invalid(String),
}
