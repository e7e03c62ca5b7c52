//! One rule at a time: a benign baseline (Mozilla intermediate 6.0 on ECDSA P-256, HSTS two
//! years, trusted, stapled) and one change per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::facts::{Facts, Version};
use crate::{cryptcheck, mozilla, ssllabs};
use vigil_tls_wire::suites;

fn suite(v: Version, name: &str) -> (Version, suites::SuiteInfo) {
    (
        v,
        suites::by_name(name).unwrap_or_else(|| panic!("unknown suite {name}")),
    )
}

fn baseline() -> Facts {
    let mut s: Vec<_> = [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ]
    .iter()
    .map(|n| suite(Version::Tls12, n))
    .collect();
    s.extend(
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
        ]
        .iter()
        .map(|n| suite(Version::Tls13, n)),
    );
    Facts {
        versions: vec![Version::Tls12, Version::Tls13],
        suites: s,
        groups: vec!["x25519".into(), "secp256r1".into(), "secp384r1".into()],
        dh_bits: None,
        key_type: Some("EC".into()),
        key_bits: Some(256),
        trusted: Some(true),
        hostname_match: Some(true),
        chain_complete: Some(true),
        sha1_in_chain: false,
        md5_signature: false,
        signature_algorithm: Some("ecdsa-with-SHA256".into()),
        cert_lifetime_days: Some(90),
        hsts_max_age: Some(63_072_000),
        hsts_present: true,
        ocsp_stapled: true,
        secure_renegotiation: Some(true),
        compression: Some(false),
        fallback_scsv: Some(true),
        heartbleed: None,
        robot: None,
        server_order_tls12: Some(false),
        probed: true,
        unknown_versions: Vec::new(),
        unknown: Vec::new(),
    }
}

fn ids(g: &ssllabs::SslLabsGrade) -> Vec<&str> {
    g.findings.iter().map(|f| f.id).collect()
}

#[test]
fn baseline_is_top_everywhere() {
    let f = baseline();
    let s = ssllabs::grade(&f);
    assert_eq!(s.grade, "A+", "{:?}", s.findings);
    assert_eq!(
        (s.protocol_score, s.key_exchange_score, s.cipher_score),
        (100, 100, 90)
    );
    assert_eq!(cryptcheck::grade(&f).grade, "A+");
    let m = mozilla::verdict(&f);
    assert_eq!(m.current, Some("intermediate"), "{:?}", m.profiles);
    assert_eq!(m.v5_7, Some("intermediate"));
}

#[test]
fn ssllabs_score_formula_and_rsa_2048() {
    let mut f = baseline();
    f.key_type = Some("RSA".into());
    f.key_bits = Some(2048);
    let s = ssllabs::grade(&f);
    // 0.3*100 + 0.3*90 + 0.4*90 = 93
    assert_eq!(s.score, 93);
    assert_eq!(s.grade, "A+");
}

#[test]
fn tls10_caps_b_and_sslv2_caps_f() {
    let mut f = baseline();
    f.versions.insert(0, Version::Tls10);
    let s = ssllabs::grade(&f);
    assert_eq!(s.grade, "B");
    assert!(ids(&s).contains(&"tls10-11-offered"));
    f.versions.insert(0, Version::Ssl2);
    assert_eq!(ssllabs::grade(&f).grade, "F");
}

#[test]
fn rc4_and_3des_with_modern_protocols_cap_c() {
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls12, "TLS_RSA_WITH_RC4_128_SHA"));
    assert_eq!(ssllabs::grade(&f).grade, "C");
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls12, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
    let s = ssllabs::grade(&f);
    assert_eq!(s.grade, "C");
    assert!(ids(&s).contains(&"sweet32"));
}

#[test]
fn no_forward_secrecy_caps_b() {
    let mut f = baseline();
    f.versions = vec![Version::Tls12];
    f.suites = vec![suite(Version::Tls12, "TLS_RSA_WITH_AES_128_GCM_SHA256")];
    let s = ssllabs::grade(&f);
    assert_eq!(s.grade, "B");
    assert!(ids(&s).contains(&"no-forward-secrecy"));
}

#[test]
fn weak_dh_caps_b_and_tiny_key_caps_f() {
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls12, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"));
    f.dh_bits = Some(1024);
    let s = ssllabs::grade(&f);
    assert_eq!(s.key_exchange_score, 80);
    assert_eq!(s.grade, "B");
    f.dh_bits = Some(512);
    assert_eq!(ssllabs::grade(&f).grade, "F");
}

#[test]
fn anonymous_and_export_suites_cap_f() {
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls12, "TLS_DH_anon_WITH_AES_128_CBC_SHA"));
    let s = ssllabs::grade(&f);
    assert_eq!(s.grade, "F");
    assert_eq!(s.score, 0);
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls10, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"));
    assert_eq!(ssllabs::grade(&f).grade, "F");
}

#[test]
fn trust_and_name_failures_replace_the_letter() {
    let mut f = baseline();
    f.trusted = Some(false);
    let s = ssllabs::grade(&f);
    assert_eq!(
        (
            s.grade.as_str(),
            s.grade_if_trust_ignored.map(vigil_model::Grade::as_str)
        ),
        ("T", Some("A+"))
    );
    assert_eq!(cryptcheck::grade(&f).grade, "T");
    let mut f = baseline();
    f.hostname_match = Some(false);
    assert_eq!(ssllabs::grade(&f).grade, "M");
    assert_eq!(cryptcheck::grade(&f).grade, "V");
}

#[test]
fn hsts_decides_a_plus() {
    let mut f = baseline();
    f.hsts_present = false;
    f.hsts_max_age = None;
    assert_eq!(ssllabs::grade(&f).grade, "A");
    f.hsts_present = true;
    f.hsts_max_age = Some(86_400);
    assert_eq!(ssllabs::grade(&f).grade, "A-");
}

#[test]
fn missing_tls13_is_a_warning() {
    let mut f = baseline();
    f.versions = vec![Version::Tls12];
    f.suites.retain(|(v, _)| *v == Version::Tls12);
    assert_eq!(ssllabs::grade(&f).grade, "A-");
}

#[test]
fn not_probed_is_not_graded() {
    let mut f = baseline();
    f.versions.clear();
    f.suites.clear();
    f.probed = false;
    assert_eq!(ssllabs::grade(&f).grade, "-");
    assert_eq!(cryptcheck::grade(&f).grade, "X");
}

#[test]
fn cryptcheck_levels() {
    // DHE is a warning: E.
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls12, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"));
    f.dh_bits = Some(2048);
    assert_eq!(cryptcheck::grade(&f).grade, "E");
    // Static RSA is an error: F.
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls12, "TLS_RSA_WITH_AES_128_GCM_SHA256"));
    assert_eq!(cryptcheck::grade(&f).grade, "F");
    // TLS 1.0 is an error: F.
    let mut f = baseline();
    f.versions.insert(0, Version::Tls10);
    assert_eq!(cryptcheck::grade(&f).grade, "F");
    // 3DES or SSLv3 is critical: G.
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls12, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"));
    assert_eq!(cryptcheck::grade(&f).grade, "G");
    let mut f = baseline();
    f.versions.insert(0, Version::Ssl3);
    assert_eq!(cryptcheck::grade(&f).grade, "G");
    // SHA-1 MAC (CBC-SHA) is a warning: E.
    let mut f = baseline();
    f.suites.push(suite(
        Version::Tls12,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    ));
    assert_eq!(cryptcheck::grade(&f).grade, "E");
    // No HSTS is a warning: E.
    let mut f = baseline();
    f.hsts_present = false;
    f.hsts_max_age = None;
    assert_eq!(cryptcheck::grade(&f).grade, "E");
}

#[test]
fn cryptcheck_ladder() {
    // Short HSTS: good passes, great fails -> C+.
    let mut f = baseline();
    f.hsts_max_age = Some(86_400);
    assert_eq!(cryptcheck::grade(&f).grade, "C+");
    // No fallback protection while two versions are offered: some good checks fail -> C.
    let mut f = baseline();
    f.fallback_scsv = Some(false);
    assert_eq!(cryptcheck::grade(&f).grade, "C");
    // TLS 1.3 only cannot be downgraded.
    let mut f = baseline();
    f.versions = vec![Version::Tls13];
    f.suites.retain(|(v, _)| *v == Version::Tls13);
    f.fallback_scsv = None;
    assert_eq!(cryptcheck::grade(&f).grade, "A+");
}

#[test]
fn mozilla_profiles() {
    // TLS 1.3 only, ECDSA-signed ECDSA key: modern.
    let mut f = baseline();
    f.versions = vec![Version::Tls13];
    f.suites.retain(|(v, _)| *v == Version::Tls13);
    f.server_order_tls12 = None;
    assert_eq!(mozilla::verdict(&f).current, Some("modern"));
    // DHE: intermediate under 5.7 only.
    let mut f = baseline();
    f.suites
        .push(suite(Version::Tls12, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"));
    f.dh_bits = Some(2048);
    let m = mozilla::verdict(&f);
    assert_eq!((m.current, m.v5_7), (None, Some("intermediate")));
    // Small DH under 5.7 intermediate is a deviation.
    f.dh_bits = Some(1024);
    assert_eq!(mozilla::verdict(&f).v5_7, None);
    // Long-lived certificate: nothing compliant, and the deviation says why.
    let mut f = baseline();
    f.cert_lifetime_days = Some(800);
    let m = mozilla::verdict(&f);
    assert_eq!(m.current, None);
    assert!(
        m.profiles
            .iter()
            .all(|p| p.deviations.iter().any(|d| d.id == "certificate-lifetime"))
    );
    // Server order where the profile wants client order.
    let mut f = baseline();
    f.server_order_tls12 = Some(true);
    let m = mozilla::verdict(&f);
    assert_eq!(m.current, None);
}

#[test]
fn every_fix_has_snippets_for_four_servers() {
    let s = ssllabs::grade(&{
        let mut f = baseline();
        f.versions.insert(0, Version::Tls10);
        f
    });
    for finding in s.findings {
        let a = crate::advice(finding.fix.unwrap());
        assert!(!a.summary.is_empty() && !a.nginx.is_empty() && !a.apache.is_empty());
        assert!(!a.caddy.is_empty() && !a.haproxy.is_empty());
    }
}

#[test]
fn heartbleed_caps_f() {
    let mut f = baseline();
    f.heartbleed = Some(false);
    assert_eq!(ssllabs::grade(&f).grade, "A+");
    f.heartbleed = Some(true);
    let s = ssllabs::grade(&f);
    assert_eq!(s.grade, "F");
    assert!(ids(&s).contains(&"heartbleed"));
}

#[test]
fn fix_ids_round_trip_and_match_serde() {
    for fix in crate::Fix::ALL {
        assert_eq!(crate::Fix::from_id(&fix.id()), Some(fix));
    }
    assert_eq!(
        crate::Fix::DisableLegacyProtocols.id(),
        "disable-legacy-protocols"
    );
    assert_eq!(crate::Fix::EnableTls13.id(), "enable-tls13");
}

#[test]
fn robot_caps_f() {
    let mut f = baseline();
    f.robot = Some(false);
    assert_eq!(ssllabs::grade(&f).grade, "A+");
    f.robot = Some(true);
    let s = ssllabs::grade(&f);
    assert_eq!(s.grade, "F");
    assert!(ids(&s).contains(&"robot"));
}

#[test]
fn unknown_versions_are_not_missing_versions() {
    // Neither TLS 1.2 nor TLS 1.3 seen, but both unanswered rather than refused: no
    // "no-tls12" cap and no Mozilla "missing-protocol", and the unknown is shown.
    let mut f = baseline();
    f.versions = vec![Version::Tls10];
    f.suites.clear();
    f.suites.push(suite(
        Version::Tls10,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    ));
    let refused = ssllabs::grade(&f);
    assert!(ids(&refused).contains(&"no-tls12"));
    f.unknown_versions = vec![Version::Tls12, Version::Tls13];
    f.unknown = vec!["TLS1.2: timed out (3 attempts)".into()];
    let s = ssllabs::grade(&f);
    assert!(!ids(&s).contains(&"no-tls12"), "{:?}", ids(&s));
    assert!(ids(&s).contains(&"unknown"));
    let m = mozilla::verdict(&f);
    assert!(
        m.profiles
            .iter()
            .flat_map(|p| &p.deviations)
            .all(|d| d.id != "missing-protocol")
    );
    let c = cryptcheck::grade(&f);
    assert!(c.findings.iter().any(|x| x.id == "unknown"));
}
