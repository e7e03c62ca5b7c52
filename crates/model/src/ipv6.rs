//! IPv6 evidence: what a host served on ports 80 and 443 over IPv4 and over IPv6, so the
//! verdict can say whether IPv6 works and serves the same site, not just whether an AAAA
//! record exists.

use serde::{Deserialize, Serialize};

/// The IPv6 check of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ipv6Evidence {
    pub host: String,
    /// Every AAAA address found.
    pub aaaa: Vec<String>,
    /// The IPv6 address probed: the first AAAA that is not IPv4-mapped (`::ffff:0:0/96`).
    pub probed_v6: Option<String>,
    /// The IPv4 address probed for comparison.
    pub probed_v4: Option<String>,
    /// One entry per port and address family.
    pub answers: Vec<PortAnswer>,
}

/// What one address answered on one port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortAnswer {
    pub port: u16,
    pub tls: bool,
    /// `4` or `6`.
    pub family: u8,
    pub status: Option<u16>,
    /// The headers that define "the same site": Location and the security headers.
    pub key_headers: Vec<(String, String)>,
    pub error: Option<String>,
}
