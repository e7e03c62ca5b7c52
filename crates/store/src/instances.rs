//! Putting instances on the list, taking them off, and the state changes that become events.

use std::collections::HashSet;

use sqlx::any::{Any, AnyRow};
use sqlx::{AssertSqlSafe, Row, Transaction};

use crate::codec::first_check_at;
use crate::rows::{instance_cols, instance_from};
use crate::{Backend, Instance, Store, StoreError};

/// Rows per multi-row INSERT in bulk imports: 5 values each stays far below both databases'
/// parameter limits while cutting round trips 200-fold.
const IMPORT_CHUNK: usize = 200;
/// An import this large refreshes the planner statistics at once (see `add_instances`).
const ANALYZE_AFTER: usize = 1_000;

/// Appends one event; every state change goes through here so feeds see them all.
pub(crate) async fn insert_event(
    tx: &mut Transaction<'static, Any>,
    host: &str,
    at: i64,
    kind: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO events (host, at, kind, old, new) VALUES ($1, $2, $3, $4, $5)")
        .bind(host.to_string())
        .bind(at)
        .bind(kind.to_string())
        .bind(old.map(str::to_string))
        .bind(new.map(str::to_string))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Reads an instance's opt-out, move and death state inside a write transaction (locking the
/// row on PostgreSQL), or says it is not there.
async fn lock_state(
    store: &Store,
    tx: &mut Transaction<'static, Any>,
    host: &str,
) -> Result<AnyRow, StoreError> {
    let sql = match store.backend {
        Backend::Sqlite => "SELECT opted_out, moved_to, dead_since FROM instances WHERE host = $1",
        Backend::Postgres => {
            "SELECT opted_out, moved_to, dead_since FROM instances WHERE host = $1 FOR UPDATE"
        }
    };
    sqlx::query(sql)
        .bind(host.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NoSuchInstance(host.to_string()))
}

impl Store {
    /// Puts one instance on the list; `false` when it was already there. Its first scan is due
    /// now and its first check at a stable point of the interval, so a big import does not
    /// check everything at once.
    pub async fn add_instance(
        &self,
        host: &str,
        source: &str,
        now: i64,
        check_interval_secs: i64,
    ) -> Result<bool, StoreError> {
        Ok(self
            .add_instances(&[(host, source)], now, check_interval_secs)
            .await?
            == 1)
    }

    /// Puts many instances on the list in one transaction (multi-row inserts, so 10,000 names
    /// take well under a second); returns how many were new. Repeated names count once.
    pub async fn add_instances<H: AsRef<str>, S: AsRef<str>>(
        &self,
        entries: &[(H, S)],
        now: i64,
        check_interval_secs: i64,
    ) -> Result<usize, StoreError> {
        self.totals.clear();
        let mut seen = HashSet::new();
        let unique: Vec<(&str, &str)> = entries
            .iter()
            .map(|(h, s)| (h.as_ref(), s.as_ref()))
            .filter(|(h, _)| seen.insert(*h))
            .collect();
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        for chunk in unique.chunks(IMPORT_CHUNK) {
            let mut sql = String::from(
                "INSERT INTO instances (host, added_at, source, next_check_at, next_scan_at) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), 5);
            sql.push_str(" ON CONFLICT (host) DO NOTHING RETURNING host");
            // Only placeholders are spliced in; every value is bound.
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for &(host, source) in chunk {
                query = query
                    .bind(host.to_string())
                    .bind(now)
                    .bind(source.to_string())
                    .bind(first_check_at(host, now, check_interval_secs))
                    .bind(now);
            }
            let inserted: HashSet<String> = query
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| row.try_get::<String, _>("host"))
                .collect::<Result<_, _>>()?;
            if inserted.is_empty() {
                continue;
            }
            added += inserted.len();
            let mut sql = String::from("INSERT INTO events (host, at, kind, new) VALUES ");
            push_placeholders(&mut sql, inserted.len(), 4);
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for &(host, source) in chunk.iter().filter(|(h, _)| inserted.contains(*h)) {
                query = query
                    .bind(host.to_string())
                    .bind(now)
                    .bind("added".to_string())
                    .bind(source.to_string());
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        // PostgreSQL plans from statistics that autovacuum refreshes only after a while; right
        // after a big import they still describe the empty table, and the list is read by a
        // sequential scan and a sort instead of its index. (SQLite keeps no statistics unless
        // asked, and its planner needs none here.)
        if added >= ANALYZE_AFTER && self.backend() == Backend::Postgres {
            sqlx::query("ANALYZE instances").execute(&self.pool).await?;
        }
        Ok(added)
    }

    /// Takes an instance off the list with all its scans, checks, rollups and events; `false`
    /// when it was not there.
    pub async fn remove_instance(&self, host: &str) -> Result<bool, StoreError> {
        self.totals.clear();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM instances WHERE host = $1")
            .bind(host.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// One instance's state, or `None` when it is not on the list.
    pub async fn instance(&self, host: &str) -> Result<Option<Instance>, StoreError> {
        sqlx::query(concat!(
            "SELECT ",
            instance_cols!(),
            " FROM instances WHERE host = $1"
        ))
        .bind(host.to_string())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(instance_from)
        .transpose()
    }

    /// Every instance, ordered by host (for exports and the monitor's sweeps).
    pub async fn instances(&self) -> Result<Vec<Instance>, StoreError> {
        sqlx::query(concat!(
            "SELECT ",
            instance_cols!(),
            " FROM instances ORDER BY host"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(instance_from)
        .collect()
    }

    /// How many instances are on the list, opted-out and dead ones included.
    pub async fn count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM instances")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Opts an instance out (`Some(reason)`: it is no longer scanned, its latest figures are
    /// cleared so only the name is shown, and a scan in flight is disowned so its result is
    /// dropped) or back in (`None`: its next scan is due now). An `opted-out` event records the
    /// change.
    pub async fn set_opted_out(
        &self,
        host: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.totals.clear();
        let mut tx = self.begin_write().await?;
        let state = lock_state(self, &mut tx, host).await?;
        let old: Option<String> = state.try_get("opted_out")?;
        if old.as_deref() == reason {
            tx.rollback().await?;
            return Ok(());
        }
        match reason {
            Some(reason) => {
                sqlx::query(
                    "UPDATE instances SET opted_out = $2, opted_out_at = $3, \
                     scan_owner = NULL, scan_lease_until = NULL, \
                     last_scan_id = NULL, last_scan_at = NULL, reachable = NULL, \
                     rating_score = NULL, rating_grade = NULL, rating_rank = NULL, \
                     observatory_score = NULL, observatory_grade = NULL, tls_grade = NULL, \
                     tls_rank = NULL, ipv6 = NULL, dnssec = NULL, software = NULL, \
                     version = NULL, version_verdict = NULL, open_registrations = NULL \
                     WHERE host = $1",
                )
                .bind(host.to_string())
                .bind(reason.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE instances SET opted_out = NULL, opted_out_at = NULL, \
                     next_scan_at = $2 WHERE host = $1",
                )
                .bind(host.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        insert_event(&mut tx, host, now, "opted-out", old.as_deref(), reason).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that an instance moved (`Some(new host)`) or no longer says so (`None`), with a
    /// `moved` event.
    pub async fn set_moved(
        &self,
        host: &str,
        moved_to: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let state = lock_state(self, &mut tx, host).await?;
        let old: Option<String> = state.try_get("moved_to")?;
        if old.as_deref() == moved_to {
            tx.rollback().await?;
            return Ok(());
        }
        sqlx::query("UPDATE instances SET moved_to = $2 WHERE host = $1")
            .bind(host.to_string())
            .bind(moved_to.map(str::to_string))
            .execute(&mut *tx)
            .await?;
        insert_event(&mut tx, host, now, "moved", old.as_deref(), moved_to).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Declares an instance dead since some time (`Some`) or alive again (`None`); the monitor
    /// decides, the store records a `dead` or `alive` event at `now` when the state flips.
    /// (The spec's `set_dead(host, Option<i64>)` gained `now`: an `alive` event needs a time.)
    pub async fn set_dead(
        &self,
        host: &str,
        dead_since: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.totals.clear();
        let mut tx = self.begin_write().await?;
        let state = lock_state(self, &mut tx, host).await?;
        let old: Option<i64> = state.try_get("dead_since")?;
        if old == dead_since {
            tx.rollback().await?;
            return Ok(());
        }
        sqlx::query("UPDATE instances SET dead_since = $2 WHERE host = $1")
            .bind(host.to_string())
            .bind(dead_since)
            .execute(&mut *tx)
            .await?;
        let old_text = old.map(|t| t.to_string());
        let new_text = dead_since.map(|t| t.to_string());
        match (old, dead_since) {
            (None, Some(_)) => {
                insert_event(&mut tx, host, now, "dead", None, new_text.as_deref()).await?;
            }
            (Some(_), None) => {
                insert_event(&mut tx, host, now, "alive", old_text.as_deref(), None).await?;
            }
            // Still dead, only the start moved: not news.
            _ => {}
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Appends `rows` groups of `per_row` numbered placeholders: `($1, $2), ($3, $4)`.
pub(crate) fn push_placeholders(sql: &mut String, rows: usize, per_row: usize) {
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..per_row {
            if col > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
}
