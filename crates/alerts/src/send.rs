//! The four channels. Each turns one stored alert into one delivery attempt and says whether
//! the receiver took it (2xx for the HTTP ones, 250 for mail); retrying is the caller's job.

use std::sync::Arc;

use hmac::{KeyInit, Mac};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls::ClientConfig;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};
use url::Url;
use vigil_store::{Alert, Channel, Subscription};

use crate::http::{self, HttpLimits};
use crate::rules::Priority;
use crate::{AlertConfig, SendError, SmtpConfig, SmtpSecurity};

/// The JSON stored with each alert and POSTed to webhooks as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    pub kind: String,
    pub host: String,
    pub title: String,
    pub message: String,
    pub priority: Priority,
    /// Unix seconds when the alert was raised.
    pub at: i64,
    #[serde(default)]
    pub details: serde_json::Value,
    /// The link that confirms a subscription (confirmation messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_url: Option<String>,
}

impl Payload {
    /// The text of a mail, ntfy message or DM.
    pub fn text(&self) -> String {
        match &self.confirm_url {
            Some(link) => format!("{}\n\nConfirm: {link}", self.message),
            None => self.message.clone(),
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of body>`, the `X-Vigil-Signature` a receiver recomputes with the
/// subscription's secret to know the POST came from this Vigil.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this never fails.
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends alerts over every configured channel.
#[derive(Clone)]
pub struct Senders {
    cfg: Arc<AlertConfig>,
    tls: Arc<ClientConfig>,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl std::fmt::Debug for Senders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Senders")
            .field("smtp", &self.smtp.is_some())
            .finish_non_exhaustive()
    }
}

impl Senders {
    /// Builds the TLS client and the SMTP transport from the configuration.
    pub fn new(cfg: Arc<AlertConfig>) -> Result<Senders, SendError> {
        let tls = http::default_tls()?;
        let smtp = match &cfg.smtp {
            None => None,
            Some(s) => Some(smtp_transport(s, cfg.timeout)?),
        };
        Ok(Senders { cfg, tls, smtp })
    }

    fn limits(&self) -> HttpLimits {
        HttpLimits {
            timeout: self.cfg.timeout,
            ..HttpLimits::default()
        }
    }

    /// Targets the operator set up may be anywhere; the public's must be public addresses.
    fn allow_private(&self, sub: &Subscription) -> bool {
        sub.source != "public" || self.cfg.allow_private_targets
    }

    /// One attempt at delivering `alert` to its subscription.
    pub async fn send(&self, alert: &Alert) -> Result<(), SendError> {
        let payload: Payload = serde_json::from_str(&alert.payload)
            .map_err(|e| SendError::BadTarget(format!("stored payload: {e}")))?;
        let sub = &alert.subscription;
        match sub.channel {
            Channel::Webhook => self.webhook(alert, sub).await,
            Channel::Ntfy => self.ntfy(&payload, sub).await,
            Channel::Mastodon => self.mastodon(alert, &payload, sub).await,
            Channel::Email => self.email(&payload, sub).await,
        }
    }

    async fn post(
        &self,
        url: &str,
        allow_private: bool,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<(), SendError> {
        let url = Url::parse(url).map_err(|e| SendError::BadTarget(format!("{url}: {e}")))?;
        let mut all = vec![("user-agent", self.cfg.user_agent.clone())];
        all.extend(headers.iter().cloned());
        let answer = http::post(&url, &all, body, &self.tls, self.limits(), allow_private).await?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(SendError::Status(answer.status))
        }
    }

    async fn webhook(&self, alert: &Alert, sub: &Subscription) -> Result<(), SendError> {
        let body = alert.payload.as_bytes().to_vec();
        let mut headers = vec![
            ("content-type", "application/json".to_string()),
            ("x-vigil-event", alert.kind.clone()),
            ("x-vigil-delivery", alert.id.to_string()),
        ];
        if let Some(secret) = sub.secret.as_deref().filter(|s| !s.is_empty()) {
            headers.push(("x-vigil-signature", signature(secret, &body)));
        }
        self.post(&sub.target, self.allow_private(sub), &headers, body)
            .await
    }

    async fn ntfy(&self, p: &Payload, sub: &Subscription) -> Result<(), SendError> {
        let (priority, tags) = match p.priority {
            Priority::Default => ("default", "information_source"),
            Priority::High => ("high", "warning"),
            Priority::Urgent => ("urgent", "rotating_light"),
        };
        let mut headers = vec![
            ("title", header_text(&p.title)),
            ("priority", priority.to_string()),
            ("tags", format!("{tags},vigil")),
            ("content-type", "text/plain; charset=utf-8".to_string()),
        ];
        if let Some(link) = &p.confirm_url {
            headers.push(("click", header_text(link)));
        }
        self.post(
            &sub.target,
            self.allow_private(sub),
            &headers,
            p.text().into_bytes(),
        )
        .await
    }

    async fn mastodon(
        &self,
        alert: &Alert,
        p: &Payload,
        sub: &Subscription,
    ) -> Result<(), SendError> {
        let bot = self
            .cfg
            .mastodon
            .as_ref()
            .ok_or_else(|| SendError::Config("no Mastodon bot account configured".into()))?;
        let handle = normalise_handle(&sub.target)
            .ok_or_else(|| SendError::BadTarget(format!("{:?} is not @user@host", sub.target)))?;
        let status: String = format!("{handle} {}\n\n{}", p.title, p.text())
            .chars()
            .take(480)
            .collect();
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("status", &status)
            .append_pair("visibility", "direct")
            .finish();
        let url = format!("{}/api/v1/statuses", bot.instance.trim_end_matches('/'));
        let headers = [
            ("authorization", format!("Bearer {}", bot.token)),
            (
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            ),
            // Mastodon drops a repeated post with the same key: a retry after a lost answer
            // does not DM twice.
            ("idempotency-key", format!("vigil-alert-{}", alert.id)),
        ];
        // The bot's own instance is the operator's choice, so any address is fine.
        self.post(&url, true, &headers, body.into_bytes()).await
    }

    async fn email(&self, p: &Payload, sub: &Subscription) -> Result<(), SendError> {
        let (Some(smtp), Some(cfg)) = (&self.smtp, &self.cfg.smtp) else {
            return Err(SendError::Config("no SMTP server configured".into()));
        };
        let from = cfg
            .from
            .parse()
            .map_err(|e| SendError::Config(format!("from address {:?}: {e}", cfg.from)))?;
        let to = sub
            .target
            .parse()
            .map_err(|e| SendError::BadTarget(format!("{:?}: {e}", sub.target)))?;
        let msg = Message::builder()
            .from(from)
            .to(to)
            .subject(p.title.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(format!(
                "{}\n\n-- \nVigil alerts for {}. Sent because this address subscribed.\n",
                p.text(),
                p.host
            ))
            .map_err(|e| SendError::BadTarget(format!("mail: {e}")))?;
        tokio::time::timeout(self.cfg.timeout, smtp.send(msg))
            .await
            .map_err(|_| SendError::Timeout)?
            .map_err(|e| SendError::Smtp(e.to_string()))?;
        Ok(())
    }
}

/// The SMTP transport for the operator's relay. Credentials never cross the network in the
/// clear: plain SMTP with a user name is refused unless the relay is on loopback.
fn smtp_transport(
    s: &SmtpConfig,
    timeout: std::time::Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
        .port(s.port)
        .timeout(Some(timeout));
    let wrap: Option<fn(TlsParameters) -> Tls> = match s.security {
        SmtpSecurity::Plain => None,
        SmtpSecurity::StartTls => Some(Tls::Required),
        SmtpSecurity::Tls => Some(Tls::Wrapper),
    };
    match wrap {
        Some(wrap) => {
            let mut params = TlsParameters::builder(s.host.clone());
            if let Some(pem) = &s.ca_pem {
                let found = CertificateDer::pem_slice_iter(pem)
                    .filter(Result::is_ok)
                    .count();
                if found == 0 {
                    return Err(SendError::Config(
                        "SMTP CA file: no PEM certificate in it".into(),
                    ));
                }
                let roots = Certificate::from_pem(pem)
                    .map_err(|e| SendError::Config(format!("SMTP CA file: {e}")))?;
                params = params
                    .certificate_store(CertificateStore::None)
                    .add_root_certificate(roots);
            }
            let params = params
                .build_rustls()
                .map_err(|e| SendError::Config(format!("SMTP TLS: {e}")))?;
            b = b.tls(wrap(params));
        }
        None => {
            if s.ca_pem.is_some() {
                return Err(SendError::Config(
                    "an SMTP CA file needs STARTTLS or TLS".into(),
                ));
            }
            if s.username.is_some() && !is_loopback_name(&s.host) {
                return Err(SendError::Config(format!(
                    "SMTP credentials for {} would cross the network in the clear: \
                     use STARTTLS or TLS (only a relay on loopback takes them over plain SMTP)",
                    s.host
                )));
            }
        }
    }
    if let (Some(u), Some(p)) = (&s.username, &s.password) {
        b = b.credentials(Credentials::new(u.clone(), p.clone()));
    }
    Ok(b.build())
}

/// `localhost` or a loopback address literal.
fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `@user@host` from `@user@host` or `user@host`; `None` when it is not one.
pub fn normalise_handle(raw: &str) -> Option<String> {
    let t = raw.trim().trim_start_matches('@');
    let (user, host) = t.split_once('@')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    (ok(user) && ok(host) && host.contains('.')).then(|| format!("@{user}@{host}"))
}

/// HTTP header values must be visible ASCII: anything else becomes `?`.
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .take(250)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn handles_are_normalised() {
        assert_eq!(
            normalise_handle("@admin@mastodon.example").as_deref(),
            Some("@admin@mastodon.example")
        );
        assert_eq!(
            normalise_handle("admin@mastodon.example").as_deref(),
            Some("@admin@mastodon.example")
        );
        for bad in ["admin", "@admin@", "@a b@x.example", "@admin@localhost", ""] {
            assert_eq!(normalise_handle(bad), None, "{bad}");
        }
    }

    #[test]
    fn header_values_stay_ascii() {
        assert_eq!(header_text("bücher.example: A\r\n"), "b?cher.example: A??");
    }

    fn relay(host: &str, security: SmtpSecurity) -> SmtpConfig {
        SmtpConfig {
            host: host.into(),
            port: security.default_port(),
            security,
            username: Some("vigil".into()),
            password: Some("pw".into()),
            from: "alerts@vigil.example".into(),
            ca_pem: None,
        }
    }

    fn refusal(s: &SmtpConfig) -> String {
        match smtp_transport(s, std::time::Duration::from_secs(1)) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn credentials_never_go_out_in_the_clear() {
        let e = refusal(&relay("smtp.example", SmtpSecurity::Plain));
        assert!(e.contains("in the clear"), "{e}");
        for local in ["127.0.0.1", "localhost", "::1", "[::1]"] {
            assert_eq!(refusal(&relay(local, SmtpSecurity::Plain)), "", "{local}");
        }
        for secure in [SmtpSecurity::StartTls, SmtpSecurity::Tls] {
            assert_eq!(refusal(&relay("smtp.example", secure)), "");
        }
        let mut anonymous = relay("smtp.example", SmtpSecurity::Plain);
        anonymous.username = None;
        anonymous.password = None;
        assert_eq!(refusal(&anonymous), "");
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate_and_needs_tls() {
        let mut s = relay("smtp.example", SmtpSecurity::StartTls);
        s.ca_pem = Some(b"not a certificate".to_vec());
        assert!(
            refusal(&s).contains("no PEM certificate"),
            "{}",
            refusal(&s)
        );
        s.security = SmtpSecurity::Plain;
        s.host = "127.0.0.1".into();
        assert!(
            refusal(&s).contains("needs STARTTLS or TLS"),
            "{}",
            refusal(&s)
        );
        assert_eq!(SmtpSecurity::Tls.default_port(), 465);
        let shown = format!("{s:?}");
        assert!(!shown.contains("\"pw\""), "{shown}");
    }
}
