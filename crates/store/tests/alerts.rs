//! Subscriptions and the alert outbox on SQLite always and on PostgreSQL when
//! `VIGIL_TEST_POSTGRES` is set (see `common`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, scan};
use vigil_store::{AlertState, Channel, DEFAULT_BACKOFF, NewAlert, NewSubscription, Store};

const NOW: i64 = 1_800_000_000;

fn sub(host: &str, channel: Channel, target: &str, confirmed: bool) -> NewSubscription {
    NewSubscription {
        host: host.into(),
        channel,
        target: target.into(),
        secret: Some("s3cret".into()),
        confirmed,
        token: (!confirmed).then(|| format!("tok-{target}")),
        source: if confirmed { "operator" } else { "public" }.into(),
        created_at: NOW,
    }
}

fn alert(host: &str, dedup: &str) -> NewAlert {
    NewAlert {
        host: host.into(),
        kind: "grade-drop".into(),
        dedup: dedup.into(),
        payload: format!(r#"{{"host":"{host}"}}"#),
        created_at: NOW,
    }
}

on_both!(old_databases_migrate_forward);
async fn old_databases_migrate_forward(db: &TestDb) {
    let store = db.open().await;
    store.close().await;
    // Make it a schema-1 database again: no alert tables, no sort indexes, version 1 only.
    let raw = db.raw().await;
    for sql in [
        "DROP TABLE alerts",
        "DROP TABLE subscriptions",
        "DROP INDEX instances_list_rating",
        "DROP INDEX instances_list_observatory",
        "DROP INDEX instances_list_tls",
        "DROP INDEX instances_list_uptime30",
        "DROP INDEX instances_list_uptime90",
        "DROP INDEX instances_list_last_scan",
        "DROP INDEX instances_list_host",
        "DROP INDEX instances_list_software",
        "DROP INDEX instances_list_version",
        "DROP INDEX instances_list_ipv6",
        "DROP INDEX instances_list_dnssec",
        // The list's indexes as schema 1 made them.
        "CREATE INDEX instances_rating ON instances \
         (rating_rank DESC, rating_score DESC, observatory_score DESC, host)",
        "CREATE INDEX instances_observatory ON instances (observatory_score)",
        "CREATE INDEX instances_tls ON instances (tls_rank)",
        "CREATE INDEX instances_uptime30 ON instances (uptime_30d_ppm)",
        "CREATE INDEX instances_uptime90 ON instances (uptime_90d_ppm)",
        "CREATE INDEX instances_last_scan ON instances (last_scan_at)",
        "CREATE INDEX instances_software ON instances (software, version)",
        "CREATE INDEX instances_version ON instances (version)",
        "CREATE INDEX instances_ipv6 ON instances (ipv6)",
        "CREATE INDEX instances_dnssec ON instances (dnssec)",
        "ALTER TABLE scans DROP COLUMN report_gz",
        "DELETE FROM schema_version WHERE version >= 2",
        // A scan as schema 1 stored it: the report as plain JSON.
        "INSERT INTO instances (host, added_at, source, next_check_at, next_scan_at) \
         VALUES ('old.example', 0, 'operator', 0, 0)",
    ] {
        sqlx::query(sql).execute(&raw).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO scans (host, scanned_at, worker, reachable, report, evidence, algorithm) \
         VALUES ('old.example', 5, 'w', 1, '{\"old\":true}', $1, 'a')",
    )
    .bind(Vec::<u8>::new())
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
    let store = db.open().await;
    let s = store
        .add_subscription(&sub("a.example", Channel::Email, "x@a.example", true))
        .await
        .unwrap();
    assert!(s.confirmed);
    // The old plain report reads back as it was; a new one is stored compressed.
    assert_eq!(
        store.latest_report("old.example").await.unwrap().as_deref(),
        Some(r#"{"old":true}"#)
    );
    store.close().await;
    let raw = db.raw().await;
    let v: i64 = sqlx::query_scalar("SELECT MAX(version) FROM schema_version")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(v, vigil_store::SCHEMA_VERSION);
    assert_eq!(v, 5);
    // Schema 5 replaced the list's indexes with covering ones.
    let indexes: Vec<String> = match db {
        TestDb::Sqlite { .. } => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index'")
                .fetch_all(&raw)
                .await
        }
        TestDb::Postgres { .. } => {
            sqlx::query_scalar(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()",
            )
            .fetch_all(&raw)
            .await
        }
    }
    .unwrap();
    for gone in ["instances_rating", "instances_tls", "instances_software"] {
        assert!(!indexes.iter().any(|i| i == gone), "{gone}: {indexes:?}");
    }
    for new in [
        "instances_list_rating",
        "instances_list_tls",
        "instances_list_dnssec",
    ] {
        assert!(indexes.iter().any(|i| i == new), "{new}: {indexes:?}");
    }
    raw.close().await;
}

on_both!(subscriptions_add_confirm_list_remove);
async fn subscriptions_add_confirm_list_remove(db: &TestDb) {
    let store = db.open().await;
    let public = store
        .add_subscription(&sub("a.example", Channel::Webhook, "https://h/1", false))
        .await
        .unwrap();
    assert!(!public.confirmed);
    assert_eq!(public.token.as_deref(), Some("tok-https://h/1"));
    // The same again is the same row; an unconfirmed add cannot re-key it.
    let mut again = sub("a.example", Channel::Webhook, "https://h/1", false);
    again.secret = Some("attacker".into());
    let same = store.add_subscription(&again).await.unwrap();
    assert_eq!(same.id, public.id);
    assert_eq!(same.secret.as_deref(), Some("s3cret"));

    assert!(store.confirm_subscription("nope").await.unwrap().is_none());
    assert!(store.confirm_subscription("").await.unwrap().is_none());
    let confirmed = store
        .confirm_subscription("tok-https://h/1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(confirmed.id, public.id);
    assert!(confirmed.confirmed && confirmed.token.is_none());
    // A token works once.
    assert!(
        store
            .confirm_subscription("tok-https://h/1")
            .await
            .unwrap()
            .is_none()
    );

    let op = store
        .add_subscription(&sub("*", Channel::Ntfy, "https://ntfy/t", true))
        .await
        .unwrap();
    assert!(op.confirmed && op.token.is_none());
    // An operator add confirms a pending public one.
    let pending = store
        .add_subscription(&sub("b.example", Channel::Email, "me@b.example", false))
        .await
        .unwrap();
    assert!(!pending.confirmed);
    let promoted = store
        .add_subscription(&sub("b.example", Channel::Email, "me@b.example", true))
        .await
        .unwrap();
    assert_eq!(promoted.id, pending.id);
    assert!(promoted.confirmed && promoted.token.is_none());

    assert!(store.has_subscribers("a.example").await.unwrap());
    assert!(store.has_subscribers("anything.example").await.unwrap());
    let all = store.subscriptions(None).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(
        store.subscriptions(Some("a.example")).await.unwrap().len(),
        1
    );
    assert!(store.remove_subscription(op.id).await.unwrap());
    assert!(!store.has_subscribers("anything.example").await.unwrap());
    assert!(!store.remove_subscription(op.id).await.unwrap());
    assert_eq!(store.subscriptions(None).await.unwrap().len(), 2);
    store.close().await;
}

on_both!(alerts_are_enqueued_once_and_only_for_confirmed);
async fn alerts_are_enqueued_once_and_only_for_confirmed(db: &TestDb) {
    let store = db.open().await;
    let a = store
        .add_subscription(&sub("a.example", Channel::Webhook, "https://h/a", true))
        .await
        .unwrap();
    let everyone = store
        .add_subscription(&sub("*", Channel::Email, "ops@x", true))
        .await
        .unwrap();
    let unconfirmed = store
        .add_subscription(&sub("a.example", Channel::Email, "someone@x", false))
        .await
        .unwrap();
    let other = store
        .add_subscription(&sub("b.example", Channel::Email, "b@x", true))
        .await
        .unwrap();
    assert_eq!(
        store
            .enqueue_for_host(&alert("a.example", "grade-drop:7"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .enqueue_for_host(&alert("a.example", "grade-drop:7"))
            .await
            .unwrap(),
        0
    );
    assert!(
        !store
            .enqueue_alert(a.id, &alert("a.example", "grade-drop:7"))
            .await
            .unwrap()
    );
    let got = store.alerts(Some("a.example"), 100).await.unwrap();
    let mut subs: Vec<i64> = got.iter().map(|x| x.subscription.id).collect();
    subs.sort_unstable();
    assert_eq!(subs, vec![a.id, everyone.id]);
    assert!(got.iter().all(|x| x.state == AlertState::Pending));

    // An alert enqueued directly for an unconfirmed subscription waits; its confirmation
    // message does not.
    assert!(
        store
            .enqueue_alert(unconfirmed.id, &alert("a.example", "grade-drop:8"))
            .await
            .unwrap()
    );
    let mut confirm = alert("a.example", "confirm");
    confirm.kind = "confirm".into();
    assert!(store.enqueue_alert(unconfirmed.id, &confirm).await.unwrap());
    let claimed = store.claim_alerts(NOW, 300, 100).await.unwrap();
    assert_eq!(claimed.len(), 3, "{claimed:?}");
    assert!(
        claimed
            .iter()
            .all(|c| c.subscription.confirmed || c.kind == "confirm")
    );
    assert!(!claimed.iter().any(|c| c.subscription.id == other.id));
    // Claimed alerts are hidden until the lease ends.
    assert!(
        store
            .claim_alerts(NOW + 10, 300, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.claim_alerts(NOW + 301, 300, 100).await.unwrap().len(),
        3
    );
    store.close().await;
}

on_both!(failures_back_off_then_fail);
async fn failures_back_off_then_fail(db: &TestDb) {
    let store = db.open().await;
    let s = store
        .add_subscription(&sub("a.example", Channel::Ntfy, "https://n/t", true))
        .await
        .unwrap();
    assert!(
        store
            .enqueue_alert(s.id, &alert("a.example", "down:1"))
            .await
            .unwrap()
    );
    let mut now = NOW;
    for (i, wait) in DEFAULT_BACKOFF.iter().enumerate() {
        let claimed = store.claim_alerts(now, 60, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "attempt {i}");
        assert_eq!(claimed[0].attempts, i64::try_from(i).unwrap());
        let state = store
            .mark_alert_failed(claimed[0].id, now, "refused", DEFAULT_BACKOFF)
            .await
            .unwrap();
        assert_eq!(state, AlertState::Pending);
        assert!(
            store
                .claim_alerts(now + wait - 1, 60, 10)
                .await
                .unwrap()
                .is_empty()
        );
        now += wait;
    }
    let last = store.claim_alerts(now, 60, 10).await.unwrap();
    assert_eq!(last.len(), 1);
    let state = store
        .mark_alert_failed(last[0].id, now, "refused again", DEFAULT_BACKOFF)
        .await
        .unwrap();
    assert_eq!(state, AlertState::Failed);
    assert!(
        store
            .claim_alerts(now + 1_000_000, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let row = &store.alerts(None, 10).await.unwrap()[0];
    assert_eq!(row.state, AlertState::Failed);
    assert_eq!(row.attempts, 5);
    assert_eq!(row.last_error.as_deref(), Some("refused again"));

    // A sent alert is done.
    assert!(
        store
            .enqueue_alert(s.id, &alert("a.example", "down:2"))
            .await
            .unwrap()
    );
    let c = store.claim_alerts(now, 60, 10).await.unwrap();
    assert_eq!(c.len(), 1);
    store.mark_alert_sent(c[0].id, now).await.unwrap();
    assert!(
        store
            .claim_alerts(now + 1_000_000, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let row = store
        .alerts(Some("a.example"), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.dedup == "down:2")
        .unwrap();
    assert_eq!(
        (row.state, row.attempts, row.sent_at),
        (AlertState::Sent, 1, Some(now))
    );
    // Removing the subscription removes its alerts.
    assert!(store.remove_subscription(s.id).await.unwrap());
    assert!(store.alerts(None, 10).await.unwrap().is_empty());
    store.close().await;
}

on_both!(concurrent_claims_never_share_an_alert);
async fn concurrent_claims_never_share_an_alert(db: &TestDb) {
    let store = std::sync::Arc::new(db.open().await);
    let s = store
        .add_subscription(&sub("a.example", Channel::Webhook, "https://h/x", true))
        .await
        .unwrap();
    for i in 0..40 {
        store
            .enqueue_alert(s.id, &alert("a.example", &format!("k:{i}")))
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let st = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let c = st.claim_alerts(NOW, 600, 3).await.unwrap();
                    if c.is_empty() {
                        break;
                    }
                    got.extend(c.into_iter().map(|a| a.id));
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (40, 40));
    store.close().await;
}

on_both!(the_scan_before_is_found);
async fn the_scan_before_is_found(db: &TestDb) {
    let store: Store = db.open().await;
    store
        .add_instance("a.example", "operator", NOW, 3600)
        .await
        .unwrap();
    let first = store
        .insert_scan_unleased(&scan("a.example", NOW, "w", Some("A"), Some(90)), NOW + 10)
        .await
        .unwrap();
    assert!(
        store
            .scan_before("a.example", first)
            .await
            .unwrap()
            .is_none()
    );
    let second = store
        .insert_scan_unleased(
            &scan("a.example", NOW + 100, "w", Some("C"), Some(60)),
            NOW + 10,
        )
        .await
        .unwrap();
    let prev = store
        .scan_before("a.example", second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(prev.id, first);
    assert_eq!(prev.summary.rating_grade.as_deref(), Some("A"));
    assert!(prev.report_json.contains("a.example"));
    store.close().await;
}
