//! The SSL Labs rating (guide 2009 series, as testssl.sh implements it): protocol, key exchange
//! and cipher scores, caps, the T and M grades, A+ and A-. Judged on what the server offers,
//! like testssl.sh; SSL Labs itself judges some caps on what simulated clients negotiate.

use crate::advice::Fix;
use crate::facts::{Facts, Version};
use crate::finding::Finding;
use serde::Serialize;
use vigil_model::Grade;
use vigil_tls_wire::suites::{self, Authentication, Cipher, KeyExchange, Mode};

/// Six months in seconds: the HSTS max-age A+ asks for.
pub const SIX_MONTHS: u64 = 15_552_000;

/// The SSL Labs-style grade and how it came about.
#[derive(Debug, Clone, Serialize)]
pub struct SslLabsGrade {
    /// `A+`, `A`, `A-`, `B` … `F`, or `T` / `M` for trust and name failures.
    pub grade: TlsGrade,
    /// The grade the configuration alone earns, when `T` or `M` replaces it.
    pub grade_if_trust_ignored: Option<Grade>,
    pub score: u32,
    pub protocol_score: u32,
    pub key_exchange_score: u32,
    pub cipher_score: u32,
    pub findings: Vec<Finding>,
    /// Checks of the rating guide this scanner does not perform, so never capped on.
    pub not_tested: Vec<&'static str>,
    pub basis: &'static str,
}

/// The SSL Labs-style grade: a letter on Vigil's one scale, or a verdict that replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsGrade {
    /// `A+`, `A`, `A-`, `B`, `C`, `D`, `E` or `F`.
    Letter(Grade),
    /// The chain is not trusted (the letter the configuration earns is kept beside it).
    T,
    /// The certificate does not cover the host name.
    M,
    /// Nothing answered: there is no configuration to grade.
    None,
}

impl TlsGrade {
    /// The printed grade.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsGrade::Letter(g) => g.as_str(),
            TlsGrade::T => "T",
            TlsGrade::M => "M",
            TlsGrade::None => "-",
        }
    }

    /// The letter, when the grade is one.
    pub fn letter(self) -> Option<Grade> {
        match self {
            TlsGrade::Letter(g) => Some(g),
            _ => None,
        }
    }
}

impl std::fmt::Display for TlsGrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for TlsGrade {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for TlsGrade {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

fn worse(a: Grade, b: Grade) -> Grade {
    a.max(b)
}

fn protocol_points(v: Version) -> u32 {
    match v {
        Version::Ssl2 => 0,
        Version::Ssl3 => 80,
        Version::Tls10 => 90,
        Version::Tls11 => 95,
        Version::Tls12 | Version::Tls13 => 100,
    }
}

/// RSA, DH and DSA key sizes.
fn modp_points(bits: usize) -> u32 {
    match bits {
        0..512 => 20,
        512..1024 => 40,
        1024..2048 => 80,
        2048..4096 => 90,
        _ => 100,
    }
}

/// Elliptic-curve key sizes (testssl.sh's table).
fn ec_points(bits: usize) -> u32 {
    match bits {
        0..110 => 20,
        110..123 => 40,
        123..163 => 80,
        163..225 => 90,
        _ => 100,
    }
}

fn cipher_points(bits: u16) -> u32 {
    match bits {
        0 => 0,
        1..128 => 20,
        128..256 => 80,
        _ => 100,
    }
}

/// Grades the facts.
pub fn grade(f: &Facts) -> SslLabsGrade {
    let mut findings = Vec::new();
    let mut cap = Grade::APlus;
    let mut apply =
        |findings: &mut Vec<Finding>, letter: Grade, id: &'static str, msg: String, fix: Fix| {
            cap = worse(cap, letter);
            findings.push(Finding::new(id, format!("cap {letter}"), msg, Some(fix)));
        };

    // Protocol score.
    let best = f.versions.iter().max().copied();
    let worst = f.versions.iter().min().copied();
    let protocol_score = match (best, worst) {
        (Some(b), Some(w)) => (protocol_points(b) + protocol_points(w)) / 2,
        _ => 0,
    };

    // Key exchange: the weaker of the certificate key and the ephemeral keys.
    let server_key = match (f.key_type.as_deref(), f.key_bits) {
        (Some("EC" | "Ed25519" | "Ed448"), Some(b)) => Some(ec_points(b)),
        (Some(_), Some(b)) => Some(modp_points(b)),
        _ => None,
    };
    let suites: Vec<_> = f.all_suites().collect();
    let dh_points = f
        .dh_bits
        .filter(|_| suites.iter().any(|s| s.kx == KeyExchange::Dhe))
        .map(modp_points);
    let ecdhe_points = f.min_ec_group_bits().map(|b| ec_points(usize::from(b)));
    let anonymous = suites.iter().any(|s| s.auth == Authentication::Anonymous);
    let export = suites.iter().any(|s| s.export);
    let mut key_exchange_score = [server_key, dh_points, ecdhe_points]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(0);
    if export {
        key_exchange_score = key_exchange_score.min(40);
    }
    if anonymous {
        key_exchange_score = 0;
    }

    // Cipher strength.
    let strengths: Vec<u32> = suites
        .iter()
        .map(|s| cipher_points(suites::effective_bits(s)))
        .collect();
    let cipher_score = match (strengths.iter().max(), strengths.iter().min()) {
        (Some(b), Some(w)) => (b + w) / 2,
        _ => 0,
    };
    let score = if protocol_score == 0 || key_exchange_score == 0 || cipher_score == 0 {
        0
    } else {
        (protocol_score * 30 + key_exchange_score * 30 + cipher_score * 40) / 100
    };
    let mut letter = match score {
        80.. => Grade::A,
        65..80 => Grade::B,
        50..65 => Grade::C,
        35..50 => Grade::D,
        20..35 => Grade::E,
        _ => Grade::F,
    };

    // Caps F.
    if f.offers(Version::Ssl2) {
        apply(
            &mut findings,
            Grade::F,
            "ssl2-offered",
            "SSL 2.0 is offered.".into(),
            Fix::DisableLegacyProtocols,
        );
    }
    if best == Some(Version::Ssl3) {
        apply(
            &mut findings,
            Grade::F,
            "ssl3-best",
            "SSL 3.0 is the best protocol offered.".into(),
            Fix::DisableLegacyProtocols,
        );
    }
    if export {
        apply(
            &mut findings,
            Grade::F,
            "export-suites",
            "Export-grade suites are offered.".into(),
            Fix::IntermediateCiphers,
        );
    }
    if anonymous {
        apply(
            &mut findings,
            Grade::F,
            "anonymous-suites",
            "Anonymous (unauthenticated) suites are offered.".into(),
            Fix::IntermediateCiphers,
        );
    }
    if suites.iter().any(|s| suites::effective_bits(s) < 112) {
        apply(
            &mut findings,
            Grade::F,
            "weak-cipher",
            "A suite with less than 112-bit encryption is offered.".into(),
            Fix::IntermediateCiphers,
        );
    }
    if key_exchange_score > 0 && key_exchange_score <= 40 {
        apply(
            &mut findings,
            Grade::F,
            "insecure-key",
            "A key exchange or certificate key is insecure (under 1024 bits RSA/DH).".into(),
            Fix::StrongerKey,
        );
    }
    if f.heartbleed == Some(true) {
        apply(
            &mut findings,
            Grade::F,
            "heartbleed",
            "The server leaks memory through heartbeats (Heartbleed, CVE-2014-0160).".into(),
            Fix::UpgradeTlsLibrary,
        );
    }
    if f.robot == Some(true) {
        apply(
            &mut findings,
            Grade::F,
            "robot",
            "The server's answers reveal whether RSA padding was valid (ROBOT, a Bleichenbacher oracle).".into(),
            Fix::IntermediateCiphers,
        );
    }
    if f.md5_signature {
        apply(
            &mut findings,
            Grade::F,
            "md5-signature",
            "A certificate is signed with MD5.".into(),
            Fix::Sha256Certificate,
        );
    }
    // Caps C.
    if f.refuses(Version::Tls12) && f.refuses(Version::Tls13) && f.probed {
        apply(
            &mut findings,
            Grade::C,
            "no-tls12",
            "Neither TLS 1.2 nor TLS 1.3 is offered.".into(),
            Fix::EnableTls13,
        );
    }
    if f.suites_from_tls11().any(|s| s.cipher == Cipher::Rc4) {
        apply(
            &mut findings,
            Grade::C,
            "rc4-modern",
            "RC4 is offered with TLS 1.1 or newer.".into(),
            Fix::IntermediateCiphers,
        );
    }
    if f.suites_from_tls11().any(|s| s.block_64()) {
        apply(
            &mut findings,
            Grade::C,
            "sweet32",
            "3DES or another 64-bit block cipher is offered with TLS 1.1 or newer (SWEET32)."
                .into(),
            Fix::IntermediateCiphers,
        );
    }
    if f.compression == Some(true) {
        apply(
            &mut findings,
            Grade::C,
            "tls-compression",
            "TLS compression is enabled (CRIME).".into(),
            Fix::DisableCompression,
        );
    }
    if f.suites
        .iter()
        .any(|(v, s)| *v == Version::Ssl3 && s.mode == Mode::Cbc)
    {
        apply(
            &mut findings,
            Grade::C,
            "poodle",
            "SSL 3.0 with CBC suites is offered (POODLE).".into(),
            Fix::DisableLegacyProtocols,
        );
    }
    // Caps B.
    if f.offers(Version::Ssl3) {
        apply(
            &mut findings,
            Grade::B,
            "ssl3-offered",
            "SSL 3.0 is offered.".into(),
            Fix::DisableLegacyProtocols,
        );
    }
    if f.offers(Version::Tls10) || f.offers(Version::Tls11) {
        apply(
            &mut findings,
            Grade::B,
            "tls10-11-offered",
            "TLS 1.0 or TLS 1.1 is offered (capped at B since 2020).".into(),
            Fix::DisableLegacyProtocols,
        );
    }
    if !suites.is_empty() && !suites.iter().any(|s| s.forward_secret()) {
        apply(
            &mut findings,
            Grade::B,
            "no-forward-secrecy",
            "No suite with forward secrecy is offered.".into(),
            Fix::IntermediateCiphers,
        );
    }
    if !suites.is_empty() && !suites.iter().any(|s| s.aead()) {
        apply(
            &mut findings,
            Grade::B,
            "no-aead",
            "No AEAD suite (GCM, ChaCha20-Poly1305) is offered.".into(),
            Fix::IntermediateCiphers,
        );
    }
    if suites.iter().any(|s| s.cipher == Cipher::Rc4) {
        apply(
            &mut findings,
            Grade::B,
            "rc4-offered",
            "RC4 is offered.".into(),
            Fix::IntermediateCiphers,
        );
    }
    if f.suites
        .iter()
        .any(|(v, s)| *v == Version::Tls10 && s.mode == Mode::Cbc)
    {
        apply(
            &mut findings,
            Grade::B,
            "beast",
            "CBC suites are offered with TLS 1.0 (BEAST).".into(),
            Fix::DisableLegacyProtocols,
        );
    }
    if key_exchange_score > 40 && key_exchange_score <= 80 {
        apply(
            &mut findings,
            Grade::B,
            "weak-key",
            "A 1024-2047-bit RSA key or DH group is used.".into(),
            if dh_points == Some(key_exchange_score) {
                Fix::StrongerDhParameters
            } else {
                Fix::StrongerKey
            },
        );
    }
    letter = worse(letter, cap);
    // A+ / A-: warnings keep an A from being A+.
    let mut warnings = Vec::new();
    if !f.offers(Version::Tls13) && f.probed {
        warnings.push(Finding::new(
            "no-tls13",
            "warning",
            "TLS 1.3 is not offered.",
            Some(Fix::EnableTls13),
        ));
    }
    if f.secure_renegotiation == Some(false) {
        warnings.push(Finding::new(
            "no-secure-renegotiation",
            "warning",
            "Secure renegotiation (RFC 5746) is not supported.",
            Some(Fix::UpgradeTlsLibrary),
        ));
    }
    match f.hsts_max_age {
        None if !f.hsts_present => warnings.push(Finding::new(
            "no-hsts",
            "keeps A from A+",
            "No Strict-Transport-Security header.",
            Some(Fix::EnableHsts),
        )),
        Some(age) if age < SIX_MONTHS => warnings.push(Finding::new(
            "short-hsts",
            "warning",
            format!("HSTS max-age {age} is under six months."),
            Some(Fix::LongerHsts),
        )),
        None => warnings.push(Finding::new(
            "malformed-hsts",
            "warning",
            "The HSTS header has no usable max-age.",
            Some(Fix::LongerHsts),
        )),
        Some(_) => {}
    }
    if letter == Grade::A {
        let real_warning = warnings.iter().any(|w| w.effect == "warning");
        letter = if warnings.is_empty() {
            Grade::APlus
        } else if real_warning {
            Grade::AMinus
        } else {
            Grade::A
        };
    }
    findings.extend(warnings);

    // T and M replace the letter.
    let mut final_grade = TlsGrade::Letter(letter);
    let mut if_ignored = None;
    if f.trusted == Some(false) || f.sha1_in_chain {
        findings.push(Finding::new("untrusted", "grade T", "The certificate chain is not trusted (unknown or missing issuer, expired, not yet valid, self-signed or SHA-1).", Some(Fix::TrustedCertificate)));
        if_ignored = Some(letter);
        final_grade = TlsGrade::T;
    } else if f.hostname_match == Some(false) {
        findings.push(Finding::new(
            "name-mismatch",
            "grade M",
            "The certificate does not cover this host name.",
            Some(Fix::MatchingCertificate),
        ));
        if_ignored = Some(letter);
        final_grade = TlsGrade::M;
    }
    // What stayed unknown is shown, and no cap rests on it.
    for what in &f.unknown {
        findings.push(Finding::new(
            "unknown",
            "unknown",
            format!("Not established: {what}."),
            None,
        ));
    }
    if !f.probed {
        // Nothing answered: there is no configuration to grade.
        final_grade = TlsGrade::None;
        if_ignored = None;
        findings.clear();
    }
    SslLabsGrade {
        grade: final_grade,
        grade_if_trust_ignored: if_ignored,
        score,
        protocol_score,
        key_exchange_score,
        cipher_score,
        findings,
        not_tested: vec![
            "OpenSSL CCS injection",
            "Ticketbleed",
            "DROWN",
            "POODLE-TLS variants",
            "insecure client-initiated renegotiation",
        ],
        basis: "suites offered (like testssl.sh), not simulated clients",
    }
}
