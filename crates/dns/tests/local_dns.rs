//! vigil-dns against the loopback authoritative server of `tests/dns/serve.sh` (knot serving
//! signed NSEC and NSEC3 zones, unsigned, tampered, expired and mis-delegated zones under a
//! signed vigil.test. whose KSK is the trust anchor, and other.test. outside it).
//!
//! The oracle: for every DNSSEC case the same questions go to `delv` (BIND's validating lookup
//! tool) with the same trust anchor, at test time, and Vigil's verdict must agree with delv's as
//! well as with the class the case expects. The tests need the server (`bash
//! tests/dns/serve.sh start`, which also installs delv), so they are ignored by a plain `cargo
//! test`; `scripts/test.sh` runs them with `--include-ignored`. Every query, Vigil's and
//! delv's, goes to a loopback server, never to public DNS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hickory_resolver::proto::op::Message;
use hickory_resolver::proto::rr::RecordType;
use rcgen::{CertificateParams, KeyPair};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use vigil_dns::{
    DnsConfig, DnsEvidence, DnssecStatus, caa_verdict, json_view, retrieve_dns, tlsa_verdict,
};

const NEEDS: &str = "needs the test servers: scripts/test.sh";

fn kit() -> PathBuf {
    Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/dns")
}

fn serve(args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(kit().join("serve.sh"))
        .args(args)
        .output()
        .expect("bash runs serve.sh");
    assert!(
        out.status.success(),
        "serve.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The server address; panics (the test fails) when the server does not run.
fn server() -> SocketAddr {
    let status = Command::new("bash")
        .arg(kit().join("serve.sh"))
        .arg("status")
        .output()
        .expect("bash runs serve.sh");
    assert!(
        status.status.success(),
        "{NEEDS}: the DNS test server is not running ({})",
        String::from_utf8_lossy(&status.stdout).trim()
    );
    let addr: SocketAddr = serve(&["addr"])
        .parse()
        .expect("serve.sh addr prints ip:port");
    assert!(addr.ip().is_loopback());
    addr
}

/// Vigil's DNSKEY anchor file for `zone` (vigil.test., nsec.vigil.test. or other.test.).
fn anchor(zone: &str) -> PathBuf {
    PathBuf::from(serve(&["anchor-for", zone]))
}

fn config(addr: SocketAddr, anchor: PathBuf) -> DnsConfig {
    DnsConfig {
        resolver: Some(addr),
        trust_anchor: Some(anchor),
        timeout: Duration::from_secs(5),
    }
}

// --- the oracle ---------------------------------------------------------------------------------

/// What delv said about one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delv {
    /// "fully validated" (an answer or a negative response)
    Validated,
    /// "unsigned answer": proved to be in an unsigned zone below the anchor
    Unsigned,
    /// "authoritative" without validation: no anchor covers the name
    NotCovered,
    /// validation failed: "no valid signature", "broken trust chain", "insecurity proof failed"…
    Broken,
    /// no answer to validate: refused, timed out
    NoAnswer,
}

/// Asks delv, with the delv form of `zone`'s anchor, for `name`/`rtype` at `server`.
fn delv(server: SocketAddr, zone: &str, name: &str, rtype: &str) -> (Delv, String) {
    let anchor = serve(&["delv-anchor", zone]);
    let out = Command::new("timeout")
        .args(["8", "delv"])
        .arg(format!("@{}", server.ip()))
        .args(["-p", &server.port().to_string(), "-a", &anchor])
        .arg(format!("+root={zone}"))
        .args([name, rtype])
        .output()
        .expect("delv runs (serve.sh start installs bind9-dnsutils)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("No trusted keys"),
        "delv did not load {anchor}: {text}"
    );
    let verdict = if text.contains("fully validated") {
        Delv::Validated
    } else if text.contains("unsigned answer") {
        Delv::Unsigned
    } else if text.contains("; authoritative") {
        Delv::NotCovered
    } else if [
        "no valid signature",
        "broken trust chain",
        "insecurity proof failed",
        "RRSIG",
        "no valid DS",
        "expired",
    ]
    .iter()
    .any(|w| text.contains(w))
    {
        Delv::Broken
    } else {
        Delv::NoAnswer
    };
    (verdict, text)
}

/// delv's verdict on the lookup set Vigil makes for `host` (A, AAAA and CAA at the host, TLSA
/// at `_443._tcp`), combined as Vigil combines its own: a broken answer anywhere breaks the
/// set, else the A answer (or denial) decides, else the AAAA answer.
fn oracle(server: SocketAddr, zone: &str, host: &str) -> (Delv, String) {
    let tlsa_name = format!("_443._tcp.{host}");
    let answers: Vec<(Delv, String)> = [
        (host, "A"),
        (host, "AAAA"),
        (host, "CAA"),
        (tlsa_name.as_str(), "TLSA"),
    ]
    .iter()
    .map(|(n, t)| delv(server, zone, n, t))
    .collect();
    let log = answers
        .iter()
        .zip(["A", "AAAA", "CAA", "TLSA"])
        .map(|((v, t), q)| {
            let said: Vec<&str> = t
                .lines()
                .filter(|l| l.starts_with(";;") || (l.starts_with("; ") && !l.contains('\t')))
                .filter(|l| !l.contains(" RRSIG ") && !l.contains(" NSEC"))
                .collect();
            format!("    {q}: {v:?}: {}", said.join(" | "))
        })
        .collect::<Vec<_>>()
        .join("\n");
    if answers.iter().any(|(v, _)| *v == Delv::Broken) {
        return (Delv::Broken, log);
    }
    let first = answers
        .iter()
        .take(2)
        .map(|(v, _)| *v)
        .find(|v| *v != Delv::NoAnswer)
        .unwrap_or(Delv::NoAnswer);
    (first, log)
}

/// Whether Vigil's status says what delv's does. Vigil's `indeterminate` is delv's answer
/// without a covering anchor, or no answer at all.
fn agrees(vigil: DnssecStatus, delv: Delv) -> bool {
    matches!(
        (vigil, delv),
        (DnssecStatus::Secure, Delv::Validated)
            | (DnssecStatus::Insecure, Delv::Unsigned)
            | (DnssecStatus::Bogus, Delv::Broken)
            | (
                DnssecStatus::Indeterminate,
                Delv::NotCovered | Delv::NoAnswer
            )
    )
}

/// One DNSSEC case: a host, the zone whose anchor is used, the expected class and records.
struct Case {
    host: &'static str,
    anchor: &'static str,
    want: DnssecStatus,
    a: &'static [&'static str],
    aaaa: &'static [&'static str],
    /// Where the CAA set comes from (RFC 8659 climb)
    caa_owner: Option<&'static str>,
    tlsa: usize,
}

const V4: &[&str] = &["127.0.0.1"];
const V6: &[&str] = &["::1"];
const NONE: &[&str] = &[];

fn case(
    host: &'static str,
    anchor: &'static str,
    want: DnssecStatus,
    a: &'static [&'static str],
    aaaa: &'static [&'static str],
    caa_owner: Option<&'static str>,
    tlsa: usize,
) -> Case {
    Case {
        host,
        anchor,
        want,
        a,
        aaaa,
        caa_owner,
        tlsa,
    }
}

/// Runs every case through Vigil and delv; returns one line per disagreement.
async fn run_cases(addr: SocketAddr, cases: &[Case]) -> Vec<String> {
    let mut wrong = Vec::new();
    for c in cases {
        let ev = retrieve_dns(c.host, 443, &config(addr, anchor(c.anchor))).await;
        let (oracle, log) = oracle(addr, c.anchor, c.host);
        let mut why = Vec::new();
        if ev.dnssec != c.want {
            why.push(format!("status {:?}, expected {:?}", ev.dnssec, c.want));
        }
        if !agrees(ev.dnssec, oracle) {
            why.push(format!("status {:?} but delv says {oracle:?}", ev.dnssec));
        }
        if !agrees(c.want, oracle) {
            why.push(format!("the case expects {:?}, delv {oracle:?}", c.want));
        }
        if ev.a != c.a || ev.aaaa != c.aaaa {
            why.push(format!("addresses {:?} {:?}", ev.a, ev.aaaa));
        }
        if ev.caa_owner.as_deref() != c.caa_owner {
            why.push(format!("CAA owner {:?}", ev.caa_owner));
        }
        if ev.tlsa.len() != c.tlsa {
            why.push(format!("{} TLSA records", ev.tlsa.len()));
        }
        // a secure set has no errors but the report that the host does not exist
        if ev.dnssec == DnssecStatus::Secure && ev.errors.iter().any(|e| !e.ends_with("(NXDOMAIN)"))
        {
            why.push(format!("errors on a secure set: {:?}", ev.errors));
        }
        if ev.dnssec == DnssecStatus::Indeterminate && ev.errors.is_empty() {
            why.push("indeterminate without a reason".into());
        }
        if why.is_empty() {
            println!(
                "ok   {} ({}): {:?} = delv {oracle:?}",
                c.host, c.anchor, ev.dnssec
            );
        } else {
            wrong.push(format!(
                "{} (anchor {}): {}\n  {ev:?}\n  delv:\n{log}",
                c.host,
                c.anchor,
                why.join("; ")
            ));
        }
    }
    wrong
}

/// The proof cases, the same in the NSEC zone and the NSEC3 zone.
fn proof_cases(zone: &'static str) -> Vec<Case> {
    use DnssecStatus::Secure;
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let z = zone;
    vec![
        // the apex: every record there
        case(z, "vigil.test", Secure, V4, V6, Some(z), 1),
        // NODATA for AAAA and CAA on a name with children (_443._tcp.noaaaa, b.noaaaa)
        case(
            leak(format!("noaaaa.{z}")),
            "vigil.test",
            Secure,
            V4,
            NONE,
            Some(z),
            1,
        ),
        // an empty non-terminal: NODATA for everything, the TLSA below it is NXDOMAIN
        case(
            leak(format!("_tcp.noaaaa.{z}")),
            "vigil.test",
            Secure,
            NONE,
            NONE,
            Some(z),
            0,
        ),
        // a wildcard answer, with wildcard NODATA for CAA and TLSA
        case(
            leak(format!("any.wild.{z}")),
            "vigil.test",
            Secure,
            V4,
            V6,
            Some(z),
            0,
        ),
        // the wildcard's parent is an empty non-terminal
        case(
            leak(format!("wild.{z}")),
            "vigil.test",
            Secure,
            NONE,
            NONE,
            Some(z),
            0,
        ),
        // NXDOMAIN
        case(
            leak(format!("nosuch.{z}")),
            "vigil.test",
            Secure,
            NONE,
            NONE,
            Some(z),
            0,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn nsec_proofs_agree_with_delv() {
    let addr = server();
    let wrong = run_cases(addr, &proof_cases("nsec.vigil.test")).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn nsec3_proofs_agree_with_delv() {
    let addr = server();
    let wrong = run_cases(addr, &proof_cases("nsec3.vigil.test")).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// NSEC3 with a salt and 150 iterations: more than hickory's default soft limit (100), which
/// would call the denials insecure, and the most BIND 9.18 (the oracle) still validates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn nsec3_with_150_iterations_agrees_with_delv() {
    let addr = server();
    let wrong = run_cases(addr, &proof_cases("nsec3iter.vigil.test")).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn chain_verdicts_agree_with_delv() {
    use DnssecStatus::{Bogus, Indeterminate, Insecure, Secure};
    let addr = server();
    let cases = [
        case(
            "secure.vigil.test",
            "vigil.test",
            Secure,
            V4,
            V6,
            Some("secure.vigil.test"),
            1,
        ),
        case(
            "mastodon.secure.vigil.test",
            "vigil.test",
            Secure,
            V4,
            V6,
            Some("secure.vigil.test"),
            0,
        ),
        case(
            "insecure.vigil.test",
            "vigil.test",
            Insecure,
            V4,
            V6,
            Some("insecure.vigil.test"),
            1,
        ),
        // the A RRset was changed after signing: the validator drops it, the rest validates
        case(
            "bogus.vigil.test",
            "vigil.test",
            Bogus,
            NONE,
            V6,
            Some("bogus.vigil.test"),
            1,
        ),
        // every signature of the zone expired a day ago: nothing validates, nothing is kept
        case(
            "expired.vigil.test",
            "vigil.test",
            Bogus,
            NONE,
            NONE,
            None,
            0,
        ),
        // the parent's DS matches no key of the zone
        case("badds.vigil.test", "vigil.test", Bogus, NONE, NONE, None, 0),
        // a signed zone no anchor covers: indeterminate, and the records are still reported
        case(
            "www.other.test",
            "vigil.test",
            Indeterminate,
            V4,
            NONE,
            Some("other.test"),
            0,
        ),
        case(
            "other.test",
            "vigil.test",
            Indeterminate,
            V4,
            V6,
            Some("other.test"),
            1,
        ),
        // the same zone under its own anchor is secure
        case(
            "other.test",
            "other.test",
            Secure,
            V4,
            V6,
            Some("other.test"),
            1,
        ),
        // an anchor on the child zone itself
        case(
            "noaaaa.nsec.vigil.test",
            "nsec.vigil.test",
            Secure,
            V4,
            NONE,
            Some("nsec.vigil.test"),
            1,
        ),
        // an anchor for one child and a name in its sibling
        case(
            "secure.vigil.test",
            "nsec.vigil.test",
            Indeterminate,
            V4,
            V6,
            Some("secure.vigil.test"),
            1,
        ),
    ];
    let wrong = run_cases(addr, &cases).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

// --- resolvers that cannot help ------------------------------------------------------------------

/// A loopback UDP port nobody listens on (bound, read, released).
fn closed_port() -> SocketAddr {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn unreachable_or_silent_resolvers_are_indeterminate_with_a_reason() {
    let _ = server();
    let refused = closed_port();
    // a socket that is bound but never answers
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap();
    for addr in [refused, silent_addr] {
        let mut cfg = config(addr, anchor("vigil.test"));
        cfg.timeout = Duration::from_secs(2);
        let started = std::time::Instant::now();
        let ev = retrieve_dns("secure.vigil.test", 443, &cfg).await;
        assert!(started.elapsed() < Duration::from_secs(10), "{ev:?}");
        assert_eq!(ev.dnssec, DnssecStatus::Indeterminate, "{addr}: {ev:#?}");
        assert!(!ev.errors.is_empty(), "{addr}: no reason given");
        assert!(ev.a.is_empty() && ev.aaaa.is_empty(), "{ev:?}");
        let (oracle, log) = delv(addr, "vigil.test", "secure.vigil.test", "A");
        assert!(agrees(ev.dnssec, oracle), "{addr}: delv {oracle:?}: {log}");
    }
    drop(silent);
}

/// A loopback resolver that forwards each query to `upstream` and strips every RRSIG, NSEC and
/// NSEC3 record from the answer, like a middlebox or an old forwarder that drops DNSSEC data.
async fn stripping_stub(upstream: SocketAddr) -> SocketAddr {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, client)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let query = buf[..n].to_vec();
            let up = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            if up.send_to(&query, upstream).await.is_err() {
                continue;
            }
            let mut answer = vec![0u8; 65535];
            let Ok(Ok(m)) =
                tokio::time::timeout(Duration::from_secs(2), up.recv(&mut answer)).await
            else {
                continue;
            };
            let Ok(mut msg) = Message::from_vec(&answer[..m]) else {
                continue;
            };
            let dnssec = |t: RecordType| {
                matches!(t, RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3)
            };
            msg.answers.retain(|r| !dnssec(r.record_type()));
            msg.authorities.retain(|r| !dnssec(r.record_type()));
            msg.additionals.retain(|r| !dnssec(r.record_type()));
            if let Ok(out) = msg.to_vec() {
                let _ = sock.send_to(&out, client).await;
            }
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn a_resolver_that_strips_signatures_is_indeterminate_not_bogus() {
    let addr = server();
    let stub = stripping_stub(addr).await;
    for host in ["secure.vigil.test", "noaaaa.nsec.vigil.test"] {
        let ev = retrieve_dns(host, 443, &config(stub, anchor("vigil.test"))).await;
        assert_eq!(ev.dnssec, DnssecStatus::Indeterminate, "{ev:#?}");
        assert!(
            ev.errors.iter().any(|e| e.contains("signature")),
            "the reason names the missing signatures: {:?}",
            ev.errors
        );
        // the records are still reported
        assert_eq!(ev.a, V4, "{ev:#?}");
        // delv sees the zone itself as fine, and through the stub cannot validate it: a
        // property of the path, which Vigil reports as indeterminate rather than as a broken zone
        let (direct, log) = delv(addr, "vigil.test", host, "A");
        assert_eq!(direct, Delv::Validated, "{log}");
        let (stripped, log) = delv(stub, "vigil.test", host, "A");
        assert_ne!(stripped, Delv::Validated, "{log}");
    }
}

// --- TLSA end to end -----------------------------------------------------------------------------

fn pem_der(file: &str) -> Vec<u8> {
    let pem = std::fs::read(kit().join(file)).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    pem.contents
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn every_tlsa_usage_selector_and_matching_type_matches_the_served_chain() {
    let addr = server();
    let leaf = pem_der("dane-leaf.pem");
    let ca = pem_der("dane-ca.pem");
    let other = pem_der("tlsa-cert.pem");
    let cfg = config(addr, anchor("vigil.test"));
    for usage in 0..4u8 {
        for selector in 0..2u8 {
            for matching in 0..3u8 {
                let host = format!("u{usage}s{selector}m{matching}.dane.vigil.test");
                let ev = retrieve_dns(&host, 443, &cfg).await;
                assert_eq!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
                assert_eq!(ev.tlsa.len(), 1, "{ev:#?}");
                let t = &ev.tlsa[0];
                assert_eq!(
                    (t.usage, t.selector, t.matching_type),
                    (usage, selector, matching)
                );
                let chain = [leaf.clone(), ca.clone()];
                assert_eq!(tlsa_verdict(&ev, &chain).matches, Some(true), "{host}");
                // the other certificate of the pair alone, or a stranger, does not match
                let wrong = if usage % 2 == 1 {
                    vec![other.clone(), ca.clone()]
                } else {
                    vec![leaf.clone()]
                };
                assert_eq!(tlsa_verdict(&ev, &wrong).matches, Some(false), "{host}");
                assert_eq!(tlsa_verdict(&ev, &[]).matches, None, "{host}");
            }
        }
    }
    let chain = [leaf.clone(), ca.clone()];
    let ev = retrieve_dns("mismatch.dane.vigil.test", 443, &cfg).await;
    assert_eq!(ev.tlsa.len(), 3, "{ev:#?}");
    assert_eq!(tlsa_verdict(&ev, &chain).matches, Some(false));
    let ev = retrieve_dns("multi.dane.vigil.test", 443, &cfg).await;
    assert_eq!(ev.tlsa.len(), 2, "{ev:#?}");
    assert_eq!(tlsa_verdict(&ev, &chain).matches, Some(true));
    let ev = retrieve_dns("none.dane.vigil.test", 443, &cfg).await;
    assert_eq!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
    let v = tlsa_verdict(&ev, &chain);
    assert!(!v.present);
    assert_eq!(v.matches, None);
}

// --- the original cases ----------------------------------------------------------------------------

/// The certificate whose SPKI SHA-256 serve.sh publishes as `_443._tcp` TLSA 3 1 1.
fn fixed_cert_der() -> Vec<u8> {
    pem_der("tlsa-cert.pem")
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
#[ignore = "needs the test servers: scripts/test.sh"]
async fn signed_zone_is_secure_with_all_records() {
    let addr = server();
    let ev = retrieve_dns(
        "secure.vigil.test",
        443,
        &config(addr, PathBuf::from(serve(&["anchor"]))),
    )
    .await;
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
#[ignore = "needs the test servers: scripts/test.sh"]
async fn a_ds_anchor_works_like_the_dnskey() {
    let addr = server();
    let ev = retrieve_dns(
        "secure.vigil.test",
        443,
        &config(addr, PathBuf::from(serve(&["anchor-ds"]))),
    )
    .await;
    assert_eq!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn unsigned_delegation_is_insecure() {
    let addr = server();
    let ev = retrieve_dns(
        "insecure.vigil.test",
        443,
        &config(addr, anchor("vigil.test")),
    )
    .await;
    assert_eq!(ev.dnssec, DnssecStatus::Insecure, "{ev:#?}");
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert_zone_records(&ev, "insecure.vigil.test");
    assert_eq!(tlsa_verdict(&ev, &[fixed_cert_der()]).matches, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn tampered_record_is_bogus_and_dropped() {
    let addr = server();
    let ev = retrieve_dns("bogus.vigil.test", 443, &config(addr, anchor("vigil.test"))).await;
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
#[ignore = "needs the test servers: scripts/test.sh"]
async fn missing_name_is_a_secure_denial() {
    let addr = server();
    let ev = retrieve_dns(
        "nosuch.secure.vigil.test",
        443,
        &config(addr, anchor("vigil.test")),
    )
    .await;
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
        &config(addr, anchor("vigil.test")),
    )
    .await;
    assert_eq!(ev.dnssec, DnssecStatus::Insecure, "{ev:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn without_the_test_anchor_nothing_is_secure() {
    let addr = server();
    // hickory's root KSKs cannot reach vigil.test: the local server has no root zone
    let cfg = DnsConfig {
        resolver: Some(addr),
        trust_anchor: None,
        timeout: Duration::from_secs(5),
    };
    let ev = retrieve_dns("secure.vigil.test", 443, &cfg).await;
    assert_eq!(ev.dnssec, DnssecStatus::Indeterminate, "{ev:#?}");
    assert_eq!(ev.a, V4, "the records are still reported: {ev:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn unreadable_anchor_is_an_error_not_a_panic() {
    let addr = server();
    let ev = retrieve_dns(
        "secure.vigil.test",
        443,
        &config(addr, PathBuf::from("/nonexistent/anchor.key")),
    )
    .await;
    assert_eq!(ev.dnssec, DnssecStatus::Indeterminate);
    assert!(
        ev.errors
            .first()
            .is_some_and(|e| e.contains("/nonexistent/anchor.key")),
        "{ev:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test servers: scripts/test.sh"]
async fn a_stale_anchor_is_reported_and_nothing_is_secure() {
    let addr = server();
    // the real vigil.test KSK with one base64 character changed: a key the zone does not have
    let text = std::fs::read_to_string(anchor("vigil.test")).unwrap();
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
#[ignore = "needs the test servers: scripts/test.sh"]
async fn the_server_answers_over_ipv6_loopback_too() {
    let addr = server();
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()));
    let ev = retrieve_dns("secure.vigil.test", 443, &config(v6, anchor("vigil.test"))).await;
    assert_eq!(ev.dnssec, DnssecStatus::Secure, "{ev:#?}");
    assert_eq!(ev.resolver, format!("[::1]:{}", addr.port()));
}
