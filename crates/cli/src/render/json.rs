//! Vigil's own JSON report (`--format json`), versioned by `schema_version`; the fields are
//! documented in docs/json-output.md. Every field is a typed serde struct, so a value that
//! cannot be written fails loudly instead of turning into `null`. Also the raw evidence output.

use serde::Serialize;
use vigil_model::evidence::SessionFailure;
use vigil_model::{Grade, REPORT_SCHEMA_VERSION, SessionEvidence, SiteError};
use vigil_scan::{Change, HostResult, Unreachable};

/// One HTTP session as the report shows it.
#[derive(Serialize)]
#[serde(untagged)]
enum Session<'a> {
    Ok {
        status: &'static str,
        verified: bool,
        route: &'a [vigil_model::evidence::RouteEntry],
        final_status: u16,
        cookies: usize,
    },
    Failed {
        status: vigil_model::evidence::ProbeStatus,
        detail: &'a str,
    },
    NotRun {
        status: &'static str,
    },
}

fn session<'a>(s: Option<&'a SessionEvidence>, failure: Option<&'a SessionFailure>) -> Session<'a> {
    match (s, failure) {
        (Some(s), _) => Session::Ok {
            status: "ok",
            verified: s.verified,
            route: &s.route,
            final_status: s.last.status,
            cookies: s.cookies.len(),
        },
        (None, Some(f)) => Session::Failed {
            status: f.status,
            detail: &f.detail,
        },
        (None, None) => Session::NotRun { status: "not-run" },
    }
}

#[derive(Serialize)]
struct Retrieval<'a> {
    elapsed_ms: u64,
    http: Session<'a>,
    https: Session<'a>,
    robots_status: Option<u16>,
    preflight_status: Option<u16>,
}

#[derive(Serialize)]
struct Advice {
    fix: &'static str,
    nginx: &'static str,
    apache: String,
    caddy: String,
    haproxy: String,
}

#[derive(Serialize)]
struct Test<'a> {
    test: &'static str,
    title: &'static str,
    result: &'static str,
    pass: bool,
    score_modifier: i32,
    max_score_modifier: i32,
    data: &'a serde_json::Map<String, serde_json::Value>,
    advice: Option<Advice>,
}

#[derive(Serialize)]
struct Observatory<'a> {
    algorithm_version: u32,
    score: i32,
    grade: Grade,
    tests_passed: u32,
    tests_failed: u32,
    status_code: Option<u16>,
    tests: Vec<Test<'a>>,
}

/// `{kind, status?, message}`: the site error flat, with the reference's message.
#[derive(Serialize)]
struct ErrorOut<'a> {
    #[serde(flatten)]
    kind: &'a SiteError,
    message: String,
}

#[derive(Serialize)]
struct Software<'a> {
    facts: &'a vigil_model::fedi::FediFacts,
    verdict: &'a Option<vigil_model::fedi::VersionVerdict>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Legacy<'a> {
    Report(&'a vigil_grade::legacy::LegacyReport),
    Down { error: &'static str },
}

#[derive(Serialize)]
struct Ipv6<'a> {
    verdict: &'a vigil_ipv6::Ipv6Verdict,
    evidence: &'a vigil_model::ipv6::Ipv6Evidence,
}

#[derive(Serialize)]
struct Tls<'a> {
    #[serde(flatten)]
    report: &'a vigil_tls_checks::TlsReport,
    grades: &'a vigil_tls_grade::TlsGrades,
}

/// The whole report for one host.
#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    vigil_version: &'static str,
    host: &'a str,
    /// Set when the host could not be reached: `{cause, detail}`; everything else is then empty.
    unreachable: Option<&'a Unreachable>,
    observatory: Option<Observatory<'a>>,
    error: Option<ErrorOut<'a>>,
    retrieval: Retrieval<'a>,
    rating: Option<&'a vigil_rating::Rating>,
    /// Why `rating` is null.
    rating_unavailable: Option<String>,
    /// What to change, best first (the same list the text report prints).
    changes: Vec<Change>,
    dns: Option<&'a vigil_dns::DnsReport>,
    guidance: Option<&'a Vec<vigil_checks::guidance::GuidanceItem>>,
    software: Option<Software<'a>>,
    legacy: Option<Legacy<'a>>,
    ipv6: Option<Ipv6<'a>>,
    tls: Option<Tls<'a>>,
}

fn report(r: &HostResult) -> Report<'_> {
    let ev = &r.evidence;
    let (observatory, error) = match &r.outcome {
        Err(e) => (
            None,
            Some(ErrorOut {
                kind: e,
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
                    result: t.outcome.result.as_str(),
                    pass: t.pass,
                    score_modifier: t.modifier,
                    max_score_modifier: vigil_grade::max_modifier(t.test),
                    data: &t.outcome.data,
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
                    status_code: ev.final_response().map(|f| f.status),
                    tests,
                }),
                None,
            )
        }
    };
    let rating_unavailable = match (&r.rating, &r.unreachable) {
        (Some(_), _) => None,
        (None, Some(u)) => Some(format!("the host could not be reached: {u}")),
        (None, None) => Some("the full report did not run (--no-tls)".to_string()),
    };
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        vigil_version: env!("CARGO_PKG_VERSION"),
        host: &ev.host,
        unreachable: r.unreachable.as_ref(),
        observatory,
        error,
        retrieval: Retrieval {
            elapsed_ms: ev.elapsed_ms,
            http: session(ev.http.as_ref(), ev.http_failure.as_ref()),
            https: session(ev.https.as_ref(), ev.https_failure.as_ref()),
            robots_status: ev.robots_status,
            preflight_status: ev.preflight.as_ref().map(|p| p.status),
        },
        rating: r.rating.as_ref(),
        rating_unavailable,
        changes: vigil_scan::changes(r),
        dns: r.dns.as_ref().map(|(_, d)| d),
        guidance: r.guidance.as_ref(),
        software: r
            .software
            .as_ref()
            .map(|(facts, verdict)| Software { facts, verdict }),
        legacy: r.legacy.as_ref().map(|l| match l {
            Ok(rep) => Legacy::Report(rep),
            Err(_) => Legacy::Down { error: "site down" },
        }),
        ipv6: r
            .ipv6
            .as_ref()
            .map(|(evidence, verdict)| Ipv6 { verdict, evidence }),
        tls: r.tls.as_ref().map(|t| Tls {
            report: &t.report,
            grades: &t.grades,
        }),
    }
}

fn emit<T: Serialize>(v: &T, single: bool) -> anyhow::Result<String> {
    let s = if single {
        serde_json::to_string_pretty(v)?
    } else {
        serde_json::to_string(v)?
    };
    Ok(format!("{s}\n"))
}

/// Renders the report (pretty for one host, one line per host otherwise).
pub fn render(r: &HostResult, single: bool) -> anyhow::Result<String> {
    emit(&report(r), single)
}

/// Renders the raw evidence.
pub fn evidence(r: &HostResult, single: bool) -> anyhow::Result<String> {
    emit(&r.evidence, single)
}
