//! Retention: a list of 30,000 instances writes about 8.6 million uptime checks and 30,000
//! scans (with their evidence) a day, so old rows must go or the database grows without end.
//! What the list shows survives: uptime comes from the day rollups (never pruned), every
//! instance keeps its newest scan with its evidence, and events are kept.

use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Store, StoreError};

/// How long each kind of row is kept, in seconds; `None` keeps it forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Raw uptime checks (the per-day rollups the figures come from are kept).
    pub checks: Option<i64>,
    /// The evidence bundles of scans other than each instance's newest (they are what
    /// `vigil regrade` re-assesses; the reports stay).
    pub evidence: Option<i64>,
    /// Scans other than each instance's newest, report and all.
    pub scans: Option<i64>,
}

impl Default for Retention {
    /// A week of raw checks (nothing reads them but an operator asking why a day was down:
    /// 30,000 instances at 5 minutes write 8.6 million a day), 30 days of evidence, 180 days
    /// of scans (twice the instance page's 90-day charts).
    fn default() -> Self {
        const DAY: i64 = 86_400;
        Retention {
            checks: Some(7 * DAY),
            evidence: Some(30 * DAY),
            scans: Some(180 * DAY),
        }
    }
}

/// What one prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub checks: u64,
    pub evidence: u64,
    pub scans: u64,
}

/// Rows per statement: short transactions, so workers writing meanwhile barely wait.
const BATCH: i64 = 5_000;

/// Scans that are some instance's newest are never touched.
const NOT_LATEST: &str =
    "id NOT IN (SELECT last_scan_id FROM instances WHERE last_scan_id IS NOT NULL)";

impl Store {
    /// Removes what `keep` no longer covers as of `now`, in batches. Safe to run from several
    /// workers at once and to interrupt: each batch is its own statement.
    pub async fn prune(&self, now: i64, keep: &Retention) -> Result<Pruned, StoreError> {
        let mut done = Pruned::default();
        if let Some(age) = keep.checks {
            // Ids grow with time, so the oldest checks are found from the start of the key.
            done.checks = self
                .in_batches(
                    "DELETE FROM checks WHERE id IN (SELECT id FROM checks WHERE checked_at < $1 \
                     AND id > $2 ORDER BY id LIMIT $3)",
                    "SELECT MAX(id) AS last FROM (SELECT id FROM checks WHERE checked_at < $1 \
                     AND id > $2 ORDER BY id LIMIT $3) AS b",
                    now - age,
                )
                .await?;
        }
        if let Some(age) = keep.scans {
            done.scans = self
                .in_batches(
                    &format!(
                        "DELETE FROM scans WHERE id IN (SELECT id FROM scans WHERE \
                         scanned_at < $1 AND id > $2 AND {NOT_LATEST} ORDER BY id LIMIT $3)"
                    ),
                    &format!(
                        "SELECT MAX(id) AS last FROM (SELECT id FROM scans WHERE \
                         scanned_at < $1 AND id > $2 AND {NOT_LATEST} ORDER BY id LIMIT $3) AS b"
                    ),
                    now - age,
                )
                .await?;
        }
        if let Some(age) = keep.evidence {
            // An emptied bundle is zero bytes; regrade passes over it.
            done.evidence = self
                .in_batches(
                    &format!(
                        "UPDATE scans SET evidence = $4 WHERE id IN (SELECT id FROM scans WHERE \
                         scanned_at < $1 AND id > $2 AND length(evidence) > 0 AND {NOT_LATEST} \
                         ORDER BY id LIMIT $3)"
                    ),
                    &format!(
                        "SELECT MAX(id) AS last FROM (SELECT id FROM scans WHERE \
                         scanned_at < $1 AND id > $2 AND length(evidence) > 0 AND {NOT_LATEST} \
                         ORDER BY id LIMIT $3) AS b"
                    ),
                    now - age,
                )
                .await?;
        }
        Ok(done)
    }

    /// Runs `change` batch by batch over the rows older than `cut`, moving on by id (found
    /// first with `bound`, the same selection), until none is left; returns the rows changed.
    async fn in_batches(&self, change: &str, bound: &str, cut: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        let mut after = 0_i64;
        loop {
            // The batch's last id, so the next batch starts past rows this one changed.
            let last: Option<i64> = sqlx::query_scalar(AssertSqlSafe(bound.to_string()))
                .bind(cut)
                .bind(after)
                .bind(BATCH)
                .fetch_one(&self.pool)
                .await?;
            let Some(last) = last else {
                break;
            };
            let mut q = sqlx::query(AssertSqlSafe(change.to_string()))
                .bind(cut)
                .bind(after)
                .bind(BATCH);
            if change.contains("$4") {
                q = q.bind(Vec::<u8>::new());
            }
            total += q.execute(&self.pool).await?.rows_affected();
            after = last;
        }
        Ok(total)
    }
}
