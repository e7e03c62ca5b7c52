//! The TLS report: every fact of the evidence, named and judged. Its JSON carries the fields
//! of the conformance contract (`protocols`, `groups`, `certificate`, `ocsp_stapled`, `hsts`)
//! and more.

use crate::certificate::{CertificateReport, judge};
use base64::Engine;
use rustls_pki_types::TrustAnchor;
use serde::Serialize;
use vigil_model::TlsEvidence;
use vigil_tls_wire::suites::{self, KeyExchange};
use vigil_tls_wire::{CipherSuite, NamedGroup, ProtocolVersion};

/// Version of the TLS report's JSON shape; bumped on breaking changes only (added fields such
/// as `status`, `unknown` and `robot_status` are not).
pub const TLS_REPORT_SCHEMA_VERSION: u32 = 1;

/// Whether a protocol version is offered. `Unknown` is its own answer: a probe that timed out,
/// failed to connect or met garbage even after its retries says nothing about the server's
/// configuration, and must not read as "not offered" (which improves or worsens grades).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtocolStatus {
    Supported,
    NotSupported,
    Unknown,
}

/// The ROBOT verdict with the cases a bare `robot: true/false/null` cannot tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RobotStatus {
    /// No static-RSA suite is offered: nothing to test.
    NotApplicable,
    NotVulnerable,
    /// The five answers differed, the same way in two runs.
    Vulnerable,
    /// Static RSA is offered but the test did not run to a verdict (see `robot_detail`).
    Unknown,
}

/// One protocol version's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtocolReport {
    /// `true` only when a ServerHello at this version was seen (`status` tells "no" from
    /// "unknown").
    pub supported: bool,
    pub status: ProtocolStatus,
    /// `false` when a probe of the suite enumeration stayed unanswered: `ciphers` may miss
    /// suites the server accepts.
    pub suites_complete: bool,
    /// Accepted suites by IANA name; in the server's preference order when it imposes one.
    pub ciphers: Vec<String>,
    /// `true` when the server imposes its order; `null` with fewer than two suites.
    pub server_order: Option<bool>,
    /// With a server order: a client listing ChaCha20 first gets it (PRIORITIZE_CHACHA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chacha_priority: Option<bool>,
    /// Probes that ended abnormally after their retries (timeouts, refused connections,
    /// garbage); what made `status` unknown or `suites_complete` false.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// The six protocol versions, in the spelling of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Protocols {
    #[serde(rename = "SSL2.0")]
    pub ssl2_0: ProtocolReport,
    #[serde(rename = "SSL3.0")]
    pub ssl3_0: ProtocolReport,
    #[serde(rename = "TLS1.0")]
    pub tls1_0: ProtocolReport,
    #[serde(rename = "TLS1.1")]
    pub tls1_1: ProtocolReport,
    #[serde(rename = "TLS1.2")]
    pub tls1_2: ProtocolReport,
    #[serde(rename = "TLS1.3")]
    pub tls1_3: ProtocolReport,
}

impl Protocols {
    /// The six versions with their report names, oldest first.
    pub fn named(&self) -> [(&'static str, &ProtocolReport); 6] {
        [
            ("SSL2.0", &self.ssl2_0),
            ("SSL3.0", &self.ssl3_0),
            ("TLS1.0", &self.tls1_0),
            ("TLS1.1", &self.tls1_1),
            ("TLS1.2", &self.tls1_2),
            ("TLS1.3", &self.tls1_3),
        ]
    }
}

/// Groups per protocol family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupsByProtocol {
    #[serde(rename = "TLS1.2")]
    pub tls1_2: Vec<String>,
    #[serde(rename = "TLS1.3")]
    pub tls1_3: Vec<String>,
}

/// The Strict-Transport-Security header as served over this endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HstsReport {
    pub present: bool,
    pub value: Option<String>,
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    pub preload: bool,
}

/// Everything known about one TLS endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsReport {
    pub schema_version: u32,
    pub target: String,
    pub host: String,
    pub port: u16,
    pub address: Option<String>,
    /// Why the endpoint could not be probed (or not completely).
    pub error: Option<String>,
    pub protocols: Protocols,
    /// Every group accepted for (EC)DHE in any version, by IANA name.
    pub groups: Vec<String>,
    pub groups_by_protocol: GroupsByProtocol,
    /// Size of the DHE prime, when DHE suites are accepted.
    pub dh_bits: Option<usize>,
    /// `all`, `some` or `none` of the accepted suites are forward secret.
    pub forward_secrecy: &'static str,
    /// The first chain's verdicts (the one a modern client gets).
    pub certificate: Option<CertificateReport>,
    /// Every chain served (one per key type).
    pub certificates: Vec<CertificateReport>,
    pub ocsp_stapled: bool,
    pub hsts: HstsReport,
    pub alpn: Option<String>,
    pub secure_renegotiation: Option<bool>,
    pub compression: Option<bool>,
    pub extended_master_secret: Option<bool>,
    pub fallback_scsv: Option<bool>,
    pub session_resumption: Option<bool>,
    pub heartbleed: Option<bool>,
    /// `true` only for a confirmed oracle; `null` when not applicable or not decided (see
    /// `robot_status`).
    pub robot: Option<bool>,
    pub robot_status: RobotStatus,
    /// Why `robot_status` is `unknown` (key beyond the test's bounds, answers that differed
    /// once and not when repeated, handshakes that failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub robot_detail: Option<String>,
    /// `true` when every probe got an answer, so every "no" above is the server's.
    pub complete: bool,
    /// What stayed unknown, one line each (`TLS1.2: timed out (3 attempts)`, `ROBOT: …`).
    pub unknown: Vec<String>,
    pub probes: u32,
    pub elapsed_ms: u64,
}

fn protocol(ev: &TlsEvidence, version: ProtocolVersion) -> ProtocolReport {
    let Some(v) = ev.versions.iter().find(|v| v.version == version.0) else {
        // Not probed at all (the endpoint failed, or the scan ran out of time).
        return ProtocolReport {
            supported: false,
            status: ProtocolStatus::Unknown,
            suites_complete: false,
            ciphers: Vec::new(),
            server_order: None,
            chacha_priority: None,
            errors: Vec::new(),
        };
    };
    // The prober records only what stayed abnormal after its retries, and stops enumerating
    // there, so any error means the list may be short and a "no" is unproven.
    let status = if v.supported {
        ProtocolStatus::Supported
    } else if v.errors.is_empty() {
        ProtocolStatus::NotSupported
    } else {
        ProtocolStatus::Unknown
    };
    let ciphers = v
        .suites
        .iter()
        .map(|&code| {
            if version == ProtocolVersion::SSL2_0 {
                sslv2_name(code)
            } else {
                CipherSuite(u16::try_from(code).unwrap_or(u16::MAX)).name()
            }
        })
        .collect();
    ProtocolReport {
        supported: v.supported,
        status,
        suites_complete: v.errors.is_empty(),
        ciphers,
        server_order: v.server_order,
        chacha_priority: v.chacha_priority,
        errors: v.errors.clone(),
    }
}

fn sslv2_name(code: u32) -> String {
    match code {
        0x010080 => "SSL_CK_RC4_128_WITH_MD5".into(),
        0x020080 => "SSL_CK_RC4_128_EXPORT40_WITH_MD5".into(),
        0x030080 => "SSL_CK_RC2_128_CBC_WITH_MD5".into(),
        0x040080 => "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5".into(),
        0x050080 => "SSL_CK_IDEA_128_CBC_WITH_MD5".into(),
        0x060040 => "SSL_CK_DES_64_CBC_WITH_MD5".into(),
        0x0700c0 => "SSL_CK_DES_192_EDE3_CBC_WITH_MD5".into(),
        other => format!("0x{other:06X}"),
    }
}

fn group_names(codes: &[u16]) -> Vec<String> {
    codes.iter().map(|&c| NamedGroup(c).name()).collect()
}

fn hsts(value: Option<&str>) -> HstsReport {
    let parsed = value.and_then(|v| vigil_checks::hsts::parse_hsts(v).ok());
    HstsReport {
        present: value.is_some(),
        value: value.map(str::to_string),
        max_age: parsed
            .as_ref()
            .and_then(|h| h.max_age)
            .filter(|m| m.is_finite() && *m >= 0.0)
            .map(|m| m as u64),
        include_subdomains: parsed.as_ref().is_some_and(|h| h.include_subdomains),
        preload: parsed.as_ref().is_some_and(|h| h.preload),
    }
}

fn decode(b64: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// Builds the report. `now` is Unix seconds; `anchors` are the roots trusted for the verdict.
pub fn analyse(ev: &TlsEvidence, anchors: &[TrustAnchor<'_>], now: i64) -> TlsReport {
    let protocols = Protocols {
        ssl2_0: protocol(ev, ProtocolVersion::SSL2_0),
        ssl3_0: protocol(ev, ProtocolVersion::SSL3_0),
        tls1_0: protocol(ev, ProtocolVersion::TLS1_0),
        tls1_1: protocol(ev, ProtocolVersion::TLS1_1),
        tls1_2: protocol(ev, ProtocolVersion::TLS1_2),
        tls1_3: protocol(ev, ProtocolVersion::TLS1_3),
    };
    let mut all_groups: Vec<u16> = ev
        .groups_tls12
        .iter()
        .chain(&ev.groups_tls13)
        .copied()
        .collect();
    all_groups.sort_unstable();
    all_groups.dedup();

    let accepted: Vec<CipherSuite> = ev
        .versions
        .iter()
        .filter(|v| v.version != ProtocolVersion::SSL2_0.0)
        .flat_map(|v| {
            v.suites
                .iter()
                .filter_map(|&c| u16::try_from(c).ok().map(CipherSuite))
        })
        .collect();
    let fs: Vec<bool> = accepted
        .iter()
        .map(|s| suites::info(*s).is_some_and(|i| i.forward_secret()))
        .collect();
    let forward_secrecy = match (fs.iter().any(|&x| x), fs.iter().all(|&x| x)) {
        (true, true) => "all",
        (true, false) => "some",
        _ => "none",
    };
    let dh_bits = ev
        .dh_prime_hex
        .as_deref()
        .and_then(|h| hex::decode(h).ok())
        .map(|p| vigil_tls_wire::server::KeyExchangeParams::dh_bits(&p))
        .filter(|_| {
            accepted
                .iter()
                .any(|s| suites::info(*s).is_some_and(|i| i.kx == KeyExchange::Dhe))
        });

    let mut certificates = Vec::new();
    let mut errors: Vec<String> = ev.failure.iter().cloned().collect();
    if let Some(Err(e)) = ev.dh_prime_hex.as_deref().map(hex::decode) {
        errors.push(format!(
            "the recorded DH prime is not hex ({e}); its size is unknown"
        ));
    }
    for chain in &ev.chains {
        let ders: Vec<Vec<u8>> = chain.der_b64.iter().filter_map(|c| decode(c)).collect();
        match judge(&chain.via, &ders, &ev.host, anchors, now) {
            Ok(report) => certificates.push(report),
            Err(e) => errors.push(format!("certificate via {}: {}", chain.via, e.0)),
        }
    }
    let robot_status = match (ev.robot, &ev.robot_note) {
        (Some(true), _) => RobotStatus::Vulnerable,
        (Some(false), _) => RobotStatus::NotVulnerable,
        (None, Some(_)) => RobotStatus::Unknown,
        (None, None) => RobotStatus::NotApplicable,
    };
    let mut unknown: Vec<String> = Vec::new();
    for (name, p) in protocols.named() {
        if p.status == ProtocolStatus::Unknown {
            let why = if p.errors.is_empty() {
                "not probed".to_string()
            } else {
                p.errors.join("; ")
            };
            unknown.push(format!("{name}: {why}"));
        } else if !p.suites_complete {
            unknown.push(format!(
                "{name} suites may be incomplete: {}",
                p.errors.join("; ")
            ));
        }
    }
    for g in &ev.groups_unknown {
        unknown.push(format!("key exchange {g}"));
    }
    if let Some(note) = &ev.robot_note {
        unknown.push(format!("ROBOT: {note}"));
    }
    // The chain a modern client sees first: TLS 1.3's, else the newest version's.
    certificates.sort_by_key(|c| std::cmp::Reverse(c.via.starts_with("TLS1.3")));

    TlsReport {
        schema_version: TLS_REPORT_SCHEMA_VERSION,
        target: ev.target.clone(),
        host: ev.host.clone(),
        port: ev.port,
        address: ev.address.clone(),
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        protocols,
        groups: group_names(&all_groups),
        groups_by_protocol: GroupsByProtocol {
            tls1_2: group_names(&ev.groups_tls12),
            tls1_3: group_names(&ev.groups_tls13),
        },
        dh_bits,
        forward_secrecy,
        certificate: certificates.first().cloned(),
        certificates,
        ocsp_stapled: ev.ocsp_staple_b64.is_some(),
        hsts: hsts(ev.hsts.as_deref()),
        alpn: ev.alpn.clone(),
        secure_renegotiation: ev.secure_renegotiation,
        compression: ev.compression,
        extended_master_secret: ev.extended_master_secret,
        fallback_scsv: ev.fallback_scsv,
        session_resumption: ev.session_resumption,
        heartbleed: ev.heartbleed,
        robot: ev.robot,
        robot_status,
        robot_detail: ev.robot_note.clone(),
        complete: unknown.is_empty() && ev.failure.is_none(),
        unknown,
        probes: ev.probes,
        elapsed_ms: ev.elapsed_ms,
    }
}
