//! Retention end to end: `vigil serve` prunes its own store while it runs (old uptime checks,
//! the evidence of older scans, older scans), every instance keeps its newest scan with its
//! evidence and its uptime figures, and `vigil prune` does the same on demand. The intervals
//! are seconds here so the test sees several prunes. Needs the fleet and knot
//! (scripts/test.sh), so it is `#[ignore]`d.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::time::Duration;

const HOSTS: [&str; 2] = ["i0151.fleet.test", "i0152.fleet.test"];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn count(db: &str, sql: &str) -> i64 {
    sqlite(db, sql).parse().unwrap()
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn the_monitor_prunes_what_retention_no_longer_covers() {
    let scratch = Scratch::new("prune");
    let fleet = Fleet::start(&scratch);
    let db = scratch.path("list.db");
    let mut add = vec!["instances", "add", "--database", &db];
    add.extend_from_slice(&HOSTS);
    assert!(vigil(&add).status.success());
    let port = free_port();
    let mut args: Vec<String> = [
        "serve",
        "--database",
        &db,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--check-interval",
        "1s",
        "--scan-interval",
        "2s",
        "--tick",
        "200ms",
        "--prune-every",
        "1s",
        "--keep-checks",
        "8s",
        "--keep-evidence",
        "3s",
        "--keep-scans",
        "6s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(fleet.flags());
    let mut serve = Running::spawn(&args, scratch.path("serve.log"));
    wait_for(Duration::from_secs(30), "the API", || get(port, "/healthz"));
    // Long enough for scans and checks to age past every limit, several times over.
    std::thread::sleep(Duration::from_secs(16));
    wait_for(Duration::from_secs(60), "prunes of old rows", || {
        (serve.log_text().contains("pruned")
            && count(&db, "SELECT COUNT(*) FROM scans WHERE length(evidence) = 0") > 0)
            .then_some(())
    });
    // A recent check (written here, marked by its latency) outlives several prunes.
    let out = std::process::Command::new("sqlite3")
        .args([
            "-cmd",
            ".timeout 10000",
            &db,
            &format!(
                "INSERT INTO checks (host, checked_at, up, latency_ms, void) \
                 VALUES ('{}', {}, 1, 4242, 0)",
                HOSTS[0],
                now()
            ),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    std::thread::sleep(Duration::from_secs(3));
    let t = now();
    // A prune runs every second; allow a few periods of slack on each limit (a loaded machine
    // runs the loop late).
    let slack = 5;
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM checks WHERE checked_at < {}",
                t - 8 - slack
            )
        ),
        0,
        "old checks stay"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM checks WHERE latency_ms = 4242"),
        1,
        "a recent check is kept"
    );
    let not_latest =
        "id NOT IN (SELECT last_scan_id FROM instances WHERE last_scan_id IS NOT NULL)";
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM scans WHERE scanned_at < {} AND {not_latest}",
                t - 6 - slack
            )
        ),
        0,
        "old scans stay"
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM scans WHERE scanned_at < {} AND length(evidence) > 0 AND {not_latest}",
                t - 3 - slack
            )
        ),
        0,
        "old evidence stays"
    );
    assert!(
        count(&db, "SELECT COUNT(*) FROM scans WHERE length(evidence) = 0") > 0,
        "some evidence was pruned"
    );
    // Each instance keeps its newest scan, with evidence, and its uptime figures.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM instances i JOIN scans s ON s.id = i.last_scan_id \
             WHERE length(s.evidence) > 0"
        ),
        HOSTS.len() as i64
    );
    for h in HOSTS {
        let r = get_json(port, &format!("/api/v1/instances/{h}"));
        assert_eq!(r["schema_version"], 2, "{h}: {r}");
        let list = get_json(port, "/api/v1/instances");
        let row = list["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["host"] == h)
            .unwrap()
            .clone();
        assert!(row["uptime"]["checks"].as_i64() > Some(0), "{row}");
    }
    serve.term(Duration::from_secs(40));

    // On demand, the same; a short limit leaves only the newest scans, `forever` nothing.
    // The uptime figures rest on the day rollups, which no prune touches.
    let rollups = "SELECT SUM(total) FROM uptime_days";
    let checked = count(&db, rollups);
    assert!(checked > 0);
    std::thread::sleep(Duration::from_secs(2));
    let out = vigil(&[
        "prune",
        "--database",
        &db,
        "--keep-checks",
        "1s",
        "--keep-evidence",
        "1s",
        "--keep-scans",
        "1s",
    ]);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("pruned ") && said.contains("uptime checks"),
        "{said}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM checks"), 0);
    assert_eq!(count(&db, rollups), checked, "the rollups stay");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM scans"), HOSTS.len() as i64);
    let out = vigil(&[
        "prune",
        "--database",
        &db,
        "--keep-checks",
        "forever",
        "--keep-evidence",
        "forever",
        "--keep-scans",
        "forever",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "pruned 0 uptime checks, the evidence of 0 scans and 0 scans"
    );
    // Regrade still works on what is left.
    let out = vigil(&["regrade", "--database", &db]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("regraded {} scans", HOSTS.len()))
    );
    // A bad limit is a clear error, and nothing is touched.
    let out = vigil(&["prune", "--database", &db, "--keep-scans", "soon"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a duration"),
        "{out:?}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM scans"), HOSTS.len() as i64);
    assert!(!serve.log_text().contains("panicked"));
}
