//! Probe configuration: limits with documented defaults, and the trust store.
//!
//! Defaults mirror the reference where it has a limit (9 s per request, 10 s per redirect chain,
//! 10 redirects) and add the caps it lacks, so a hostile server cannot make a scan hang or eat
//! memory. Budgets that add up (a chain, then robots.txt, then the preflight, each on its own
//! clock) let a server that answers slowly stretch a scan to almost 30 s; so one deadline
//! covers the whole retrieval of a host, and every request gets what is left of it at most.

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use vigil_guard::AddressPolicy;

/// Every bound the probe applies to remote input.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Whole-request budget: connect, TLS, headers and body (reference: 9 s).
    pub request_timeout: Duration,
    /// Budget for one session's redirect chain, retries included (reference: 10 s).
    pub session_timeout: Duration,
    /// Budget for everything fetched from one host: both sessions, robots.txt, the preflight
    /// and the legacy pass. No request outlives it, so a scan's HTTP part ends on time
    /// whatever the server does (12 s: room left within a 15 s scan to analyse the answers).
    pub total_timeout: Duration,
    /// Redirects followed before a redirect response counts as final (reference: 10).
    pub max_redirects: u32,
    /// Bytes of (compressed) body read from the wire; the rest is cut off.
    pub max_body_bytes: usize,
    /// Bytes of decompressed body kept.
    pub max_decoded_bytes: usize,
    /// Most header fields accepted in one response.
    pub max_headers: usize,
    /// Largest response head (status line + headers) accepted; Node refuses more than 16 KiB.
    pub max_head_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request_timeout: Duration::from_secs(9),
            session_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(12),
            max_redirects: 10,
            max_body_bytes: 4 * 1024 * 1024,
            max_decoded_bytes: 8 * 1024 * 1024,
            max_headers: 1000,
            max_head_bytes: 16 * 1024,
        }
    }
}

/// Why the trust store could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A CA file could not be read.
    #[error("cannot read CA file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A CA file held no usable certificate.
    #[error("no usable certificate in CA file {0}")]
    Empty(PathBuf),
}

/// The roots used to verify servers.
#[derive(Debug, Clone)]
pub struct TrustStore {
    /// The roots.
    pub roots: Arc<RootCertStore>,
    /// Where they came from, for the report.
    pub source: String,
}

impl TrustStore {
    /// The system roots (honouring `SSL_CERT_FILE`/`SSL_CERT_DIR`), falling back to the
    /// bundled Mozilla roots when the system has none, plus any extra CA files.
    pub fn system_with(extra: &[PathBuf]) -> Result<TrustStore, TrustError> {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(native.certs);
        let mut source = if std::env::var_os("SSL_CERT_FILE").is_some() {
            "SSL_CERT_FILE".to_string()
        } else {
            "system".to_string()
        };
        if added == 0 {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            source = "bundled Mozilla roots".to_string();
        }
        for path in extra {
            let n = add_pem_file(&mut roots, path)?;
            if n == 0 {
                return Err(TrustError::Empty(path.clone()));
            }
            source.push_str(&format!(" + {}", path.display()));
        }
        Ok(TrustStore {
            roots: Arc::new(roots),
            source,
        })
    }
}

fn add_pem_file(roots: &mut RootCertStore, path: &Path) -> Result<usize, TrustError> {
    let bytes = std::fs::read(path).map_err(|source| TrustError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    let (added, _) = roots.add_parsable_certificates(certs);
    Ok(added)
}

/// Everything a retrieval needs, frozen.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// The limits.
    pub limits: Limits,
    /// The trust store.
    pub trust: TrustStore,
    /// `User-Agent` sent with every request.
    pub user_agent: String,
    /// `Origin` sent with the CORS preflight.
    pub cors_origin: String,
    /// Port for http:// (80 unless testing).
    pub http_port: u16,
    /// Port for https:// (443 unless testing).
    pub https_port: u16,
    /// Also run the legacy (2017 Observatory) retrieval pass and attach it as
    /// `HttpEvidence::legacy`. Off by default: it costs two more sessions and five more
    /// requests, which the current Observatory scoring never reads.
    pub legacy: bool,
    /// Which addresses the sessions may connect to (every hop of every redirect chain is
    /// checked); [`AddressPolicy::AllowAll`] unless the scan is a public one.
    pub guard: AddressPolicy,
}

/// The reference's User-Agent, so servers answer Vigil as they answer the Observatory.
pub const OBSERVATORY_USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:129.0) Gecko/20100101 Firefox/129.0 Observatory/129.0";

/// The Origin the reference sends with its preflight.
pub const OBSERVATORY_CORS_ORIGIN: &str = "https://http-observatory.security.mozilla.org";

impl ProbeConfig {
    /// A configuration with default limits and the given trust store.
    pub fn new(trust: TrustStore) -> ProbeConfig {
        ProbeConfig {
            limits: Limits::default(),
            trust,
            user_agent: OBSERVATORY_USER_AGENT.to_string(),
            cors_origin: OBSERVATORY_CORS_ORIGIN.to_string(),
            http_port: 80,
            https_port: 443,
            legacy: false,
            guard: AddressPolicy::AllowAll,
        }
    }
}
