//! Opening a store: which backend a URL names, connection settings, then migrations.

use std::time::Duration;

use sqlx::Executor;
use sqlx::any::AnyPoolOptions;

use crate::{Backend, Store, StoreError, schema};

/// Per SQLite connection: writers wait up to 10 s for the write lock instead of failing, the
/// cascades are enforced, and fsync happens at checkpoints only (in WAL mode a process kill
/// still loses nothing that was committed). One string, so it runs in one round trip.
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
/// WAL lets readers run beside the one writer; a few connections are plenty.
const SQLITE_MAX_CONNECTIONS: u32 = 4;
/// Enough for a web server and a handful of workers in one process.
const PG_MAX_CONNECTIONS: u32 = 10;

/// What [`parse_url`] makes of an operator's database setting.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A PostgreSQL URL, passed on as given.
    Postgres(String),
    /// A SQLite file path.
    Sqlite(String),
}

/// `postgres://…`/`postgresql://…` is PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a bare path
/// is a SQLite file; any other scheme is a mistake worth a clear error.
pub(crate) fn parse_url(url: &str) -> Result<Target, StoreError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(StoreError::BadUrl("the database URL is empty".into()));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(url.to_string()));
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if let Some((scheme, _)) = url.split_once("://") {
        return Err(StoreError::BadUrl(format!(
            "{url:?}: unknown scheme {scheme:?}; use postgres://…, sqlite://PATH or a file path"
        )));
    } else {
        url
    };
    if path.is_empty() || path == ":memory:" || path.contains('?') {
        return Err(StoreError::BadUrl(format!(
            "{url:?}: a SQLite store needs a file path (no in-memory databases, no ?options)"
        )));
    }
    Ok(Target::Sqlite(path.to_string()))
}

/// sqlx reads the path part of a `sqlite://` URL percent-decoded; encode what would otherwise
/// be taken as a query, a fragment or an escape.
fn sqlite_url(path: &str) -> String {
    let mut out = String::from("sqlite://");
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/._-~+,=@:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out.push_str("?mode=rwc");
    out
}

impl Store {
    /// Opens (and creates or migrates) the store a URL names. A database migrated by a newer
    /// Vigil is refused with [`StoreError::NewerSchema`] and left untouched.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let target = parse_url(url)?;
        let (backend, pool) = match target {
            Target::Postgres(url) => {
                let pool = AnyPoolOptions::new()
                    .max_connections(PG_MAX_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(&url)
                    .await
                    .map_err(|e| StoreError::Connect(e.to_string()))?;
                (Backend::Postgres, pool)
            }
            Target::Sqlite(path) => {
                let pool = AnyPoolOptions::new()
                    .max_connections(SQLITE_MAX_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(SQLITE_PRAGMAS).await?;
                            Ok(())
                        })
                    })
                    .connect(&sqlite_url(&path))
                    .await
                    .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
                // Persistent in the file; set once, before anything else writes. Switching a
                // new file to WAL needs it to itself, and SQLite answers "locked" at once
                // (without waiting out the busy timeout) when another process opening the
                // same new file holds it: try again for a while.
                let mut tries = 0;
                loop {
                    match sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&pool)
                        .await
                    {
                        Ok(_) => break,
                        Err(e) if is_locked(&e) && tries < 100 => {
                            tries += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => return Err(StoreError::Connect(format!("{path}: {e}"))),
                    }
                }
                (Backend::Sqlite, pool)
            }
        };
        let store = Store {
            pool,
            backend,
            totals: crate::list::TotalCache::default(),
        };
        if let Err(e) = schema::migrate(&store).await {
            store.close().await;
            return Err(e);
        }
        Ok(store)
    }
}

/// SQLite's SQLITE_BUSY ("database is locked").
fn is_locked(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "5")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(
            parse_url("postgres://u@h/db").ok(),
            Some(Target::Postgres("postgres://u@h/db".into()))
        );
        assert_eq!(
            parse_url("postgresql://u@h/db").ok(),
            Some(Target::Postgres("postgresql://u@h/db".into()))
        );
        assert_eq!(
            parse_url("sqlite:///a/b.db").ok(),
            Some(Target::Sqlite("/a/b.db".into()))
        );
        assert_eq!(
            parse_url("sqlite:x.db").ok(),
            Some(Target::Sqlite("x.db".into()))
        );
        assert_eq!(
            parse_url("/var/lib/v.db").ok(),
            Some(Target::Sqlite("/var/lib/v.db".into()))
        );
        for bad in [
            "",
            "mysql://h/db",
            "http://x",
            "sqlite::memory:",
            "sqlite://",
            "x.db?mode=ro",
        ] {
            assert!(
                matches!(parse_url(bad), Err(StoreError::BadUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn sqlite_paths_are_escaped() {
        assert_eq!(
            sqlite_url("/tmp/a b%#.db"),
            "sqlite:///tmp/a%20b%25%23.db?mode=rwc"
        );
    }
}
