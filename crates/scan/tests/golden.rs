//! The report type against its documentation and a blessed copy: a saved evidence bundle of the
//! local Mastodon-like site (conformance case 920, scanned once with every part) is assessed as
//! of its scan time with its own CA, and must give exactly `mastodon-like.report.json`; every
//! top-level field must be documented in docs/json-output.md and every documented one present.
//! `VIGIL_BLESS=1 cargo test -p vigil-scan --test golden` rewrites the blessed copy after a
//! deliberate change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use vigil_scan::{Assessor, InstanceEvidence, InstanceReport, assess};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn evidence() -> InstanceEvidence {
    let text = std::fs::read_to_string(fixture("mastodon-like.evidence.json")).unwrap();
    InstanceEvidence::from_json(&text).unwrap()
}

fn report(ev: &InstanceEvidence) -> serde_json::Value {
    let trust = vigil_probe::TrustStore::system_with(&[fixture("mastodon-like.ca.pem")]).unwrap();
    let ctx = Assessor {
        anchors: &trust.roots.roots,
        releases: vigil_fedi::ReleaseData::bundled().ok(),
    };
    let result = assess(ev, &ctx, ev.started_at);
    serde_json::to_value(InstanceReport::new(&result)).unwrap()
}

#[test]
fn the_bundle_reads_back_to_the_same_value() {
    let ev = evidence();
    let again: InstanceEvidence =
        serde_json::from_str(&serde_json::to_string(&ev).unwrap()).unwrap();
    assert_eq!(ev, again);
    assert!(ev.tls.is_some() && ev.dns.is_some() && ev.fedi.is_some() && ev.ipv6.is_some());
}

#[test]
fn the_report_matches_its_blessed_copy() {
    let mut got = report(&evidence());
    got["vigil_version"] = serde_json::Value::Null;
    let path = fixture("mastodon-like.report.json");
    if std::env::var_os("VIGIL_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        got, want,
        "the report changed: bless it with VIGIL_BLESS=1 if deliberate"
    );
    assert_eq!(got["scanned_at"], "2026-12-06T22:36:18Z");
    assert_eq!(got["rating"]["letter"], "C");
}

#[test]
fn every_field_is_documented_and_every_documented_field_is_there() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/json-output.md"),
    )
    .unwrap();
    // Table rows start with "| `field`" (several fields may share a row: "`a`, `b`").
    let mut documented = std::collections::BTreeSet::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let first_cell = line.split('|').nth(1).unwrap_or_default();
        for name in first_cell.split(',') {
            let name = name.trim().trim_matches('`');
            let top = name.split(['.', '[']).next().unwrap_or_default();
            // `tests[].test` documents a field of `observatory.tests`, not a top-level one.
            if !top.is_empty() && !name.starts_with("tests") {
                documented.insert(top.to_string());
            }
        }
    }
    let got = report(&evidence());
    let fields: std::collections::BTreeSet<String> =
        got.as_object().unwrap().keys().cloned().collect();
    let undocumented: Vec<_> = fields.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&fields).collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/json-output.md: {undocumented:?}"
    );
    assert!(
        missing.is_empty(),
        "documented but not in the report: {missing:?}"
    );
}

#[test]
fn a_bare_http_evidence_file_still_replays() {
    let ev = evidence();
    let bare = serde_json::to_string(&ev.http).unwrap();
    let back = InstanceEvidence::from_json(&bare).unwrap();
    assert_eq!(back.http, ev.http);
    assert!(back.tls.is_none());
    let newer = r#"{"schema_version": 99}"#;
    assert!(InstanceEvidence::from_json(newer).is_err());
}
