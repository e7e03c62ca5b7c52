//! Embedded migrations, one script per version and dialect, recorded in `schema_version`.

use sqlx::Row;

use crate::{Backend, Store, StoreError};

/// The newest schema this build knows; a database at a higher version is refused.
pub const SCHEMA_VERSION: i64 = 5;

/// Arbitrary but fixed key for the PostgreSQL advisory lock that serialises migrations when
/// several processes open one database at once.
const PG_MIGRATION_LOCK: i64 = 0x7669_6769_6c00_0001;

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_alerts.sql")),
    (
        3,
        include_str!("../migrations/sqlite/0003_sort_indexes.sql"),
    ),
    (4, include_str!("../migrations/sqlite/0004_report_gz.sql")),
    (
        5,
        include_str!("../migrations/sqlite/0005_covering_sort_indexes.sql"),
    ),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_alerts.sql")),
    (
        3,
        include_str!("../migrations/postgres/0003_sort_indexes.sql"),
    ),
    (4, include_str!("../migrations/postgres/0004_report_gz.sql")),
    (
        5,
        include_str!("../migrations/postgres/0005_covering_sort_indexes.sql"),
    ),
];

/// Brings the schema up to [`SCHEMA_VERSION`] in one transaction (DDL is transactional on
/// both databases, so a failed migration leaves the old schema).
pub(crate) async fn migrate(store: &Store) -> Result<(), StoreError> {
    let scripts = match store.backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let mut tx = store.begin_write().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    // Read before creating anything, so a newer database is left exactly as it was.
    let exists: i64 = match store.backend {
        Backend::Sqlite => sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        )
        .fetch_one(&mut *tx)
        .await?,
        Backend::Postgres => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = 'schema_version'",
            )
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let found = if exists > 0 {
        let row = sqlx::query("SELECT MAX(version) AS v FROM schema_version")
            .fetch_one(&mut *tx)
            .await?;
        row.try_get::<Option<i64>, _>("v")?.unwrap_or(0)
    } else {
        sqlx::query(
            "CREATE TABLE schema_version (version BIGINT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        0
    };
    if found > SCHEMA_VERSION {
        tx.rollback().await?;
        return Err(StoreError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for &(version, script) in scripts.iter().filter(|(v, _)| *v > found) {
        sqlx::raw_sql(script).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(unix_now())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Wall-clock seconds, only to note when a migration ran.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
