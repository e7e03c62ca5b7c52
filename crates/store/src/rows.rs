//! Reading rows by hand (no sqlx macros) and binding the summary columns in one fixed order.

use sqlx::Row;
use sqlx::any::{Any, AnyArguments, AnyRow};
use sqlx::query::Query;

use crate::{Instance, ScanSummary, StoreError, Uptime, grade_rank};

/// A query with owned arguments, as sqlx 0.9 builds them.
pub(crate) type AnyQuery = Query<'static, Any, AnyArguments>;

/// The summary columns, in the order [`bind_summary`] binds them (14 values). A macro so it can
/// be spliced into `concat!` and the SQL stays `&'static str`.
macro_rules! summary_cols {
    () => {
        "reachable, rating_score, rating_grade, rating_rank, observatory_score, \
         observatory_grade, tls_grade, tls_rank, ipv6, dnssec, software, version, \
         version_verdict, open_registrations"
    };
}
pub(crate) use summary_cols;

/// The instance columns [`instance_from`] reads.
macro_rules! instance_cols {
    () => {
        "host, added_at, source, opted_out, opted_out_at, dead_since, moved_to, next_check_at, \
         next_scan_at, refused_streak, first_down_at, last_up_at, last_check_at, up, \
         last_latency_ms, last_failure, last_scan_at"
    };
}
pub(crate) use instance_cols;

/// Binds the 14 summary values in [`summary_cols`] order; the grade ranks are derived here so
/// they can never disagree with the letters.
pub(crate) fn bind_summary(query: AnyQuery, s: &ScanSummary) -> AnyQuery {
    query
        .bind(i64::from(s.reachable))
        .bind(s.rating_score)
        .bind(s.rating_grade.clone())
        .bind(s.rating_grade.as_deref().map(grade_rank))
        .bind(s.observatory_score)
        .bind(s.observatory_grade.clone())
        .bind(s.tls_grade.clone())
        .bind(s.tls_grade.as_deref().map(grade_rank))
        .bind(s.ipv6.clone())
        .bind(s.dnssec.clone())
        .bind(s.software.clone())
        .bind(s.version.clone())
        .bind(s.version_verdict.clone())
        .bind(s.open_registrations.map(i64::from))
}

/// A stored 0/1 flag; anything else means the row was written by something other than us.
pub(crate) fn flag(value: Option<i64>, column: &str) -> Result<Option<bool>, StoreError> {
    match value {
        None => Ok(None),
        Some(0) => Ok(Some(false)),
        Some(1) => Ok(Some(true)),
        Some(other) => Err(StoreError::Corrupt(format!(
            "{column} = {other}, expected 0 or 1"
        ))),
    }
}

/// Reads the summary columns of a `scans` or `instances` row.
pub(crate) fn summary_from(row: &AnyRow) -> Result<ScanSummary, StoreError> {
    Ok(ScanSummary {
        rating_score: row.try_get("rating_score")?,
        rating_grade: row.try_get("rating_grade")?,
        observatory_score: row.try_get("observatory_score")?,
        observatory_grade: row.try_get("observatory_grade")?,
        tls_grade: row.try_get("tls_grade")?,
        ipv6: row.try_get("ipv6")?,
        dnssec: row.try_get("dnssec")?,
        software: row.try_get("software")?,
        version: row.try_get("version")?,
        version_verdict: row.try_get("version_verdict")?,
        open_registrations: flag(row.try_get("open_registrations")?, "open_registrations")?,
        reachable: flag(row.try_get("reachable")?, "reachable")?.unwrap_or(false),
    })
}

/// Reads an `instances` row selected with [`instance_cols`].
pub(crate) fn instance_from(row: &AnyRow) -> Result<Instance, StoreError> {
    Ok(Instance {
        host: row.try_get("host")?,
        added_at: row.try_get("added_at")?,
        source: row.try_get("source")?,
        opted_out: row.try_get("opted_out")?,
        opted_out_at: row.try_get("opted_out_at")?,
        dead_since: row.try_get("dead_since")?,
        moved_to: row.try_get("moved_to")?,
        next_check_at: row.try_get("next_check_at")?,
        next_scan_at: row.try_get("next_scan_at")?,
        refused_streak: row.try_get("refused_streak")?,
        first_down_at: row.try_get("first_down_at")?,
        last_up_at: row.try_get("last_up_at")?,
        last_check_at: row.try_get("last_check_at")?,
        up: flag(row.try_get("up")?, "up")?,
        last_latency_ms: row.try_get("last_latency_ms")?,
        last_failure: row.try_get("last_failure")?,
        last_scan_at: row.try_get("last_scan_at")?,
    })
}

/// Reads an up/checks pair of columns.
pub(crate) fn uptime_from(row: &AnyRow, up: &str, checks: &str) -> Result<Uptime, StoreError> {
    Ok(Uptime {
        up: row.try_get(up)?,
        checks: row.try_get(checks)?,
    })
}
