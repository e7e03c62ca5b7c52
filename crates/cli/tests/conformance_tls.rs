//! Vigil's TLS conformance harness. `tests/conformance/tls/serve.sh` serves 19 TLS servers on
//! 127.0.0.1:8443-8467 (nginx, `openssl s_server`, a tlslite-ng legacy server) whose facts were
//! verified with `openssl s_client`; `tests/conformance/tls/compare.py` runs
//! `vigil tls --format json tls-oracle.test:PORT` on each and compares with `facts.json`.
//!
//! Serving needs root the first time (`/etc/hosts`), so these tests are `#[ignore]`d:
//! `scripts/test.sh` runs them with `--include-ignored`. `VIGIL_BIN` scans with another
//! binary; `CASES="01 16"` narrows the cases (read by compare.py).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn tls_conformance_cases_match_the_verified_facts() {
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
    // compare.py serves any scanner, so it checks some facts only when the report has them.
    // Vigil reports all of them: a missing one is a failure here, not a pass there.
    let ca = ca_file("tls");
    let prefixes: Vec<String> = std::env::var("CASES")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut missing = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(kit.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| kit.join("cases").join(n).join("facts.json").is_file())
        .filter(|n| prefixes.is_empty() || prefixes.iter().any(|p| n.starts_with(p.as_str())))
        .collect();
    names.sort();
    for name in &names {
        let facts: Value = serde_json::from_str(
            &std::fs::read_to_string(kit.join("cases").join(name).join("facts.json")).unwrap(),
        )
        .unwrap();
        let out = Command::new(&bin)
            .args(["tls", "--format", "json", facts["target"].as_str().unwrap()])
            .env("SSL_CERT_FILE", &ca)
            .output()
            .unwrap();
        let got: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        for pointer in [
            "/certificate/key_type",
            "/certificate/key_bits",
            "/certificate/chain_complete",
            "/ocsp_stapled",
            "/hsts/present",
        ] {
            if got.pointer(pointer).is_none_or(Value::is_null) {
                missing.push(format!("{name}: {pointer} not reported"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
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
///
/// Each case names both grades, and the SSL Labs grade with trust issues ignored when the grade
/// is T or M; otherwise Vigil must report that one as `null` (the key present). A case
/// directory missing from the file fails unless `_ungraded` gives the reason, so a new server
/// cannot slip in ungraded.
#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn tls_grades_match_the_documented_rules() {
    let kit = Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/conformance/tls");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(kit.join("grades.json")).unwrap()).unwrap();
    let expected = expected.as_object().unwrap();
    let ungraded = expected["_ungraded"].as_object().unwrap();
    let ca = ca_file("tls");
    let mut failures = Vec::new();
    let mut dirs: Vec<String> = std::fs::read_dir(kit.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| kit.join("cases").join(n).join("facts.json").is_file())
        .collect();
    dirs.sort();
    for dir in &dirs {
        if !expected.contains_key(dir) && !ungraded.contains_key(dir) {
            failures.push(format!(
                "{dir}: no grades in grades.json and not in _ungraded"
            ));
        }
    }
    let mut graded = 0;
    for (case, want) in expected {
        if case.starts_with('_') {
            continue;
        }
        graded += 1;
        let want = want.as_object().unwrap();
        for key in want.keys() {
            if !["ssllabs", "cryptcheck", "ssllabs_if_trust_ignored", "why"].contains(&key.as_str())
            {
                failures.push(format!("{case}: unknown key {key:?} in grades.json"));
            }
        }
        let facts: Value = serde_json::from_str(
            &std::fs::read_to_string(kit.join("cases").join(case).join("facts.json")).unwrap(),
        )
        .unwrap();
        let target = facts["target"].as_str().unwrap();
        let out = Command::new(vigil())
            .args(["tls", "--format", "json", target])
            .env("SSL_CERT_FILE", &ca)
            .output()
            .unwrap();
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let g = &got["grades"];
        let ssllabs = want.get("ssllabs").and_then(Value::as_str);
        let if_trust_ignored = match (want.get("ssllabs_if_trust_ignored"), ssllabs) {
            (Some(w), _) => Some(w.clone()),
            (None, Some("T" | "M")) => None,
            (None, _) => Some(Value::Null),
        };
        for (key, want, got) in [
            (
                "ssllabs",
                want.get("ssllabs").cloned(),
                g["ssllabs"].get("grade"),
            ),
            (
                "cryptcheck",
                want.get("cryptcheck").cloned(),
                g["cryptcheck"].get("grade"),
            ),
            (
                "ssllabs_if_trust_ignored",
                if_trust_ignored,
                g["ssllabs"].get("grade_if_trust_ignored"),
            ),
        ] {
            match (want, got) {
                (None, _) => failures.push(format!("{case}: grades.json does not give {key}")),
                (Some(_), None) => failures.push(format!("{case}: {key} missing from the output")),
                (Some(w), Some(g)) if w != *g => {
                    failures.push(format!("{case}: {key} is {g}, expected {w}"));
                }
                _ => {}
            }
        }
        // Every finding that costs something names a fix, and the fixes carry snippets.
        let fixes = g["fixes"].as_array().unwrap();
        for fix in fixes {
            for server in ["nginx", "apache", "caddy", "haproxy"] {
                assert!(
                    fix[server].as_str().is_some_and(|s| !s.is_empty()),
                    "{case}: {fix}"
                );
            }
        }
    }
    assert!(graded > 0, "grades.json grades no case");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `vigil scan --format json` carries the TLS report and grades next to the Observatory part.
#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn scan_json_has_a_tls_section() {
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
    // An object that is a real Observatory answer (not an error) and has no TLS part.
    assert_eq!(obs["scan"]["score"], 140, "{obs}");
    assert!(obs.get("tls").is_none());
}

/// Heartbleed and ROBOT against real servers: OpenSSL 3 (static RSA in case 06) answers every
/// broken padding alike, and a TLS 1.3-only server has no static RSA to test.
#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn robot_and_heartbleed_on_real_servers() {
    let ca = ca_file("tls");
    let run = |target: &str| -> serde_json::Value {
        let out = Command::new(vigil())
            .args(["tls", "--format", "json", target])
            .env("SSL_CERT_FILE", &ca)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // `null` is a verdict ("cannot be tested here"), so the key must be there: a report that
    // lost the field must not pass as one that found nothing.
    let static_rsa = run("tls-oracle.test:8448");
    assert_eq!(
        static_rsa.get("robot"),
        Some(&Value::Bool(false)),
        "{static_rsa}"
    );
    // OpenSSL 3 has no heartbeat extension.
    assert_eq!(
        static_rsa.get("heartbleed"),
        Some(&Value::Null),
        "{static_rsa}"
    );
    let modern = run("tls-oracle.test:8443");
    assert_eq!(modern.get("robot"), Some(&Value::Null), "{modern}");
    assert_eq!(modern.get("heartbleed"), Some(&Value::Null), "{modern}");
}
