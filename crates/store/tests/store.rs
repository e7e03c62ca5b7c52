//! vigil-store against real databases: a SQLite file always, PostgreSQL when
//! `VIGIL_TEST_POSTGRES` is set (see `common`).
//!
//! ```text
//! scripts/postgres.sh start     # prints postgres://vigil@127.0.0.1:54329/vigil_test
//! VIGIL_TEST_POSTGRES=postgres://vigil@127.0.0.1:54329/vigil_test cargo test -p vigil-store
//! ```
//! With `VIGIL_CONFORMANCE=1` and no `VIGIL_TEST_POSTGRES` the PostgreSQL tests fail.

// Test helpers outside #[test] functions panic on purpose too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{TestDb, scan};
use sqlx::Row;
use vigil_store::{
    Backend, JobKind, ListQuery, NewCheck, ScanSummary, SortKey, Store, StoreError, Uptime,
    grade_rank,
};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn check(host: &str, at: i64, up: bool, void: bool) -> NewCheck {
    NewCheck {
        host: host.into(),
        checked_at: at,
        up,
        latency_ms: up.then_some(120),
        failure: (!up).then(|| "refused".to_string()),
        void,
    }
}

/// Claims a scan lease for `worker` on `host` (due now) and records `scan` under it.
async fn scan_now(store: &Store, host: &str, at: i64, grade: &str, score: i64) -> i64 {
    let claims = store
        .claim(JobKind::Scan, "w", at, 600, 1000)
        .await
        .unwrap();
    assert!(
        claims.iter().any(|c| c.host == host),
        "{host} not due at {at}"
    );
    let id = store
        .record_scan(&scan(host, at, "w", Some(grade), Some(score)), at + DAY)
        .await
        .unwrap()
        .unwrap();
    for c in claims.iter().filter(|c| c.host != host) {
        store.release(&c.host, JobKind::Scan, "w").await.unwrap();
    }
    id
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_urls_and_unreachable_servers_are_told_apart() {
    for url in [
        "mysql://localhost/x",
        "http://example.invalid/",
        "sqlite::memory:",
        "",
    ] {
        let err = Store::open(url).await.unwrap_err();
        assert!(matches!(err, StoreError::BadUrl(_)), "{url}: {err}");
        assert!(err.to_string().contains("URL"), "{err}");
    }
    // Nothing listens on port 1 of loopback.
    let err = Store::open("postgres://vigil@127.0.0.1:1/nothing")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Connect(_)), "{err}");
    // SQLite creates the file, not the directories above it.
    let err = Store::open("sqlite:///nonexistent-dir-vigil/x/list.db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Connect(_)), "{err}");
}

#[test]
fn grades_rank_in_letter_order() {
    let order = ["A+", "A", "A-", "B+", "B", "B-", "C", "D", "E", "F"];
    for pair in order.windows(2) {
        assert!(grade_rank(pair[0]) > grade_rank(pair[1]), "{pair:?}");
    }
    assert!(grade_rank("F") > 0);
    assert_eq!(grade_rank("T"), 0);
    assert_eq!(grade_rank(""), 0);
    assert_eq!(grade_rank("A++"), 0);
}

#[test]
fn uptime_ratio_needs_checks() {
    assert_eq!(Uptime { up: 0, checks: 0 }.ratio(), None);
    assert_eq!(Uptime { up: 3, checks: 4 }.ratio(), Some(0.75));
}

// ---------------------------------------------------------------------------------------------

on_both!(reopen_keeps_data);
async fn reopen_keeps_data(db: &TestDb) {
    let store = db.open().await;
    assert!(
        store
            .add_instance("a.example", "operator", NOW, 3600)
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_instance("a.example", "import", NOW, 3600)
            .await
            .unwrap()
    );
    let id = scan_now(&store, "a.example", NOW, "B", 70).await;
    store.close().await;

    let store = db.open().await;
    let expected = if db.url().starts_with("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(store.backend(), expected);
    assert_eq!(store.count().await.unwrap(), 1);
    let inst = store.instance("a.example").await.unwrap().unwrap();
    assert_eq!(inst.source, "operator");
    assert_eq!(inst.last_scan_at, Some(NOW));
    assert_eq!(inst.next_scan_at, NOW + DAY);
    let history = store.history("a.example", 0).await.unwrap();
    assert_eq!(history.scans.len(), 1);
    assert_eq!(history.scans[0].id, id);
    assert_eq!(history.scans[0].summary.rating_grade.as_deref(), Some("B"));
    assert!(store.size_bytes().await.unwrap().unwrap() > 0);
    store.close().await;
}

on_both!(newer_schema_is_refused_and_left_alone);
async fn newer_schema_is_refused_and_left_alone(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 3600)
        .await
        .unwrap();
    store.close().await;
    let raw = db.raw().await;
    sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)")
        .execute(&raw)
        .await
        .unwrap();
    match Store::open(db.url()).await {
        Err(StoreError::NewerSchema { found, known }) => {
            assert_eq!(found, 99);
            assert_eq!(known, vigil_store::SCHEMA_VERSION);
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM instances")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let v: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_version")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(v, vigil_store::SCHEMA_VERSION + 1);
    raw.close().await;
}

on_both!(concurrent_opens_all_succeed);
async fn concurrent_opens_all_succeed(db: &TestDb) {
    let url = db.url().to_string();
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::open(&url).await })
        })
        .collect();
    for open in opens {
        let store = open.await.unwrap().unwrap();
        store
            .add_instance("a.example", "operator", NOW, 60)
            .await
            .unwrap();
        store.close().await;
    }
    let store = db.open().await;
    assert_eq!(store.count().await.unwrap(), 1);
    store.close().await;
}

on_both!(imports_are_bulk_and_spread_checks);
async fn imports_are_bulk_and_spread_checks(db: &TestDb) {
    let store = db.open().await;
    let names: Vec<(String, String)> = (0..10_000)
        .map(|i| (format!("host{i:05}.example"), "import".to_string()))
        .collect();
    let started = std::time::Instant::now();
    assert_eq!(
        store.add_instances(&names, NOW, 3600).await.unwrap(),
        10_000
    );
    eprintln!("10,000 names imported in {:?}", started.elapsed());
    if store.backend() == Backend::Postgres {
        // A big import refreshes the planner's statistics, so the list is read through its
        // index at once rather than after autovacuum comes round.
        let raw = db.raw().await;
        let analyzed: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_stat_user_tables \
             WHERE relname = 'instances' AND last_analyze IS NOT NULL",
        )
        .fetch_one(&raw)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        assert_eq!(analyzed, 1, "instances analyzed after the import");
    }
    // Overlap and repeats count once.
    let more = [
        ("host00000.example", "import"),
        ("new.example", "peer:x"),
        ("new.example", "x"),
    ];
    assert_eq!(store.add_instances(&more, NOW + 1, 3600).await.unwrap(), 1);
    assert_eq!(store.count().await.unwrap(), 10_001);

    let all = store.instances().await.unwrap();
    assert_eq!(all.len(), 10_001);
    assert!(
        all.windows(2).all(|w| w[0].host < w[1].host),
        "ordered by host"
    );
    assert!(all.iter().all(|i| i.next_scan_at == i.added_at));
    assert!(
        all.iter()
            .all(|i| (i.added_at..i.added_at + 3600).contains(&i.next_check_at))
    );
    // Spread: the first checks do not pile up on a few seconds of the hour.
    let distinct: std::collections::HashSet<i64> = all.iter().map(|i| i.next_check_at).collect();
    assert!(
        distinct.len() > 3000,
        "{} distinct check times",
        distinct.len()
    );
    // Stable: the same host lands on the same offset in another store.
    let new = store.instance("new.example").await.unwrap().unwrap();
    assert_eq!(new.source, "peer:x");
    let events = store.history("new.example", 0).await.unwrap().events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "added");
    assert_eq!(events[0].new.as_deref(), Some("peer:x"));
    store.close().await;
}

on_both!(claims_are_exclusive_across_concurrent_claimers);
async fn claims_are_exclusive_across_concurrent_claimers(db: &TestDb) {
    let setup = db.open().await;
    let names: Vec<(String, &str)> = (0..400)
        .map(|i| (format!("h{i:03}.example"), "import"))
        .collect();
    setup.add_instances(&names, NOW, 1).await.unwrap();
    // Two stores stand for two worker processes; each runs several claim loops.
    let stores = [Arc::new(db.open().await), Arc::new(db.open().await)];
    let mut tasks = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        for t in 0..6 {
            let store = Arc::clone(store);
            tasks.push(tokio::spawn(async move {
                let worker = format!("w{s}-{t}");
                let mut got = Vec::new();
                loop {
                    let claims = store
                        .claim(JobKind::Scan, &worker, NOW, 600, 7)
                        .await
                        .unwrap();
                    if claims.is_empty() {
                        break;
                    }
                    assert!(claims.len() <= 7);
                    assert!(claims.iter().all(|c| c.lease_until == NOW + 600));
                    got.extend(claims.into_iter().map(|c| (c.host, worker.clone())));
                }
                got
            }));
        }
    }
    let mut seen: HashMap<String, String> = HashMap::new();
    for task in tasks {
        for (host, worker) in task.await.unwrap() {
            if let Some(first) = seen.insert(host.clone(), worker.clone()) {
                panic!("{host} claimed twice: by {first} and {worker}");
            }
        }
    }
    assert_eq!(seen.len(), 400, "every due host claimed exactly once");
    let workers: std::collections::HashSet<&String> = seen.values().collect();
    assert!(workers.len() > 1, "the claimers really ran side by side");
    // Checks have their own leases: all 400 are claimable as checks (due at NOW+hash%1 = NOW).
    let checks = setup
        .claim(JobKind::Check, "c", NOW, 60, 1000)
        .await
        .unwrap();
    assert_eq!(checks.len(), 400);
    for store in stores {
        store.close().await;
    }
    setup.close().await;
}

on_both!(expired_leases_are_reclaimable_and_lost_leases_store_nothing);
async fn expired_leases_are_reclaimable_and_lost_leases_store_nothing(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 60)
        .await
        .unwrap();
    store
        .add_instance("later.example", "operator", NOW + 100, 1)
        .await
        .unwrap();

    let first = store.claim(JobKind::Scan, "w1", NOW, 60, 10).await.unwrap();
    assert_eq!(first.len(), 1, "later.example is not due yet");
    assert_eq!(first[0].host, "a.example");
    assert_eq!(first[0].kind, JobKind::Scan);
    assert!(
        store
            .claim(JobKind::Scan, "w2", NOW + 30, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Lease ends at NOW+60; at NOW+61 it is free again.
    let second = store
        .claim(JobKind::Scan, "w2", NOW + 61, 60, 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].host, "a.example");

    // w1 finishes late: its scan must not be stored.
    let late = scan("a.example", NOW + 62, "w1", Some("A"), Some(90));
    assert_eq!(store.record_scan(&late, NOW + DAY).await.unwrap(), None);
    assert!(
        store
            .history("a.example", 0)
            .await
            .unwrap()
            .scans
            .is_empty()
    );
    assert_eq!(store.latest_report("a.example").await.unwrap(), None);
    assert_eq!(
        store
            .instance("a.example")
            .await
            .unwrap()
            .unwrap()
            .next_scan_at,
        NOW
    );
    // w2 still holds it.
    let ok = scan("a.example", NOW + 63, "w2", Some("B"), Some(80));
    let id = store.record_scan(&ok, NOW + DAY).await.unwrap().unwrap();
    assert_eq!(
        store.latest_report("a.example").await.unwrap(),
        Some(ok.report_json.clone())
    );
    // Recording freed the lease and moved the due time: nothing to claim now, and w2 cannot
    // record a second time on the same lease.
    assert!(
        store
            .claim(JobKind::Scan, "w3", NOW + 64, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.record_scan(&ok, NOW + DAY).await.unwrap(), None);
    assert_eq!(store.history("a.example", 0).await.unwrap().scans[0].id, id);

    // Checks: same rule.
    let c = store
        .claim(JobKind::Check, "m1", NOW + 100, 30, 10)
        .await
        .unwrap();
    assert_eq!(c.len(), 2);
    assert!(
        !store
            .record_check(
                &check("a.example", NOW + 100, true, false),
                "m2",
                NOW + 200,
                0
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .record_check(
                &check("a.example", NOW + 100, true, false),
                "m1",
                NOW + 200,
                0
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_check(
                &check("a.example", NOW + 100, true, false),
                "m1",
                NOW + 200,
                0
            )
            .await
            .unwrap()
    );

    // Release gives a lease back without moving the due time.
    assert!(
        store
            .release("later.example", JobKind::Check, "m1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .release("later.example", JobKind::Check, "m1")
            .await
            .unwrap()
    );
    let again = store
        .claim(JobKind::Check, "m2", NOW + 101, 30, 10)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|c| c.host.as_str()).collect::<Vec<_>>(),
        ["later.example"]
    );
    store.close().await;
}

on_both!(grade_changes_become_events);
async fn grade_changes_become_events(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 60)
        .await
        .unwrap();
    scan_now(&store, "a.example", NOW, "B", 70).await;
    scan_now(&store, "a.example", NOW + DAY, "B", 72).await;
    scan_now(&store, "a.example", NOW + 2 * DAY, "A", 88).await;
    let events: Vec<_> = store
        .history("a.example", 0)
        .await
        .unwrap()
        .events
        .into_iter()
        .filter(|e| e.kind == "grade-change")
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].at, NOW + 2 * DAY);
    assert_eq!(events[0].old.as_deref(), Some("B"));
    assert_eq!(events[0].new.as_deref(), Some("A"));
    let history = store.history("a.example", NOW + DAY).await.unwrap();
    assert_eq!(history.scans.len(), 2, "since filters scans");
    store.close().await;
}

on_both!(uptime_rollup_counts_only_counted_checks);
async fn uptime_rollup_counts_only_counted_checks(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW - 60 * DAY, 60)
        .await
        .unwrap();
    let mut at = NOW - 40 * DAY;
    // (offset from NOW-40d, up, void)
    let plan = [
        (0, false, false), // 40 days ago: in the 90-day window only
        (40 * DAY - 300, true, false),
        (40 * DAY - 200, true, false),
        (40 * DAY - 100, false, false),
        (40 * DAY - 50, false, true), // void: not counted
        (40 * DAY, true, true),       // void: not counted either
    ];
    for (offset, up, void) in plan {
        at = NOW - 40 * DAY + offset;
        let claims = store
            .claim(JobKind::Check, "m", at + 1_000_000, 30, 10)
            .await
            .unwrap();
        assert_eq!(claims.len(), 1);
        assert!(
            store
                .record_check(&check("a.example", at, up, void), "m", at + 60, 3)
                .await
                .unwrap()
        );
    }
    assert_eq!(
        store.uptime("a.example", NOW, 30).await.unwrap(),
        Uptime { up: 2, checks: 3 }
    );
    assert_eq!(
        store.uptime("a.example", NOW, 90).await.unwrap(),
        Uptime { up: 2, checks: 4 }
    );
    assert_eq!(
        store.uptime("nobody.example", NOW, 90).await.unwrap(),
        Uptime::default()
    );

    let inst = store.instance("a.example").await.unwrap().unwrap();
    assert_eq!(inst.up, Some(false), "the last counted check was down");
    assert_eq!(
        inst.last_check_at,
        Some(at),
        "void checks still note the time"
    );
    assert_eq!(inst.next_check_at, at + 60);
    assert_eq!(inst.first_down_at, Some(NOW - 100));
    assert_eq!(inst.last_up_at, Some(NOW - 200));
    assert_eq!(inst.last_failure.as_deref(), Some("refused"));
    assert_eq!(inst.refused_streak, 3);

    let q = ListQuery {
        include_down: true,
        ..ListQuery::default()
    };
    let (rows, _) = store.list(&q).await.unwrap();
    assert_eq!(rows[0].uptime_30d, Uptime { up: 2, checks: 3 });
    assert_eq!(rows[0].uptime_90d, Uptime { up: 2, checks: 4 });
    let (rows, total) = store
        .list(&ListQuery {
            include_down: false,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert!(
        rows.is_empty() && total == 0,
        "down instances can be left out"
    );

    let days = store.history("a.example", 0).await.unwrap().days;
    assert_eq!(days.iter().map(|d| d.total).sum::<i64>(), 4);
    assert_eq!(days.iter().map(|d| d.up).sum::<i64>(), 2);
    assert_eq!(days.first().unwrap().day, (NOW - 40 * DAY) / DAY);

    // An up check ends the down run.
    assert_eq!(
        store
            .claim(JobKind::Check, "m", NOW + 100, 30, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .record_check(
                &check("a.example", NOW + 100, true, false),
                "m",
                NOW + 160,
                0
            )
            .await
            .unwrap()
    );
    let inst = store.instance("a.example").await.unwrap().unwrap();
    assert_eq!(
        (inst.up, inst.first_down_at, inst.refused_streak),
        (Some(true), None, 0)
    );
    store.close().await;
}

on_both!(opt_out_hides_the_summary);
async fn opt_out_hides_the_summary(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 60)
        .await
        .unwrap();
    scan_now(&store, "a.example", NOW, "A", 90).await;

    // A scan is in flight when the instance opts out: it must not land.
    store.set_opted_out("a.example", None, NOW).await.unwrap(); // not opted out: no-op
    let inst = store.instance("a.example").await.unwrap().unwrap();
    assert_eq!(
        inst.next_scan_at,
        NOW + DAY,
        "opting in what was never out changes nothing"
    );
    let claims = store
        .claim(JobKind::Scan, "w", NOW + DAY, 600, 10)
        .await
        .unwrap();
    assert_eq!(claims.len(), 1);
    store
        .set_opted_out("a.example", Some("robots"), NOW + DAY + 1)
        .await
        .unwrap();
    let in_flight = scan("a.example", NOW + DAY + 2, "w", Some("F"), Some(5));
    assert_eq!(
        store.record_scan(&in_flight, NOW + 2 * DAY).await.unwrap(),
        None
    );

    let inst = store.instance("a.example").await.unwrap().unwrap();
    assert_eq!(inst.opted_out.as_deref(), Some("robots"));
    assert_eq!(inst.opted_out_at, Some(NOW + DAY + 1));
    assert_eq!(store.latest_report("a.example").await.unwrap(), None);
    assert!(
        store
            .history("a.example", 0)
            .await
            .unwrap()
            .scans
            .is_empty()
    );
    assert!(
        store
            .claim(JobKind::Scan, "w", NOW + 9 * DAY, 600, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim(JobKind::Check, "m", NOW + 9 * DAY, 60, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    let (rows, total) = store.list(&ListQuery::default()).await.unwrap();
    assert!(rows.is_empty() && total == 0, "hidden by default");
    let q = ListQuery {
        include_opted_out: true,
        ..ListQuery::default()
    };
    let (rows, total) = store.list(&q).await.unwrap();
    assert_eq!(total, 1);
    assert!(rows[0].opted_out);
    assert_eq!(rows[0].summary, ScanSummary::default());
    assert_eq!(rows[0].last_scan_at, None);

    // Opting back in: due for a scan now, figures come back with the next scan.
    store
        .set_opted_out("a.example", None, NOW + 10 * DAY)
        .await
        .unwrap();
    let inst = store.instance("a.example").await.unwrap().unwrap();
    assert_eq!(
        (inst.opted_out, inst.opted_out_at, inst.next_scan_at),
        (None, None, NOW + 10 * DAY)
    );
    scan_now(&store, "a.example", NOW + 10 * DAY, "B", 75).await;
    let (rows, _) = store.list(&ListQuery::default()).await.unwrap();
    assert_eq!(rows[0].summary.rating_grade.as_deref(), Some("B"));

    let kinds: Vec<(String, Option<String>, Option<String>)> = store
        .history("a.example", 0)
        .await
        .unwrap()
        .events
        .into_iter()
        .filter(|e| e.kind == "opted-out")
        .map(|e| (e.kind, e.old, e.new))
        .collect();
    assert_eq!(
        kinds,
        [
            ("opted-out".into(), None, Some("robots".into())),
            ("opted-out".into(), Some("robots".into()), None)
        ]
    );
    assert!(matches!(
        store
            .set_opted_out("nobody.example", Some("operator"), NOW)
            .await,
        Err(StoreError::NoSuchInstance(_))
    ));
    store.close().await;
}

on_both!(dead_and_moved_become_events);
async fn dead_and_moved_become_events(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 60)
        .await
        .unwrap();
    store
        .set_dead("a.example", Some(NOW - DAY), NOW)
        .await
        .unwrap();
    store
        .set_dead("a.example", Some(NOW - DAY), NOW + 1)
        .await
        .unwrap(); // unchanged
    let (rows, _) = store.list(&ListQuery::default()).await.unwrap();
    assert!(rows.is_empty(), "dead instances are hidden by default");
    let (rows, _) = store
        .list(&ListQuery {
            include_dead: true,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert!(rows[0].dead);
    store.set_dead("a.example", None, NOW + 2).await.unwrap();
    store
        .set_moved("a.example", Some("b.example"), NOW + 3)
        .await
        .unwrap();
    assert_eq!(
        store
            .instance("a.example")
            .await
            .unwrap()
            .unwrap()
            .moved_to
            .as_deref(),
        Some("b.example")
    );
    let events: Vec<(String, i64)> = store
        .history("a.example", 0)
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| (e.kind, e.at))
        .collect();
    assert_eq!(
        events,
        [
            ("added".to_string(), NOW),
            ("dead".to_string(), NOW),
            ("alive".to_string(), NOW + 2),
            ("moved".to_string(), NOW + 3)
        ]
    );
    store.close().await;
}

on_both!(list_sorts_filters_and_paginates);
async fn list_sorts_filters_and_paginates(db: &TestDb) {
    let store = db.open().await;
    // host, grade, score, observatory, software
    let rows = [
        ("a.example", Some("B"), Some(70), 40, "mastodon"),
        ("b.example", Some("A+"), Some(97), 10, "mastodon"),
        ("c.example", Some("A"), Some(90), 80, "pleroma"),
        ("d.example", Some("A"), Some(90), 95, "mastodon"), // ties c on rating, wins on observatory
        ("e.example", None, None, 20, "misskey"),           // unrated: last
        ("f.example", Some("F"), Some(10), 5, "mastodon"),
    ];
    for (host, grade, score, obs, software) in rows {
        store.add_instance(host, "import", NOW, 60).await.unwrap();
        let mut s = scan(host, NOW, "x", grade, score);
        s.summary.observatory_score = Some(obs);
        s.summary.software = Some(software.into());
        store.insert_scan_unleased(&s, NOW + DAY).await.unwrap();
    }
    store
        .add_instance("g.example", "import", NOW, 60)
        .await
        .unwrap(); // never scanned
    let hosts =
        |rows: &[vigil_store::ListRow]| rows.iter().map(|r| r.host.clone()).collect::<Vec<_>>();

    let (page, total) = store.list(&ListQuery::default()).await.unwrap();
    assert_eq!(total, 7);
    assert_eq!(
        hosts(&page),
        ["b", "d", "c", "a", "f", "e", "g"].map(|h| format!("{h}.example"))
    );
    assert_eq!(
        page.iter().map(|r| r.rank).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!(page[0].summary.rating_score, Some(97));
    assert_eq!(page[0].summary.open_registrations, Some(true));
    assert!(page[0].summary.reachable);

    // Ascending: worst first, NULLs still last.
    let (page, _) = store
        .list(&ListQuery {
            descending: false,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(hosts(&page)[..2], ["f.example", "a.example"]);
    assert_eq!(hosts(&page)[5..], ["e.example", "g.example"]);

    // Pages: ranks continue; the total ignores paging.
    let q = ListQuery {
        limit: 2,
        offset: 2,
        ..ListQuery::default()
    };
    let (page, total) = store.list(&q).await.unwrap();
    assert_eq!(total, 7);
    assert_eq!(hosts(&page), ["c.example", "a.example"]);
    assert_eq!(page.iter().map(|r| r.rank).collect::<Vec<_>>(), [3, 4]);
    let (page, _) = store
        .list(&ListQuery {
            limit: 0,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 1, "limit is clamped to at least 1");

    // Filters.
    let q = ListQuery {
        software: Some("mastodon".into()),
        ..ListQuery::default()
    };
    let (page, total) = store.list(&q).await.unwrap();
    assert_eq!(total, 4);
    assert_eq!(
        hosts(&page),
        ["b", "d", "a", "f"].map(|h| format!("{h}.example"))
    );
    let q = ListQuery {
        software: Some("mastodon".into()),
        min_rating_rank: Some(grade_rank("A")),
        ..ListQuery::default()
    };
    let (page, total) = store.list(&q).await.unwrap();
    assert_eq!(
        (hosts(&page), total),
        (vec!["b.example".to_string(), "d.example".to_string()], 2)
    );

    // Other sort keys.
    let (page, _) = store
        .list(&ListQuery {
            sort: SortKey::Observatory,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(hosts(&page)[..3], ["d.example", "c.example", "a.example"]);
    assert_eq!(hosts(&page)[6], "g.example");
    let (page, _) = store
        .list(&ListQuery {
            sort: SortKey::Host,
            descending: false,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(hosts(&page)[0], "a.example");
    let (page, _) = store
        .list(&ListQuery {
            sort: SortKey::Software,
            descending: false,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        hosts(&page)[..5],
        ["a", "b", "d", "f", "e"].map(|h| format!("{h}.example"))
    );
    assert_eq!(hosts(&page)[6], "g.example");
    for sort in [
        SortKey::Tls,
        SortKey::Uptime30,
        SortKey::Uptime90,
        SortKey::LastScan,
        SortKey::Version,
        SortKey::Ipv6,
        SortKey::Dnssec,
    ] {
        for descending in [true, false] {
            let (page, total) = store
                .list(&ListQuery {
                    sort,
                    descending,
                    ..ListQuery::default()
                })
                .await
                .unwrap();
            assert_eq!((page.len(), total), (7, 7), "{sort:?}");
            assert_eq!(page[6].host, "g.example", "{sort:?}: NULLs last");
        }
    }
    store.close().await;
}

on_both!(list_answers_on_thirty_thousand_instances);
async fn list_answers_on_thirty_thousand_instances(db: &TestDb) {
    let store = db.open().await;
    let names: Vec<(String, &str)> = (0..30_000)
        .map(|i| (format!("i{i:05}.example"), "import"))
        .collect();
    let started = std::time::Instant::now();
    assert_eq!(
        store.add_instances(&names, NOW, 3600).await.unwrap(),
        30_000
    );
    eprintln!("30,000 names imported in {:?}", started.elapsed());
    // Give a slice of them real figures, so the sort has something to order.
    let raw = db.raw().await;
    sqlx::query(
        "UPDATE instances SET rating_score = 50, rating_grade = 'C', rating_rank = 15, \
         observatory_score = 10 WHERE host < 'i01000.example'",
    )
    .execute(&raw)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let (page, total) = store.list(&ListQuery::default()).await.unwrap();
    eprintln!("first page of 30,000 in {:?}", started.elapsed());
    assert_eq!((page.len(), total), (50, 30_000));
    assert_eq!(page[0].host, "i00000.example");
    assert_eq!(page[0].summary.rating_grade.as_deref(), Some("C"));
    let q = ListQuery {
        offset: 29_990,
        ..ListQuery::default()
    };
    let (page, _) = store.list(&q).await.unwrap();
    assert_eq!(page.len(), 10);
    assert_eq!(page[9].rank, 30_000);
    assert_eq!(page[9].host, "i29999.example");
    let q = ListQuery {
        limit: 10_000,
        ..ListQuery::default()
    };
    assert_eq!(
        store.list(&q).await.unwrap().0.len(),
        500,
        "pages are capped"
    );
    // Every sort, in its default direction, finds a deep page's hosts in its covering index:
    // no table reads and no sort of all 30,000 rows (PostgreSQL plans so once its statistics
    // and visibility map are current, which autovacuum keeps them).
    if store.backend() == Backend::Postgres {
        sqlx::query("VACUUM ANALYZE instances")
            .execute(&raw)
            .await
            .unwrap();
    }
    for (sort, index) in [
        (SortKey::Rating, "rating"),
        (SortKey::Observatory, "observatory"),
        (SortKey::Tls, "tls"),
        (SortKey::Uptime30, "uptime30"),
        (SortKey::Uptime90, "uptime90"),
        (SortKey::Host, "host"),
        (SortKey::LastScan, "last_scan"),
        (SortKey::Software, "software"),
        (SortKey::Version, "version"),
        (SortKey::Ipv6, "ipv6"),
        (SortKey::Dnssec, "dnssec"),
    ] {
        let descending = !matches!(sort, SortKey::Host | SortKey::Software);
        for (offset, include) in [(0, false), (20_000, false), (20_000, true)] {
            let q = ListQuery {
                sort,
                descending,
                offset,
                limit: 100,
                include_dead: include,
                include_opted_out: include,
                ..ListQuery::default()
            };
            let plan = store.explain_list(&q).await.unwrap();
            // Deep pages pick their hosts from the index alone; the first page reads its rows
            // straight off it.
            let wanted = match (store.backend(), offset) {
                // SQLite must sort for ASC NULLS LAST on software whatever it reads.
                (Backend::Sqlite, _) if sort == SortKey::Software => String::new(),
                // The host sort's first page reads the primary key, as well as any.
                (Backend::Sqlite, 0) => "USING INDEX".to_string(),
                (Backend::Sqlite, _) => format!("COVERING INDEX instances_list_{index}"),
                (Backend::Postgres, 0) => "Index Scan using".to_string(),
                (Backend::Postgres, _) => format!("Index Only Scan using instances_list_{index}"),
            };
            assert!(
                plan.contains(&wanted),
                "{sort:?} at {offset} reads its index:\n{plan}"
            );
            // No sort on the first page; on a deep one, only of the page's own rows (SQLite: ASC
            // NULLS LAST on software is not the order of an ascending index, so that one also
            // sorts index entries).
            let sorts = match store.backend() {
                Backend::Sqlite => plan.matches("TEMP B-TREE").count(),
                Backend::Postgres => plan.matches("Sort Key").count(),
            };
            let allowed = usize::from(offset > 0)
                + usize::from(store.backend() == Backend::Sqlite && sort == SortKey::Software);
            assert!(sorts <= allowed, "{sort:?} at {offset} sorts:\n{plan}");
            let (page, _) = store.list(&q).await.unwrap();
            assert_eq!(page.len(), 100, "{sort:?} at {offset}");
            assert_eq!(page[0].rank, i64::from(offset) + 1);
        }
    }
    raw.close().await;
    store.close().await;
}

on_both!(standing_is_the_rank_the_list_prints);
async fn standing_is_the_rank_the_list_prints(db: &TestDb) {
    let store = db.open().await;
    // Ties on every key, Observatory scores missing here and there, and rows that are not
    // ranked at all (unrated, opted out, dead).
    // (host, rating rank, rating score, Observatory score)
    type Row = (&'static str, Option<i64>, Option<i64>, Option<i64>);
    let rows: [Row; 12] = [
        ("a.example", Some(21), Some(90), Some(100)),
        ("b.example", Some(21), Some(90), Some(100)),
        ("c.example", Some(21), Some(90), None),
        ("d.example", Some(21), Some(88), Some(120)),
        ("e.example", Some(22), Some(96), None),
        ("f.example", Some(18), Some(80), Some(70)),
        ("g.example", Some(18), Some(80), None),
        ("h.example", Some(18), Some(80), None),
        ("i.example", None, None, Some(140)),
        ("j.example", Some(15), Some(70), Some(10)),
        ("k.example", Some(22), Some(99), Some(5)),
        ("l.example", Some(6), Some(10), Some(0)),
    ];
    let raw = db.raw().await;
    for (host, rank, score, obs) in rows {
        store.add_instance(host, "operator", NOW, 60).await.unwrap();
        sqlx::query(
            "UPDATE instances SET rating_rank = $2, rating_score = $3, observatory_score = $4, \
             software = 'mastodon' WHERE host = $1",
        )
        .bind(host)
        .bind(rank)
        .bind(score)
        .bind(obs)
        .execute(&raw)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE instances SET opted_out = 'asked' WHERE host = 'b.example'")
        .execute(&raw)
        .await
        .unwrap();
    sqlx::query("UPDATE instances SET dead_since = 1 WHERE host = 'g.example'")
        .execute(&raw)
        .await
        .unwrap();
    for q in [
        ListQuery::default(),
        ListQuery {
            include_dead: true,
            include_opted_out: true,
            ..ListQuery::default()
        },
        ListQuery {
            software: Some("mastodon".into()),
            min_rating_rank: Some(18),
            ..ListQuery::default()
        },
    ] {
        let (page, total) = store.list(&q).await.unwrap();
        for row in &page {
            let got = store.standing(&q, &row.host).await.unwrap();
            let rated = row.summary.rating_score.is_some() && !row.opted_out;
            let want = rated.then_some(vigil_store::Standing {
                rank: row.rank,
                of: total,
            });
            assert_eq!(got, want, "{} in {q:?}", row.host);
        }
        // Not rows of this list: no standing.
        for host in ["nowhere.example", "i.example"] {
            assert_eq!(store.standing(&q, host).await.unwrap(), None, "{host}");
        }
    }
    assert_eq!(
        store
            .standing(&ListQuery::default(), "b.example")
            .await
            .unwrap(),
        None,
        "opted out is off the default list"
    );
    assert_eq!(
        store
            .standing(&ListQuery::default(), "k.example")
            .await
            .unwrap(),
        Some(vigil_store::Standing { rank: 1, of: 10 })
    );
    raw.close().await;
    store.close().await;
}

on_both!(history_gives_the_newest_scans_only);
async fn history_gives_the_newest_scans_only(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 60)
        .await
        .unwrap();
    let n = vigil_store::HISTORY_SCANS + 5;
    for i in 0..n {
        store
            .insert_scan_unleased(&scan("a.example", NOW + i, "x", Some("C"), Some(50)), NOW)
            .await
            .unwrap();
    }
    let h = store.history("a.example", NOW - 1).await.unwrap();
    let at: Vec<i64> = h.scans.iter().map(|s| s.scanned_at).collect();
    assert_eq!(at.len() as i64, vigil_store::HISTORY_SCANS);
    assert_eq!(at.first(), Some(&(NOW + 5)), "the five oldest are left out");
    assert_eq!(at.last(), Some(&(NOW + n - 1)), "the newest is in");
    assert!(at.windows(2).all(|w| w[0] < w[1]), "oldest first");
    store.close().await;
}

on_both!(regrade_pages_through_evidence);
async fn regrade_pages_through_evidence(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 60)
        .await
        .unwrap();
    store
        .add_instance("b.example", "operator", NOW, 60)
        .await
        .unwrap();
    let old = store
        .insert_scan_unleased(&scan("a.example", NOW, "x", Some("C"), Some(50)), NOW)
        .await
        .unwrap();
    let newest = store
        .insert_scan_unleased(&scan("a.example", NOW + DAY, "x", Some("C"), Some(55)), NOW)
        .await
        .unwrap();
    let b = store
        .insert_scan_unleased(&scan("b.example", NOW, "x", Some("D"), Some(40)), NOW)
        .await
        .unwrap();

    let page = store.scans_for_regrade(0, 2).await.unwrap();
    assert_eq!(page.iter().map(|p| p.0).collect::<Vec<_>>(), [old, newest]);
    assert_eq!(page[0].1, "a.example");
    assert_eq!(
        page[0].2,
        scan("a.example", NOW, "x", None, None).evidence_json
    );
    let rest = store.scans_for_regrade(newest, 2).await.unwrap();
    assert_eq!(rest.iter().map(|p| p.0).collect::<Vec<_>>(), [b]);
    assert!(store.scans_for_regrade(b, 2).await.unwrap().is_empty());

    let regraded = ScanSummary {
        rating_grade: Some("A".into()),
        rating_score: Some(91),
        ..ScanSummary::default()
    };
    // Regrading an older scan leaves the instance's latest figures alone…
    assert!(
        store
            .update_regraded(old, &regraded, "{\"v\":2}", "rating-2")
            .await
            .unwrap()
    );
    let (rows, _) = store.list(&ListQuery::default()).await.unwrap();
    let a = rows.iter().find(|r| r.host == "a.example").unwrap();
    assert_eq!(a.summary.rating_score, Some(55));
    // …regrading the newest refreshes them.
    assert!(
        store
            .update_regraded(newest, &regraded, "{\"v\":2}", "rating-2")
            .await
            .unwrap()
    );
    let (rows, _) = store.list(&ListQuery::default()).await.unwrap();
    assert_eq!(rows[0].host, "a.example");
    assert_eq!(rows[0].summary, regraded);
    assert_eq!(
        store.latest_report("a.example").await.unwrap().as_deref(),
        Some("{\"v\":2}")
    );
    let scans = store.history("a.example", 0).await.unwrap().scans;
    assert_eq!(scans[1].algorithm, "rating-2");
    assert!(
        !store
            .update_regraded(999_999, &regraded, "{}", "x")
            .await
            .unwrap()
    );
    store.close().await;
}

on_both!(removing_an_instance_cascades);
async fn removing_an_instance_cascades(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 60)
        .await
        .unwrap();
    store
        .add_instance("b.example", "operator", NOW, 60)
        .await
        .unwrap();
    scan_now(&store, "a.example", NOW, "A", 90).await;
    store
        .claim(JobKind::Check, "m", NOW + 100, 30, 10)
        .await
        .unwrap();
    store
        .record_check(
            &check("a.example", NOW + 100, true, false),
            "m",
            NOW + 200,
            0,
        )
        .await
        .unwrap();
    assert!(store.remove_instance("a.example").await.unwrap());
    assert!(!store.remove_instance("a.example").await.unwrap());
    assert_eq!(store.instance("a.example").await.unwrap(), None);
    let raw = db.raw().await;
    for table in ["scans", "checks", "uptime_days", "events"] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE host = 'a.example'"
        )))
        .fetch_one(&raw)
        .await
        .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    assert_eq!(store.count().await.unwrap(), 1);
    assert!(matches!(
        store.history("a.example", 0).await,
        Err(StoreError::NoSuchInstance(_))
    ));
    raw.close().await;
    store.close().await;
}

// ---------------------------------------------------------------------------------------------
// Crash safety: a child process (this test binary, re-run on one test) writes scans to SQLite
// and prints each id once its transaction committed; it is killed with SIGKILL mid-stream.

const CRASH_ENV: &str = "VIGIL_STORE_CRASH_CHILD";

/// The child's body; a no-op unless the parent set `VIGIL_STORE_CRASH_CHILD`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Ok(url) = std::env::var(CRASH_ENV) else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    store
        .add_instance("crash.example", "operator", NOW, 60)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut i = 0;
    // Bounded, in case the parent died: stop after a minute.
    while started.elapsed() < std::time::Duration::from_secs(60) {
        let mut s = scan("crash.example", NOW + i, "child", Some("A"), Some(90));
        s.evidence_json = "e".repeat(20_000);
        let id = store.insert_scan_unleased(&s, NOW).await.unwrap();
        println!("committed {id}");
        i += 1;
    }
}

#[tokio::test]
async fn committed_scans_survive_kill_9() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let db = TestDb::sqlite();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CRASH_ENV, db.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut committed = Vec::new();
    while committed.len() < 200 {
        let Some(line) = lines.next() else {
            panic!("child ended early after {committed:?}")
        };
        if let Some(id) = line.unwrap().strip_prefix("committed ") {
            committed.push(id.parse::<i64>().unwrap());
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    // Lines the child printed before it died are committed too.
    for line in lines {
        if let Some(id) = line.unwrap().strip_prefix("committed ") {
            committed.push(id.parse::<i64>().unwrap());
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");

    let store = db.open().await;
    let ids: std::collections::HashSet<i64> = store
        .history("crash.example", 0)
        .await
        .unwrap()
        .scans
        .iter()
        .map(|s| s.id)
        .collect();
    let missing: Vec<_> = committed.iter().filter(|id| !ids.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "{} committed scans lost: {missing:?}",
        missing.len()
    );
    // Every stored scan's evidence still decompresses.
    let page = store.scans_for_regrade(0, 10_000).await.unwrap();
    assert!(page.len() >= committed.len());
    store.close().await;
    let raw = db.raw().await;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    raw.close().await;
    db.cleanup().await;
}

on_both!(badge_facts_in_one_read);
async fn badge_facts_in_one_read(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.badge_facts("nowhere.example").await.unwrap(), None);
    store
        .add_instances(
            &[("a.example", "operator"), ("b.example", "operator")],
            NOW,
            60,
        )
        .await
        .unwrap();
    let fresh = store.badge_facts("a.example").await.unwrap().unwrap();
    assert!(!fresh.scanned && !fresh.opted_out);
    scan_now(&store, "a.example", NOW, "B", 77).await;
    let scanned = store.badge_facts("a.example").await.unwrap().unwrap();
    assert!(scanned.scanned);
    assert_eq!(
        (scanned.rating_grade.as_deref(), scanned.rating_score),
        (Some("B"), Some(77))
    );
    store
        .set_opted_out("a.example", Some("operator"), NOW + 1)
        .await
        .unwrap();
    let opted = store.badge_facts("a.example").await.unwrap().unwrap();
    assert!(opted.opted_out);
    assert_eq!((opted.rating_grade, opted.rating_score), (None, None));
    store.close().await;
}

on_both!(prune_keeps_the_newest_scan_and_the_uptime);
async fn prune_keeps_the_newest_scan_and_the_uptime(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instances(
            &[("a.example", "operator"), ("b.example", "operator")],
            NOW,
            60,
        )
        .await
        .unwrap();
    scan_now(&store, "a.example", NOW, "C", 60).await;
    scan_now(&store, "b.example", NOW, "B", 75).await;
    scan_now(&store, "a.example", NOW + 20 * DAY, "B", 70).await;
    scan_now(&store, "a.example", NOW + 50 * DAY, "A", 90).await;
    // Checks early on and at the end.
    let mut early = 0;
    for at in [NOW + 100, NOW + 200, NOW + 300, NOW + 50 * DAY + 5] {
        let claims = store
            .claim(JobKind::Check, "w", at, 600, 1000)
            .await
            .unwrap();
        for c in &claims {
            assert!(
                store
                    .record_check(&check(&c.host, at, true, false), "w", at + 60, 0)
                    .await
                    .unwrap()
            );
            if at < NOW + DAY {
                early += 1;
            }
        }
    }
    assert!(early >= 4, "{early} early checks");
    let now = NOW + 50 * DAY + 10;
    let uptime_before = store.uptime("a.example", now, 90).await.unwrap();
    let keep = vigil_store::Retention {
        checks: Some(10 * DAY),
        evidence: Some(10 * DAY),
        scans: Some(45 * DAY),
    };
    let pruned = store.prune(now, &keep).await.unwrap();
    assert_eq!(
        pruned,
        vigil_store::Pruned {
            checks: early,
            evidence: 1,
            scans: 1
        }
    );
    // The uptime figures rest on the day rollups, which stay.
    assert_eq!(
        store.uptime("a.example", now, 90).await.unwrap(),
        uptime_before
    );
    // a keeps its scans of day 20 (report only) and day 50; b keeps its only, old scan.
    let a = store.history("a.example", 0).await.unwrap();
    let at: Vec<i64> = a.scans.iter().map(|s| s.scanned_at - NOW).collect();
    assert_eq!(at, vec![20 * DAY, 50 * DAY]);
    assert_eq!(store.history("b.example", 0).await.unwrap().scans.len(), 1);
    let regradable: Vec<String> = store
        .scans_for_regrade(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, host, evidence)| {
            assert!(evidence.contains("pad"), "whole evidence");
            host
        })
        .collect();
    assert_eq!(
        regradable,
        vec!["b.example", "a.example"],
        "the newest of each"
    );
    assert!(store.latest_report("a.example").await.unwrap().is_some());
    // Nothing more to do; forever keeps everything.
    assert_eq!(
        store.prune(now, &keep).await.unwrap(),
        vigil_store::Pruned::default()
    );
    let forever = vigil_store::Retention {
        checks: None,
        evidence: None,
        scans: None,
    };
    assert_eq!(
        store.prune(now + 999 * DAY, &forever).await.unwrap(),
        vigil_store::Pruned::default()
    );
    store.close().await;
}

on_both!(prune_goes_through_many_batches);
async fn prune_goes_through_many_batches(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instances(&[("a.example", "operator")], NOW, 60)
        .await
        .unwrap();
    let raw = db.raw().await;
    // 12,000 old checks and 10 recent ones, written directly (far past one batch).
    for (from, n) in [(NOW - 30 * DAY, 12_000), (NOW, 10)] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO checks (host, checked_at, up, void) \
             SELECT 'a.example', {from} + i, 1, 0 FROM n"
        )))
        .execute(&raw)
        .await
        .unwrap();
    }
    let keep = vigil_store::Retention {
        checks: Some(DAY),
        evidence: None,
        scans: None,
    };
    let pruned = store.prune(NOW, &keep).await.unwrap();
    assert_eq!(pruned.checks, 12_000);
    let left: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM checks")
        .fetch_one(&raw)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(left, 10);
    store.close().await;
}

on_both!(reports_are_stored_compressed_and_read_back_exactly);
async fn reports_are_stored_compressed_and_read_back_exactly(db: &TestDb) {
    let store = db.open().await;
    store
        .add_instances(&[("a.example", "operator")], NOW, 60)
        .await
        .unwrap();
    // A real report: the golden one of the scan crate, as the monitor stores it (compact).
    let golden: serde_json::Value = serde_json::from_str(include_str!(
        "../../scan/tests/fixtures/mastodon-like.report.json"
    ))
    .unwrap();
    let json = serde_json::to_string(&golden).unwrap();
    let claims = store.claim(JobKind::Scan, "w", NOW, 600, 10).await.unwrap();
    assert_eq!(claims.len(), 1);
    let mut s = scan("a.example", NOW, "w", Some("A"), Some(90));
    s.report_json = json.clone();
    let id = store.record_scan(&s, NOW + DAY).await.unwrap().unwrap();
    assert_eq!(
        store.latest_report("a.example").await.unwrap(),
        Some(json.clone())
    );
    let raw = db.raw().await;
    let row = sqlx::query(
        "SELECT CAST(length(report) AS BIGINT) AS plain, CAST(length(report_gz) AS BIGINT) AS gz \
         FROM scans WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&raw)
    .await
    .unwrap();
    let (plain, gz): (i64, i64) = (row.try_get("plain").unwrap(), row.try_get("gz").unwrap());
    eprintln!("a {} byte report is stored in {gz} bytes", json.len());
    assert_eq!(plain, 0);
    assert!(gz * 3 < json.len() as i64, "{gz} of {}", json.len());
    // The Observatory routes and alert rules read the same bytes.
    let recent = store
        .latest_scan_since("a.example", NOW - 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(recent.report_json, json);
    // A regraded report is stored compressed too.
    assert!(
        store
            .update_regraded(id, &s.summary, r#"{"regraded":true}"#, "v2")
            .await
            .unwrap()
    );
    assert_eq!(
        store.latest_report("a.example").await.unwrap().as_deref(),
        Some(r#"{"regraded":true}"#)
    );
    store.close().await;
}
