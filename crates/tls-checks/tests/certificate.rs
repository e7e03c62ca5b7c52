//! Certificate verdicts on certificates made here with rcgen: one property changed per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519,
};
use rustls_pki_types::{CertificateDer, TrustAnchor};
use vigil_tls_checks::certificate::judge;

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { params, key, der }
}

fn leaf(
    names: &[&str],
    issuer: &Ca,
    alg: &'static rcgen::SignatureAlgorithm,
    years: (i32, i32),
) -> Vec<u8> {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.not_before = rcgen::date_time_ymd(years.0, 1, 1);
    params.not_after = rcgen::date_time_ymd(years.1, 1, 1);
    let key = KeyPair::generate_for(alg).unwrap();
    let issuer = Issuer::from_params(&issuer.params, &issuer.key);
    params.signed_by(&key, &issuer).unwrap().der().to_vec()
}

fn anchor(der: &[u8]) -> TrustAnchor<'static> {
    let cert = CertificateDer::from(der.to_vec());
    webpki::anchor_from_trusted_cert(&cert).unwrap().to_owned()
}

#[test]
fn trusted_chain_to_anchor() {
    let root = ca("Test Root");
    let der = leaf(&["site.test"], &root, &PKCS_ECDSA_P256_SHA256, (2025, 2027));
    let r = judge("t", &[der], "site.test", &[anchor(&root.der)], NOW).unwrap();
    assert!(r.trusted, "{:?}", r.trust_error);
    assert!(r.hostname_match && r.chain_complete && !r.self_signed && !r.expired);
    assert_eq!((r.key_type.as_str(), r.key_bits), ("EC", Some(256)));
    assert_eq!(r.curve.as_deref(), Some("secp256r1"));
    assert_eq!(r.signature_algorithm, "ecdsa-with-SHA256");
    assert_eq!(r.issuer_cn.as_deref(), Some("Test Root"));
    assert_eq!(r.san, vec!["site.test"]);
}

#[test]
fn unknown_root_is_untrusted_and_incomplete() {
    let root = ca("Test Root");
    let other = ca("Other Root");
    let der = leaf(
        &["site.test"],
        &other,
        &PKCS_ECDSA_P256_SHA256,
        (2025, 2027),
    );
    let r = judge("t", &[der], "site.test", &[anchor(&root.der)], NOW).unwrap();
    assert!(!r.trusted && !r.chain_complete && !r.self_signed);
}

#[test]
fn wrong_name_is_still_trusted() {
    let root = ca("Test Root");
    let der = leaf(
        &["other.test"],
        &root,
        &PKCS_ECDSA_P256_SHA256,
        (2025, 2027),
    );
    let r = judge("t", &[der], "site.test", &[anchor(&root.der)], NOW).unwrap();
    assert!(r.trusted && !r.hostname_match);
    let wild = leaf(
        &["*.site.test"],
        &root,
        &PKCS_ECDSA_P256_SHA256,
        (2025, 2027),
    );
    let r = judge("t", &[wild], "www.site.test", &[anchor(&root.der)], NOW).unwrap();
    assert!(r.hostname_match);
}

#[test]
fn expired_and_not_yet_valid() {
    let root = ca("Test Root");
    let old = leaf(&["site.test"], &root, &PKCS_ECDSA_P256_SHA256, (2020, 2021));
    let r = judge("t", &[old], "site.test", &[anchor(&root.der)], NOW).unwrap();
    assert!(r.expired && !r.trusted && r.chain_complete && r.days_left < 0);
    let future = leaf(&["site.test"], &root, &PKCS_ECDSA_P256_SHA256, (2099, 2100));
    let r = judge("t", &[future], "site.test", &[anchor(&root.der)], NOW).unwrap();
    assert!(r.not_yet_valid && !r.trusted);
}

#[test]
fn self_signed_leaf() {
    let mut params = CertificateParams::new(vec!["site.test".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "site.test");
    let key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let der = params.self_signed(&key).unwrap().der().to_vec();
    let root = ca("Test Root");
    let r = judge("t", &[der], "site.test", &[anchor(&root.der)], NOW).unwrap();
    assert!(r.self_signed && !r.trusted && !r.chain_complete);
    assert_eq!(r.key_bits, Some(384));
}

#[test]
fn ed25519_key_and_intermediate_chain() {
    let root = ca("Test Root");
    let mut ip = CertificateParams::new(Vec::<String>::new()).unwrap();
    ip.distinguished_name
        .push(DnType::CommonName, "Test Intermediate");
    ip.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ip.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ikey = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let ider = ip
        .signed_by(&ikey, &Issuer::from_params(&root.params, &root.key))
        .unwrap()
        .der()
        .to_vec();
    let inter = Ca {
        params: ip,
        key: ikey,
        der: ider.clone(),
    };
    let der = leaf(&["site.test"], &inter, &PKCS_ED25519, (2025, 2027));
    let anchors = [anchor(&root.der)];
    let r = judge("t", &[der.clone(), ider], "site.test", &anchors, NOW).unwrap();
    assert!(r.trusted && r.chain_complete, "{:?}", r.trust_error);
    assert_eq!((r.key_type.as_str(), r.key_bits), ("Ed25519", Some(256)));
    assert_eq!(r.chain_length_sent, 2);
    // Without the intermediate the chain is incomplete and untrusted (no AIA fetching).
    let r = judge("t", &[der], "site.test", &anchors, NOW).unwrap();
    assert!(!r.trusted && !r.chain_complete);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(judge("t", &[vec![0x30, 0x03, 1, 2]], "site.test", &[], NOW).is_err());
    assert!(judge("t", &[], "site.test", &[], NOW).is_err());
}

/// A leaf whose names are `names` with no Common Name at all when `cn` is `None`.
fn leaf_with_cn(names: &[&str], cn: Option<&str>, issuer: &Ca) -> Vec<u8> {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2027, 1, 1);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let issuer = Issuer::from_params(&issuer.params, &issuer.key);
    params.signed_by(&key, &issuer).unwrap().der().to_vec()
}

#[test]
fn the_common_name_matches_no_host_without_a_san() {
    // Browsers dropped the CN fallback in 2017: no subjectAltName, no name matches.
    let root = ca("Test Root");
    let der = leaf_with_cn(&[], Some("site.test"), &root);
    let r = judge("t", &[der], "site.test", &[anchor(&root.der)], NOW).unwrap();
    assert_eq!(r.subject_cn.as_deref(), Some("site.test"));
    assert!(r.san.is_empty());
    assert!(!r.hostname_match, "matched through the Common Name");
}

/// 10,000 names, as badssl.com's 10000-sans.badssl.com serves: about 220 KB of DER.
fn many_names() -> Vec<String> {
    (0..10_000)
        .map(|i| format!("{i:05}.sans-10k.test"))
        .collect()
}

#[test]
fn a_leaf_of_220_kb_is_trusted_and_matches_its_names() {
    let root = ca("Test Root");
    let names = many_names();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let der = leaf_with_cn(&refs, None, &root);
    assert!(der.len() > 200_000, "{} bytes", der.len());
    let anchors = [anchor(&root.der)];
    let r = judge("t", std::slice::from_ref(&der), &names[0], &anchors, NOW).unwrap();
    assert!(r.trusted, "{:?}", r.trust_error);
    assert!(r.hostname_match && r.chain_complete && !r.expired);
    assert_eq!(r.san.len(), 10_000);
    let last = judge(
        "t",
        std::slice::from_ref(&der),
        &names[9_999],
        &anchors,
        NOW,
    )
    .unwrap();
    assert!(last.hostname_match);
    let other = judge("t", std::slice::from_ref(&der), "other.test", &anchors, NOW).unwrap();
    assert!(other.trusted && !other.hostname_match);
    // The same leaf under a root that did not sign it is not trusted.
    let stranger = ca("Test Root");
    let r = judge("t", &[der], &names[0], &[anchor(&stranger.der)], NOW).unwrap();
    assert!(!r.trusted);
    assert_eq!(r.trust_error.as_deref(), Some("UnknownIssuer"));
}

#[test]
fn a_large_leaf_is_checked_through_its_intermediate_and_its_dates() {
    let root = ca("Test Root");
    let mut ip = CertificateParams::new(Vec::<String>::new()).unwrap();
    ip.distinguished_name
        .push(DnType::CommonName, "Test Intermediate");
    ip.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ip.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ikey = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let ider = ip
        .signed_by(&ikey, &Issuer::from_params(&root.params, &root.key))
        .unwrap()
        .der()
        .to_vec();
    let inter = Ca {
        params: ip,
        key: ikey,
        der: ider.clone(),
    };
    let names = many_names();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let der = leaf_with_cn(&refs, None, &inter);
    let anchors = [anchor(&root.der)];
    let r = judge("t", &[der.clone(), ider], &names[0], &anchors, NOW).unwrap();
    assert!(r.trusted && r.chain_complete, "{:?}", r.trust_error);
    let r = judge("t", std::slice::from_ref(&der), &names[0], &anchors, NOW).unwrap();
    assert!(!r.trusted && !r.chain_complete);
    // 2028: the leaf has expired.
    let r = judge("t", &[der], &names[0], &anchors, 1_830_297_600).unwrap();
    assert!(r.expired && !r.trusted);
    assert_eq!(r.trust_error.as_deref(), Some("CertExpired"));
}
