//! Configuration of the fediverse retrieval: limits with documented defaults and the trust
//! store, frozen before a scan starts.
//!
//! The documents are small (a few KiB), so the caps are tight: a server that needs more than a
//! mebibyte or several seconds to describe itself is treated as broken, not waited for.

use std::path::PathBuf;
use std::time::Duration;
use vigil_guard::AddressPolicy;
use vigil_probe::{TrustError, TrustStore};

/// Every bound the retrieval applies to remote input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FediLimits {
    /// One request: connect, TLS, head and body (default 5 s).
    pub request_timeout: Duration,
    /// The whole retrieval, all documents and redirects included (default 15 s).
    pub total_timeout: Duration,
    /// Largest body read; a larger one is a `too-large` error and is not parsed (1 MiB).
    pub max_body_bytes: usize,
    /// Redirects followed per document (3: enough for a domain delegation plus a trailing
    /// slash, too few to be walked around).
    pub max_redirects: u32,
    /// NodeInfo links tried, highest schema first, when the first cannot be read (3).
    pub max_nodeinfo_attempts: usize,
    /// Most header fields accepted in one response (100).
    pub max_headers: usize,
    /// Largest response head accepted (16 KiB).
    pub max_head_bytes: usize,
}

impl Default for FediLimits {
    fn default() -> Self {
        FediLimits {
            request_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(15),
            max_body_bytes: 1024 * 1024,
            max_redirects: 3,
            max_nodeinfo_attempts: 3,
            max_headers: 100,
            max_head_bytes: 16 * 1024,
        }
    }
}

/// `User-Agent` of the retrieval: honest, so administrators can see who asks.
pub const FEDI_USER_AGENT: &str = concat!(
    "Vigil/",
    env!("CARGO_PKG_VERSION"),
    " (fediverse security scanner; NodeInfo and instance metadata)"
);

/// Everything a retrieval needs, frozen.
#[derive(Debug, Clone)]
pub struct FediConfig {
    /// The limits.
    pub limits: FediLimits,
    /// Roots that verify servers; documents are never read over an unverified connection.
    pub trust: TrustStore,
    /// `User-Agent` sent with every request.
    pub user_agent: String,
    /// Port for https:// (443 unless testing). Links and redirects to any other port are
    /// refused, so a server cannot point the scanner at other services.
    pub https_port: u16,
    /// Which addresses the fetches may connect to (checked on every connection, redirects
    /// included); [`AddressPolicy::AllowAll`] unless the scan is a public one.
    pub guard: AddressPolicy,
}

impl FediConfig {
    /// Default limits and port with the given trust store.
    pub fn new(trust: TrustStore) -> FediConfig {
        FediConfig {
            limits: FediLimits::default(),
            trust,
            user_agent: FEDI_USER_AGENT.to_string(),
            https_port: 443,
            guard: AddressPolicy::AllowAll,
        }
    }

    /// Default limits with the system roots (honouring `SSL_CERT_FILE`) plus extra CA files.
    pub fn with_system_trust(extra_ca_files: &[PathBuf]) -> Result<FediConfig, TrustError> {
        Ok(FediConfig::new(TrustStore::system_with(extra_ca_files)?))
    }
}
