//! A reusable, bounded HTTPS client for the monitor's small requests (uptime checks,
//! robots.txt, peers): the same verified connection set-up, caps and error kinds as the
//! fediverse retrieval, with the TLS configuration built once instead of per request.

use crate::config::FediConfig;
use crate::fetch::{self, Get};
pub use crate::fetch::{Answer, Failure};
use rustls::ClientConfig;
use std::sync::Arc;
use url::Url;

/// Makes single GETs with one configuration.
#[derive(Clone)]
pub struct Client {
    config: FediConfig,
    tls: Arc<ClientConfig>,
}

impl Client {
    /// A client verifying servers against `config.trust`; `None` when no TLS configuration can
    /// be built from it.
    pub fn new(config: FediConfig) -> Option<Client> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?
            .with_root_certificates(Arc::clone(&config.trust.roots))
            .with_no_client_auth();
        Some(Client {
            config,
            tls: Arc::new(tls),
        })
    }

    /// The `https://host[:port]/path` URL of this client's port.
    pub fn url(&self, host: &vigil_model::Hostname, path: &str) -> Option<Url> {
        let port = if self.config.https_port == 443 {
            String::new()
        } else {
            format!(":{}", self.config.https_port)
        };
        Url::parse(&format!("https://{}{port}{path}", host.url_host())).ok()
    }

    /// One GET within the request timeout: the body is read only for 2xx answers, up to the
    /// body cap (a larger body is a `too-large` failure).
    pub async fn get(&self, url: &Url, accept: &str) -> Result<Answer, Failure> {
        let deadline = tokio::time::Instant::now() + self.config.limits.request_timeout;
        let req = Get {
            url,
            accept,
            user_agent: &self.config.user_agent,
            guard: self.config.guard,
        };
        fetch::get(&req, &self.tls, &self.config.limits, deadline).await
    }
}
