//! The values that go into and come out of the store. Times are unix seconds (`i64`) because
//! sqlx's `Any` driver has no date types and both databases order integers the same way.

use serde::{Deserialize, Serialize};

/// Which database a store talks to; a few statements differ between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// One SQLite file: a single-machine deployment.
    Sqlite,
    /// A PostgreSQL server: several workers on several machines.
    Postgres,
}

/// The two kinds of recurring work, each with its own due time and lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// A cheap reachability check that feeds the uptime figures.
    Check,
    /// A full security scan that feeds the rating.
    Scan,
}

/// One instance on the list, with its scheduling and liveness state (what the monitor and the
/// workers need; the latest scan's figures are in [`ListRow`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// The instance's host name, the list's key.
    pub host: String,
    /// When it was put on the list.
    pub added_at: i64,
    /// Who put it there: `operator`, `import` or `peer:<host>`.
    pub source: String,
    /// Why it is not scanned or shown (`robots`, `gone-410`, `operator`), when it opted out.
    pub opted_out: Option<String>,
    /// When it opted out.
    pub opted_out_at: Option<i64>,
    /// Since when the monitor considers it dead.
    pub dead_since: Option<i64>,
    /// The host it said it moved to.
    pub moved_to: Option<String>,
    /// When the next check is due.
    pub next_check_at: i64,
    /// When the next scan is due.
    pub next_scan_at: i64,
    /// Consecutive connection-refused checks, for backoff.
    pub refused_streak: i64,
    /// Start of the current run of failed checks.
    pub first_down_at: Option<i64>,
    /// The last counted check that found it up.
    pub last_up_at: Option<i64>,
    /// The last check of any kind, void ones included.
    pub last_check_at: Option<i64>,
    /// The result of the last counted check.
    pub up: Option<bool>,
    /// Latency of the last counted check.
    pub last_latency_ms: Option<i64>,
    /// Failure class of the last counted check, when it failed.
    pub last_failure: Option<String>,
    /// When the newest scan was taken.
    pub last_scan_at: Option<i64>,
}

/// The typed figures of one scan, kept beside the report so the list can sort and filter on them
/// without parsing JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// The Vigil rating's score.
    pub rating_score: Option<i64>,
    /// The Vigil rating's letter (`A+` … `F`).
    pub rating_grade: Option<String>,
    /// The Observatory-style score.
    pub observatory_score: Option<i64>,
    /// The Observatory-style letter.
    pub observatory_grade: Option<String>,
    /// The TLS grade letter.
    pub tls_grade: Option<String>,
    /// IPv6 verdict.
    pub ipv6: Option<String>,
    /// DNSSEC verdict.
    pub dnssec: Option<String>,
    /// Server software (e.g. `mastodon`).
    pub software: Option<String>,
    /// Software version.
    pub version: Option<String>,
    /// Whether that version is current, outdated or vulnerable.
    pub version_verdict: Option<String>,
    /// Whether anyone may sign up.
    pub open_registrations: Option<bool>,
    /// Whether the scan reached the instance at all.
    pub reachable: bool,
}

/// A numeric order for grade letters so the database can sort them: `A+` highest, then `A`,
/// `A-`, `B+` … `F`, `G`; anything else (`T`, `V`, `X`, empty) ranks 0, below every letter.
pub fn grade_rank(grade: &str) -> i64 {
    let mut chars = grade.trim().chars();
    let Some(letter) = chars.next() else {
        return 0;
    };
    let base = match letter.to_ascii_uppercase() {
        'A' => 7,
        'B' => 6,
        'C' => 5,
        'D' => 4,
        'E' => 3,
        'F' => 2,
        'G' => 1,
        _ => return 0,
    };
    let modifier = match chars.as_str() {
        "" => 0,
        "+" => 1,
        "-" => -1,
        _ => return 0,
    };
    base * 3 + modifier
}

/// A finished scan to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewScan {
    /// The scanned instance.
    pub host: String,
    /// When the scan finished.
    pub scanned_at: i64,
    /// The worker that scanned it (must hold the scan lease for [`crate::Store::record_scan`]).
    pub worker: String,
    /// The typed figures.
    pub summary: ScanSummary,
    /// The whole report, as JSON.
    pub report_json: String,
    /// The raw evidence, as JSON (stored gzip'd, kept so scans can be regraded).
    pub evidence_json: String,
    /// The grading algorithm's version string.
    pub algorithm: String,
}

/// A finished reachability check to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCheck {
    /// The checked instance.
    pub host: String,
    /// When the check ran.
    pub checked_at: i64,
    /// Whether it answered.
    pub up: bool,
    /// How long it took to answer.
    pub latency_ms: Option<i64>,
    /// The failure class when it did not.
    pub failure: Option<String>,
    /// The whole round was void (e.g. our own network was down): never counted either way.
    pub void: bool,
}

/// A lease a worker got from [`crate::Store::claim`]: the instance is its own until `lease_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The claimed instance.
    pub host: String,
    /// What the worker is to do with it.
    pub kind: JobKind,
    /// When the lease runs out and another worker may claim it.
    pub lease_until: i64,
}

/// The columns the public list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// The Vigil rating (ties: Observatory score, then host). The list's default.
    #[default]
    Rating,
    /// The Observatory-style score.
    Observatory,
    /// The TLS grade.
    Tls,
    /// Uptime over 30 days.
    Uptime30,
    /// Uptime over 90 days.
    Uptime90,
    /// The host name.
    Host,
    /// The newest scan's time.
    LastScan,
    /// Software name (then version).
    Software,
    /// Software version.
    Version,
    /// IPv6 verdict.
    Ipv6,
    /// DNSSEC verdict.
    Dnssec,
}

/// One page of the public list: how to sort, what to leave out, and where to start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    /// The column to sort by.
    pub sort: SortKey,
    /// Highest first (NULLs go last either way).
    pub descending: bool,
    /// Rows per page, clamped to 1..=500.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
    /// Show instances the monitor declared dead.
    pub include_dead: bool,
    /// Show opted-out instances (name only).
    pub include_opted_out: bool,
    /// Show instances whose last counted check failed.
    pub include_down: bool,
    /// Only this software.
    pub software: Option<String>,
    /// Only ratings of at least this [`grade_rank`].
    pub min_rating_rank: Option<i64>,
    /// Only instances whose registrations are open (`Some(true)`) or closed (`Some(false)`).
    #[serde(default)]
    pub open_registrations: Option<bool>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            sort: SortKey::Rating,
            descending: true,
            limit: 50,
            offset: 0,
            include_dead: false,
            include_opted_out: false,
            include_down: true,
            software: None,
            min_rating_rank: None,
            open_registrations: None,
        }
    }
}

/// Uptime over a window: counted checks that found the instance up, out of all counted checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uptime {
    /// Counted checks that found it up.
    pub up: i64,
    /// All counted (non-void) checks.
    pub checks: i64,
}

impl Uptime {
    /// The share of checks that found it up; `None` without checks, so "no data" never reads as 0 %.
    pub fn ratio(&self) -> Option<f64> {
        if self.checks <= 0 {
            None
        } else {
            // Counts stay far below 2^52, so the conversion is exact.
            #[allow(clippy::cast_precision_loss)]
            Some(self.up as f64 / self.checks as f64)
        }
    }
}

/// One row of the public list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListRow {
    /// Position in the whole sorted list (offset + position in the page + 1).
    pub rank: i64,
    /// The instance.
    pub host: String,
    /// It opted out: show the name only.
    pub opted_out: bool,
    /// The monitor declared it dead.
    pub dead: bool,
    /// Where it said it moved.
    pub moved_to: Option<String>,
    /// The last counted check.
    pub up: Option<bool>,
    /// When the newest scan was taken.
    pub last_scan_at: Option<i64>,
    /// The newest scan's figures (all empty for opted-out rows).
    pub summary: ScanSummary,
    /// Uptime over the last 30 days (as of the last counted check).
    pub uptime_30d: Uptime,
    /// Uptime over the last 90 days (as of the last counted check).
    pub uptime_90d: Uptime,
}

/// One stored scan without its report and evidence, for history pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRow {
    /// The scan's id.
    pub id: i64,
    /// The scanned instance.
    pub host: String,
    /// When it was taken.
    pub scanned_at: i64,
    /// Who took it.
    pub worker: String,
    /// Its figures.
    pub summary: ScanSummary,
    /// The grading algorithm that produced the figures.
    pub algorithm: String,
}

/// One day of the uptime rollup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UptimeDay {
    /// Unix day number (unix seconds / 86,400).
    pub day: i64,
    /// Counted checks that found it up that day.
    pub up: i64,
    /// Counted checks that day.
    pub total: i64,
}

/// Something that happened to an instance, for alerts and feeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When.
    pub at: i64,
    /// `grade-change`, `opted-out`, `dead`, `alive`, `moved` or `added`.
    pub kind: String,
    /// The value before.
    pub old: Option<String>,
    /// The value after.
    pub new: Option<String>,
}

/// An instance's past: its scans, uptime days and events since some time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Scans, oldest first (none for opted-out instances).
    pub scans: Vec<ScanRow>,
    /// Uptime days, oldest first.
    pub days: Vec<UptimeDay>,
    /// Events, oldest first.
    pub events: Vec<Event>,
}
