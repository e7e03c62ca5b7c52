//! Several workers, one database, no work done twice and none lost: three `vigil worker`
//! processes share a few hundred local instances on PostgreSQL; one is killed with SIGKILL in
//! the middle of its scans; the others finish its jobs once its leases run out, and every
//! instance ends with exactly one scan. And `vigil serve` on SQLite killed with SIGKILL keeps
//! every scan committed before the kill, with an intact database. Needs the fleet, knot and
//! PostgreSQL (scripts/test.sh), so the tests are `#[ignore]`d for plain runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::collections::BTreeMap;
use std::time::Duration;

const FLEET: usize = 240;

fn names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("i{i:04}.fleet.test")).collect()
}

fn monitor_args(kind: &str, db: &str, fleet: &Fleet) -> Vec<String> {
    let mut args: Vec<String> = [
        kind,
        "--database",
        db,
        "--scan-interval",
        "1h",
        "--check-interval",
        "1h",
        "--scan-concurrency",
        "6",
        "--scan-timeout",
        "10s",
        "--lease",
        "16s",
        "--tick",
        "200ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(fleet.flags());
    args
}

fn worker_name(log: &str) -> Option<String> {
    let line = log.lines().find(|l| l.contains("monitor started"))?;
    let at = line.find("worker=")?;
    Some(line[at + 7..].split_whitespace().next()?.to_string())
}

#[test]
#[ignore = "needs the fleet, knot and PostgreSQL: scripts/test.sh"]
fn three_workers_share_the_work_and_survive_a_kill() {
    let Some(db) = postgres_db("workers") else {
        return;
    };
    let scratch = Scratch::new("workers");
    let fleet = Fleet::start(&scratch);
    let list = scratch.path("hosts.txt");
    std::fs::write(&list, names(FLEET).join("\n")).unwrap();
    assert!(
        vigil(&["instances", "import", "--database", &db, &list])
            .status
            .success()
    );

    let mut workers: Vec<Running> = (0..3)
        .map(|i| {
            Running::spawn(
                &monitor_args("worker", &db, &fleet),
                scratch.path(&format!("w{i}.log")),
            )
        })
        .collect();
    let victim = wait_for(Duration::from_secs(30), "worker 0 to start", || {
        worker_name(&workers[0].log_text())
    });
    // Kill worker 0 while it holds scans, after some have been committed.
    let held = wait_for(Duration::from_secs(120), "worker 0 mid-scan", || {
        let done: i64 = psql(
            &db,
            &format!("SELECT COUNT(*) FROM scans WHERE worker = '{victim}'"),
        )
        .parse()
        .ok()?;
        let held = psql(
            &db,
            &format!("SELECT host FROM instances WHERE scan_owner = '{victim}' ORDER BY host"),
        );
        (done >= 5 && !held.is_empty()).then_some(held)
    });
    workers[0].kill9();
    let committed_by_victim: i64 = psql(
        &db,
        &format!("SELECT COUNT(*) FROM scans WHERE worker = '{victim}'"),
    )
    .parse()
    .unwrap();

    wait_for(Duration::from_secs(300), "every instance scanned", || {
        let n: usize = psql(&db, "SELECT COUNT(DISTINCT host) FROM scans")
            .parse()
            .ok()?;
        (n == FLEET).then_some(())
    });
    // Let the survivors run on a little: nothing may be scanned a second time this interval.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        psql(&db, "SELECT COUNT(*) FROM scans"),
        FLEET.to_string(),
        "an instance was scanned twice"
    );
    assert_eq!(
        psql(
            &db,
            "SELECT COUNT(*) FROM (SELECT host FROM scans GROUP BY host HAVING COUNT(*) > 1) d"
        ),
        "0"
    );
    // The victim's committed scans are all there; the jobs it held were finished by others.
    assert_eq!(
        psql(
            &db,
            &format!("SELECT COUNT(*) FROM scans WHERE worker = '{victim}'")
        ),
        committed_by_victim.to_string()
    );
    for host in held.lines() {
        let by = psql(
            &db,
            &format!("SELECT worker FROM scans WHERE host = '{host}'"),
        );
        assert!(
            !by.is_empty() && by != victim,
            "{host} held by the killed worker was not rescanned by another ({by})"
        );
    }
    let mut per_worker: BTreeMap<String, i64> = BTreeMap::new();
    for line in psql(&db, "SELECT worker, COUNT(*) FROM scans GROUP BY worker").lines() {
        if let Some((w, n)) = line.split_once('|') {
            per_worker.insert(w.to_string(), n.parse().unwrap());
        }
    }
    assert!(
        per_worker.len() >= 3,
        "all three workers took part: {per_worker:?}"
    );
    for w in workers.iter_mut().skip(1) {
        let status = w.term(Duration::from_secs(40));
        assert!(status.is_some_and(|s| s.success()), "{}", w.log_text());
        assert!(!w.log_text().contains("panicked"));
    }
    assert_eq!(
        psql(
            &db,
            "SELECT COUNT(*) FROM instances WHERE scan_owner IS NOT NULL"
        ),
        "0",
        "SIGTERM left leases held"
    );
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn serve_killed_with_sigkill_loses_no_committed_scan() {
    let scratch = Scratch::new("crash");
    let fleet = Fleet::start(&scratch);
    let db = scratch.path("list.db");
    let n = 120;
    let list = scratch.path("hosts.txt");
    std::fs::write(&list, names(n).join("\n")).unwrap();
    assert!(
        vigil(&["instances", "import", "--database", &db, &list])
            .status
            .success()
    );
    let port = free_port();
    let mut args = monitor_args("serve", &db, &fleet);
    args.extend(["--listen".to_string(), format!("127.0.0.1:{port}")]);
    let mut serve = Running::spawn(&args, scratch.path("serve1.log"));
    // What the API shows as scanned, just before the kill.
    let seen: BTreeMap<String, String> = wait_for(Duration::from_secs(120), "30 scans", || {
        get(port, "/healthz")?;
        let list = get_json(port, "/api/v1/instances?limit=500");
        let seen: BTreeMap<String, String> = list["instances"]
            .as_array()?
            .iter()
            .filter_map(|r| {
                Some((
                    r["host"].as_str()?.to_string(),
                    r["last_scan_at"].as_str()?.to_string(),
                ))
            })
            .collect();
        (seen.len() >= 30 && seen.len() < n).then_some(seen)
    });
    serve.kill9();
    assert_eq!(sqlite(&db, "PRAGMA integrity_check"), "ok");
    let stored: i64 = sqlite(&db, "SELECT COUNT(*) FROM scans").parse().unwrap();
    assert!(stored >= seen.len() as i64);

    let mut again = Running::spawn(&args, scratch.path("serve2.log"));
    wait_for(Duration::from_secs(20), "the API again", || {
        get(port, "/healthz")
    });
    let list = get_json(port, "/api/v1/instances?limit=500");
    for (host, at) in &seen {
        let row = list["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["host"] == host.as_str())
            .unwrap();
        assert_eq!(
            row["last_scan_at"].as_str(),
            Some(at.as_str()),
            "{host} lost its scan"
        );
        assert_eq!(
            get(port, &format!("/api/v1/instances/{host}")).unwrap().0,
            200
        );
    }
    // The scans in flight at the kill are redone once their leases end; none twice.
    wait_for(Duration::from_secs(240), "every instance scanned", || {
        let done: usize = sqlite(&db, "SELECT COUNT(DISTINCT host) FROM scans")
            .parse()
            .ok()?;
        (done == n).then_some(())
    });
    assert_eq!(sqlite(&db, "SELECT COUNT(*) FROM scans"), n.to_string());
    assert!(
        again
            .term(Duration::from_secs(40))
            .is_some_and(|s| s.success())
    );
    assert_eq!(sqlite(&db, "PRAGMA integrity_check"), "ok");
}
