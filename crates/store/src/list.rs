//! The public ranked list: one query on `instances` (whose latest-scan columns are copied from
//! the newest scan exactly so this needs no join) plus a count for paging.

use sqlx::{AssertSqlSafe, Row};

use crate::rows::{flag, summary_cols, summary_from, uptime_from};
use crate::{ListQuery, ListRow, ScanSummary, SortKey, Store, StoreError};

/// How long a list total is reused.
const TOTAL_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// A refresh not finished after this long was abandoned (its request failed or was dropped);
/// the next caller counts again.
const REFRESH_ABANDONED: std::time::Duration = std::time::Duration::from_secs(10);

/// One remembered total: when it was counted, the count, and since when a caller has been
/// counting it again.
#[derive(Debug, Clone, Copy)]
struct Total {
    at: std::time::Instant,
    n: i64,
    refreshing: Option<std::time::Instant>,
}

/// What the cache says of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// Counted within the TTL.
    Fresh(i64),
    /// Older, and another caller is counting it again: use this meanwhile.
    Stale(i64),
    /// This caller counts (none known yet, or it is stale and nobody else is on it).
    Count,
}

/// Totals of recent list queries, keyed by their WHERE clause and values. When one goes stale,
/// only one caller counts it again while the others keep using the old figure: under load,
/// every request that arrived during a slow count would otherwise run the count too.
#[derive(Debug, Clone, Default)]
pub(crate) struct TotalCache(
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Total>>>,
);

impl TotalCache {
    fn lookup(&self, key: &str) -> Lookup {
        let Ok(mut map) = self.0.lock() else {
            return Lookup::Count;
        };
        let Some(t) = map.get_mut(key) else {
            return Lookup::Count;
        };
        if t.at.elapsed() < TOTAL_TTL {
            return Lookup::Fresh(t.n);
        }
        match t.refreshing {
            Some(since) if since.elapsed() < REFRESH_ABANDONED => Lookup::Stale(t.n),
            _ => {
                t.refreshing = Some(std::time::Instant::now());
                Lookup::Count
            }
        }
    }

    /// Forgets every total: instances came, went, opted out or died.
    pub(crate) fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }

    fn put(&self, key: String, n: i64) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() > 1024 {
                map.retain(|_, t| t.at.elapsed() < TOTAL_TTL);
            }
            map.insert(
                key,
                Total {
                    at: std::time::Instant::now(),
                    n,
                    refreshing: None,
                },
            );
        }
    }
}

/// The most rows one page may ask for.
pub const MAX_PAGE: u32 = 500;

/// The ORDER BY for a sort key. Only these fixed strings are ever spliced into the SQL (the
/// direction is one of two words); NULLs go last in both directions and the host breaks ties,
/// so pages never overlap.
fn order_by(sort: SortKey, descending: bool) -> String {
    let d = if descending { "DESC" } else { "ASC" };
    match sort {
        SortKey::Rating => format!(
            "rating_rank {d} NULLS LAST, rating_score {d} NULLS LAST, \
             observatory_score DESC NULLS LAST, host ASC"
        ),
        SortKey::Observatory => format!("observatory_score {d} NULLS LAST, host ASC"),
        SortKey::Tls => format!("tls_rank {d} NULLS LAST, host ASC"),
        SortKey::Uptime30 => format!("uptime_30d_ppm {d} NULLS LAST, host ASC"),
        SortKey::Uptime90 => format!("uptime_90d_ppm {d} NULLS LAST, host ASC"),
        SortKey::Host => format!("host {d}"),
        SortKey::LastScan => format!("last_scan_at {d} NULLS LAST, host ASC"),
        SortKey::Software => {
            format!("software {d} NULLS LAST, version {d} NULLS LAST, host ASC")
        }
        SortKey::Version => format!("version {d} NULLS LAST, host ASC"),
        SortKey::Ipv6 => format!("ipv6 {d} NULLS LAST, host ASC"),
        SortKey::Dnssec => format!("dnssec {d} NULLS LAST, host ASC"),
    }
}

/// The WHERE clause of a query (fixed fragments, numbered placeholders) and its values.
struct Filter {
    sql: String,
    software: Option<String>,
    min_rank: Option<i64>,
    params: usize,
}

fn filter(q: &ListQuery) -> Filter {
    // Hosts scanned from the public form stay off the list unless they are fediverse servers.
    let mut parts: Vec<String> = vec!["(source <> 'public' OR software IS NOT NULL)".into()];
    let mut params = 0;
    if !q.include_dead {
        parts.push("dead_since IS NULL".into());
    }
    if !q.include_opted_out {
        parts.push("opted_out IS NULL".into());
    }
    if !q.include_down {
        parts.push("(up IS NULL OR up = 1)".into());
    }
    match q.open_registrations {
        Some(true) => parts.push("open_registrations = 1".into()),
        Some(false) => parts.push("open_registrations = 0".into()),
        None => {}
    }
    if q.software.is_some() {
        params += 1;
        parts.push(format!("software = ${params}"));
    }
    if q.min_rating_rank.is_some() {
        params += 1;
        parts.push(format!("rating_rank >= ${params}"));
    }
    let sql = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    Filter {
        sql,
        software: q.software.clone(),
        min_rank: q.min_rating_rank,
        params,
    }
}

/// From this offset on, a page's hosts are picked first and only they are read in full. Before
/// it, reading the rows straight off the index is cheaper than a hundred primary-key lookups
/// afterwards (PostgreSQL, 30,000 instances: 1.0 ms against 2.5 ms for the first page, 7 ms
/// against 70 ms at offset 20,000).
const PICK_HOSTS_FROM: u32 = 500;

/// The SQL of one page. Deep pages pick their hosts first, from the sort's covering index
/// (schema 5: narrow entries carrying every column the filters read, so no table reads and no
/// sort of every instance), then read only those rows; a sort of all full rows instead spilled
/// to disk on PostgreSQL at offset 20,000.
fn page_sql(q: &ListQuery, f: &Filter) -> String {
    let order = order_by(q.sort, q.descending);
    let (limit, offset) = (f.params + 1, f.params + 2);
    let cols = concat!(
        "host, opted_out, dead_since, moved_to, up, last_scan_at, ",
        summary_cols!(),
        ", up_30d, checks_30d, up_90d, checks_90d"
    );
    if q.offset < PICK_HOSTS_FROM {
        format!(
            "SELECT {cols} FROM instances{} ORDER BY {order} LIMIT ${limit} OFFSET ${offset}",
            f.sql
        )
    } else {
        format!(
            "SELECT {cols} FROM instances WHERE host IN (SELECT host FROM instances{} \
             ORDER BY {order} LIMIT ${limit} OFFSET ${offset}) ORDER BY {order}",
            f.sql
        )
    }
}

impl Store {
    /// How many rows the filter lets through, from the cache of recent totals.
    async fn total(&self, f: &Filter) -> Result<i64, StoreError> {
        let key = format!("{}|{:?}|{:?}", f.sql, f.software, f.min_rank);
        match self.totals.lookup(&key) {
            Lookup::Fresh(n) | Lookup::Stale(n) => Ok(n),
            Lookup::Count => {
                let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM instances{}",
                    f.sql
                )));
                if let Some(software) = &f.software {
                    count = count.bind(software.clone());
                }
                if let Some(rank) = f.min_rank {
                    count = count.bind(rank);
                }
                let n = count.fetch_one(&self.pool).await?;
                self.totals.put(key, n);
                Ok(n)
            }
        }
    }

    /// The database's plan for one page of the list (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN`
    /// on PostgreSQL), one line per step: the tests check that every sort reads its index, and
    /// an operator can see why a page is slow.
    pub async fn explain_list(&self, q: &ListQuery) -> Result<String, StoreError> {
        let f = filter(q);
        let prefix = match self.backend {
            crate::Backend::Sqlite => "EXPLAIN QUERY PLAN ",
            crate::Backend::Postgres => "EXPLAIN ",
        };
        let mut query = sqlx::query(AssertSqlSafe(format!("{prefix}{}", page_sql(q, &f))));
        if let Some(software) = &f.software {
            query = query.bind(software.clone());
        }
        if let Some(rank) = f.min_rank {
            query = query.bind(rank);
        }
        let rows = query
            .bind(i64::from(q.limit.clamp(1, MAX_PAGE)))
            .bind(i64::from(q.offset))
            .fetch_all(&self.pool)
            .await?;
        let mut lines = Vec::with_capacity(rows.len());
        for row in &rows {
            lines.push(match self.backend {
                crate::Backend::Sqlite => row.try_get::<String, _>("detail")?,
                crate::Backend::Postgres => row.try_get::<String, _>(0)?,
            });
        }
        Ok(lines.join("\n"))
    }

    /// One page of the ranked list and the number of rows the filters let through. Opted-out
    /// rows carry only their name; ranks count from the top of the whole list.
    pub async fn list(&self, q: &ListQuery) -> Result<(Vec<ListRow>, i64), StoreError> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let f = filter(q);
        let sql = page_sql(q, &f);
        // Fixed fragments only: every value is a bound parameter.
        let mut page = sqlx::query(AssertSqlSafe(sql));
        if let Some(software) = &f.software {
            page = page.bind(software.clone());
        }
        if let Some(rank) = f.min_rank {
            page = page.bind(rank);
        }
        let rows = page
            .bind(i64::from(limit))
            .bind(i64::from(q.offset))
            .fetch_all(&self.pool)
            .await?;
        let total = self.total(&f).await?;
        let start = i64::from(q.offset) + 1;
        let mut out = Vec::with_capacity(rows.len());
        for (rank, row) in (start..).zip(rows.iter()) {
            let opted_out = row.try_get::<Option<String>, _>("opted_out")?.is_some();
            out.push(ListRow {
                rank,
                host: row.try_get("host")?,
                opted_out,
                dead: row.try_get::<Option<i64>, _>("dead_since")?.is_some(),
                moved_to: row.try_get("moved_to")?,
                up: flag(row.try_get("up")?, "up")?,
                last_scan_at: if opted_out {
                    None
                } else {
                    row.try_get("last_scan_at")?
                },
                summary: if opted_out {
                    ScanSummary::default()
                } else {
                    summary_from(row)?
                },
                uptime_30d: uptime_from(row, "up_30d", "checks_30d")?,
                uptime_90d: uptime_from(row, "up_90d", "checks_90d")?,
            });
        }
        Ok((out, total))
    }
}

/// Where one host stands in a ranking: its rank (from 1) and how many rows the ranking holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    pub rank: i64,
    pub of: i64,
}

impl Store {
    /// Where `host` stands on the list as `q` filters it, ranked by rating (the list's
    /// default order: rating, then its score, then the Observatory score, then the host).
    /// `None` when the host is not a row of that list, has no rating or opted out. The rank is the one
    /// the same list's pages print: one plus the rows ordered before it, counted with the
    /// order's own NULLS LAST rules.
    pub async fn standing(
        &self,
        q: &ListQuery,
        host: &str,
    ) -> Result<Option<Standing>, StoreError> {
        let f = filter(q);
        let me = f.params + 1;
        let mut mine = sqlx::query(AssertSqlSafe(format!(
            "SELECT rating_rank, rating_score, observatory_score, opted_out FROM instances{} \
             AND host = ${me}",
            f.sql
        )));
        if let Some(software) = &f.software {
            mine = mine.bind(software.clone());
        }
        if let Some(rank) = f.min_rank {
            mine = mine.bind(rank);
        }
        let Some(row) = mine
            .bind(host.to_string())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        // An opted-out row keeps its place on a list that shows it, but only its name.
        if row.try_get::<Option<String>, _>("opted_out")?.is_some() {
            return Ok(None);
        }
        let (Some(rr), Some(rs)) = (
            row.try_get::<Option<i64>, _>("rating_rank")?,
            row.try_get::<Option<i64>, _>("rating_score")?,
        ) else {
            return Ok(None);
        };
        let obs: Option<i64> = row.try_get("observatory_score")?;
        // Before me: a higher rating, or the same and a higher score, or the same again and a
        // higher Observatory score (any score before none), or all equal and a lower name. Four
        // disjoint counts, each a range of the rating index (one OR of them all made
        // PostgreSQL read the whole table: 48 ms against 3.5 ms).
        let (a, b, c, h) = (me, me + 1, me + 2, me + 3);
        let w = &f.sql;
        let sql = format!(
            "SELECT (SELECT COUNT(*) FROM instances{w} AND rating_rank > ${a}) \
             + (SELECT COUNT(*) FROM instances{w} AND rating_rank = ${a} AND rating_score > ${b}) \
             + (SELECT COUNT(*) FROM instances{w} AND rating_rank = ${a} AND rating_score = ${b} \
                AND observatory_score IS NOT NULL \
                AND (CAST(${c} AS BIGINT) IS NULL OR observatory_score > ${c})) \
             + (SELECT COUNT(*) FROM instances{w} AND rating_rank = ${a} AND rating_score = ${b} \
                AND ((observatory_score IS NULL AND CAST(${c} AS BIGINT) IS NULL) \
                     OR observatory_score = ${c}) \
                AND host < ${h})"
        );
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
        if let Some(software) = &f.software {
            count = count.bind(software.clone());
        }
        if let Some(rank) = f.min_rank {
            count = count.bind(rank);
        }
        let ahead = count
            .bind(rr)
            .bind(rs)
            .bind(obs)
            .bind(host.to_string())
            .fetch_one(&self.pool)
            .await?;
        let of = self.total(&f).await?;
        Ok(Some(Standing {
            rank: ahead + 1,
            of,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_caller_recounts_a_stale_total() {
        let cache = TotalCache::default();
        assert_eq!(cache.lookup("k"), Lookup::Count);
        cache.put("k".into(), 7);
        assert_eq!(cache.lookup("k"), Lookup::Fresh(7));
        // Age it past the TTL.
        if let Ok(mut map) = cache.0.lock()
            && let Some(t) = map.get_mut("k")
        {
            t.at -= TOTAL_TTL * 2;
        }
        assert_eq!(cache.lookup("k"), Lookup::Count, "the first caller counts");
        assert_eq!(
            cache.lookup("k"),
            Lookup::Stale(7),
            "the others use the old one"
        );
        assert_eq!(cache.lookup("k"), Lookup::Stale(7));
        cache.put("k".into(), 8);
        assert_eq!(cache.lookup("k"), Lookup::Fresh(8));
        // A refresh that never finished is taken over.
        if let Ok(mut map) = cache.0.lock()
            && let Some(t) = map.get_mut("k")
        {
            t.at -= TOTAL_TTL * 2;
            t.refreshing = Some(std::time::Instant::now() - REFRESH_ABANDONED * 2);
        }
        assert_eq!(cache.lookup("k"), Lookup::Count);
        cache.clear();
        assert_eq!(cache.lookup("k"), Lookup::Count);
    }
}
