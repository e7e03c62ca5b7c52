//! TLS evidence: what the TLS prober learned about one endpoint, as plain data. Codes stay
//! numeric (the wire codec names them), certificates stay DER (base64), so a capture can be
//! replayed through the pure checks years later and give the same verdicts.

use serde::{Deserialize, Serialize};

/// Everything the TLS probes of one endpoint found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsEvidence {
    /// The target as given (`host:port`).
    pub target: String,
    /// The name sent in SNI and checked against the certificate.
    pub host: String,
    pub port: u16,
    /// The address probed.
    pub address: Option<String>,
    /// Why nothing could be probed (name did not resolve, connection refused …).
    pub failure: Option<String>,
    /// One entry per protocol version, oldest first (SSL 2.0 … TLS 1.3).
    pub versions: Vec<VersionEvidence>,
    /// Groups accepted for ECDHE in TLS 1.2 and older (from ServerKeyExchange).
    pub groups_tls12: Vec<u16>,
    /// Groups accepted for key shares in TLS 1.3 (from HelloRetryRequest).
    pub groups_tls13: Vec<u16>,
    /// Group probes that got no answer after their retries (`group 29: timed out …`): neither
    /// accepted nor refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups_unknown: Vec<String>,
    /// The finite-field DH prime of DHE suites (big-endian hex), when any DHE suite is accepted.
    pub dh_prime_hex: Option<String>,
    /// Certificate chains as served, one per key type found.
    pub chains: Vec<ServedChain>,
    /// The stapled OCSP response (base64 DER), when the server sent one.
    pub ocsp_staple_b64: Option<String>,
    /// The server's choice among the ALPN protocols offered (`h2`, `http/1.1`).
    pub alpn: Option<String>,
    /// The Strict-Transport-Security header of `GET /`, when an HTTP answer was read.
    pub hsts: Option<String>,
    /// The status line of `GET /`, or why it could not be read.
    pub http_status: Option<String>,
    /// Secure renegotiation (RFC 5746) was confirmed in a TLS 1.2-or-older ServerHello.
    pub secure_renegotiation: Option<bool>,
    /// The server chose a compression method other than null when deflate was offered.
    pub compression: Option<bool>,
    /// Extended master secret (RFC 7627) was echoed.
    pub extended_master_secret: Option<bool>,
    /// A fallback hello (TLS_FALLBACK_SCSV below the best version) was refused.
    pub fallback_scsv: Option<bool>,
    /// A second real handshake resumed the first one's session.
    #[serde(default)]
    pub session_resumption: Option<bool>,
    /// Heartbleed (CVE-2014-0160): `Some(true)` when the server answered an oversized heartbeat
    /// request with more than it was sent; `None` when it does not offer heartbeats at all.
    #[serde(default)]
    pub heartbleed: Option<bool>,
    /// ROBOT: `Some(true)` when five static-RSA handshakes with differently broken premaster
    /// padding got different answers (a Bleichenbacher oracle); `None` without static RSA.
    #[serde(default)]
    pub robot: Option<bool>,
    /// Why `robot` is `None` although static RSA is offered: `not tested: …` (key beyond the
    /// test's bounds, handshake failed) or `inconclusive: …` (answers differed once but not
    /// the same way when repeated). Absent when the test ran to a verdict or did not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot_note: Option<String>,
    /// Connections opened.
    pub probes: u32,
    pub elapsed_ms: u64,
}

impl TlsEvidence {
    /// Evidence for `host:port` before anything was probed: every fact unknown or empty.
    pub fn empty(host: &str, port: u16) -> Self {
        TlsEvidence {
            target: format!("{host}:{port}"),
            host: host.to_string(),
            port,
            address: None,
            failure: None,
            versions: Vec::new(),
            groups_tls12: Vec::new(),
            groups_tls13: Vec::new(),
            groups_unknown: Vec::new(),
            dh_prime_hex: None,
            chains: Vec::new(),
            ocsp_staple_b64: None,
            alpn: None,
            hsts: None,
            http_status: None,
            secure_renegotiation: None,
            compression: None,
            extended_master_secret: None,
            fallback_scsv: None,
            session_resumption: None,
            heartbleed: None,
            robot: None,
            robot_note: None,
            probes: 0,
            elapsed_ms: 0,
        }
    }
}

/// One protocol version's findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEvidence {
    /// Wire code (`0x0002` for SSL 2.0).
    pub version: u16,
    pub supported: bool,
    /// Accepted suites: in the server's preference order when it imposes one. SSL 2.0 specs
    /// are stored as `0x00XXYYZZ`-style 24-bit values truncated into the low bytes.
    pub suites: Vec<u32>,
    /// `Some(true)` when the server imposes its order, `None` with fewer than two suites.
    pub server_order: Option<bool>,
    /// With a server order: `Some(true)` when a client listing ChaCha20 first gets ChaCha20
    /// although the server prefers another suite (OpenSSL's PRIORITIZE_CHACHA).
    #[serde(default)]
    pub chacha_priority: Option<bool>,
    /// Probes of this version that ended abnormally (timeouts, garbage), for the report.
    pub errors: Vec<String>,
}

/// A certificate chain exactly as one handshake delivered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedChain {
    /// How it was obtained: `"TLS1.2 ECDSA"`, `"TLS1.3"` …
    pub via: String,
    /// DER certificates, base64, leaf first as sent.
    pub der_b64: Vec<String>,
}
