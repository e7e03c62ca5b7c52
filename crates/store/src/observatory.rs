//! The reads the Observatory-compatible API and the public scan need: the newest scan of a host
//! within an age, the score history with only the changes kept (as the reference lists it), and
//! the grade distribution over the newest scans.

use crate::{Store, StoreError};
use sqlx::Row;

/// One stored scan, enough to answer from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRef {
    pub id: i64,
    pub host: String,
    pub scanned_at: i64,
    pub report_json: String,
}

/// One point of a host's Observatory history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScoreChange {
    pub id: i64,
    pub scanned_at: i64,
    pub grade: Option<String>,
    pub score: Option<i64>,
}

impl Store {
    /// The newest scan of `host` taken at or after `since` (unix seconds), if any.
    pub async fn latest_scan_since(
        &self,
        host: &str,
        since: i64,
    ) -> Result<Option<ScanRef>, StoreError> {
        let row = sqlx::query(
            "SELECT id, host, scanned_at, report, report_gz FROM scans WHERE host = $1 \
             AND scanned_at >= $2 ORDER BY scanned_at DESC, id DESC LIMIT 1",
        )
        .bind(host.to_string())
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ScanRef {
                id: r.try_get("id")?,
                host: r.try_get("host")?,
                scanned_at: r.try_get("scanned_at")?,
                report_json: crate::codec::report_of(&r, r.try_get("id")?)?,
            })
        })
        .transpose()
    }

    /// The Observatory score over time, oldest first, keeping a scan only where the score
    /// changed (the first scan always counts).
    pub async fn score_history(&self, host: &str) -> Result<Vec<ScoreChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, scanned_at, observatory_grade, observatory_score FROM scans \
             WHERE host = $1 ORDER BY scanned_at, id",
        )
        .bind(host.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<ScoreChange> = Vec::new();
        for r in rows {
            let point = ScoreChange {
                id: r.try_get("id")?,
                scanned_at: r.try_get("scanned_at")?,
                grade: r.try_get("observatory_grade")?,
                score: r.try_get("observatory_score")?,
            };
            if out.last().is_none_or(|last| last.score != point.score) {
                out.push(point);
            }
        }
        Ok(out)
    }

    /// How many listed instances hold each Observatory grade (newest scans only).
    pub async fn grade_distribution(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT observatory_grade AS grade, COUNT(*) AS n FROM instances \
             WHERE observatory_grade IS NOT NULL AND opted_out IS NULL GROUP BY observatory_grade",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("grade")?, r.try_get("n")?)))
            .collect()
    }
}

impl Store {
    /// Keeps a host scanned from the public form, and not a fediverse server, out of the
    /// monitor's queue (it is not on the list); a no-op for every other instance.
    pub async fn park_public(&self, host: &str, until: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE instances SET next_scan_at = $2, next_check_at = $2 \
             WHERE host = $1 AND source = 'public' AND software IS NULL",
        )
        .bind(host.to_string())
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Listed instances per rating letter (`None` for unrated), for `/metrics`.
    pub async fn letter_counts(&self) -> Result<Vec<(Option<String>, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT rating_grade AS g, COUNT(*) AS n FROM instances WHERE opted_out IS NULL \
             GROUP BY rating_grade",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("g")?, r.try_get("n")?)))
            .collect()
    }

    /// Jobs due now: (scans, checks), for `/metrics` (the queue depth).
    pub async fn due_counts(&self, now: i64) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT \
             CAST(COALESCE(SUM(CASE WHEN next_scan_at <= $1 AND opted_out IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS scans, \
             CAST(COALESCE(SUM(CASE WHEN next_check_at <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS checks \
             FROM instances",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("scans")?, row.try_get("checks")?))
    }
}
