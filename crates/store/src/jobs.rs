//! The work queue: due times and leases on the `instances` rows. A worker claims due instances,
//! owns them until its lease runs out, and gives them back by recording a result or releasing.

use sqlx::Row;

use crate::{Backend, Claim, JobKind, Store, StoreError};

// One statement per kind and backend, so every column name is fixed text. PostgreSQL skips
// rows another claimer holds locked; SQLite runs the same statement under its single writer.
const CLAIM_CHECK_PG: &str = "UPDATE instances SET check_owner = $1, check_lease_until = $2 \
     WHERE host IN (SELECT host FROM instances \
         WHERE next_check_at <= $3 AND (check_owner IS NULL OR check_lease_until < $3) \
         ORDER BY next_check_at, host LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING host, next_check_at AS due";
const CLAIM_CHECK_SQLITE: &str = "UPDATE instances SET check_owner = $1, check_lease_until = $2 \
     WHERE host IN (SELECT host FROM instances \
         WHERE next_check_at <= $3 AND (check_owner IS NULL OR check_lease_until < $3) \
         ORDER BY next_check_at, host LIMIT $4) \
     RETURNING host, next_check_at AS due";
const CLAIM_SCAN_PG: &str = "UPDATE instances SET scan_owner = $1, scan_lease_until = $2 \
     WHERE host IN (SELECT host FROM instances \
         WHERE next_scan_at <= $3 AND (scan_owner IS NULL OR scan_lease_until < $3) \
         AND opted_out IS NULL \
         ORDER BY next_scan_at, host LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING host, next_scan_at AS due";
const CLAIM_SCAN_SQLITE: &str = "UPDATE instances SET scan_owner = $1, scan_lease_until = $2 \
     WHERE host IN (SELECT host FROM instances \
         WHERE next_scan_at <= $3 AND (scan_owner IS NULL OR scan_lease_until < $3) \
         AND opted_out IS NULL \
         ORDER BY next_scan_at, host LIMIT $4) \
     RETURNING host, next_scan_at AS due";

impl Store {
    /// Atomically claims up to `limit` instances whose `kind` is due (`≤ now`) and whose lease
    /// of that kind is free or expired, earliest due first; each is this worker's until
    /// `now + lease_secs`. Scans skip opted-out instances; nothing else is skipped (the monitor
    /// sets the intervals, dead instances included). Claims come back earliest due first.
    pub async fn claim(
        &self,
        kind: JobKind,
        worker: &str,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<Claim>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let sql = match (kind, self.backend) {
            (JobKind::Check, Backend::Postgres) => CLAIM_CHECK_PG,
            (JobKind::Check, Backend::Sqlite) => CLAIM_CHECK_SQLITE,
            (JobKind::Scan, Backend::Postgres) => CLAIM_SCAN_PG,
            (JobKind::Scan, Backend::Sqlite) => CLAIM_SCAN_SQLITE,
        };
        let lease_until = now.saturating_add(lease_secs);
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(sql)
            .bind(worker.to_string())
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                Ok((
                    row.try_get::<i64, _>("due")?,
                    row.try_get::<String, _>("host")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort();
        Ok(claimed
            .into_iter()
            .map(|(_, host)| Claim {
                host,
                kind,
                lease_until,
            })
            .collect())
    }

    /// Gives back a lease this worker holds without touching the due time (a worker shutting
    /// down mid-job); `false` when it did not hold it.
    pub async fn release(
        &self,
        host: &str,
        kind: JobKind,
        worker: &str,
    ) -> Result<bool, StoreError> {
        let sql = match kind {
            JobKind::Check => {
                "UPDATE instances SET check_owner = NULL, check_lease_until = NULL \
                 WHERE host = $1 AND check_owner = $2"
            }
            JobKind::Scan => {
                "UPDATE instances SET scan_owner = NULL, scan_lease_until = NULL \
                 WHERE host = $1 AND scan_owner = $2"
            }
        };
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(sql)
            .bind(host.to_string())
            .bind(worker.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
