//! Vigil's TLS conformance harness. `tests/conformance/tls/serve.sh` serves 19 TLS servers on
//! 127.0.0.1:8443-8467 (nginx, `openssl s_server`, a tlslite-ng legacy server) whose facts were
//! verified with `openssl s_client`; `tests/conformance/tls/compare.py` runs
//! `vigil tls --format json tls-oracle.test:PORT` on each and compares with `facts.json`.
//!
//! Serving needs root the first time (`/etc/hosts`), so the test runs only with
//! `VIGIL_CONFORMANCE=1` and otherwise says it is skipped. `VIGIL_BIN` scans with another
//! binary; `CASES="01 16"` narrows the cases (read by compare.py).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

#[test]
fn tls_conformance_cases_match_the_verified_facts() {
    if std::env::var("VIGIL_CONFORMANCE").as_deref() != Ok("1") {
        println!("skipped: TLS conformance needs its servers; run with VIGIL_CONFORMANCE=1");
        return;
    }
    let kit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/tls");
    let bin =
        std::env::var("VIGIL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_vigil").to_string());
    let out = Command::new("python3")
        .arg(kit.join("compare.py"))
        .args([bin.as_str(), "tls", "--format", "json"])
        .output()
        .expect("python3 runs compare.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    let (m, n) = last
        .strip_prefix("tls-conformance: ")
        .and_then(|rest| rest.strip_suffix(" cases match"))
        .and_then(|frac| frac.split_once('/'))
        .expect("compare.py ends with its summary line");
    assert!(n != "0", "no TLS case ran");
    assert_eq!(m, n, "TLS conformance: {last}");
    assert!(out.status.success(), "compare.py failed: {last}");
}
