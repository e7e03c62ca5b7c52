//! The load test: `vigil serve` with 30,000 instances in the store, on SQLite and on
//! PostgreSQL, driven by wrk (Debian) with several connections at once on the list page, the
//! list API, a deep page sorted by another column and a badge. It asserts what load must not
//! break: every answer is a 200 with the right content, no connection fails or times out, the
//! server neither panics nor stops answering. How fast it answers is measured, not asserted:
//! the figures are printed here and recorded by `bench/web.sh` in BENCHMARKS.md.
//! Needs wrk and sqlite3 (scripts/test.sh installs them), so the tests are `#[ignore]`d.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const N: usize = 30_000;

/// The paths wrk drives, each with a piece its answer must contain.
const PATHS: &[(&str, &str)] = &[
    ("/?limit=100", "<td class=\"host\">"),
    ("/api/v1/instances?limit=100", "\"instances\""),
    (
        "/?limit=100&sort=uptime&offset=15000",
        "<td class=\"host\">",
    ),
    (
        "/api/v1/instances?limit=100&sort=tls&offset=20000",
        "\"instances\"",
    ),
    ("/badge/i00042.load.example.svg", "<svg"),
];

/// What one wrk run said.
struct WrkRun {
    requests: u64,
    /// wrk prints these lines only when something went wrong.
    failures: Vec<String>,
    summary: String,
}

fn wrk(url: &str) -> WrkRun {
    let out = Command::new("wrk")
        .args(["-t2", "-c8", "-d3s", "--timeout", "5s", "--latency", url])
        .output()
        .expect("wrk (scripts/test.sh installs it)");
    assert!(out.status.success(), "wrk: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let failures = text
        .lines()
        .filter(|l| l.contains("Non-2xx or 3xx") || l.contains("Socket errors"))
        .map(str::to_string)
        .collect();
    let pick = |key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
            .unwrap_or_default()
    };
    let summary = format!(
        "p50 {} p99 {} {} req/s",
        pick("50%"),
        pick("99%"),
        pick("Requests/sec:")
    );
    WrkRun {
        requests,
        failures,
        summary,
    }
}

fn fill_sql() -> String {
    std::fs::read_to_string(repo().join("tests/load/fill.sql")).unwrap()
}

/// Imports N names into `db`, fills their summary columns (`fill` runs the SQL), serves the
/// list and drives it.
fn under_load(scratch: &Scratch, db: &str, fill: impl Fn(&str)) {
    let names: String = (1..=N).map(|i| format!("i{i:05}.load.example\n")).collect();
    let file = scratch.path("names.txt");
    std::fs::write(&file, names).unwrap();
    let out = vigil(&["instances", "import", "--database", db, &file]);
    assert!(out.status.success(), "import: {out:?}");
    fill(&fill_sql());

    let port = free_port();
    let serve = Running::spawn(
        &[
            "serve".into(),
            "--no-monitor".into(),
            "--database".into(),
            db.into(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
        ],
        scratch.path("serve.log"),
    );
    wait_for(Duration::from_secs(30), "the list", || {
        get(port, "/healthz")
    });
    let list = get_json(port, "/api/v1/instances?limit=100");
    assert_eq!(list["total"], N, "every instance is listed");
    assert_eq!(list["instances"].as_array().map(Vec::len), Some(100));
    let (_, page) = get(port, "/?limit=100").unwrap();
    assert_eq!(hosts_in_order(&page).len(), 100);

    for (path, needle) in PATHS {
        let (status, body) = get(port, path).unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        assert!(body.contains(needle), "{path}: {body}");
        let run = wrk(&format!("http://127.0.0.1:{port}{path}"));
        eprintln!("[load] {path}: {} requests, {}", run.requests, run.summary);
        assert!(run.requests > 0, "{path}: wrk got no answer");
        assert!(run.failures.is_empty(), "{path}: {:?}", run.failures);
    }
    // Still answering, and still right, after the load.
    let (status, body) = get(port, "/?limit=100").unwrap();
    assert_eq!(status, 200);
    assert_eq!(hosts_in_order(&body).len(), 100);
    let log = serve.log_text();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
#[ignore = "needs wrk and sqlite3: scripts/test.sh"]
fn the_list_under_load_on_sqlite() {
    let scratch = Scratch::new("load-sqlite");
    let db = scratch.path("list.db");
    under_load(&scratch, &db, |sql| {
        // On standard input: the script starts with a comment, which sqlite3 would read as
        // an option if it were an argument.
        use std::io::Write;
        let mut child = Command::new("sqlite3")
            .arg(&db)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        assert!(
            child.wait().unwrap().success(),
            "sqlite3 failed on the fill"
        );
    });
}

#[test]
#[ignore = "needs wrk and PostgreSQL: scripts/test.sh"]
fn the_list_under_load_on_postgres() {
    let Some(url) = postgres_db("load") else {
        return;
    };
    let scratch = Scratch::new("load-postgres");
    under_load(&scratch, &url, |sql| {
        psql(&url, sql);
    });
}
