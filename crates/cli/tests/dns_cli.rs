//! `vigil dns` end to end against the local knot server of `tests/dns/serve.sh` (signed NSEC and
//! NSEC3 zones, unsigned, tampered and expired zones under a locally anchored `vigil.test.`,
//! and other.test. outside that anchor). Needs the server, so the tests are ignored by a plain
//! `cargo test`; `scripts/test.sh` runs them with `--include-ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;

fn serve(arg: &str) -> String {
    let script = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("../../tests/dns/serve.sh");
    let out = Command::new("bash").arg(script).arg(arg).output().unwrap();
    assert!(
        out.status.success(),
        "needs the test servers: scripts/test.sh (serve.sh {arg}: {})",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `vigil dns --format json` for `host` through `resolver` with the vigil.test. anchor.
fn dns_via(host: &str, resolver: &str) -> (Value, Option<i32>) {
    let anchor = serve("anchor");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "dns",
            "--format",
            "json",
            "--resolver",
            resolver,
            "--trust-anchor",
            &anchor,
            host,
        ])
        .output()
        .unwrap();
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{host}: not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (value, out.status.code())
}

fn dns(host: &str) -> (Value, Option<i32>) {
    let status = serve("status");
    assert!(status.contains("answers"), "{status}");
    dns_via(host, &serve("addr"))
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn dns_verdicts_from_the_local_zones() {
    let (secure, code) = dns("secure.vigil.test");
    assert_eq!(code, Some(0));
    // the whole object: a missing key is a failure, not a null
    assert_eq!(
        secure,
        json!({
            "dnssec": "secure",
            "a": ["127.0.0.1"],
            "aaaa": ["::1"],
            "caa": {"present": true, "issuers": ["letsencrypt.org"]},
            // nothing is served on 443 for this name, so there is nothing to match
            "tlsa": {"present": true, "matches": null}
        })
    );
    let (insecure, code) = dns("insecure.vigil.test");
    assert_eq!(insecure["dnssec"], "insecure");
    assert_eq!(insecure["a"], json!(["127.0.0.1"]));
    assert_eq!(code, Some(0));
    for host in ["bogus.vigil.test", "expired.vigil.test", "badds.vigil.test"] {
        let (bogus, code) = dns(host);
        assert_eq!(bogus["dnssec"], "bogus", "{host}: {bogus}");
        assert_eq!(code, Some(1), "{host}");
    }
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn nodata_wildcard_and_off_anchor_names_are_never_bogus() {
    for host in [
        "noaaaa.nsec.vigil.test",
        "noaaaa.nsec3.vigil.test",
        "any.wild.nsec.vigil.test",
        "any.wild.nsec3.vigil.test",
    ] {
        let (v, code) = dns(host);
        assert_eq!(v["dnssec"], "secure", "{host}: {v}");
        assert_eq!(v["a"], json!(["127.0.0.1"]), "{host}: {v}");
        assert_eq!(code, Some(0), "{host}");
    }
    let (v, _) = dns("noaaaa.nsec.vigil.test");
    assert_eq!(v["aaaa"], json!([]), "{v}");
    assert_eq!(v["tlsa"], json!({"present": true, "matches": null}), "{v}");
    // outside the anchor: indeterminate, records still reported, exit 0
    let (v, code) = dns("other.test");
    assert_eq!(v["dnssec"], "indeterminate", "{v}");
    assert_eq!(v["a"], json!(["127.0.0.1"]), "{v}");
    assert_eq!(v["aaaa"], json!(["::1"]), "{v}");
    assert_eq!(v["caa"]["present"], true, "{v}");
    assert_eq!(code, Some(0));
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn an_unreachable_resolver_is_indeterminate_not_bogus() {
    serve("status");
    // a loopback port nobody listens on
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (v, code) = dns_via("secure.vigil.test", &format!("127.0.0.1:{port}"));
    assert_eq!(v["dnssec"], "indeterminate", "{v}");
    assert_eq!(v["a"], json!([]), "{v}");
    assert_eq!(code, Some(0));
}
