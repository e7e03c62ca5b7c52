//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) through the same harness the fuzz
//! targets run, so every input the fuzzer ever kept, including past crashers, is checked on
//! each `cargo test` without nightly or libFuzzer. An empty or missing corpus fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../../../fuzz/src/harness.rs"]
mod harness;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
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

/// Replays a binary corpus through `run`; the inputs whose file name starts with `seed-` (the
/// hand-made and captured ones, see `fuzz/README.md`) are also checked with `seed`.
fn replay_bytes<T>(target: &str, run: fn(&[u8]) -> T, seed: impl Fn(&str, T)) {
    for (path, bytes) in corpus(target) {
        let out = run(&bytes);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("seed-") {
            seed(name, out);
        }
    }
}

#[test]
fn tls_server_hello_corpus() {
    // Every seed is a real or well-formed ServerHello body.
    replay_bytes(
        "tls_server_hello",
        harness::tls_server_hello,
        |name, parsed| assert!(parsed, "{name} does not parse"),
    );
}

#[test]
fn tls_records_corpus() {
    // Captured flights: ServerHello plus, for TLS 1.2 and older, the rest up to
    // ServerHelloDone; an alert alone has no handshake message.
    replay_bytes("tls_records", harness::tls_records, |name, messages| {
        if name.starts_with("seed-alert") {
            assert_eq!(messages, 0, "{name}");
        } else if name.starts_with("seed-tls13") {
            assert_eq!(messages, 1, "{name}");
        } else {
            assert!(messages >= 3, "{name}: {messages} messages");
        }
    });
}

#[test]
fn tls_sslv2_corpus() {
    replay_bytes("tls_sslv2", harness::tls_sslv2, |name, parsed| {
        let whole = name.starts_with("seed-server-hello-") && !name.contains("truncated");
        assert_eq!(parsed, whole, "{name}");
    });
}

#[test]
fn legacy_html_corpus() {
    // The seeds are real pages and policy files of the conformance sites, which Python parses,
    // and hand-written edge cases; `seed-raises-*` is one Python's parser raises on.
    replay_bytes("legacy_html", harness::legacy_html, |name, tags| {
        if name.starts_with("seed-raises-") {
            assert_eq!(tags, None, "{name}");
        } else {
            assert!(tags.is_some_and(|n| n > 0), "{name}: {tags:?}");
        }
    });
}

#[test]
fn http_head_corpus() {
    // Heads captured from the conformance sites (curl -D), and hand-made ones: all HTTP.
    replay_bytes("http_head", harness::http_head, |name, status| {
        assert!(status.is_some(), "{name} does not parse");
    });
}

#[test]
fn fedi_corpus() {
    // Real NodeInfo and instance documents (crates/fedi/tests/fixtures) all name a version;
    // the well-known documents only link to NodeInfo.
    replay_bytes("fedi", harness::fedi, |name, read| {
        if name.ends_with("-wellknown") {
            assert!(read.links > 0, "{name}: {read:?}");
        } else {
            assert!(read.versioned, "{name}: {read:?}");
        }
    });
}

#[test]
fn dns_corpus() {
    // Records as the local signed zones serve them (tests/dns/serve.sh) and TLSA records of
    // every selector and matching type over real chains: the `seed-tlsa-*` ones match, the
    // `seed-nomatch-*` ones do not, and without a chain nothing can match.
    replay_bytes("dns", harness::dns, |name, read| {
        if name.starts_with("seed-tlsa-") || name.starts_with("seed-zone-") {
            assert_eq!(read.matches, Some(true), "{name}: {read:?}");
        } else if name.starts_with("seed-nomatch-") {
            assert_eq!(read.matches, Some(false), "{name}: {read:?}");
        } else if read.certs == 0 {
            assert_ne!(read.matches, Some(true), "{name}: {read:?}");
        }
        if name.contains("caa") {
            assert!(read.caa > 0, "{name}: {read:?}");
        }
    });
}
