//! Recording finished work. Each result is one transaction that first proves the worker still
//! holds the lease; a worker whose lease was taken over stores nothing, so no instance is
//! recorded twice in one interval.

use sqlx::any::Any;
use sqlx::{Row, Transaction};

use crate::codec::{gzip, unix_day};
use crate::instances::insert_event;
use crate::rows::{bind_summary, summary_cols};
use crate::{NewCheck, NewScan, Store, StoreError, Uptime};

impl Store {
    /// Stores a scan if `scan.worker` still holds the instance's scan lease: inserts it, makes
    /// it the instance's latest figures, sets the next due time, frees the lease and notes a
    /// `grade-change` event when the rating letter changed. `Ok(None)` (nothing stored) when
    /// the lease was lost; otherwise the new scan's id.
    pub async fn record_scan(
        &self,
        scan: &NewScan,
        next_scan_at: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let held = sqlx::query(
            "UPDATE instances SET scan_owner = NULL, scan_lease_until = NULL, next_scan_at = $3 \
             WHERE host = $1 AND scan_owner = $2",
        )
        .bind(scan.host.clone())
        .bind(scan.worker.clone())
        .bind(next_scan_at)
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let id = store_scan(&mut tx, scan).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Stores a scan without the lease rule (one-off `scan --store` runs, imports, tests); the
    /// instance must be on the list. Leaves any lease alone.
    pub async fn insert_scan_unleased(
        &self,
        scan: &NewScan,
        next_scan_at: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query("UPDATE instances SET next_scan_at = $2 WHERE host = $1")
            .bind(scan.host.clone())
            .bind(next_scan_at)
            .execute(&mut *tx)
            .await?;
        if found.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NoSuchInstance(scan.host.clone()));
        }
        let id = store_scan(&mut tx, scan).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores a check if `worker` still holds the instance's check lease, sets the next due time
    /// and frees the lease; `false` (nothing stored) when the lease was lost. A counted check
    /// also updates the day rollup, the up/down state, `refused_streak` and the cached 30/90-day
    /// uptime (windows ending at `checked_at`); a void one changes only the `checks` row,
    /// `last_check_at` and the due time.
    pub async fn record_check(
        &self,
        check: &NewCheck,
        worker: &str,
        next_check_at: i64,
        refused_streak: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let held = if check.void {
            sqlx::query(
                "UPDATE instances SET check_owner = NULL, check_lease_until = NULL, \
                 next_check_at = $3, last_check_at = $4 \
                 WHERE host = $1 AND check_owner = $2",
            )
            .bind(check.host.clone())
            .bind(worker.to_string())
            .bind(next_check_at)
            .bind(check.checked_at)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE instances SET check_owner = NULL, check_lease_until = NULL, \
                 next_check_at = $3, last_check_at = $4, refused_streak = $5, up = $6, \
                 last_up_at = CASE WHEN $6 = 1 THEN $4 ELSE last_up_at END, \
                 first_down_at = CASE WHEN $6 = 1 THEN NULL ELSE COALESCE(first_down_at, $4) END, \
                 last_failure = $7, last_latency_ms = $8 \
                 WHERE host = $1 AND check_owner = $2",
            )
            .bind(check.host.clone())
            .bind(worker.to_string())
            .bind(next_check_at)
            .bind(check.checked_at)
            .bind(refused_streak)
            .bind(i64::from(check.up))
            .bind(check.failure.clone())
            .bind(check.latency_ms)
            .execute(&mut *tx)
            .await?
        };
        if held.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO checks (host, checked_at, up, latency_ms, failure, void) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(check.host.clone())
        .bind(check.checked_at)
        .bind(i64::from(check.up))
        .bind(check.latency_ms)
        .bind(check.failure.clone())
        .bind(i64::from(check.void))
        .execute(&mut *tx)
        .await?;
        if !check.void {
            count_check(&mut tx, check).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Inserts the scan row and, when it is the newest and the instance has not opted out, copies
/// its figures to the instance; adds a `grade-change` event when the rating letter differs from
/// the scan before it.
async fn store_scan(tx: &mut Transaction<'static, Any>, scan: &NewScan) -> Result<i64, StoreError> {
    let previous: Option<Option<String>> = sqlx::query(
        "SELECT rating_grade FROM scans WHERE host = $1 AND scanned_at <= $2 \
         ORDER BY scanned_at DESC, id DESC LIMIT 1",
    )
    .bind(scan.host.clone())
    .bind(scan.scanned_at)
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get("rating_grade"))
    .transpose()?;

    let insert = sqlx::query(concat!(
        "INSERT INTO scans (host, scanned_at, worker, ",
        summary_cols!(),
        ", report, report_gz, evidence, algorithm) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id"
    ))
    .bind(scan.host.clone())
    .bind(scan.scanned_at)
    .bind(scan.worker.clone());
    let id: i64 = bind_summary(insert, &scan.summary)
        .bind(String::new())
        .bind(gzip(&scan.report_json)?)
        .bind(gzip(&scan.evidence_json)?)
        .bind(scan.algorithm.clone())
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;

    let update = sqlx::query(
        "UPDATE instances SET last_scan_id = $1, last_scan_at = $2, reachable = $3, \
         rating_score = $4, rating_grade = $5, rating_rank = $6, observatory_score = $7, \
         observatory_grade = $8, tls_grade = $9, tls_rank = $10, ipv6 = $11, dnssec = $12, \
         software = $13, version = $14, version_verdict = $15, open_registrations = $16 \
         WHERE host = $17 AND opted_out IS NULL AND (last_scan_at IS NULL OR last_scan_at <= $2)",
    )
    .bind(id)
    .bind(scan.scanned_at);
    bind_summary(update, &scan.summary)
        .bind(scan.host.clone())
        .execute(&mut **tx)
        .await?;

    // A letter change, not a scan that failed to grade: unreachability is the monitor's news.
    if let (Some(Some(old)), Some(new)) = (&previous, &scan.summary.rating_grade)
        && old != new
    {
        insert_event(
            tx,
            &scan.host,
            scan.scanned_at,
            "grade-change",
            Some(old),
            Some(new),
        )
        .await?;
    }
    Ok(id)
}

/// Adds a counted check to its day's rollup and refreshes the instance's cached 30/90-day
/// figures from at most 90 rollup rows.
async fn count_check(
    tx: &mut Transaction<'static, Any>,
    check: &NewCheck,
) -> Result<(), StoreError> {
    let day = unix_day(check.checked_at);
    sqlx::query(
        "INSERT INTO uptime_days (host, day, up, total) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (host, day) DO UPDATE \
         SET up = uptime_days.up + excluded.up, total = uptime_days.total + 1",
    )
    .bind(check.host.clone())
    .bind(day)
    .bind(i64::from(check.up))
    .execute(&mut **tx)
    .await?;
    let rows = sqlx::query(
        "SELECT day, up, total FROM uptime_days WHERE host = $1 AND day > $2 AND day <= $3",
    )
    .bind(check.host.clone())
    .bind(day - 90)
    .bind(day)
    .fetch_all(&mut **tx)
    .await?;
    let (mut d30, mut d90) = (Uptime::default(), Uptime::default());
    for row in &rows {
        let (d, up, total): (i64, i64, i64) = (
            row.try_get("day")?,
            row.try_get("up")?,
            row.try_get("total")?,
        );
        d90.up += up;
        d90.checks += total;
        if d > day - 30 {
            d30.up += up;
            d30.checks += total;
        }
    }
    sqlx::query(
        "UPDATE instances SET up_30d = $2, checks_30d = $3, up_90d = $4, checks_90d = $5, \
         uptime_30d_ppm = $6, uptime_90d_ppm = $7 WHERE host = $1",
    )
    .bind(check.host.clone())
    .bind(d30.up)
    .bind(d30.checks)
    .bind(d90.up)
    .bind(d90.checks)
    .bind(ppm(d30))
    .bind(ppm(d90))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Uptime in parts per million, an integer the list can index and sort; `None` without checks.
fn ppm(u: Uptime) -> Option<i64> {
    (u.checks > 0).then(|| u.up.saturating_mul(1_000_000) / u.checks)
}
