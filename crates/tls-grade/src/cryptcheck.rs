//! The cryptcheck rating (the grade the original fediverse instance list used): checks at six
//! levels over protocols, every offered suite, keys and HSTS; any critical gives G, any error
//! F, any warning E; otherwise D climbs to C/B/A (C+/B+/A+) as the good, great and best checks
//! pass. V and T for identity and trust failures.

use crate::advice::Fix;
use crate::facts::{Facts, Version};
use crate::finding::Finding;
use serde::Serialize;
use vigil_tls_wire::suites::{Authentication, Cipher, KeyExchange, SuiteInfo};

/// A named predicate over one suite.
type SuiteCheck<'a> = (&'static str, &'a str, &'a dyn Fn(&&SuiteInfo) -> bool);

/// HSTS max-age for the "great" level: six months of 30 days.
pub const LONG_HSTS: u64 = 6 * 30 * 24 * 3600;

/// The cryptcheck scale, best first: its own letters, not the SSL Labs ones (G below F, and
/// the V, T and X verdicts that replace a letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CryptcheckLetter {
    APlus,
    A,
    BPlus,
    B,
    CPlus,
    C,
    D,
    E,
    F,
    G,
    /// The certificate does not cover the host name.
    V,
    /// The chain is not trusted.
    T,
    /// Nothing answered: there is nothing to grade.
    X,
}

impl CryptcheckLetter {
    /// The printed letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::APlus => "A+",
            Self::A => "A",
            Self::BPlus => "B+",
            Self::B => "B",
            Self::CPlus => "C+",
            Self::C => "C",
            Self::D => "D",
            Self::E => "E",
            Self::F => "F",
            Self::G => "G",
            Self::V => "V",
            Self::T => "T",
            Self::X => "X",
        }
    }
}

impl std::fmt::Display for CryptcheckLetter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for CryptcheckLetter {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for CryptcheckLetter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The cryptcheck-style grade and the checks behind it.
#[derive(Debug, Clone, Serialize)]
pub struct CryptcheckGrade {
    pub grade: CryptcheckLetter,
    /// Bad checks that fired (critical, error, warning).
    pub findings: Vec<Finding>,
    /// Good checks and whether each passed.
    pub good: Vec<(String, &'static str, bool)>,
}

fn rsa_like_bits(f: &Facts) -> Option<usize> {
    match f.key_type.as_deref() {
        Some("RSA" | "DSA") => f.key_bits,
        _ => None,
    }
}

fn ec_bits(f: &Facts) -> Option<usize> {
    match f.key_type.as_deref() {
        Some("EC") => f.key_bits,
        _ => None,
    }
}

/// Grades the facts.
pub fn grade(f: &Facts) -> CryptcheckGrade {
    let suites: Vec<_> = f.all_suites().collect();
    let mut bad: Vec<Finding> = Vec::new();
    let mut push = |level: &'static str, id: &'static str, msg: String, fix: Fix| {
        bad.push(Finding::new(id, level, msg, Some(fix)));
    };
    let names = |pred: &dyn Fn(&&vigil_tls_wire::suites::SuiteInfo) -> bool| -> Vec<String> {
        suites
            .iter()
            .filter(|s| pred(s))
            .map(|s| s.name.clone())
            .collect()
    };

    // Critical.
    for (v, id) in [(Version::Ssl2, "sslv2"), (Version::Ssl3, "sslv3")] {
        if f.offers(v) {
            push(
                "critical",
                id,
                format!("{} is offered.", v.name()),
                Fix::DisableLegacyProtocols,
            );
        }
    }
    let critical_suites: [SuiteCheck<'_>; 9] = [
        ("dss", "DSS-authenticated", &|s| {
            s.auth == Authentication::Dss
        }),
        ("anonymous", "anonymous", &|s| {
            s.auth == Authentication::Anonymous
        }),
        ("null", "NULL-encryption", &|s| s.cipher == Cipher::Null),
        ("export", "export", &|s| s.export),
        ("des", "single-DES", &|s| s.cipher == Cipher::Des),
        ("md5", "MD5-MAC", &|s| s.md5_mac),
        ("rc4", "RC4", &|s| s.cipher == Cipher::Rc4),
        ("sweet32", "64-bit block (3DES, SWEET32)", &|s| s.block_64()),
        ("idea-rc2", "IDEA/RC2", &|s| {
            matches!(s.cipher, Cipher::Idea | Cipher::Rc2)
        }),
    ];
    for (id, what, pred) in critical_suites {
        let hit = names(pred);
        if !hit.is_empty() {
            push(
                "critical",
                id,
                format!("{what} suites are offered: {}.", hit.join(", ")),
                Fix::IntermediateCiphers,
            );
        }
    }
    if f.md5_signature
        || f.sha1_in_chain
        || f.signature_algorithm
            .as_deref()
            .is_some_and(|s| s.to_ascii_lowercase().contains("sha1"))
    {
        push(
            "critical",
            "weak-signature",
            "A certificate is signed with MD5 or SHA-1.".into(),
            Fix::Sha256Certificate,
        );
    }
    if rsa_like_bits(f).is_some_and(|b| b < 1024) || f.dh_bits.is_some_and(|b| b < 1024) {
        push(
            "critical",
            "tiny-key",
            "An RSA key or DH group is under 1024 bits.".into(),
            Fix::StrongerKey,
        );
    }
    if ec_bits(f).is_some_and(|b| b < 160) {
        push(
            "critical",
            "tiny-ec-key",
            "An EC key is under 160 bits.".into(),
            Fix::StrongerKey,
        );
    }
    if f.key_type.as_deref() == Some("DSA") {
        push(
            "critical",
            "dsa-key",
            "The certificate has a DSA key.".into(),
            Fix::StrongerKey,
        );
    }
    // Error.
    for (v, id) in [(Version::Tls10, "tlsv1_0"), (Version::Tls11, "tlsv1_1")] {
        if f.offers(v) {
            push(
                "error",
                id,
                format!("{} is offered.", v.name()),
                Fix::DisableLegacyProtocols,
            );
        }
    }
    let no_fs = names(&|s| !s.forward_secret());
    if !no_fs.is_empty() {
        push(
            "error",
            "no-pfs",
            format!(
                "Suites without forward secrecy are offered: {}.",
                no_fs.join(", ")
            ),
            Fix::IntermediateCiphers,
        );
    }
    if rsa_like_bits(f).is_some_and(|b| (1024..2048).contains(&b))
        || f.dh_bits.is_some_and(|b| (1024..2048).contains(&b))
    {
        push(
            "error",
            "weak-key",
            "An RSA key or DH group is 1024-2047 bits.".into(),
            Fix::StrongerKey,
        );
    }
    if ec_bits(f).is_some_and(|b| (160..192).contains(&b)) {
        push(
            "error",
            "weak-ec-key",
            "An EC key is 160-191 bits.".into(),
            Fix::StrongerKey,
        );
    }
    // Warning.
    let sha1_mac = names(&|s| s.sha1_mac);
    if !sha1_mac.is_empty() {
        push(
            "warning",
            "sha1-mac",
            format!(
                "Suites with a SHA-1 MAC are offered: {}.",
                sha1_mac.join(", ")
            ),
            Fix::IntermediateCiphers,
        );
    }
    let dhe = names(&|s| s.kx == KeyExchange::Dhe);
    if !dhe.is_empty() {
        push(
            "warning",
            "dhe",
            format!("DHE suites are offered: {}.", dhe.join(", ")),
            Fix::DropDhe,
        );
    }
    if ec_bits(f).is_some_and(|b| (192..256).contains(&b)) {
        push(
            "warning",
            "small-ec-key",
            "An EC key is 192-255 bits.".into(),
            Fix::StrongerKey,
        );
    }
    if !f.hsts_present {
        push(
            "warning",
            "no-hsts",
            "No Strict-Transport-Security header.".into(),
            Fix::EnableHsts,
        );
    }

    let good: Vec<(String, &'static str, bool)> = vec![
        ("aead".into(), "good", suites.iter().any(|s| s.aead())),
        // A server with one protocol version cannot be downgraded: nothing to protect.
        (
            "fallback-scsv".into(),
            "good",
            f.fallback_scsv == Some(true) || f.versions.len() == 1,
        ),
        ("hsts".into(), "good", f.hsts_present),
        (
            "hsts-long".into(),
            "great",
            f.hsts_max_age.is_some_and(|a| a >= LONG_HSTS),
        ),
    ];

    for what in &f.unknown {
        bad.push(Finding::new(
            "unknown",
            "unknown",
            format!("Not established: {what}."),
            None,
        ));
    }
    let grade = if f.hostname_match == Some(false) {
        CryptcheckLetter::V
    } else if f.trusted == Some(false) {
        CryptcheckLetter::T
    } else if !f.probed {
        CryptcheckLetter::X
    } else if bad.iter().any(|b| b.effect == "critical") {
        CryptcheckLetter::G
    } else if bad.iter().any(|b| b.effect == "error") {
        CryptcheckLetter::F
    } else if bad.iter().any(|b| b.effect == "warning") {
        CryptcheckLetter::E
    } else {
        ladder(&good)
    };
    CryptcheckGrade {
        grade,
        findings: bad,
        good,
    }
}

/// D, then C/B/A as each level's checks pass (some: the letter; all: the plus, and go on).
fn ladder(good: &[(String, &'static str, bool)]) -> CryptcheckLetter {
    use CryptcheckLetter as L;
    let mut grade = L::D;
    for (level, letter, plus) in [
        ("good", L::C, L::CPlus),
        ("great", L::B, L::BPlus),
        ("best", L::A, L::APlus),
    ] {
        let checks: Vec<bool> = good
            .iter()
            .filter(|(_, l, _)| *l == level)
            .map(|(_, _, ok)| *ok)
            .collect();
        let passed = checks.iter().filter(|&&ok| ok).count();
        if !checks.is_empty() && passed == 0 {
            break;
        }
        if passed < checks.len() {
            grade = letter;
            break;
        }
        grade = plus;
    }
    grade
}
