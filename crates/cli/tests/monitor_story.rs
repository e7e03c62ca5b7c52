//! The list's story end to end, on SQLite and on PostgreSQL: instances are added, `vigil serve`
//! scans them and checks their uptime, the API ranks them, robots.txt and 410 opt-outs show
//! nothing but the name, a permanent redirect is "moved", a host that refuses is down and then
//! dead, peers are discovered (and junk names rejected), and the API's report is the very type
//! `vigil scan --format json` prints. Needs the fleet names, knot and (for the second half)
//! PostgreSQL: scripts/test.sh provides them, so the tests are `#[ignore]`d for plain runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

const INSTANCES: &[&str] = &[
    "i0001.fleet.test",
    "i0002.fleet.test",
    "i0003.fleet.test",
    "i0004.fleet.test",
    "i0005.fleet.test",
    "i0006.fleet.test",
    "optout.fleet.test",
    "gone.fleet.test",
    "moved.fleet.test",
    "peers.fleet.test",
    "down.fleet.test",
];

fn row<'a>(list: &'a Value, host: &str) -> Option<&'a Value> {
    list["instances"]
        .as_array()?
        .iter()
        .find(|r| r["host"] == host)
}

fn story(database: &str, tag: &str) {
    let scratch = Scratch::new(tag);
    let fleet = Fleet::start(&scratch);
    // Adding twice adds once; a malformed import line is reported and the rest imported.
    let mut add = vec!["instances", "add", "--database", database];
    add.extend_from_slice(&INSTANCES[..6]);
    let out = vigil(&add);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let import = scratch.path("import.txt");
    let mut lines: Vec<String> = INSTANCES[5..].iter().map(|s| s.to_string()).collect();
    lines.insert(2, "not a host/name".into());
    lines.insert(0, "# comment".into());
    std::fs::write(&import, lines.join("\n")).unwrap();
    let out = vigil(&["instances", "import", "--database", database, &import]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a skipped line exits 1: {stdout} {stderr}"
    );
    assert!(
        stdout.contains("imported 5 new of 6 hosts; 1 lines skipped"),
        "{stdout}"
    );
    assert!(stderr.contains("line 4"), "{stderr}");

    let port = free_port();
    let mut args: Vec<String> = vec![
        "serve".into(),
        "--database".into(),
        database.into(),
        "--listen".into(),
        format!("127.0.0.1:{port}"),
        "--check-interval".into(),
        "2s".into(),
        "--scan-interval".into(),
        "1h".into(),
        "--tick".into(),
        "200ms".into(),
        "--dead-after".into(),
        "4s".into(),
        "--discover".into(),
        "--contact-url".into(),
        "https://list.vigil.test/about".into(),
    ];
    args.extend(fleet.flags());
    let serve = Running::spawn(&args, scratch.path("serve.log"));
    let health = wait_for(Duration::from_secs(20), "the API", || {
        get(port, "/healthz").filter(|(s, _)| *s == 200)
    });
    assert!(health.1.contains("\"status\":\"ok\""), "{}", health.1);

    // Every normal instance scanned and checked at least three times.
    let list = wait_for(Duration::from_secs(120), "scans and checks", || {
        let list = get_json(port, "/api/v1/instances?limit=100");
        let ready = INSTANCES[..6].iter().all(|h| {
            row(&list, h).is_some_and(|r| {
                !r["last_scan_at"].is_null() && r["uptime"]["checks"].as_i64() >= Some(3)
            })
        }) && row(&list, "down.fleet.test").is_some_and(|r| r["dead"] == true)
            && row(&list, "moved.fleet.test").is_some_and(|r| !r["moved_to"].is_null())
            && row(&list, "fosstodon.org").is_some();
        ready.then_some(list)
    });
    let log = serve.log_text();

    for h in &INSTANCES[..6] {
        let r = row(&list, h).unwrap();
        assert_eq!(r["up"], true, "{r}");
        assert_eq!(r["uptime"]["30d"], 1.0, "{r}");
        assert!(r["rating"]["grade"].is_string(), "{r}");
        assert_eq!(r["observatory"]["grade"], "A+", "{r}");
        assert_eq!(r["software"]["name"], "mastodon", "{r}");
        assert_eq!(r["software"]["version"], "4.5.3", "{r}");
        assert_eq!(r["opted_out"], false);
    }
    // Ranked: ranks count up and ratings never rise down the list.
    let rows = list["instances"].as_array().unwrap();
    let mut last = i64::MAX;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["rank"], i as i64 + 1);
        if let Some(score) = r["rating"]["score"].as_i64() {
            assert!(score <= last || r["rating"]["grade"].is_null(), "{list}");
            last = score;
        }
    }
    // Opt-outs: nothing but the name.
    for (h, why) in [
        ("optout.fleet.test", "robots"),
        ("gone.fleet.test", "gone-410"),
    ] {
        let r = row(&list, h).unwrap();
        assert_eq!(r["opted_out"], true, "{h}: {r}");
        assert!(
            r["rating"]["score"].is_null() && r["observatory"]["grade"].is_null(),
            "{r}"
        );
        let (status, body) = get(port, &format!("/api/v1/instances/{h}")).unwrap();
        assert_eq!(status, 404, "{body}");
        assert!(body.contains("opted out"), "{body}");
        let listed =
            String::from_utf8_lossy(&vigil(&["instances", "list", "--database", database]).stdout)
                .into_owned();
        assert!(
            listed.contains(&format!("{h}\topted-out ({why})")),
            "{listed}"
        );
    }
    assert_eq!(
        row(&list, "moved.fleet.test").unwrap()["moved_to"],
        "target.fleet.test"
    );
    let down = row(&list, "down.fleet.test").unwrap();
    assert_eq!(down["up"], false, "{down}");
    assert_eq!(down["dead"], true, "{down}");
    // Discovery: the valid public names from peers.fleet.test, nothing else; none of them was
    // contacted (their lookups went to the loopback resolver, which knows none of them).
    let listed =
        String::from_utf8_lossy(&vigil(&["instances", "list", "--database", database]).stdout)
            .into_owned();
    for good in [
        "fosstodon.org",
        "mastodon.social",
        "social.vigil-example.net",
    ] {
        assert!(
            listed.contains(&format!("{good}\t")),
            "{good} not discovered: {listed}"
        );
        assert!(listed.contains("peer:peers.fleet.test"), "{listed}");
    }
    for junk in [
        "hidden.org",
        "127.0.0.1",
        "localhost",
        "peer.test",
        "bad_name.org",
    ] {
        assert!(!listed.contains(junk), "{junk} was added: {listed}");
    }
    assert_eq!(listed.matches("i0001.fleet.test").count(), 1);

    // The API's report is the report `vigil scan --format json` prints.
    let api = get_json(port, "/api/v1/instances/i0001.fleet.test");
    let mut scan_args = vec!["scan".to_string(), "--format".into(), "json".into()];
    scan_args.extend(fleet.flags());
    scan_args.push("i0001.fleet.test".into());
    let scan_args: Vec<&str> = scan_args.iter().map(String::as_str).collect();
    let cli: Value = serde_json::from_slice(&vigil(&scan_args).stdout).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&api), keys(&cli));
    // The Date header is the one thing two scans never share.
    let (mut api, mut cli) = (api, cli);
    api["observatory"]["response_headers"]["date"] = Value::Null;
    cli["observatory"]["response_headers"]["date"] = Value::Null;
    assert_eq!(api["schema_version"], 2);
    for part in ["rating", "observatory", "dns", "changes", "guidance"] {
        assert_eq!(
            api[part], cli[part],
            "{part} differs between the API and the CLI"
        );
    }
    assert_eq!(api["tls"]["grades"], cli["tls"]["grades"]);

    // History: the scan and the day's uptime; the crawler said who it is.
    let h = get_json(port, "/api/v1/instances/i0001.fleet.test/history");
    assert_eq!(h["scans"].as_array().map(Vec::len), Some(1), "{h}");
    assert!(h["days"][0]["total"].as_i64() >= Some(3), "{h}");
    assert_eq!(
        get(port, "/api/v1/instances/nowhere.fleet.test").unwrap().0,
        404
    );
    assert_eq!(get(port, "/api/v1/instances?sort=bogus").unwrap().0, 400);
    let by_host = get_json(port, "/api/v1/instances?sort=host&limit=2&offset=1");
    assert_eq!(by_host["instances"].as_array().map(Vec::len), Some(2));
    assert_eq!(by_host["instances"][0]["rank"], 2);
    assert!(!log.contains("panicked"), "{log}");

    // A discovered peer whose name leads to loopback is listed but never contacted: the
    // monitor's guard refuses it before any check or scan (were it let through, the fleet's
    // nginx on 127.0.0.1 would answer and the row would fill). Several check intervals pass.
    std::thread::sleep(Duration::from_secs(5));
    let list = get_json(port, "/api/v1/instances?limit=100");
    let lo = row(&list, "loopback.vigil-test.net").expect("the peer is listed");
    assert!(lo["last_scan_at"].is_null(), "{lo}");
    assert!(lo["up"].is_null(), "{lo}");
    assert_eq!(lo["uptime"]["checks"].as_i64(), Some(0), "{lo}");

    // SIGTERM: a clean stop within the grace period.
    let mut serve = serve;
    let status = serve.term(Duration::from_secs(40));
    assert!(
        status.is_some_and(|s| s.success()),
        "serve did not stop cleanly: {}",
        serve.log_text()
    );
    // Regrade: every stored scan assessed again from its evidence, without a request.
    let scans_before = vigil(&["export", "--database", database]);
    let out = vigil(&["regrade", "--database", database, "--ca-file", &Fleet::ca()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n: usize = text
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(n >= 8, "{text}");
    assert!(text.contains("0 with unreadable evidence"), "{text}");
    let scans_after = vigil(&["export", "--database", database]);
    let rows = |o: &std::process::Output| -> Vec<(Value, Value)> {
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["host"].clone(), r["rating"].clone()))
            .collect()
    };
    assert_eq!(
        rows(&scans_before),
        rows(&scans_after),
        "a regrade with the same grading changed a rating"
    );
    // Nothing stored is lost and a second start keeps every instance.
    let listed_after =
        String::from_utf8_lossy(&vigil(&["instances", "list", "--database", database]).stdout)
            .into_owned();
    assert_eq!(listed_after.lines().count(), listed.lines().count());
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn story_on_sqlite() {
    let scratch = Scratch::new("story-db");
    story(&scratch.path("list.db"), "story-sqlite");
}

#[test]
#[ignore = "needs the fleet, knot and PostgreSQL: scripts/test.sh"]
fn story_on_postgres() {
    let Some(url) = postgres_db("story") else {
        return;
    };
    story(&url, "story-pg");
}

#[test]
fn bad_settings_are_clear_errors() {
    let scratch = Scratch::new("bad-settings");
    let out = vigil(&["instances", "list", "--database", "mysql://x/y"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open the database"));
    let out = vigil(&[
        "serve",
        "--check-interval",
        "5 parsecs",
        "--database",
        &scratch.path("a.db"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown unit"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cfg = scratch.path("vigil.toml");
    std::fs::write(&cfg, "scan_intervall = \"1h\"\n").unwrap();
    let out = vigil(&["worker", "--config", &cfg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not valid"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vigil(&[
        "instances",
        "add",
        "--database",
        &scratch.path("a.db"),
        "http://x.example/",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // A database a newer vigil migrated is refused, and left as it was.
    let db = scratch.path("newer.db");
    assert!(
        vigil(&["instances", "add", "--database", &db, "a.fleet.test"])
            .status
            .success()
    );
    sqlite(
        &db,
        "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)",
    );
    let out = vigil(&["instances", "list", "--database", &db]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("99"), "{err}");
    assert_eq!(sqlite(&db, "SELECT host FROM instances"), "a.fleet.test");
}
