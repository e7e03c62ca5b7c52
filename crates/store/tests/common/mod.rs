//! Test databases: a fresh SQLite file per test, and (when `VIGIL_TEST_POSTGRES` names a server)
//! a fresh PostgreSQL database per test, created through that URL and dropped afterwards, so
//! tests run in parallel without seeing each other.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::{AssertSqlSafe, Connection};
use vigil_store::{NewScan, ScanSummary, Store};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name no other test (or test process) uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// One test's database.
pub enum TestDb {
    Sqlite {
        dir: PathBuf,
        url: String,
    },
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("vigil-store"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("list.db").display());
        TestDb::Sqlite { dir, url }
    }

    /// `None` (test skipped) without `VIGIL_TEST_POSTGRES`, except under `VIGIL_CONFORMANCE=1`,
    /// where a missing server must fail the run rather than pass it silently.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin) = std::env::var("VIGIL_TEST_POSTGRES") else {
            if std::env::var("VIGIL_CONFORMANCE").as_deref() == Ok("1") {
                panic!(
                    "VIGIL_CONFORMANCE=1 but VIGIL_TEST_POSTGRES is not set: PostgreSQL tests cannot run"
                );
            }
            eprintln!("skipped: set VIGIL_TEST_POSTGRES to run the PostgreSQL tests");
            return None;
        };
        let name = unique("t");
        let mut conn = sqlx::postgres::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot reach VIGIL_TEST_POSTGRES={admin}: {e}"));
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let base = admin.split('?').next().unwrap();
        let (server, _) = base.rsplit_once('/').unwrap();
        let url = format!("{server}/{name}");
        Some(TestDb::Postgres { admin, name, url })
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub async fn open(&self) -> Store {
        Store::open(self.url()).await.unwrap()
    }

    /// A plain pool on the same database, to look behind the store's back.
    pub async fn raw(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPoolOptions::new()
            .max_connections(2)
            .connect(self.url())
            .await
            .unwrap()
    }

    pub async fn cleanup(self) {
        match self {
            TestDb::Sqlite { dir, .. } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { admin, name, .. } => {
                // Best effort: an autovacuum worker still busy in the database (after the
                // 30,000-row test) belongs to the superuser and cannot be ended by the test
                // role; a leftover test database harms nothing, so retry, then let it be.
                let Ok(mut conn) = sqlx::postgres::PgConnection::connect(&admin).await else {
                    return;
                };
                for _ in 0..10 {
                    let dropped = sqlx::query(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                    if dropped.is_ok() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                let _ = conn.close().await;
            }
        }
    }
}

/// Runs a test body on SQLite and, when configured, on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite();
                super::$name(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = $crate::common::TestDb::postgres().await else {
                    return;
                };
                super::$name(&db).await;
                db.cleanup().await;
            }
        }
    };
}

/// A scan with the given rating letter and score.
pub fn scan(host: &str, at: i64, worker: &str, grade: Option<&str>, score: Option<i64>) -> NewScan {
    NewScan {
        host: host.into(),
        scanned_at: at,
        worker: worker.into(),
        summary: ScanSummary {
            rating_score: score,
            rating_grade: grade.map(str::to_string),
            observatory_score: Some(50),
            observatory_grade: Some("C".into()),
            tls_grade: Some("A".into()),
            ipv6: Some("yes".into()),
            dnssec: Some("no".into()),
            software: Some("mastodon".into()),
            version: Some("4.3.1".into()),
            version_verdict: Some("current".into()),
            open_registrations: Some(true),
            reachable: true,
        },
        report_json: format!(r#"{{"host":"{host}","at":{at}}}"#),
        evidence_json: format!(
            r#"{{"evidence":"{host}","at":{at},"pad":"{}"}}"#,
            "x".repeat(200)
        ),
        algorithm: "rating-1".into(),
    }
}
