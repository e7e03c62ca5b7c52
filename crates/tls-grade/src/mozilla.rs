//! Mozilla Server Side TLS profiles (ssl-config.mozilla.org): is the configuration modern,
//! intermediate or old, under guideline 5.7 and under the current 6.0, and what deviates.

use crate::advice::Fix;
use crate::facts::{Facts, Version};
use crate::finding::Finding;
use serde::Serialize;
use vigil_tls_wire::suites::KeyExchange;

const TLS13_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

const ECDHE_AEAD: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

const DHE_AEAD: &[&str] = &[
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

const OLD_EXTRA: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
];

/// One profile of one guideline version, as data.
struct Profile {
    name: &'static str,
    guideline: &'static str,
    protocols: &'static [Version],
    /// Suites allowed below TLS 1.3.
    legacy_suites: Vec<&'static str>,
    groups: &'static [&'static str],
    /// Certificate key kinds allowed: ("EC", bits) or ("RSA", minimum bits).
    ec_key: bool,
    rsa_key: Option<usize>,
    signatures: &'static [&'static str],
    /// Required DH group size when DHE is offered.
    dh_bits: Option<usize>,
    server_order: bool,
    max_lifetime_days: i64,
}

const EC_SIGS: &[&str] = &[
    "ecdsa-with-SHA256",
    "ecdsa-with-SHA384",
    "ecdsa-with-SHA512",
];
const ALL_SIGS: &[&str] = &[
    "sha256WithRSAEncryption",
    "ecdsa-with-SHA256",
    "ecdsa-with-SHA384",
    "ecdsa-with-SHA512",
];
const RSA_SIGS: &[&str] = &["sha256WithRSAEncryption"];
const GROUPS: &[&str] = &["x25519", "secp256r1", "secp384r1"];
const GROUPS_6: &[&str] = &["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"];

fn profiles() -> Vec<Profile> {
    let intermediate_57: Vec<&str> = ECDHE_AEAD.iter().chain(DHE_AEAD).copied().collect();
    let old_57: Vec<&str> = intermediate_57
        .iter()
        .copied()
        .chain(OLD_EXTRA.iter().copied())
        .collect();
    vec![
        Profile {
            name: "modern",
            guideline: "6.0",
            protocols: &[Version::Tls13],
            legacy_suites: vec![],
            groups: GROUPS_6,
            ec_key: true,
            rsa_key: None,
            signatures: EC_SIGS,
            dh_bits: None,
            server_order: false,
            max_lifetime_days: 90,
        },
        Profile {
            name: "intermediate",
            guideline: "6.0",
            protocols: &[Version::Tls12, Version::Tls13],
            legacy_suites: ECDHE_AEAD.to_vec(),
            groups: GROUPS_6,
            ec_key: true,
            rsa_key: Some(2048),
            signatures: ALL_SIGS,
            dh_bits: None,
            server_order: false,
            max_lifetime_days: 366,
        },
        Profile {
            name: "modern",
            guideline: "5.7",
            protocols: &[Version::Tls13],
            legacy_suites: vec![],
            groups: GROUPS,
            ec_key: true,
            rsa_key: None,
            signatures: EC_SIGS,
            dh_bits: None,
            server_order: false,
            max_lifetime_days: 90,
        },
        Profile {
            name: "intermediate",
            guideline: "5.7",
            protocols: &[Version::Tls12, Version::Tls13],
            legacy_suites: intermediate_57,
            groups: GROUPS,
            ec_key: true,
            rsa_key: Some(2048),
            signatures: ALL_SIGS,
            dh_bits: Some(2048),
            server_order: false,
            max_lifetime_days: 366,
        },
        Profile {
            name: "old",
            guideline: "5.7",
            protocols: &[
                Version::Tls10,
                Version::Tls11,
                Version::Tls12,
                Version::Tls13,
            ],
            legacy_suites: old_57,
            groups: GROUPS,
            ec_key: false,
            rsa_key: Some(2048),
            signatures: RSA_SIGS,
            dh_bits: Some(1024),
            server_order: true,
            max_lifetime_days: 366,
        },
    ]
}

/// The verdict for one profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileVerdict {
    pub profile: &'static str,
    pub guideline: &'static str,
    pub compliant: bool,
    pub deviations: Vec<Finding>,
}

/// All profile verdicts, and the strictest profile met per guideline version.
#[derive(Debug, Clone, Serialize)]
pub struct MozillaVerdict {
    /// Strictest compliant profile under the current guideline (6.0), if any.
    pub current: Option<&'static str>,
    /// Strictest compliant profile under guideline 5.7, if any.
    pub v5_7: Option<&'static str>,
    pub profiles: Vec<ProfileVerdict>,
}

fn check(p: &Profile, f: &Facts) -> ProfileVerdict {
    let mut d = Vec::new();
    let mut dev = |id: &'static str, msg: String, fix: Fix| {
        d.push(Finding::new(id, "deviation", msg, Some(fix)))
    };
    for v in &f.versions {
        if !p.protocols.contains(v) {
            dev(
                "extra-protocol",
                format!(
                    "{} is offered; the profile allows only {}.",
                    v.name(),
                    p.protocols
                        .iter()
                        .map(|v| v.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Fix::DisableLegacyProtocols,
            );
        }
    }
    // A version whose probes stayed unanswered is not counted as missing.
    if p.name == "modern" && f.refuses(Version::Tls13)
        || p.name != "modern" && f.refuses(Version::Tls12) && f.refuses(Version::Tls13)
    {
        dev(
            "missing-protocol",
            "The profile's protocols are not offered.".into(),
            Fix::EnableTls13,
        );
    }
    for version in [
        Version::Ssl3,
        Version::Tls10,
        Version::Tls11,
        Version::Tls12,
        Version::Tls13,
    ] {
        if !p.protocols.contains(&version) {
            continue; // already a protocol deviation
        }
        let extra: Vec<&str> = f
            .suites
            .iter()
            .filter(|(v, _)| *v == version)
            .map(|(_, s)| s.name.as_str())
            .filter(|name| {
                if version == Version::Tls13 {
                    !TLS13_SUITES.contains(name)
                } else {
                    !p.legacy_suites.contains(name)
                }
            })
            .collect();
        if !extra.is_empty() {
            dev(
                "extra-suite",
                format!(
                    "{} offers {} suite{} the profile does not include: {}.",
                    version.name(),
                    extra.len(),
                    if extra.len() == 1 { "" } else { "s" },
                    extra.join(", ")
                ),
                Fix::IntermediateCiphers,
            );
        }
    }
    let extra_groups: Vec<&str> = f
        .groups
        .iter()
        .map(String::as_str)
        .filter(|g| !p.groups.contains(g))
        .collect();
    if !extra_groups.is_empty() {
        dev(
            "extra-group",
            format!(
                "Groups the profile does not use are accepted: {} (the profile uses {}).",
                extra_groups.join(", "),
                p.groups.join(", ")
            ),
            Fix::ModernCurves,
        );
    }
    let dhe = f.all_suites().any(|s| s.kx == KeyExchange::Dhe);
    if dhe {
        match (p.dh_bits, f.dh_bits) {
            (None, _) => {}
            (Some(want), Some(got)) if got < want => dev(
                "dh-size",
                format!("DH parameters are {got} bits; the profile uses {want}."),
                Fix::StrongerDhParameters,
            ),
            _ => {}
        }
    }
    match (f.key_type.as_deref(), f.key_bits) {
        (Some("EC"), Some(bits)) if p.ec_key && (bits == 256 || bits == 384) => {}
        (Some("RSA"), Some(bits)) if p.rsa_key.is_some_and(|min| bits >= min) => {}
        (Some(kind), bits) => dev(
            "certificate-key",
            format!(
                "The certificate key ({kind} {}) is not one the profile uses.",
                bits.map(|b| b.to_string()).unwrap_or_default()
            ),
            Fix::StrongerKey,
        ),
        (None, _) => {}
    }
    if let Some(sig) = &f.signature_algorithm
        && !p.signatures.contains(&sig.as_str())
    {
        dev(
            "certificate-signature",
            format!(
                "The certificate is signed with {sig}; the profile expects {}.",
                p.signatures.join(" or ")
            ),
            Fix::Sha256Certificate,
        );
    }
    if let Some(days) = f.cert_lifetime_days
        && days > p.max_lifetime_days
    {
        dev(
            "certificate-lifetime",
            format!(
                "The certificate is valid for {days} days; the profile allows at most {}.",
                p.max_lifetime_days
            ),
            Fix::ShorterCertificateLifetime,
        );
    }
    if let Some(order) = f.server_order_tls12
        && order != p.server_order
    {
        let (msg, fix) = if p.server_order {
            (
                "The server follows the client's suite order; the profile imposes the server's.",
                Fix::ServerCipherOrder,
            )
        } else {
            (
                "The server imposes its suite order; the profile lets the client choose.",
                Fix::ClientCipherOrder,
            )
        };
        dev("suite-order", msg.into(), fix);
    }
    ProfileVerdict {
        profile: p.name,
        guideline: p.guideline,
        compliant: d.is_empty(),
        deviations: d,
    }
}

/// Judges the facts against every profile.
pub fn verdict(f: &Facts) -> MozillaVerdict {
    let profiles: Vec<ProfileVerdict> = profiles().iter().map(|p| check(p, f)).collect();
    let best = |g: &str| {
        profiles
            .iter()
            .find(|v| v.guideline == g && v.compliant)
            .map(|v| v.profile)
    };
    MozillaVerdict {
        current: best("6.0"),
        v5_7: best("5.7"),
        profiles: profiles.clone(),
    }
}
