//! The versioned instance report: what `vigil scan --format json` prints, what the monitor
//! stores for every scan and what `GET /api/v1/instances/{host}` serves. One type, built by one
//! function from a [`HostResult`], so the list and the CLI can never disagree. The fields are
//! documented in docs/json-output.md; advice is resolved to data (fix text and snippets).

use crate::{Change, HostResult, Unreachable};
use serde::Serialize;
use vigil_model::evidence::SessionFailure;
use vigil_model::fedi::BranchStatus;
use vigil_model::{Grade, SessionEvidence, SiteError};

/// Version of the report layout. Fields are added without a bump; renaming or removing one
/// bumps it. 2: `scanned_at` added and the whole report is one library type.
pub const INSTANCE_REPORT_SCHEMA_VERSION: u32 = 2;

/// One HTTP session as the report shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Session {
    Ok {
        status: &'static str,
        verified: bool,
        route: Vec<vigil_model::evidence::RouteEntry>,
        final_status: u16,
        cookies: usize,
    },
    Failed {
        status: vigil_model::evidence::ProbeStatus,
        detail: String,
    },
    NotRun {
        status: &'static str,
    },
}

fn session(s: Option<&SessionEvidence>, failure: Option<&SessionFailure>) -> Session {
    match (s, failure) {
        (Some(s), _) => Session::Ok {
            status: "ok",
            verified: s.verified,
            route: s.route.clone(),
            final_status: s.last.status,
            cookies: s.cookies.len(),
        },
        (None, Some(f)) => Session::Failed {
            status: f.status,
            detail: f.detail.clone(),
        },
        (None, None) => Session::NotRun { status: "not-run" },
    }
}

/// How the HTTP retrieval went.
#[derive(Debug, Clone, Serialize)]
pub struct Retrieval {
    pub elapsed_ms: u64,
    pub http: Session,
    pub https: Session,
    pub robots_status: Option<u16>,
    pub preflight_status: Option<u16>,
}

/// The fix for an Observatory result, with the same change for four servers.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub fix: &'static str,
    pub nginx: &'static str,
    pub apache: String,
    pub caddy: String,
    pub haproxy: String,
}

/// One Observatory test as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Test {
    pub test: &'static str,
    pub title: &'static str,
    /// The result the test hopes for (the reference's `expectation`).
    pub expectation: &'static str,
    pub result: &'static str,
    pub pass: bool,
    pub score_modifier: i32,
    pub max_score_modifier: i32,
    pub data: serde_json::Map<String, serde_json::Value>,
    pub advice: Option<Advice>,
}

/// The HTTP Observatory grading.
#[derive(Debug, Clone, Serialize)]
pub struct Observatory {
    pub algorithm_version: u32,
    pub score: i32,
    pub grade: Grade,
    pub tests_passed: u32,
    pub tests_failed: u32,
    pub status_code: Option<u16>,
    /// The final response's headers as the Observatory reports them (repeated ones joined).
    pub response_headers: serde_json::Map<String, serde_json::Value>,
    pub tests: Vec<Test>,
}

/// `{kind, status?, message}`: the site error flat, with the reference's message.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorOut {
    #[serde(flatten)]
    pub kind: SiteError,
    pub message: String,
}

/// Software facts and, for Mastodon, the version verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Software {
    pub facts: vigil_model::fedi::FediFacts,
    pub verdict: Option<vigil_model::fedi::VersionVerdict>,
}

/// The legacy 135-point report, or why there is none.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Legacy {
    Report(vigil_grade::legacy::LegacyReport),
    Down { error: &'static str },
}

/// The IPv6 verdict with what it rests on.
#[derive(Debug, Clone, Serialize)]
pub struct Ipv6 {
    pub verdict: vigil_ipv6::Ipv6Verdict,
    pub evidence: vigil_model::ipv6::Ipv6Evidence,
}

/// The TLS report of port 443 with its grades, as `vigil tls --format json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Tls {
    #[serde(flatten)]
    pub report: vigil_tls_checks::TlsReport,
    pub grades: vigil_tls_grade::TlsGrades,
}

/// The whole report for one host.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceReport {
    pub schema_version: u32,
    pub vigil_version: &'static str,
    pub host: String,
    /// When the evidence was retrieved, RFC 3339 UTC (null for a bare HTTP evidence file).
    #[serde(with = "time::serde::rfc3339::option")]
    pub scanned_at: Option<time::OffsetDateTime>,
    /// Set when the host could not be reached: `{cause, detail}`; everything else is then empty.
    pub unreachable: Option<Unreachable>,
    pub observatory: Option<Observatory>,
    pub error: Option<ErrorOut>,
    pub retrieval: Retrieval,
    pub rating: Option<vigil_rating::Rating>,
    /// Why `rating` is null.
    pub rating_unavailable: Option<String>,
    /// What to change, best first (the same list the text report prints).
    pub changes: Vec<Change>,
    pub dns: Option<vigil_dns::DnsReport>,
    pub guidance: Option<Vec<vigil_checks::guidance::GuidanceItem>>,
    pub software: Option<Software>,
    pub legacy: Option<Legacy>,
    pub ipv6: Option<Ipv6>,
    pub tls: Option<Tls>,
}

fn observatory(r: &HostResult) -> (Option<Observatory>, Option<ErrorOut>) {
    match &r.outcome {
        Err(e) => (
            None,
            Some(ErrorOut {
                kind: e.clone(),
                message: e.to_string(),
            }),
        ),
        Ok(rep) => {
            let tests = rep
                .tests
                .iter()
                .map(|t| Test {
                    test: t.test.as_str(),
                    title: t.test.title(),
                    expectation: t.test.expectation(),
                    result: t.outcome.result.as_str(),
                    pass: t.pass,
                    score_modifier: t.modifier,
                    max_score_modifier: vigil_grade::max_modifier(t.test),
                    data: t.outcome.data.clone(),
                    advice: vigil_grade::advice(t.outcome.result).map(|a| {
                        let o = vigil_grade::other_servers(a.nginx);
                        Advice {
                            fix: a.fix,
                            nginx: a.nginx,
                            apache: o.apache,
                            caddy: o.caddy,
                            haproxy: o.haproxy,
                        }
                    }),
                })
                .collect();
            (
                Some(Observatory {
                    algorithm_version: rep.algorithm_version,
                    score: rep.score,
                    grade: rep.grade,
                    tests_passed: rep.tests_passed,
                    tests_failed: rep.tests_failed,
                    status_code: r.evidence.final_response().map(|f| f.status),
                    response_headers: response_headers(r),
                    tests,
                }),
                None,
            )
        }
    }
}

fn response_headers(r: &HostResult) -> serde_json::Map<String, serde_json::Value> {
    use vigil_checks::headers::{JoinedValue, joined};
    let mut out = serde_json::Map::new();
    if let Some(resp) = r.evidence.final_response() {
        for (name, v) in joined(resp) {
            let v = match v {
                JoinedValue::Single(s) => serde_json::Value::String(s),
                JoinedValue::List(l) => serde_json::json!(l),
            };
            out.insert(name, v);
        }
    }
    out
}

impl InstanceReport {
    /// The report of one assessed host.
    pub fn new(r: &HostResult) -> InstanceReport {
        let ev = &r.evidence;
        let (observatory, error) = observatory(r);
        let rating_unavailable = match (&r.rating, &r.unreachable) {
            (Some(_), _) => None,
            (None, Some(u)) => Some(format!("the host could not be reached: {u}")),
            (None, None) => Some("the full report did not run (--no-tls)".to_string()),
        };
        InstanceReport {
            schema_version: INSTANCE_REPORT_SCHEMA_VERSION,
            vigil_version: env!("CARGO_PKG_VERSION"),
            host: ev.host.clone(),
            scanned_at: (r.scanned_at > 0)
                .then(|| time::OffsetDateTime::from_unix_timestamp(r.scanned_at).ok())
                .flatten(),
            unreachable: r.unreachable.clone(),
            observatory,
            error,
            retrieval: Retrieval {
                elapsed_ms: ev.elapsed_ms,
                http: session(ev.http.as_ref(), ev.http_failure.as_ref()),
                https: session(ev.https.as_ref(), ev.https_failure.as_ref()),
                robots_status: ev.robots_status,
                preflight_status: ev.preflight.as_ref().map(|p| p.status),
            },
            rating: r.rating.clone(),
            rating_unavailable,
            changes: crate::changes(r),
            dns: r.dns.as_ref().map(|(_, d)| d.clone()),
            guidance: r.guidance.clone(),
            software: r.software.as_ref().map(|(facts, verdict)| Software {
                facts: facts.clone(),
                verdict: verdict.clone(),
            }),
            legacy: r.legacy.as_ref().map(|l| match l {
                Ok(rep) => Legacy::Report(rep.clone()),
                Err(_) => Legacy::Down { error: "site down" },
            }),
            ipv6: r.ipv6.as_ref().map(|(evidence, verdict)| Ipv6 {
                verdict: verdict.clone(),
                evidence: evidence.clone(),
            }),
            tls: r.tls.as_ref().map(|t| Tls {
                report: t.report.clone(),
                grades: t.grades.clone(),
            }),
        }
    }
}

/// The few facts of a report the list sorts and filters on, taken from the same result the
/// report is built from (no grading here: every value is read off the assessed parts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub rating_score: Option<i64>,
    pub rating_grade: Option<String>,
    pub observatory_score: Option<i64>,
    pub observatory_grade: Option<String>,
    pub tls_grade: Option<String>,
    /// `reachable` (AAAA and answering over IPv6), `broken` (AAAA that does not answer) or `none`.
    pub ipv6: Option<String>,
    /// `secure`, `insecure`, `bogus` or `indeterminate`.
    pub dnssec: Option<String>,
    pub software: Option<String>,
    pub version: Option<String>,
    /// `current`, `outdated`, `security-update-missed` or `end-of-life` (Mastodon only).
    pub version_verdict: Option<String>,
    pub open_registrations: Option<bool>,
    /// Some part answered.
    pub reachable: bool,
}

impl Summary {
    /// The list's columns of one assessed host.
    pub fn of(r: &HostResult) -> Summary {
        let observatory = r.outcome.as_ref().ok();
        let facts = r.software.as_ref().map(|(f, _)| f);
        let verdict = r.software.as_ref().and_then(|(_, v)| v.as_ref());
        Summary {
            rating_score: r.rating.as_ref().map(|x| i64::from(x.score)),
            rating_grade: r.rating.as_ref().map(|x| x.letter.to_string()),
            observatory_score: observatory.map(|o| i64::from(o.score)),
            observatory_grade: observatory.map(|o| o.grade.to_string()),
            tls_grade: r.tls.as_ref().map(|t| t.grades.ssllabs.grade.to_string()),
            ipv6: r.ipv6.as_ref().map(|(_, v)| {
                match (v.aaaa, v.reachable) {
                    (true, true) => "reachable",
                    (true, false) => "broken",
                    (false, _) => "none",
                }
                .to_string()
            }),
            dnssec: r.dns.as_ref().and_then(|(_, d)| {
                serde_json::to_value(d.dnssec)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
            }),
            software: facts.and_then(|f| f.software.clone()),
            version: facts.and_then(|f| f.version.as_ref().map(|v| v.raw.clone())),
            version_verdict: verdict.map(|v| {
                let own_missed = v.advisories_fixed_since.iter().any(|a| !a.third_party);
                if matches!(v.branch_status, BranchStatus::EndOfLife { .. }) {
                    "end-of-life"
                } else if own_missed {
                    "security-update-missed"
                } else if !v.is_latest_on_branch {
                    "outdated"
                } else {
                    "current"
                }
                .to_string()
            }),
            open_registrations: facts.and_then(|f| f.open_registrations),
            reachable: r.unreachable.is_none(),
        }
    }
}
