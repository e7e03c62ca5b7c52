//! Giving a job back with a new due time: the monitor skipped it (opted out, refused by the
//! address guard, robots.txt said no) and wants it looked at again later, not at once.

use crate::{JobKind, Store, StoreError};

impl Store {
    /// Drops this worker's lease of `kind` on `host` and sets the job due at `at`; `false` when
    /// the worker did not hold the lease (nothing changes then).
    pub async fn postpone(
        &self,
        host: &str,
        kind: JobKind,
        worker: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let sql = match kind {
            JobKind::Check => {
                "UPDATE instances SET check_owner = NULL, check_lease_until = NULL, \
                 next_check_at = $3 WHERE host = $1 AND check_owner = $2"
            }
            JobKind::Scan => {
                "UPDATE instances SET scan_owner = NULL, scan_lease_until = NULL, \
                 next_scan_at = $3 WHERE host = $1 AND scan_owner = $2"
            }
        };
        let done = sqlx::query(sql)
            .bind(host.to_string())
            .bind(worker.to_string())
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl Store {
    /// Brings the first check of never-checked instances within one `interval` of `now`,
    /// keeping each one's phase: names added with a longer interval (the `instances` commands
    /// assume the default) are then checked within the monitor's own interval. Returns how many
    /// moved.
    pub async fn respread_unchecked(&self, now: i64, interval: i64) -> Result<u64, StoreError> {
        let interval = interval.max(1);
        let done = sqlx::query(
            "UPDATE instances SET next_check_at = $1 + ((next_check_at - $1) % $2) \
             WHERE last_check_at IS NULL AND next_check_at > $1 + $2",
        )
        .bind(now)
        .bind(interval)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
