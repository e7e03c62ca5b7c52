//! Vigil's own JSON report (`--format json`), versioned by `schema_version`; the fields are
//! documented in docs/json-output.md. Also the raw evidence output.

use crate::scan::HostResult;
use serde_json::{Value, json};
use vigil_model::evidence::SessionFailure;
use vigil_model::{REPORT_SCHEMA_VERSION, SessionEvidence};

fn session(s: Option<&SessionEvidence>, failure: Option<&SessionFailure>) -> Value {
    match (s, failure) {
        (Some(s), _) => json!({
            "status": "ok",
            "verified": s.verified,
            "route": s.route,
            "final_status": s.last.status,
            "cookies": s.cookies.len(),
        }),
        (None, Some(f)) => json!({ "status": f.status, "detail": f.detail }),
        (None, None) => json!({ "status": "not-run" }),
    }
}

/// The report value for one host.
pub fn value(r: &HostResult) -> Value {
    let ev = &r.evidence;
    let retrieval = json!({
        "elapsed_ms": ev.elapsed_ms,
        "http": session(ev.http.as_ref(), ev.http_failure.as_ref()),
        "https": session(ev.https.as_ref(), ev.https_failure.as_ref()),
        "robots_status": ev.robots_status,
        "preflight_status": ev.preflight.as_ref().map(|p| p.status),
    });
    let (observatory, error) = match &r.outcome {
        Err(e) => (Value::Null, json!({ "kind": e, "message": e.to_string() })),
        Ok(rep) => {
            let tests: Vec<Value> = rep
                .tests
                .iter()
                .map(|t| {
                    let advice = vigil_grade::advice(t.outcome.result).map(|a| {
                        let o = vigil_grade::other_servers(a.nginx);
                        json!({
                            "fix": a.fix,
                            "nginx": a.nginx,
                            "apache": o.apache,
                            "caddy": o.caddy,
                            "haproxy": o.haproxy,
                        })
                    });
                    json!({
                        "test": t.test.as_str(),
                        "title": t.test.title(),
                        "result": t.outcome.result.as_str(),
                        "pass": t.pass,
                        "score_modifier": t.modifier,
                        "max_score_modifier": vigil_grade::max_modifier(t.test),
                        "data": t.outcome.data,
                        "advice": advice,
                    })
                })
                .collect();
            (
                json!({
                    "algorithm_version": rep.algorithm_version,
                    "score": rep.score,
                    "grade": rep.grade,
                    "tests_passed": rep.tests_passed,
                    "tests_failed": rep.tests_failed,
                    "status_code": ev.final_response().map(|f| f.status),
                    "tests": tests,
                }),
                Value::Null,
            )
        }
    };
    json!({
        "schema_version": REPORT_SCHEMA_VERSION,
        "vigil_version": env!("CARGO_PKG_VERSION"),
        "host": ev.host,
        "observatory": observatory,
        "error": error,
        "retrieval": retrieval,
        "rating": r.rating,
        "dns": r.dns.as_ref().map(|(_, d)| d),
        "guidance": r.guidance,
        "software": r.software.as_ref().map(|(f, v)| json!({ "facts": f, "verdict": v })),
        "legacy": r.legacy.as_ref().map(|l| match l {
            Ok(rep) => serde_json::to_value(rep).unwrap_or(Value::Null),
            Err(_) => json!({ "error": "site down" }),
        }),
        "ipv6": r.ipv6.as_ref().map(|(ev, v)| json!({ "verdict": v, "evidence": ev })),
        "tls": r.tls.as_ref().map(|t| {
            let mut v = serde_json::to_value(&t.report).unwrap_or(Value::Null);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("grades".into(), serde_json::to_value(&t.grades).unwrap_or(Value::Null));
            }
            v
        }),
    })
}

fn emit(v: &Value, single: bool) -> String {
    let s = if single {
        serde_json::to_string_pretty(v)
    } else {
        serde_json::to_string(v)
    };
    format!("{}\n", s.unwrap_or_default())
}

/// Renders the report (pretty for one host, one line per host otherwise).
pub fn render(r: &HostResult, single: bool) -> String {
    emit(&value(r), single)
}

/// Renders the raw evidence.
pub fn evidence(r: &HostResult, single: bool) -> String {
    emit(
        &serde_json::to_value(&r.evidence).unwrap_or(Value::Null),
        single,
    )
}
