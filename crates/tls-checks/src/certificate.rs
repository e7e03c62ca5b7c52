//! Certificate verdicts for one served chain, with webpki's rules: path to a trusted root as
//! served (no AIA fetching), SHA-1 signatures refused, validity against the given time.

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension};
use x509_parser::public_key::PublicKey;

/// What a chain's leaf is and whether it is to be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateReport {
    /// How the chain was obtained (`TLS1.2 Rsa`, `TLS1.3` …).
    pub via: String,
    pub trusted: bool,
    /// Why webpki refused the chain, when it did.
    pub trust_error: Option<String>,
    pub hostname_match: bool,
    pub expired: bool,
    pub not_yet_valid: bool,
    pub self_signed: bool,
    pub chain_complete: bool,
    pub key_type: String,
    pub key_bits: Option<usize>,
    pub curve: Option<String>,
    pub signature_algorithm: String,
    /// A certificate of the served chain (not a root) is signed with SHA-1.
    pub sha1_signature: bool,
    pub subject_cn: Option<String>,
    pub issuer_cn: Option<String>,
    pub san: Vec<String>,
    pub not_before: String,
    pub not_after: String,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: i64,
    pub chain_length_sent: usize,
    /// The TLS feature extension asks for a stapled OCSP response (must-staple).
    pub must_staple: bool,
    /// Signed certificate timestamps embedded in the leaf.
    pub embedded_scts: usize,
}

/// Why a chain could not be judged at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparseable(pub String);

const OID_SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
const OID_TLS_FEATURE: &str = "1.3.6.1.5.5.7.1.24";

/// Judges a chain (DER, leaf first as served) for `host` at `now` (Unix seconds).
pub fn judge(
    via: &str,
    chain: &[Vec<u8>],
    host: &str,
    anchors: &[TrustAnchor<'_>],
    now: i64,
) -> Result<CertificateReport, Unparseable> {
    let leaf_der = chain
        .first()
        .ok_or_else(|| Unparseable("empty chain".into()))?;
    let (_, leaf) = X509Certificate::from_der(leaf_der)
        .map_err(|e| Unparseable(format!("leaf certificate: {e}")))?;
    let parsed: Vec<X509Certificate<'_>> = chain
        .iter()
        .filter_map(|der| X509Certificate::from_der(der).ok().map(|(_, c)| c))
        .collect();

    let not_before = leaf.validity().not_before.timestamp();
    let not_after = leaf.validity().not_after.timestamp();
    let (trusted, trust_error) = if leaf_der.len() > WEBPKI_MAX_CERT {
        large_leaf_trust(&leaf, &parsed, anchors, now)
    } else {
        webpki_trust(chain, anchors, now)
    };
    let (key_type, key_bits, curve) = key_facts(&leaf);
    let san = sans(&leaf);
    let subject_cn = first_cn(leaf.subject());
    let hostname_match = if leaf_der.len() > WEBPKI_MAX_CERT {
        san_match(&san, host)
    } else {
        match_host(leaf_der, host)
    };

    Ok(CertificateReport {
        via: via.to_string(),
        trusted,
        trust_error,
        hostname_match,
        expired: now > not_after,
        not_yet_valid: now < not_before,
        self_signed: leaf.subject().as_raw() == leaf.issuer().as_raw()
            && leaf.verify_signature(None).is_ok(),
        chain_complete: chain_complete(&parsed, anchors),
        key_type,
        key_bits,
        curve,
        signature_algorithm: sig_name(&leaf),
        sha1_signature: parsed.iter().any(|c| {
            let root = c.subject().as_raw() == c.issuer().as_raw();
            !root && sig_name(c).to_ascii_lowercase().contains("sha1")
        }),
        subject_cn,
        issuer_cn: first_cn(leaf.issuer()),
        san,
        not_before: leaf.validity().not_before.to_string(),
        not_after: leaf.validity().not_after.to_string(),
        days_left: (not_after - now).div_euclid(86_400),
        chain_length_sent: chain.len(),
        must_staple: must_staple(&leaf),
        embedded_scts: embedded_scts(&leaf),
    })
}

/// Largest certificate webpki reads: it accepts DER lengths of at most two bytes (64 KiB), and
/// refuses a bigger one with `TrailingData(SignedData)`, though TLS carries certificates up to
/// 16 MiB and `openssl verify` and browsers accept them (badssl.com's 10,000-name leaf is about
/// 220 KB). Leaves beyond it are judged by [`large_leaf_trust`] instead.
pub const WEBPKI_MAX_CERT: usize = 4 + 0xffff;

/// How many certificates a path may hold above the leaf (webpki allows six intermediates).
const MAX_PATH_DEPTH: usize = 6;

/// Signature algorithms accepted on a path, as webpki accepts them (no SHA-1, no MD5).
const ACCEPTED_SIGNATURES: [&str; 7] = [
    "1.2.840.113549.1.1.11", // sha256WithRSAEncryption
    "1.2.840.113549.1.1.12", // sha384WithRSAEncryption
    "1.2.840.113549.1.1.13", // sha512WithRSAEncryption
    "1.2.840.113549.1.1.10", // RSASSA-PSS
    "1.2.840.10045.4.3.2",   // ecdsa-with-SHA256
    "1.2.840.10045.4.3.3",   // ecdsa-with-SHA384
    "1.3.101.112",           // Ed25519
];

/// Path validation for a leaf too large for webpki, done with x509-parser and aws-lc-rs: each
/// signature on the path from the leaf to a trust anchor checks out under an accepted
/// algorithm, every certificate is valid at `now`, the issuers are CAs, the leaf is not, and a
/// leaf with an extended key usage lists serverAuth. The served intermediates are searched by
/// name, as webpki does; the error names follow webpki's where they mean the same.
fn large_leaf_trust(
    leaf: &X509Certificate<'_>,
    served: &[X509Certificate<'_>],
    anchors: &[TrustAnchor<'_>],
    now: i64,
) -> (bool, Option<String>) {
    let fail = |e: &str| (false, Some(e.to_string()));
    if let Some(e) = validity_error(leaf, now) {
        return fail(e);
    }
    if leaf
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|b| b.value.ca)
    {
        return fail("CaUsedAsEndEntity");
    }
    if let Ok(Some(eku)) = leaf.extended_key_usage()
        && !eku.value.server_auth
        && !eku.value.any
    {
        return fail("RequiredEkuNotFound");
    }
    let mut current = leaf;
    for _ in 0..=MAX_PATH_DEPTH {
        if !ACCEPTED_SIGNATURES.contains(
            &current
                .signature_algorithm
                .algorithm
                .to_id_string()
                .as_str(),
        ) {
            return fail("UnsupportedSignatureAlgorithm");
        }
        let issuer_raw = current.issuer().as_raw();
        let anchored = anchors.iter().any(|a| {
            a.subject.as_ref() == name_content(issuer_raw)
                && anchor_spki(a).is_some_and(|der| {
                    x509_parser::x509::SubjectPublicKeyInfo::from_der(&der)
                        .is_ok_and(|(_, spki)| current.verify_signature(Some(&spki)).is_ok())
                })
        });
        if anchored {
            return (true, None);
        }
        let next = served.iter().skip(1).find(|c| {
            c.subject().as_raw() == issuer_raw
                && !std::ptr::eq(*c, current)
                && current.verify_signature(Some(c.public_key())).is_ok()
        });
        let Some(next) = next else {
            return fail("UnknownIssuer");
        };
        if let Some(e) = validity_error(next, now) {
            return fail(e);
        }
        if !next
            .basic_constraints()
            .ok()
            .flatten()
            .is_some_and(|b| b.value.ca)
        {
            return fail("CaUsedAsEndEntity");
        }
        current = next;
    }
    fail("MaximumPathDepthExceeded")
}

fn validity_error(cert: &X509Certificate<'_>, now: i64) -> Option<&'static str> {
    if now > cert.validity().not_after.timestamp() {
        Some("CertExpired")
    } else if now < cert.validity().not_before.timestamp() {
        Some("CertNotValidYet")
    } else {
        None
    }
}

/// A trust anchor's SubjectPublicKeyInfo as DER: webpki keeps it without its SEQUENCE header.
fn anchor_spki(anchor: &TrustAnchor<'_>) -> Option<Vec<u8>> {
    let content = anchor.subject_public_key_info.as_ref();
    let len = content.len();
    let mut der = vec![0x30];
    match len {
        0..=0x7f => der.push(u8::try_from(len).ok()?),
        0x80..=0xff => der.extend([0x81, u8::try_from(len).ok()?]),
        _ => der.extend([0x82, u8::try_from(len >> 8).ok()?, (len & 0xff) as u8]),
    }
    der.extend_from_slice(content);
    Some(der)
}

fn webpki_trust(
    chain: &[Vec<u8>],
    anchors: &[TrustAnchor<'_>],
    now: i64,
) -> (bool, Option<String>) {
    let Some((leaf, rest)) = chain.split_first() else {
        return (false, Some("empty chain".into()));
    };
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let ee = match webpki::EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => return (false, Some(format!("{e:?}"))),
    };
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now).unwrap_or(0),
    ));
    match ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        &intermediates,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    ) {
        Ok(_) => (true, None),
        Err(e) => (false, Some(format!("{e:?}"))),
    }
}

/// The served chain links, by issuer name, from the leaf to a trust anchor (or the last served
/// certificate is itself an anchor), without fetching anything.
fn chain_complete(parsed: &[X509Certificate<'_>], anchors: &[TrustAnchor<'_>]) -> bool {
    let Some(mut current) = parsed.first() else {
        return false;
    };
    for _ in 0..=parsed.len() {
        let issuer = name_content(current.issuer().as_raw());
        if anchors.iter().any(|a| a.subject.as_ref() == issuer) {
            return true;
        }
        if current.subject().as_raw() == current.issuer().as_raw() {
            // Self-issued and not an anchor: a dead end.
            return false;
        }
        match parsed.iter().find(|c| {
            c.subject().as_raw() == current.issuer().as_raw() && !std::ptr::eq(*c, current)
        }) {
            Some(next) => current = next,
            None => return false,
        }
    }
    false
}

/// Trust anchors hold a Name without its outer SEQUENCE header; x509-parser gives it with.
fn name_content(raw: &[u8]) -> &[u8] {
    match raw {
        [0x30, len, rest @ ..] if *len < 0x80 => rest,
        [0x30, 0x81, _, rest @ ..] => rest,
        [0x30, 0x82, _, _, rest @ ..] => rest,
        _ => raw,
    }
}

fn key_facts(cert: &X509Certificate<'_>) -> (String, Option<usize>, Option<String>) {
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA".into(), Some(rsa.key_size()), None),
        Ok(PublicKey::EC(point)) => {
            let curve_oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            let (curve, bits) = match curve_oid.as_deref() {
                Some("1.2.840.10045.3.1.7") => (Some("secp256r1".to_string()), Some(256)),
                Some("1.3.132.0.34") => (Some("secp384r1".to_string()), Some(384)),
                Some("1.3.132.0.35") => (Some("secp521r1".to_string()), Some(521)),
                Some(other) => (Some(other.to_string()), Some(point.key_size())),
                None => (None, Some(point.key_size())),
            };
            ("EC".into(), bits, curve)
        }
        Ok(PublicKey::DSA(_)) => ("DSA".into(), None, None),
        _ => match oid.as_str() {
            "1.3.101.112" => ("Ed25519".into(), Some(256), None),
            "1.3.101.113" => ("Ed448".into(), Some(456), None),
            other => (other.to_string(), None, None),
        },
    }
}

fn sig_name(cert: &X509Certificate<'_>) -> String {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    match oid.as_str() {
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        _ => return oid,
    }
    .to_string()
}

fn first_cn(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

fn sans(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    ext.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some((*d).to_string()),
            GeneralName::IPAddress(ip) => match ip.len() {
                4 => Some(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string()),
                16 => <[u8; 16]>::try_from(*ip)
                    .ok()
                    .map(|b| std::net::Ipv6Addr::from(b).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// webpki's name check: subjectAltName only. A certificate without one matches no name, as in
/// every browser since 2017 (the Common Name fallback is gone), so it is never consulted.
fn match_host(leaf_der: &[u8], host: &str) -> bool {
    let der = CertificateDer::from(leaf_der);
    match (
        webpki::EndEntityCert::try_from(&der),
        ServerName::try_from(host),
    ) {
        (Ok(ee), Ok(name)) => ee.verify_is_valid_for_subject_name(&name).is_ok(),
        _ => false,
    }
}

/// The name check for leaves webpki cannot read (see [`WEBPKI_MAX_CERT`]), with webpki's rules:
/// DNS names compare case-insensitively, a wildcard stands for exactly one whole leftmost label,
/// IP addresses match only IP entries; the Common Name is never consulted.
fn san_match(san: &[String], host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return san
            .iter()
            .any(|s| s.parse::<std::net::IpAddr>().is_ok_and(|s| s == ip));
    }
    san.iter()
        .filter(|s| s.parse::<std::net::IpAddr>().is_err())
        .any(|pattern| dns_match(pattern, host))
}

fn dns_match(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    match p.strip_prefix("*.") {
        Some(suffix) => {
            suffix.contains('.')
                && h.split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix)
        }
        None => p == h,
    }
}

fn must_staple(cert: &X509Certificate<'_>) -> bool {
    cert.extensions().iter().any(|e| {
        // SEQUENCE OF INTEGER containing 5 (status_request).
        e.oid.to_id_string() == OID_TLS_FEATURE
            && e.value.windows(3).any(|w| w == [0x02, 0x01, 0x05])
    })
}

fn embedded_scts(cert: &X509Certificate<'_>) -> usize {
    cert.extensions()
        .iter()
        .filter(|e| e.oid.to_id_string() == OID_SCT_LIST)
        .map(|e| match e.parsed_extension() {
            ParsedExtension::SCT(list) => list.len(),
            _ => 0,
        })
        .sum()
}
