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

/// The cryptcheck-style grade and the checks behind it.
#[derive(Debug, Clone, Serialize)]
pub struct CryptcheckGrade {
    pub grade: String,
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
        "V".to_string()
    } else if f.trusted == Some(false) {
        "T".to_string()
    } else if !f.probed {
        "X".to_string()
    } else if bad.iter().any(|b| b.effect == "critical") {
        "G".to_string()
    } else if bad.iter().any(|b| b.effect == "error") {
        "F".to_string()
    } else if bad.iter().any(|b| b.effect == "warning") {
        "E".to_string()
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
fn ladder(good: &[(String, &'static str, bool)]) -> String {
    let mut grade = "D".to_string();
    for (level, letter) in [("good", "C"), ("great", "B"), ("best", "A")] {
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
            grade = letter.to_string();
            break;
        }
        grade = format!("{letter}+");
    }
    grade
}
