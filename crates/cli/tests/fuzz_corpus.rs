//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) through the same harness the fuzz
//! targets run, so every input the fuzzer ever kept, including past crashers, is checked on
//! each `cargo test` without nightly or libFuzzer. An empty or missing corpus fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../../../fuzz/src/harness.rs"]
mod harness;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let bytes = std::fs::read(&path).expect("corpus file");
            (path, bytes)
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "the {target} corpus is empty");
    inputs
}

/// libFuzzer's `&str` targets only see valid UTF-8; the rest of a corpus is skipped the same way.
fn replay_text(target: &str, run: fn(&str)) -> usize {
    let mut n = 0;
    for (_, bytes) in corpus(target) {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            run(text);
            n += 1;
        }
    }
    assert!(n > 0, "no UTF-8 input in the {target} corpus");
    n
}

#[test]
fn csp_corpus() {
    replay_text("csp", harness::csp);
}

#[test]
fn cookie_corpus() {
    replay_text("cookie", harness::cookie);
}

#[test]
fn hsts_corpus() {
    replay_text("hsts", harness::hsts);
}

#[test]
fn header_value_corpus() {
    for (_, bytes) in corpus("header_value") {
        harness::header_value(&bytes);
    }
}

#[test]
fn html_meta_corpus() {
    for (_, bytes) in corpus("html_meta") {
        harness::html_meta(&bytes);
    }
}

/// The baseline the harness splices inputs into must itself load and grade, or every replay
/// above would silently skip the pipeline.
#[test]
fn baseline_evidence_grades() {
    let text = include_str!("../../../fuzz/baseline.evidence.json");
    let ev: vigil_model::HttpEvidence = serde_json::from_str(text).expect("baseline parses");
    let outcomes = vigil_checks::run_all(&ev).expect("baseline scans");
    assert_eq!(vigil_grade::grade(&outcomes).score, 140);
}
