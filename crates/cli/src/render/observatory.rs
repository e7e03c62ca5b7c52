//! The MDN HTTP Observatory CLI's exact JSON shape (1.4.8), so existing integrations can switch
//! to Vigil: `{"scan":…,"tests":…}` pretty-printed with two spaces, or `{"error":"…"}` on one
//! line. With several hosts, one compact object per line with a leading `host` key.

use serde_json::{Map, Value, json};
use vigil_checks::headers::{JoinedValue, joined};
use vigil_scan::HostResult;

/// The reference's JSON value for one host.
pub fn value(r: &HostResult) -> Value {
    let report = match &r.outcome {
        Err(e) => return json!({ "error": e.to_string() }),
        Ok(report) => report,
    };
    let last = r.evidence.final_response();
    let mut headers = Map::new();
    if let Some(resp) = last {
        for (name, v) in joined(resp) {
            let v = match v {
                JoinedValue::Single(s) => Value::String(s),
                JoinedValue::List(l) => json!(l),
            };
            headers.insert(name, v);
        }
    }
    let mut tests = Map::new();
    for t in &report.tests {
        let mut o = Map::new();
        o.insert("expectation".into(), json!(t.test.expectation()));
        o.insert("pass".into(), json!(t.pass));
        o.insert("result".into(), json!(t.outcome.result.as_str()));
        o.insert("scoreModifier".into(), json!(t.modifier));
        for (k, v) in &t.outcome.data {
            o.insert(k.clone(), v.clone());
        }
        tests.insert(t.test.as_str().to_string(), Value::Object(o));
    }
    json!({
        "scan": {
            "algorithmVersion": report.algorithm_version,
            "grade": report.grade.as_str(),
            "error": null,
            "score": report.score,
            "statusCode": last.map(|l| l.status),
            "testsFailed": report.tests_failed,
            "testsPassed": report.tests_passed,
            "testsQuantity": report.tests.len(),
            "responseHeaders": headers,
        },
        "tests": tests,
    })
}

/// Renders one host (pretty when it is the only one, as the reference CLI does).
pub fn render(r: &HostResult, single: bool) -> String {
    if let Some(legacy) = &r.legacy {
        // The legacy CLI's shape: `{"scan": {...}, "tests": {...}}` or `{"error": "site down"}`.
        let v = match legacy {
            Ok(rep) => {
                let tests: serde_json::Map<String, Value> = rep
                    .tests
                    .iter()
                    .map(|t| {
                        (
                            t.test.clone(),
                            serde_json::json!({
                                "pass": t.pass,
                                "result": t.result,
                                "score_modifier": t.score_modifier,
                            }),
                        )
                    })
                    .collect();
                serde_json::json!({
                    "scan": {
                        "grade": rep.grade,
                        "score": rep.score,
                        "tests_failed": rep.tests_failed,
                        "tests_passed": rep.tests_passed,
                        "tests_quantity": rep.tests_quantity,
                    },
                    "tests": tests,
                })
            }
            Err(_) => serde_json::json!({ "error": "site down" }),
        };
        let s = if single {
            serde_json::to_string_pretty(&v)
        } else {
            serde_json::to_string(&v)
        };
        return format!("{}\n", s.unwrap_or_default());
    }
    let v = value(r);
    if single {
        if v.get("error").is_some() {
            return format!("{v}\n");
        }
        return format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    let mut m = Map::new();
    m.insert("host".into(), json!(r.evidence.host));
    if let Value::Object(o) = v {
        m.extend(o);
    }
    format!("{}\n", Value::Object(m))
}
