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
    let kit = Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/conformance/tls");
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

fn conformance_on() -> bool {
    if std::env::var("VIGIL_CONFORMANCE").as_deref() == Ok("1") {
        return true;
    }
    println!("skipped: needs the conformance servers; run with VIGIL_CONFORMANCE=1");
    false
}

fn vigil() -> String {
    std::env::var("VIGIL_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_vigil").to_string())
}

fn ca_file(kit: &str) -> String {
    let serve = Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/conformance")
    .join(kit)
    .join("serve.sh");
    let out = Command::new("bash").arg(serve).arg("ca").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The grades of `tests/conformance/tls/grades.json`, end to end through `vigil tls`.
#[test]
fn tls_grades_match_the_documented_rules() {
    if !conformance_on() {
        return;
    }
    let kit = Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/conformance/tls");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(kit.join("grades.json")).unwrap()).unwrap();
    let ca = ca_file("tls");
    let mut failures = Vec::new();
    for (case, want) in expected.as_object().unwrap() {
        if case.starts_with('_') {
            continue;
        }
        let facts: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(kit.join("cases").join(case).join("facts.json")).unwrap(),
        )
        .unwrap();
        let target = facts["target"].as_str().unwrap();
        let out = Command::new(vigil())
            .args(["tls", "--format", "json", target])
            .env("SSL_CERT_FILE", &ca)
            .output()
            .unwrap();
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let g = &got["grades"];
        for (key, path) in [
            ("ssllabs", &g["ssllabs"]["grade"]),
            ("cryptcheck", &g["cryptcheck"]["grade"]),
            (
                "ssllabs_if_trust_ignored",
                &g["ssllabs"]["grade_if_trust_ignored"],
            ),
        ] {
            if let Some(w) = want.get(key)
                && w != path
            {
                failures.push(format!("{case}: {key} is {path}, expected {w}"));
            }
        }
        // Every finding that costs something names a fix, and the fixes carry snippets.
        for fix in g["fixes"].as_array().unwrap() {
            for server in ["nginx", "apache", "caddy", "haproxy"] {
                assert!(
                    fix[server].as_str().is_some_and(|s| !s.is_empty()),
                    "{case}: {fix}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `vigil scan --format json` carries the TLS report and grades next to the Observatory part.
#[test]
fn scan_json_has_a_tls_section() {
    if !conformance_on() {
        return;
    }
    let out = Command::new(vigil())
        .args([
            "scan",
            "--format",
            "json",
            "157-mastodon-max-score.obs.test",
        ])
        .env("SSL_CERT_FILE", ca_file("http"))
        .output()
        .unwrap();
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["observatory"]["score"], 140);
    let tls = &got["tls"];
    assert_eq!(tls["protocols"]["TLS1.3"]["supported"], true, "{tls}");
    assert_eq!(tls["certificate"]["trusted"], true);
    assert!(tls["grades"]["ssllabs"]["grade"].is_string());
    // The composite rating and the IPv6 check come with the full report.
    assert_eq!(
        got["rating"]["parts"].as_array().map(Vec::len),
        Some(6),
        "{got}"
    );
    assert!(got["rating"]["score"].is_u64());
    assert_eq!(got["ipv6"]["verdict"]["aaaa"], false); // the test names have no AAAA
    // The Observatory format never probes TLS.
    let out = Command::new(vigil())
        .args([
            "scan",
            "--format",
            "observatory",
            "157-mastodon-max-score.obs.test",
        ])
        .env("SSL_CERT_FILE", ca_file("http"))
        .output()
        .unwrap();
    let obs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(obs.get("tls").is_none());
}

/// Heartbleed and ROBOT against real servers: OpenSSL 3 (static RSA in case 06) answers every
/// broken padding alike, and a TLS 1.3-only server has no static RSA to test.
#[test]
fn robot_and_heartbleed_on_real_servers() {
    if !conformance_on() {
        return;
    }
    let ca = ca_file("tls");
    let run = |target: &str| -> serde_json::Value {
        let out = Command::new(vigil())
            .args(["tls", "--format", "json", target])
            .env("SSL_CERT_FILE", &ca)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let static_rsa = run("tls-oracle.test:8448");
    assert_eq!(static_rsa["robot"], false, "{}", static_rsa["robot"]);
    let modern = run("tls-oracle.test:8443");
    assert!(modern["robot"].is_null());
    assert!(modern["heartbleed"].is_null());
}
