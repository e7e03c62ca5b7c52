//! The whole instance report on a local Mastodon-like site (conformance case
//! `920-extra-mastodon-like`, served as `mastodon.secure.vigil.test`: Mastodon 4.3.2 behind
//! nginx, NodeInfo and /api/v2/instance, its name in the signed local zone):
//! HTTP, TLS, IPv6 (the site listens on 127.0.0.1 and ::1), DNS (against the local knot server) and the software verdict, with the
//! composite rating on top. Needs the test servers, so the tests are `#[ignore]`d and
//! `scripts/test.sh` runs them with `--include-ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

const HOST: &str = "mastodon.secure.vigil.test";

fn script_output(path: &str, arg: &str) -> String {
    let script = Path::new(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str(),
    )
    .join("../..")
    .join(path);
    let out = Command::new("bash").arg(script).arg(arg).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn scan(extra: &[&str]) -> std::process::Output {
    let resolver = script_output("tests/dns/serve.sh", "addr");
    let anchor = script_output("tests/dns/serve.sh", "anchor");
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("scan")
        .args(extra)
        .args(["--resolver", &resolver, "--trust-anchor", &anchor, HOST])
        .env(
            "SSL_CERT_FILE",
            script_output("tests/conformance/http/serve.sh", "ca"),
        )
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn json_report_has_every_part() {
    let out = scan(&["--format", "json", "--scoring", "legacy"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["observatory"]["score"], 130, "{r}");
    assert_eq!(r["legacy"]["grade"], "A+");
    assert_eq!(r["tls"]["certificate"]["trusted"], true);
    assert_eq!(r["software"]["facts"]["software"], "mastodon");
    assert_eq!(r["software"]["facts"]["version"]["raw"], "4.3.2");
    let verdict = &r["software"]["verdict"];
    assert_eq!(verdict["branch"], "4.3");
    assert_eq!(verdict["branch_status"]["status"], "end-of-life");
    assert!(
        !verdict["advisories_fixed_since"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The name lives in the signed test zone (tests/dns/serve.sh), validated from its anchor.
    assert_eq!(r["dns"]["dnssec"], "secure", "{}", r["dns"]);
    assert_eq!(r["dns"]["a"][0], "127.0.0.1");
    assert_eq!(r["dns"]["aaaa"][0], "::1");
    assert_eq!(r["dns"]["caa"]["issuers"][0], "letsencrypt.org");
    // The site also listens on ::1 (serve.sh adds the AAAA line): IPv6 works, same site.
    let v6 = &r["ipv6"]["verdict"];
    assert_eq!(
        (&v6["aaaa"], &v6["reachable"], &v6["same_site"]),
        (&true.into(), &true.into(), &true.into()),
        "{v6}"
    );
    // Newer guidance: security.txt is published, the isolation headers are not.
    let guidance = r["guidance"].as_array().unwrap();
    let item = |id: &str| guidance.iter().find(|g| g["id"] == id).unwrap().clone();
    assert_eq!(item("security-txt")["ok"], true);
    assert_eq!(item("security-txt")["value"], "200");
    assert_eq!(item("cross-origin-opener-policy")["ok"], false);
    let rating = &r["rating"];
    assert_eq!(rating["letter"], "C", "{rating}");
    let caps: Vec<&str> = rating["caps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["letter"].as_str().unwrap())
        .collect();
    assert_eq!(caps, ["C", "C"]);
    let software = rating["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["part"] == "software")
        .unwrap();
    assert_eq!(software["score"], 20);
    let ipv6 = rating["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["part"] == "ipv6")
        .unwrap();
    assert_eq!(ipv6["score"], 100);
    let dnssec = rating["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["part"] == "dnssec")
        .unwrap();
    assert_eq!(dnssec["score"], 100);
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn text_report_puts_the_rating_first_and_speaks_to_mastodon_admins() {
    let out = scan(&["--no-color"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap();
    assert!(first.contains("Vigil rating C"), "{first}");
    assert!(text.contains("Software: mastodon 4.3.2"));
    assert!(text.contains("end of life"));
    // The CORP fix carries the Mastodon note and all four server snippets.
    assert!(text.contains("Mastodon: Mastodon does not send Cross-Origin-Resource-Policy"));
    for server in ["nginx ", "Apache ", "Caddy ", "HAProxy "] {
        assert!(text.contains(server), "{server}");
    }
    assert!(text.contains("SSL Labs-style grade"));
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn min_grade_gates_on_the_composite_rating() {
    // Observatory A+, but the composite is C: a B floor fails with exit 3, a C floor passes.
    assert_eq!(
        scan(&["--format", "json", "--min-grade", "B"])
            .status
            .code(),
        Some(3)
    );
    assert_eq!(
        scan(&["--format", "json", "--min-grade", "C"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
#[ignore = "needs the test servers: scripts/test.sh"]
fn a_saved_bundle_replays_to_the_same_report() {
    let bundle = scan(&["--format", "evidence"]);
    assert_eq!(bundle.status.code(), Some(0));
    let ev: serde_json::Value = serde_json::from_slice(&bundle.stdout).unwrap();
    for part in ["http", "tls", "ipv6", "dns", "fedi", "security_txt"] {
        assert!(!ev[part].is_null(), "the bundle lacks {part}: {ev}");
    }
    let path = std::env::temp_dir().join(format!("vigil-bundle-{}.json", std::process::id()));
    std::fs::write(&path, &bundle.stdout).unwrap();
    let replayed = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["replay", "--format", "json"])
        .arg(&path)
        .env(
            "SSL_CERT_FILE",
            script_output("tests/conformance/http/serve.sh", "ca"),
        )
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let mut replayed: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
    let mut fresh: serde_json::Value =
        serde_json::from_slice(&scan(&["--format", "json"]).stdout).unwrap();
    // The Date header is the one thing two scans never share.
    replayed["observatory"]["response_headers"]["date"] = serde_json::Value::Null;
    fresh["observatory"]["response_headers"]["date"] = serde_json::Value::Null;
    assert_eq!(replayed["scanned_at"].as_str().map(str::len), Some(20));
    for part in [
        "rating",
        "observatory",
        "dns",
        "software",
        "guidance",
        "changes",
    ] {
        assert_eq!(replayed[part], fresh[part], "{part} differs after replay");
    }
    assert_eq!(replayed["tls"]["grades"], fresh["tls"]["grades"]);
}
