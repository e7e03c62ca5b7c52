//! Reading back: reports, history, uptime, the regrade pages and the database's size.

use sqlx::Row;

use crate::codec::{gunzip, gzip, report_of, unix_day};
use crate::rows::{bind_summary, summary_cols, summary_from};
use crate::{Backend, Event, History, ScanRow, ScanSummary, Store, StoreError, Uptime, UptimeDay};

/// The most scans [`Store::history`] gives (83 days of hourly scans).
pub const HISTORY_SCANS: i64 = 2_000;

impl Store {
    /// The newest scan's report JSON; `None` when there is none or the instance opted out (an
    /// opted-out instance shows its name only).
    pub async fn latest_report(&self, host: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id AS id, s.report AS report, s.report_gz AS report_gz FROM scans s \
             JOIN instances i ON i.host = s.host WHERE s.host = $1 AND i.opted_out IS NULL \
             ORDER BY s.scanned_at DESC, s.id DESC LIMIT 1",
        )
        .bind(host.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| report_of(&r, r.try_get("id")?)).transpose()
    }

    /// An instance's scans, uptime days and events since `since` (unix seconds), oldest first.
    /// Scans are left out for opted-out instances, and only the newest [`HISTORY_SCANS`] are
    /// given: anyone may rescan a host once a minute, and its page draws every scan.
    pub async fn history(&self, host: &str, since: i64) -> Result<History, StoreError> {
        let opted_out: Option<String> =
            sqlx::query("SELECT opted_out FROM instances WHERE host = $1")
                .bind(host.to_string())
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NoSuchInstance(host.to_string()))?
                .try_get("opted_out")?;
        let scans = if opted_out.is_some() {
            Vec::new()
        } else {
            sqlx::query(concat!(
                "SELECT * FROM (SELECT id, host, scanned_at, worker, algorithm, ",
                summary_cols!(),
                " FROM scans WHERE host = $1 AND scanned_at >= $2 \
                 ORDER BY scanned_at DESC, id DESC LIMIT $3) AS newest ORDER BY scanned_at, id"
            ))
            .bind(host.to_string())
            .bind(since)
            .bind(HISTORY_SCANS)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(ScanRow {
                    id: row.try_get("id")?,
                    host: row.try_get("host")?,
                    scanned_at: row.try_get("scanned_at")?,
                    worker: row.try_get("worker")?,
                    summary: summary_from(row)?,
                    algorithm: row.try_get("algorithm")?,
                })
            })
            .collect::<Result<_, StoreError>>()?
        };
        let days = sqlx::query(
            "SELECT day, up, total FROM uptime_days WHERE host = $1 AND day >= $2 ORDER BY day",
        )
        .bind(host.to_string())
        .bind(unix_day(since))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(UptimeDay {
                day: row.try_get("day")?,
                up: row.try_get("up")?,
                total: row.try_get("total")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let events = sqlx::query(
            "SELECT at, kind, old, new FROM events WHERE host = $1 AND at >= $2 ORDER BY at, id",
        )
        .bind(host.to_string())
        .bind(since)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(Event {
                at: row.try_get("at")?,
                kind: row.try_get("kind")?,
                old: row.try_get("old")?,
                new: row.try_get("new")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        Ok(History {
            scans,
            days,
            events,
        })
    }

    /// Uptime over the `days` unix days ending with `now`'s day, from the rollup (void checks
    /// were never added to it). Zero checks for an unknown host.
    pub async fn uptime(&self, host: &str, now: i64, days: i64) -> Result<Uptime, StoreError> {
        let today = unix_day(now);
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(up), 0) AS BIGINT) AS up, \
             CAST(COALESCE(SUM(total), 0) AS BIGINT) AS total \
             FROM uptime_days WHERE host = $1 AND day > $2 AND day <= $3",
        )
        .bind(host.to_string())
        .bind(today - days.max(0))
        .bind(today)
        .fetch_one(&self.pool)
        .await?;
        Ok(Uptime {
            up: row.try_get("up")?,
            checks: row.try_get("total")?,
        })
    }

    /// A page of stored evidence for regrading: scans with `id > after_id`, lowest id first,
    /// at most `batch`, evidence decompressed. Page on with the last id returned. Scans whose
    /// evidence was pruned (see [`Store::prune`]) are passed over: there is nothing to
    /// re-assess, and their reports stay as they were.
    pub async fn scans_for_regrade(
        &self,
        after_id: i64,
        batch: u32,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        sqlx::query(
            "SELECT id, host, evidence FROM scans WHERE id > $1 AND length(evidence) > 0 \
             ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(i64::from(batch.max(1)))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            let evidence: Vec<u8> = row.try_get("evidence")?;
            Ok((id, row.try_get("host")?, gunzip(&evidence, id)?))
        })
        .collect()
    }

    /// Replaces a scan's figures, report and algorithm after regrading, and the instance's
    /// latest figures when it is that instance's newest scan (and it has not opted out).
    /// `false` when there is no such scan. (The spec gives no result; a missing id is worth
    /// telling the regrade loop.)
    pub async fn update_regraded(
        &self,
        id: i64,
        summary: &ScanSummary,
        report_json: &str,
        algorithm: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let scan = sqlx::query(
            "UPDATE scans SET reachable = $1, rating_score = $2, rating_grade = $3, \
             rating_rank = $4, observatory_score = $5, observatory_grade = $6, tls_grade = $7, \
             tls_rank = $8, ipv6 = $9, dnssec = $10, software = $11, version = $12, \
             version_verdict = $13, open_registrations = $14, report = '', report_gz = $15, \
             algorithm = $16 WHERE id = $17",
        );
        let done = bind_summary(scan, summary)
            .bind(gzip(report_json)?)
            .bind(algorithm.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let instance = sqlx::query(
            "UPDATE instances SET reachable = $1, rating_score = $2, rating_grade = $3, \
             rating_rank = $4, observatory_score = $5, observatory_grade = $6, tls_grade = $7, \
             tls_rank = $8, ipv6 = $9, dnssec = $10, software = $11, version = $12, \
             version_verdict = $13, open_registrations = $14 \
             WHERE last_scan_id = $15 AND opted_out IS NULL",
        );
        bind_summary(instance, summary)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// How much disk the database takes, for the operator's status page.
    pub async fn size_bytes(&self) -> Result<Option<i64>, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT p.page_count * s.page_size AS size \
                 FROM pragma_page_count() p, pragma_page_size() s"
            }
            Backend::Postgres => "SELECT pg_database_size(current_database()) AS size",
        };
        let row = sqlx::query(sql).fetch_one(&self.pool).await?;
        Ok(row.try_get("size")?)
    }
}

/// What a badge shows of an instance, read in one query (badges are the most requested thing
/// a list serves: they sit on other sites' pages).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BadgeFacts {
    pub opted_out: bool,
    pub scanned: bool,
    pub rating_grade: Option<String>,
    pub rating_score: Option<i64>,
}

impl Store {
    /// The badge's facts of `host`; `None` when it is not on the list.
    pub async fn badge_facts(&self, host: &str) -> Result<Option<BadgeFacts>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT opted_out, last_scan_id, rating_grade, rating_score FROM instances \
             WHERE host = $1",
        )
        .bind(host.to_string())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let opted_out = row.try_get::<Option<String>, _>("opted_out")?.is_some();
        Ok(Some(BadgeFacts {
            opted_out,
            scanned: row.try_get::<Option<i64>, _>("last_scan_id")?.is_some(),
            rating_grade: if opted_out {
                None
            } else {
                row.try_get("rating_grade")?
            },
            rating_score: if opted_out {
                None
            } else {
                row.try_get("rating_score")?
            },
        }))
    }
}
