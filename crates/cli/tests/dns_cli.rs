//! `vigil dns` end to end against the local knot server of `tests/dns/serve.sh` (signed,
//! unsigned and bogus zones under a locally anchored `vigil.test.`). Needs the server, so it
//! runs only with `VIGIL_CONFORMANCE=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn dns(host: &str) -> (serde_json::Value, Option<i32>) {
    let serve = Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/dns/serve.sh");
    let anchor = Command::new("bash")
        .arg(&serve)
        .arg("anchor")
        .output()
        .unwrap();
    let anchor = String::from_utf8_lossy(&anchor.stdout).trim().to_string();
    let addr = Command::new("bash")
        .arg(&serve)
        .arg("addr")
        .output()
        .unwrap();
    let addr = String::from_utf8_lossy(&addr.stdout).trim().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "dns",
            "--format",
            "json",
            "--resolver",
            &addr,
            "--trust-anchor",
            &anchor,
            host,
        ])
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code(),
    )
}

#[test]
fn dns_verdicts_from_the_local_zones() {
    if std::env::var("VIGIL_CONFORMANCE").as_deref() != Ok("1") {
        println!("skipped: needs tests/dns/serve.sh; run with VIGIL_CONFORMANCE=1");
        return;
    }
    let (secure, code) = dns("secure.vigil.test");
    assert_eq!(code, Some(0));
    assert_eq!(secure["dnssec"], "secure");
    assert_eq!(secure["a"][0], "127.0.0.1");
    assert_eq!(secure["aaaa"][0], "::1");
    assert_eq!(secure["caa"]["present"], true);
    assert_eq!(secure["caa"]["issuers"][0], "letsencrypt.org");
    assert_eq!(secure["tlsa"]["present"], true);
    assert!(
        secure["tlsa"]["matches"].is_null(),
        "nothing is served on 443 for this name"
    );
    let (insecure, _) = dns("insecure.vigil.test");
    assert_eq!(insecure["dnssec"], "insecure");
    let (bogus, code) = dns("bogus.vigil.test");
    assert_eq!(bogus["dnssec"], "bogus");
    assert_eq!(code, Some(1));
}
