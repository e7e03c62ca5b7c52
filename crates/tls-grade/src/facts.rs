//! The facts every grading scheme reads, derived once from the TLS report.

use vigil_tls_checks::TlsReport;
use vigil_tls_checks::report::{ProtocolReport, ProtocolStatus};
use vigil_tls_wire::suites::{self, SuiteInfo};

/// A protocol version as graders rank them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    Ssl2,
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl Version {
    pub fn name(self) -> &'static str {
        match self {
            Version::Ssl2 => "SSL 2.0",
            Version::Ssl3 => "SSL 3.0",
            Version::Tls10 => "TLS 1.0",
            Version::Tls11 => "TLS 1.1",
            Version::Tls12 => "TLS 1.2",
            Version::Tls13 => "TLS 1.3",
        }
    }
}

/// What grading needs, in one place.
#[derive(Debug, Clone)]
pub struct Facts {
    pub versions: Vec<Version>,
    /// Accepted suites per version (SSL 2.0 specs excluded: they have no registry entry).
    pub suites: Vec<(Version, SuiteInfo)>,
    pub groups: Vec<String>,
    pub dh_bits: Option<usize>,
    pub key_type: Option<String>,
    pub key_bits: Option<usize>,
    pub trusted: Option<bool>,
    pub hostname_match: Option<bool>,
    pub chain_complete: Option<bool>,
    pub sha1_in_chain: bool,
    pub md5_signature: bool,
    pub signature_algorithm: Option<String>,
    pub cert_lifetime_days: Option<i64>,
    pub hsts_max_age: Option<u64>,
    pub hsts_present: bool,
    pub ocsp_stapled: bool,
    pub secure_renegotiation: Option<bool>,
    pub compression: Option<bool>,
    pub fallback_scsv: Option<bool>,
    pub heartbleed: Option<bool>,
    pub robot: Option<bool>,
    pub server_order_tls12: Option<bool>,
    pub probed: bool,
    /// Versions whose probes stayed unanswered after retries: neither offered nor refused.
    pub unknown_versions: Vec<Version>,
    /// What the probes could not establish, one line each (the report's `unknown`); graded
    /// as unknown, never as "not offered".
    pub unknown: Vec<String>,
}

fn infos(p: &ProtocolReport) -> Vec<SuiteInfo> {
    p.ciphers
        .iter()
        .filter_map(|n| suites::by_name(n))
        .collect()
}

/// Days between two `x509-parser` time strings is not needed: lifetime comes from the report's
/// `days_left` plus elapsed time, so use the dates' years and days approximately.
fn lifetime_days(not_before: &str, not_after: &str) -> Option<i64> {
    let parse = |s: &str| -> Option<i64> {
        // "Jan  1 00:00:00 2024 +00:00"
        let parts: Vec<&str> = s.split_whitespace().collect();
        let month = match *parts.first()? {
            "Jan" => 0,
            "Feb" => 31,
            "Mar" => 59,
            "Apr" => 90,
            "May" => 120,
            "Jun" => 151,
            "Jul" => 181,
            "Aug" => 212,
            "Sep" => 243,
            "Oct" => 273,
            "Nov" => 304,
            "Dec" => 334,
            _ => return None,
        };
        let day: i64 = parts.get(1)?.parse().ok()?;
        let year: i64 = parts.get(3)?.parse().ok()?;
        Some(year * 365 + year / 4 + month + day)
    };
    Some(parse(not_after)? - parse(not_before)?)
}

impl Facts {
    pub fn from_report(r: &TlsReport) -> Facts {
        let p = &r.protocols;
        let table = [
            (Version::Ssl2, &p.ssl2_0),
            (Version::Ssl3, &p.ssl3_0),
            (Version::Tls10, &p.tls1_0),
            (Version::Tls11, &p.tls1_1),
            (Version::Tls12, &p.tls1_2),
            (Version::Tls13, &p.tls1_3),
        ];
        let versions = table
            .iter()
            .filter(|(_, p)| p.supported)
            .map(|(v, _)| *v)
            .collect();
        let suites = table
            .iter()
            .filter(|(v, _)| *v != Version::Ssl2)
            .flat_map(|(v, p)| infos(p).into_iter().map(move |i| (*v, i)))
            .collect();
        let unknown_versions = table
            .iter()
            .filter(|(_, p)| p.status == ProtocolStatus::Unknown)
            .map(|(v, _)| *v)
            .collect();
        let cert = r.certificate.as_ref();
        Facts {
            versions,
            suites,
            groups: r.groups.clone(),
            dh_bits: r.dh_bits,
            key_type: cert.map(|c| c.key_type.clone()),
            key_bits: cert.and_then(|c| c.key_bits),
            trusted: cert.map(|c| c.trusted),
            hostname_match: cert.map(|c| c.hostname_match),
            chain_complete: cert.map(|c| c.chain_complete),
            sha1_in_chain: r.certificates.iter().any(|c| c.sha1_signature),
            md5_signature: r
                .certificates
                .iter()
                .any(|c| c.signature_algorithm.to_ascii_lowercase().contains("md5")),
            signature_algorithm: cert.map(|c| c.signature_algorithm.clone()),
            cert_lifetime_days: cert.and_then(|c| lifetime_days(&c.not_before, &c.not_after)),
            hsts_max_age: r.hsts.max_age,
            hsts_present: r.hsts.present,
            ocsp_stapled: r.ocsp_stapled,
            secure_renegotiation: r.secure_renegotiation,
            compression: r.compression,
            fallback_scsv: r.fallback_scsv,
            heartbleed: r.heartbleed,
            robot: r.robot,
            server_order_tls12: p.tls1_2.server_order,
            probed: r.protocols.tls1_3.supported
                || r.protocols.tls1_2.supported
                || r.protocols.tls1_1.supported
                || r.protocols.tls1_0.supported
                || r.protocols.ssl3_0.supported
                || r.protocols.ssl2_0.supported,
            unknown_versions,
            unknown: r.unknown.clone(),
        }
    }

    pub fn offers(&self, v: Version) -> bool {
        self.versions.contains(&v)
    }

    /// Neither offered nor refused: its probes stayed unanswered.
    pub fn unknown(&self, v: Version) -> bool {
        self.unknown_versions.contains(&v)
    }

    /// `v` is known not to be offered (refused, not merely unanswered).
    pub fn refuses(&self, v: Version) -> bool {
        !self.offers(v) && !self.unknown(v)
    }

    pub fn all_suites(&self) -> impl Iterator<Item = &SuiteInfo> {
        self.suites.iter().map(|(_, s)| s)
    }

    /// Suites accepted at TLS 1.1 or newer (where SSL Labs caps RC4 and 3DES harder).
    pub fn suites_from_tls11(&self) -> impl Iterator<Item = &SuiteInfo> {
        self.suites
            .iter()
            .filter(|(v, _)| *v >= Version::Tls11)
            .map(|(_, s)| s)
    }

    /// Bits of the smallest ECDHE group offered, from the group names.
    pub fn min_ec_group_bits(&self) -> Option<u16> {
        self.groups
            .iter()
            .filter(|g| !g.starts_with("ffdhe"))
            .filter_map(|g| {
                vigil_tls_wire::NamedGroup::known()
                    .find(|k| k.name() == **g)
                    .and_then(|k| k.key_bits())
            })
            .min()
    }
}
