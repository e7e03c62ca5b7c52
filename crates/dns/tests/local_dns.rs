//! vigil-dns against the loopback authoritative server of `tests/dns/serve.sh` (knot serving
//! secure/bogus/insecure .vigil.test under a signed vigil.test whose KSK is the trust anchor).
//!
//! The server needs packages and a start (`bash tests/dns/serve.sh start`), so these tests run
//! only with `VIGIL_CONFORMANCE=1` and otherwise say they are skipped, like the repo's other
//! server-dependent tests. Every query goes to that loopback server, never to public DNS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rcgen::{CertificateParams, KeyPair};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use vigil_dns::{
    DnsConfig, DnsEvidence, DnssecStatus, caa_verdict, json_view, retrieve_dns, tlsa_verdict,
};

fn kit() -> PathBuf {
    Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/dns")
}

fn serve(arg: &str) -> String {
    let out = Command::new("bash")
        .arg(kit().join("serve.sh"))
        .arg(arg)
        .output()
        .expect("bash runs serve.sh");
    assert!(
        out.status.success(),
        "serve.sh {arg}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The server address and the DNSKEY anchor file, or `None` (skipped) without VIGIL_CONFORMANCE.
fn local_server(anchor_kind: &str) -> Option<(SocketAddr, PathBuf)> {
    if std::env::var("VIGIL_CONFORMANCE").as_deref() != Ok("1") {
        println!(
            "skipped: needs the loopback DNS server (bash tests/dns/serve.sh start); run with VIGIL_CONFORMANCE=1"
        );
        return None;
    }
    let status = Command::new("bash")
        .arg(kit().join("serve.sh"))
        .arg("status")
        .output()
        .expect("bash runs serve.sh");
    assert!(
        status.status.success(),
        "the DNS test server is not running ({}): start it with `bash tests/dns/serve.sh start`",
        String::from_utf8_lossy(&status.stdout).trim()
    );
    let addr: SocketAddr = serve("addr").parse().expect("serve.sh addr prints ip:port");
    assert!(addr.ip().is_loopback());
    Some((addr, PathBuf::from(serve(anchor_kind))))
}

fn config(addr: SocketAddr, anchor: PathBuf) -> DnsConfig {
    DnsConfig {
        resolver: Some(addr),
        trust_anchor: Some(anchor),
        timeout: Duration::from_secs(5),
    }
}

/// The certificate whose SPKI SHA-256 serve.sh publishes as `_443._tcp` TLSA 3 1 1.
fn fixed_cert_der() -> Vec<u8> {
    let pem = std::fs::read(kit().join("tlsa-cert.pem")).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    pem.contents
}

fn other_cert_der() -> Vec<u8> {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["secure.vigil.test".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    cert.der().to_vec()
}

fn assert_zone_records(ev: &DnsEvidence, zone: &str) {
    assert_eq!(ev.a, ["127.0.0.1"], "{ev:#?}");
    assert_eq!(ev.aaaa, ["::1"], "{ev:#?}");
    assert_eq!(ev.caa_owner.as_deref(), Some(zone), "{ev:#?}");
    let caa = caa_verdict(ev, Some("C=US, O=Let's Encrypt, CN=R11"));
    assert!(caa.present);
    assert_eq!(caa.issuers, ["letsencrypt.org"]);
    assert_eq!(caa.issuer_allowed, Some(true));
    assert_eq!(
        caa_verdict(ev, Some("O=DigiCert Inc")).issuer_allowed,
        Some(false)
    );
    assert_eq!(ev.tlsa.len(), 1, "{ev:#?}");
    let t = &ev.tlsa[0];
    assert_eq!((t.usage, t.selector, t.matching_type), (3, 1, 1));
    assert_eq!(t.data_hex.len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_zone_is_secure_with_all_records() {
    let Some((addr, anchor)) = local_server("anchor") else {
        return;
    };
    let ev = retrieve_dns("secure.vigil.test", 443, &config(addr, anchor)).await;
    assert_eq!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert_zone_records(&ev, "secure.vigil.test");
    assert_eq!(ev.resolver, addr.to_string());

    let tlsa = tlsa_verdict(&ev, &[fixed_cert_der()]);
    assert!(tlsa.present);
    assert_eq!(tlsa.matches, Some(true));
    assert_eq!(tlsa_verdict(&ev, &[other_cert_der()]).matches, Some(false));
    assert_eq!(tlsa_verdict(&ev, &[]).matches, None);

    let json = serde_json::to_value(json_view(&ev, &[fixed_cert_der()])).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "dnssec": "secure",
            "a": ["127.0.0.1"],
            "aaaa": ["::1"],
            "caa": {"present": true, "issuers": ["letsencrypt.org"]},
            "tlsa": {"present": true, "matches": true}
        })
    );
    let json = serde_json::to_value(json_view(&ev, &[])).unwrap();
    assert_eq!(
        json["tlsa"],
        serde_json::json!({"present": true, "matches": null})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ds_anchor_works_like_the_dnskey() {
    let Some((addr, anchor)) = local_server("anchor-ds") else {
        return;
    };
    let ev = retrieve_dns("secure.vigil.test", 443, &config(addr, anchor)).await;
    assert_eq!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_delegation_is_insecure() {
    let Some((addr, anchor)) = local_server("anchor") else {
        return;
    };
    let ev = retrieve_dns("insecure.vigil.test", 443, &config(addr, anchor)).await;
    assert_eq!(ev.dnssec, DnssecStatus::Insecure, "{ev:#?}");
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert_zone_records(&ev, "insecure.vigil.test");
    assert_eq!(tlsa_verdict(&ev, &[fixed_cert_der()]).matches, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_record_is_bogus_and_dropped() {
    let Some((addr, anchor)) = local_server("anchor") else {
        return;
    };
    let ev = retrieve_dns("bogus.vigil.test", 443, &config(addr, anchor)).await;
    assert_eq!(ev.dnssec, DnssecStatus::Bogus, "{ev:#?}");
    // the validator throws the forged A (127.0.0.2) away; the rest of the zone validates
    assert!(ev.a.is_empty(), "{ev:#?}");
    assert!(
        ev.errors
            .iter()
            .any(|e| e.starts_with("A bogus.vigil.test.") && e.contains("bogus")),
        "{:?}",
        ev.errors
    );
    assert_eq!(ev.aaaa, ["::1"]);
    assert_eq!(serde_json::to_value(ev.dnssec).unwrap(), "bogus");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_name_is_a_secure_denial() {
    let Some((addr, anchor)) = local_server("anchor") else {
        return;
    };
    let ev = retrieve_dns("nosuch.secure.vigil.test", 443, &config(addr, anchor)).await;
    assert_eq!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
    assert!(ev.a.is_empty() && ev.aaaa.is_empty() && ev.tlsa.is_empty());
    assert_eq!(
        ev.errors,
        ["nosuch.secure.vigil.test. does not exist (NXDOMAIN)"]
    );
    // RFC 8659 climb: the zone apex's CAA set applies
    assert_eq!(ev.caa_owner.as_deref(), Some("secure.vigil.test"));
    assert_eq!(caa_verdict(&ev, None).issuers, ["letsencrypt.org"]);

    let ev = retrieve_dns(
        "nosuch.insecure.vigil.test",
        443,
        &config(addr, PathBuf::from(serve("anchor"))),
    )
    .await;
    assert_eq!(ev.dnssec, DnssecStatus::Insecure, "{ev:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_test_anchor_nothing_is_secure() {
    let Some((addr, _)) = local_server("anchor") else {
        return;
    };
    // hickory's root KSKs cannot reach vigil.test: the local server has no root zone
    let cfg = DnsConfig {
        resolver: Some(addr),
        trust_anchor: None,
        timeout: Duration::from_secs(5),
    };
    let ev = retrieve_dns("secure.vigil.test", 443, &cfg).await;
    assert_ne!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_anchor_is_an_error_not_a_panic() {
    let Some((addr, _)) = local_server("anchor") else {
        return;
    };
    let ev = retrieve_dns(
        "secure.vigil.test",
        443,
        &config(addr, PathBuf::from("/nonexistent/anchor.key")),
    )
    .await;
    assert_eq!(ev.dnssec, DnssecStatus::Indeterminate);
    assert!(ev.errors[0].contains("/nonexistent/anchor.key"), "{ev:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_anchor_is_reported_and_nothing_is_secure() {
    let Some((addr, anchor)) = local_server("anchor") else {
        return;
    };
    // the real vigil.test KSK with one base64 character changed: a key the zone does not have
    let text = std::fs::read_to_string(&anchor).unwrap();
    let line = text.lines().find(|l| l.contains("DNSKEY")).unwrap();
    let pos = line
        .rfind(|c: char| c.is_ascii_alphanumeric() && c != 'A')
        .unwrap()
        - 2;
    let mut stale = line.to_string();
    let swapped = if &stale[pos..=pos] == "A" { "B" } else { "A" };
    stale.replace_range(pos..=pos, swapped);
    let path = std::env::temp_dir().join(format!("vigil-dns-stale-{}.key", std::process::id()));
    std::fs::write(&path, format!("{stale}\n")).unwrap();
    let ev = retrieve_dns("secure.vigil.test", 443, &config(addr, path.clone())).await;
    std::fs::remove_file(&path).ok();
    assert_ne!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
    assert!(
        ev.errors
            .iter()
            .any(|e| e.contains("trust anchor vigil.test.")),
        "{:?}",
        ev.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_over_ipv6_loopback_too() {
    let Some((addr, anchor)) = local_server("anchor") else {
        return;
    };
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()));
    let ev = retrieve_dns("secure.vigil.test", 443, &config(v6, anchor)).await;
    assert_eq!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
    assert_eq!(ev.resolver, format!("[::1]:{}", addr.port()));
}
