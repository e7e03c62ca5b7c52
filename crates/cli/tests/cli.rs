//! The `vigil` binary end to end, offline: usage errors, exit codes, output formats and
//! `replay` over evidence captured from the conformance sites (`tests/fixtures/*.evidence.json`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::process::{Command, Output};

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("vigil runs")
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/{name}.evidence.json",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str()
    )
}

#[test]
fn malformed_hosts_are_usage_errors() {
    for bad in [
        "https://example.org",
        "example.org:8443",
        "exa mple.org",
        "a..b",
        "",
    ] {
        let out = vigil(&["scan", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("invalid host"),
            "{bad:?}"
        );
    }
    assert_eq!(vigil(&["scan"]).status.code(), Some(2));
    assert_eq!(
        vigil(&["scan", "--min-grade", "Z", "example.org"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn replay_gives_the_observatory_shape() {
    let out = vigil(&[
        "replay",
        &fixture("157-mastodon-max-score"),
        "--format",
        "observatory",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scan"]["score"], 140);
    assert_eq!(v["scan"]["grade"], "A+");
    assert_eq!(v["scan"]["testsQuantity"], 10);
    let keys: Vec<&String> = v["tests"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys.first().map(|k| k.as_str()),
        Some("content-security-policy")
    );
    assert_eq!(
        keys.last().map(|k| k.as_str()),
        Some("cross-origin-resource-policy")
    );
    assert_eq!(
        v["scan"]["responseHeaders"]["set-cookie"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn min_grade_gates_with_exit_3() {
    let bare = fixture("161-http-only-bare");
    assert_eq!(
        vigil(&["replay", &bare, "--min-grade", "B"]).status.code(),
        Some(3)
    );
    assert_eq!(
        vigil(&["replay", &bare, "--min-grade", "F"]).status.code(),
        Some(0)
    );
    let best = fixture("157-mastodon-max-score");
    assert_eq!(
        vigil(&["replay", &best, "--min-grade", "A+"]).status.code(),
        Some(0)
    );
}

#[test]
fn site_errors_exit_1_with_the_exact_message() {
    let out = vigil(&[
        "replay",
        &fixture("188-redir-to-dead-https"),
        "--format",
        "observatory",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"error":"The site seems to be down."}"#
    );
}

#[test]
fn text_report_explains_fixes() {
    let out = vigil(&["replay", &fixture("119-hsts-self-signed")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("hsts-invalid-cert"), "{text}");
    assert!(text.contains("What to change"));
    assert!(text.contains("ssl_certificate"));
}

#[test]
fn json_report_is_versioned() {
    let out = vigil(&[
        "replay",
        &fixture("119-hsts-self-signed"),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 2);
    assert_eq!(
        v["scanned_at"],
        Value::Null,
        "a bare HTTP evidence file has no scan time"
    );
    assert_eq!(v["observatory"]["tests"].as_array().unwrap().len(), 10);
    assert_eq!(v["retrieval"]["https"]["verified"], false);
}

#[test]
fn explain_knows_every_result() {
    let out = vigil(&["explain", "csp-implemented-with-unsafe-inline"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("-20"));
    assert_eq!(vigil(&["explain", "no-such-result"]).status.code(), Some(2));
}

#[test]
fn serve_refuses_smtp_credentials_in_the_clear() {
    let dir = std::env::temp_dir().join(format!("vigil-cli-smtp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("list.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "serve",
            "--database",
            &db,
            "--listen",
            "127.0.0.1:0",
            "--smtp-server",
            "mail.vigil-test.invalid:25",
            "--smtp-from",
            "alerts@vigil.example",
            "--smtp-user",
            "vigil",
        ])
        .env("VIGIL_SMTP_PASSWORD", "s3cret")
        .env("NO_COLOR", "1")
        .output()
        .expect("vigil runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("in the clear"), "{stderr}");
    assert!(
        !stderr.contains("s3cret"),
        "the password is never shown: {stderr}"
    );
    // Both ways of asking for TLS at once is a usage error.
    let out = vigil(&[
        "serve",
        "--database",
        &db,
        "--smtp-server",
        "mail.vigil-test.invalid",
        "--smtp-starttls",
        "--smtp-tls",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}
