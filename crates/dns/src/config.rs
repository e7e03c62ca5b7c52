//! How one DNS lookup set is run: which server, which DNSSEC trust anchor, how long.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Configuration of [`retrieve_dns`](crate::retrieve_dns). `Default` asks the system resolvers
/// with hickory's built-in root KSKs and a 5 s deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    /// The server to ask (UDP, with TCP for truncated answers); `None` reads the system's
    /// resolv.conf. Tests always set a loopback server so they never touch public DNS.
    pub resolver: Option<SocketAddr>,
    /// A file of DNSKEY and/or DS records in zone-file presentation format that replaces the
    /// built-in root anchors. `None` uses hickory's root KSKs (20326, 38696). Each anchored zone
    /// other than the root costs one DNSKEY query before the lookup set: hickory needs the
    /// zone's whole key set, which a KSK or DS anchor then authenticates by its RRSIG.
    pub trust_anchor: Option<PathBuf>,
    /// Deadline of the whole lookup set. The queries run concurrently, so each one (with its
    /// DNSSEC chain queries and the CAA climb) may use all of it; nothing outlives it.
    pub timeout: Duration,
}

impl Default for DnsConfig {
    fn default() -> Self {
        Self {
            resolver: None,
            trust_anchor: None,
            timeout: Duration::from_secs(5),
        }
    }
}
