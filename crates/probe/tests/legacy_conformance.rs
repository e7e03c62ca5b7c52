//! Legacy scoring conformance: for every HTTP conformance site, retrieval with the legacy pass
//! on, then the legacy checks and the legacy grade (`vigil_grade::legacy_report`), must give
//! what the 2017 Observatory (PyPI `httpobs` 0.9.3, `httpobs.scanner.local.scan`) recorded in
//! the case's `expected-legacy.json` (see `scripts/record-legacy-answers.py`): the score, the
//! grade, and each test's `result`, `score_modifier` and `pass`, or `{"error": "site down"}`.
//!
//! The sites are served on 127.0.0.1:80/443 by `tests/conformance/http/serve.sh` (root, ports
//! 80/443, `/etc/hosts`), so the test is `#[ignore]`d and `scripts/test.sh` runs it with
//! `--include-ignored`. It starts the sites when they are not running and trusts the kit's CA.
//! Knobs: `VIGIL_CONFORMANCE_CASES="157 cookies"` keeps cases whose name contains a word,
//! `VIGIL_CONFORMANCE_JOBS` sets how many cases run at once (8).
//!
//! Cases known to differ are listed in [`KNOWN_DIFFERENCES`] with the reason; the test fails
//! on any other mismatch, and also when a listed case starts to match (so the list stays true).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use vigil_grade::{LegacyReport, legacy_report};
use vigil_model::{Hostname, SiteError};
use vigil_probe::{ProbeConfig, TrustStore};

/// Cases whose legacy answer Vigil does not reproduce, and why. Empty: every case matches.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

const DEFAULT_JOBS: usize = 8;

struct Case {
    name: String,
    host: String,
    expected: Value,
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn legacy_scoring_matches_the_2017_observatory() {
    let kit = Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../../tests/conformance/http");
    let cases = load_cases(&kit.join("cases"), &case_filter());
    assert!(!cases.is_empty(), "no case matches VIGIL_CONFORMANCE_CASES");
    let ca = serve(&kit.join("serve.sh"));
    let mut cfg = ProbeConfig::new(TrustStore::system_with(&[ca]).expect("test CA loads"));
    cfg.legacy = true;
    let jobs = std::env::var("VIGIL_CONFORMANCE_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(DEFAULT_JOBS)
        .max(1);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let reports: Vec<(usize, Result<LegacyReport, SiteError>)> = runtime.block_on(async {
        futures_util::stream::iter(cases.iter().enumerate())
            .map(|(i, case)| {
                let cfg = cfg.clone();
                async move {
                    let host = Hostname::parse(&case.host).expect("case host parses");
                    let scan = vigil_probe::retrieve_http(&host, &cfg);
                    let ev = tokio::time::timeout(Duration::from_secs(90), scan)
                        .await
                        .unwrap_or_else(|_| panic!("{}: retrieval did not finish", case.name));
                    (i, legacy_report(&ev))
                }
            })
            .buffer_unordered(jobs)
            .collect()
            .await
    });

    let mut by_case: Vec<Option<Result<LegacyReport, SiteError>>> =
        (0..cases.len()).map(|_| None).collect();
    for (i, r) in reports {
        if let Some(slot) = by_case.get_mut(i) {
            *slot = Some(r);
        }
    }
    let mut matched = 0;
    let mut unexpected = Vec::new();
    for (case, report) in cases.iter().zip(by_case) {
        let report = report.expect("every case was scanned");
        let diffs = differences(&case.expected, &report);
        let known = KNOWN_DIFFERENCES.iter().find(|(n, _)| *n == case.name);
        match (diffs.is_empty(), known) {
            (true, None) => matched += 1,
            (true, Some(_)) => {
                matched += 1;
                unexpected.push(format!(
                    "{} matches now: drop it from KNOWN_DIFFERENCES",
                    case.name
                ));
            }
            (false, known) => {
                println!("MISMATCH {}: {}", case.name, diffs.join("; "));
                if let Some((_, why)) = known {
                    println!("  (known difference: {why})");
                } else {
                    unexpected.push(case.name.clone());
                }
            }
        }
    }
    println!("legacy-conformance: {matched}/{} cases match", cases.len());
    assert!(
        unexpected.is_empty(),
        "unexpected legacy differences: {unexpected:?}"
    );
}

/// What differs between the recorded answer and Vigil's, one phrase per difference.
fn differences(expected: &Value, got: &Result<LegacyReport, SiteError>) -> Vec<String> {
    let mut out = Vec::new();
    let report = match (expected.get("error"), got) {
        (Some(e), Err(SiteError::SiteDown)) if e == "site down" => return out,
        (Some(e), got) => {
            out.push(format!("expected error {e}, got {}", summary(got)));
            return out;
        }
        (None, Err(e)) => {
            out.push(format!("expected a score, got error {e:?}"));
            return out;
        }
        (None, Ok(r)) => r,
    };
    let scan = &expected["scan"];
    if scan["score"] != report.score {
        out.push(format!("score {} != {}", report.score, scan["score"]));
    }
    if scan["grade"] != report.grade.as_str() {
        out.push(format!("grade {} != {}", report.grade, scan["grade"]));
    }
    let tests = expected["tests"].as_object().cloned().unwrap_or_default();
    for (name, want) in &tests {
        let Some(t) = report.tests.iter().find(|t| t.test == *name) else {
            out.push(format!("{name} missing"));
            continue;
        };
        if want["result"] != t.result.as_str()
            || want["score_modifier"] != t.score_modifier
            || want["pass"] != t.pass
        {
            out.push(format!(
                "{name}: {} ({}, {}) != {} ({}, {})",
                t.result,
                t.score_modifier,
                t.pass,
                want["result"],
                want["score_modifier"],
                want["pass"]
            ));
        }
    }
    for t in &report.tests {
        if !tests.contains_key(&t.test) {
            out.push(format!("{} not in the reference", t.test));
        }
    }
    out
}

fn summary(got: &Result<LegacyReport, SiteError>) -> String {
    match got {
        Ok(r) => format!("score {} grade {}", r.score, r.grade),
        Err(e) => format!("error {e:?}"),
    }
}

fn case_filter() -> Vec<String> {
    std::env::var("VIGIL_CONFORMANCE_CASES")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn load_cases(dir: &Path, filter: &[String]) -> Vec<Case> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {dir:?}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| filter.is_empty() || filter.iter().any(|w| n.contains(w.as_str())))
        .filter(|n| dir.join(n).join("expected-legacy.json").is_file())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let case = read_json(&dir.join(&name).join("case.json"));
            let host = case["host"]
                .as_str()
                .expect("case.json has a host")
                .to_string();
            let expected = read_json(&dir.join(&name).join("expected-legacy.json"));
            Case {
                name,
                host,
                expected,
            }
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}"))
}

/// Makes sure the sites are served (starting them only when they are not, so a run does not
/// reload the server under another test) and returns the CA certificate to trust.
fn serve(script: &Path) -> PathBuf {
    let running = Command::new("bash")
        .arg(script)
        .arg("status")
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("running")
        });
    if !running {
        let status = Command::new("bash").arg(script).arg("start").status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "{script:?} start failed ({status:?}): the test sites are not being served"
        );
    }
    let out = Command::new("bash").arg(script).arg("ca").output().unwrap();
    assert!(out.status.success(), "{script:?} ca failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}
