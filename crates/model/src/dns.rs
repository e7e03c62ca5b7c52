//! DNS evidence and verdicts: what one validated lookup set learned about a host (addresses, CAA,
//! TLSA, the DNSSEC status), the verdicts the pure CAA/DANE analysis derives from it, and the JSON
//! shape of the `dns` part of a report.
//!
//! Record data stays as the wire gave it (CAA values as text with odd bytes escaped, TLSA data as
//! hex), so a capture can be replayed through the analysis later. Nothing here does I/O; the
//! retrieval lives in `vigil-dns`. Main type: [`DnsEvidence`].

use serde::{Deserialize, Serialize};

/// Everything one DNS lookup set for a host found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsEvidence {
    /// The host looked up, as given (no trailing dot).
    pub host: String,
    /// The server asked (`127.0.0.1:53535`), or `system` for the resolv.conf servers.
    pub resolver: String,
    /// IPv4 addresses of the host, in answer order.
    pub a: Vec<String>,
    /// IPv6 addresses of the host, in answer order.
    pub aaaa: Vec<String>,
    /// The relevant CAA set (RFC 8659 §3: the host's own, else the closest ancestor's).
    pub caa: Vec<CaaRecord>,
    /// Where the CAA set was found: the host or the ancestor that had one; `None` when none did.
    #[serde(default)]
    pub caa_owner: Option<String>,
    /// The TLSA records at `_PORT._tcp.HOST`.
    pub tlsa: Vec<TlsaRecord>,
    /// The DNSSEC status of the host's address answer (or of its denial), bogus when any answer
    /// of the set failed validation.
    pub dnssec: DnssecStatus,
    /// Why parts of the set are missing: timeouts, refusals, validation failures, malformed
    /// answers. Empty when every query got a usable answer (an empty one counts as usable).
    pub errors: Vec<String>,
    pub elapsed_ms: u64,
}

/// One CAA record (RFC 8659 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaRecord {
    /// Bit 128 is Issuer Critical: a CA that does not understand the tag must not issue.
    pub flags: u8,
    /// Property tag as sent (`issue`, `issuewild`, `iodef` …).
    pub tag: String,
    /// The value as text; bytes that are not printable ASCII are written `\xNN`.
    pub value: String,
}

/// One TLSA record (RFC 6698 §2.1), numbers kept as sent so unknown values survive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaRecord {
    /// 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// 0 full certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching_type: u8,
    /// Certificate association data, lowercase hex.
    pub data_hex: String,
}

/// DNSSEC validation status (RFC 4035 §4.3), lowercase in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnssecStatus {
    /// A chain of signatures from the trust anchor covers the answer.
    Secure,
    /// The answer provably lies in an unsigned zone.
    Insecure,
    /// A chain should exist but failed (bad or missing signatures): possibly an attack.
    Bogus,
    /// The status could not be determined (no answer, timeouts).
    Indeterminate,
}

impl DnssecStatus {
    /// The lowercase name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secure => "secure",
            Self::Insecure => "insecure",
            Self::Bogus => "bogus",
            Self::Indeterminate => "indeterminate",
        }
    }
}

/// What the CAA set says about certificate issuance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaVerdict {
    /// A CAA set applies to the host (its own or an ancestor's).
    pub present: bool,
    /// Issuer domains of the `issue` properties, lowercase, deduplicated, in record order
    /// (an empty `issue ";"` forbids every CA and adds nothing here).
    pub issuers: Vec<String>,
    /// Whether the certificate's issuer may issue for the host under that set: `None` when no
    /// issuer was given, or when the set restricts issuance and the issuer could not be mapped to
    /// a CAA domain.
    pub issuer_allowed: Option<bool>,
}

/// Whether the served chain matches the TLSA records (DANE, RFC 6698/7671).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaVerdict {
    /// TLSA records exist for the service.
    pub present: bool,
    /// `None` without records or without a chain to compare; else whether any usable record
    /// matches the chain.
    pub matches: Option<bool>,
}

/// The `dns` part of Vigil's JSON output (issue contract):
/// `{"dnssec": "secure", "a": [...], "aaaa": [...], "caa": {"present": true, "issuers": [...]},
/// "tlsa": {"present": true, "matches": null}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsReport {
    pub dnssec: DnssecStatus,
    pub a: Vec<String>,
    pub aaaa: Vec<String>,
    pub caa: CaaReport,
    pub tlsa: TlsaVerdict,
}

/// The `caa` object of [`DnsReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaReport {
    pub present: bool,
    pub issuers: Vec<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn status_is_lowercase_in_json() {
        for s in [
            DnssecStatus::Secure,
            DnssecStatus::Insecure,
            DnssecStatus::Bogus,
            DnssecStatus::Indeterminate,
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<DnssecStatus>(&json).unwrap(), s);
        }
    }

    #[test]
    fn report_has_the_contract_shape() {
        let report = DnsReport {
            dnssec: DnssecStatus::Secure,
            a: vec!["127.0.0.1".into()],
            aaaa: vec!["::1".into()],
            caa: CaaReport {
                present: true,
                issuers: vec!["letsencrypt.org".into()],
            },
            tlsa: TlsaVerdict {
                present: true,
                matches: None,
            },
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"dnssec":"secure","a":["127.0.0.1"],"aaaa":["::1"],"caa":{"present":true,"issuers":["letsencrypt.org"]},"tlsa":{"present":true,"matches":null}}"#
        );
    }
}
