//! The MDN HTTP Observatory's API, drop-in, answered from Vigil's own scans, so tools written
//! for the Observatory (its CI action, scripts, the instances.social list) can point at a
//! Vigil list: v2 `scan`, `analyze`, `grade_distribution`, `recommendation_matrix`, `version`
//! (as mdn-http-observatory 1.4.8 answers them, algorithm version 4), the retired v1 `analyze`
//! shape, and Vigil's own `POST /api/v1/scan` job. Every figure is read off a stored report;
//! the descriptions and recommendations are Vigil's own words.

use crate::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use vigil_model::results::{AnyResult, TestId};
use vigil_monitor::public::Refusal;
use vigil_store::ScanRef;

/// A reused scan for `POST /scan` and `POST /analyze` (the reference's cooldown).
pub const COOLDOWN: Duration = Duration::from_secs(60);
/// A reused scan for `GET /analyze` (the reference's cache time).
pub const CACHE_FOR_GET: Duration = Duration::from_secs(86_400);

/// `?host=`.
#[derive(Debug, Deserialize)]
pub struct HostQuery {
    pub host: Option<String>,
}

/// `{error, message}` with the reference's names and statuses.
pub fn error(status: StatusCode, name: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": name, "message": message })),
    )
        .into_response()
}

/// The status a refusal is answered with (the reference's, where it has one).
pub fn refusal_status(r: &Refusal) -> StatusCode {
    match r {
        Refusal::IpAddress | Refusal::InvalidHostname | Refusal::Lookup(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Refusal::Forbidden(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Busy => StatusCode::SERVICE_UNAVAILABLE,
        Refusal::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn refusal(r: &Refusal) -> Response {
    let mut resp = error(refusal_status(r), r.name(), &r.to_string());
    if let Refusal::RateLimited(secs) = r
        && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    resp
}

fn iso(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The parts of a stored report the Observatory shapes need.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Stored {
    observatory: Option<StoredObservatory>,
    error: Option<StoredError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredObservatory {
    algorithm_version: u32,
    score: i64,
    grade: String,
    tests_passed: u32,
    tests_failed: u32,
    status_code: Option<u16>,
    response_headers: Map<String, Value>,
    tests: Vec<StoredTest>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredTest {
    test: String,
    title: String,
    expectation: String,
    result: String,
    pass: bool,
    score_modifier: i64,
    data: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredError {
    message: String,
}

/// The reference's scan object (`details_url` only for `POST /scan`).
#[derive(Debug, Serialize)]
struct ScanOut {
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    details_url: Option<String>,
    algorithm_version: u32,
    scanned_at: String,
    error: Option<String>,
    grade: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_headers: Option<Map<String, Value>>,
    score: Option<i64>,
    status_code: Option<u16>,
    tests_failed: u32,
    tests_passed: u32,
    tests_quantity: u32,
}

fn scan_out(scan: &ScanRef, stored: &Stored, details: bool, headers: bool) -> ScanOut {
    let o = stored.observatory.as_ref();
    ScanOut {
        id: scan.id,
        details_url: details.then(|| format!("/instances/{}", scan.host)),
        algorithm_version: o.map_or(4, |o| o.algorithm_version),
        scanned_at: iso(scan.scanned_at),
        error: match (o, &stored.error) {
            (None, Some(e)) => Some(e.message.clone()),
            _ => None,
        },
        grade: o.map(|o| o.grade.clone()),
        response_headers: headers
            .then(|| o.map(|o| o.response_headers.clone()).unwrap_or_default()),
        score: o.map(|o| o.score),
        status_code: o.and_then(|o| o.status_code),
        tests_failed: o.map_or(0, |o| o.tests_failed),
        tests_passed: o.map_or(0, |o| o.tests_passed),
        tests_quantity: o.map_or(0, |o| u32::try_from(o.tests.len()).unwrap_or(0)),
    }
}

fn result_of(name: &str) -> Option<AnyResult> {
    AnyResult::all().into_iter().find(|r| r.as_str() == name)
}

/// Where MDN documents each test's header.
pub fn topic_link(test: &str) -> &'static str {
    match test {
        "content-security-policy" => "https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP",
        "cookies" => "https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies",
        "cross-origin-resource-sharing" => "https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS",
        "redirection" => "https://developer.mozilla.org/en-US/docs/Web/HTTP/Redirections",
        "referrer-policy" => {
            "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Referrer-Policy"
        }
        "strict-transport-security" => {
            "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Strict-Transport-Security"
        }
        "subresource-integrity" => {
            "https://developer.mozilla.org/en-US/docs/Web/Security/Subresource_Integrity"
        }
        "x-content-type-options" => {
            "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Content-Type-Options"
        }
        "x-frame-options" => {
            "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Frame-Options"
        }
        "cross-origin-resource-policy" => {
            "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cross-Origin-Resource-Policy"
        }
        _ => "",
    }
}

/// Vigil's one-line description of a result: what it means and what it is worth.
fn describe(result: &str, modifier: i64) -> String {
    let words = result.replace('-', " ");
    match modifier {
        0 => format!("{words} (no points won or lost)."),
        m if m > 0 => format!("{words} (+{m} points)."),
        m => format!("{words} ({m} points)."),
    }
}

fn recommendation(result: &str) -> String {
    result_of(result)
        .and_then(vigil_grade::advice)
        .map(|a| a.fix.to_string())
        .unwrap_or_default()
}

/// Results whose `pass` the reference reports as `null` ("not applicable").
const NOT_APPLICABLE: &[&str] = &[
    "referrer-policy-not-implemented",
    "sri-not-implemented-response-not-html",
    "sri-not-implemented-but-no-scripts-loaded",
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
    "cookies-not-found",
    "cross-origin-resource-policy-not-implemented",
];

fn snake(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

fn tests_out(stored: &Stored) -> Map<String, Value> {
    let mut out = Map::new();
    for t in stored.observatory.iter().flat_map(|o| o.tests.iter()) {
        let mut v = Map::new();
        v.insert("expectation".into(), json!(t.expectation));
        v.insert("name".into(), json!(t.test));
        v.insert("link".into(), json!(topic_link(&t.test)));
        v.insert("title".into(), json!(t.title));
        let pass = if NOT_APPLICABLE.contains(&t.result.as_str()) {
            Value::Null
        } else {
            json!(t.pass)
        };
        v.insert("pass".into(), pass);
        v.insert("result".into(), json!(t.result));
        v.insert(
            "score_description".into(),
            json!(describe(&t.result, t.score_modifier)),
        );
        v.insert("recommendation".into(), json!(recommendation(&t.result)));
        v.insert("score_modifier".into(), json!(t.score_modifier));
        for (k, val) in &t.data {
            v.insert(snake(k), val.clone());
        }
        if let Some(policy) = v.get_mut("policy") {
            hydrate_policy(policy);
        }
        out.insert(t.test.clone(), Value::Object(v));
    }
    out
}

/// Each CSP policy flag the Observatory reports, with the description and explanation its
/// API gives beside the flag (`{pass, description, info}`, HTML), in Vigil's words.
const POLICY_ITEMS: &[(&str, &str, &str)] = &[
    (
        "antiClickjacking",
        "<p>Framing is limited with <code>frame-ancestors</code></p>",
        "<p>Only the origins <code>frame-ancestors</code> names may show the site in a frame, which defeats clickjacking.</p>",
    ),
    (
        "defaultNone",
        "<p>Everything is denied unless allowed: <code>default-src 'none'</code></p>",
        "<p>Starting from <code>default-src 'none'</code> means a kind of resource the policy forgot to mention is blocked, not allowed.</p>",
    ),
    (
        "insecureBaseUri",
        "<p><code>base-uri</code> is <code>'none'</code>, <code>'self'</code> or named origins</p>",
        "<p>An injected <code>&lt;base&gt;</code> element can point every relative script URL at another origin.</p>",
    ),
    (
        "insecureFormAction",
        "<p><code>form-action</code> limits where forms are sent (<code>'none'</code>, <code>'self'</code> or named URIs)</p>",
        "<p>Without it, injected markup can add a form, or redirect one, and send what users type elsewhere.</p>",
    ),
    (
        "insecureSchemeActive",
        "<p>Scripts and plug-ins are not loaded over HTTP or FTP</p>",
        "<p>A script fetched over plain HTTP can be replaced on the way, which hands the page to whoever is on the network path. Load it over HTTPS.</p>",
    ),
    (
        "insecureSchemePassive",
        "<p>Images, media and other passive content are not loaded over HTTP or FTP</p>",
        "<p>Passive content over plain HTTP can be watched and swapped on the way; serve it over HTTPS as well.</p>",
    ),
    (
        "strictDynamic",
        "<p><code>'strict-dynamic'</code> in <code>script-src</code> (optional)</p>",
        "<p>With <code>'strict-dynamic'</code>, scripts that a nonce- or hash-approved script loads are trusted too, so the policy need not list every script origin.</p>",
    ),
    (
        "unsafeEval",
        "<p><code>script-src</code> does not allow <code>'unsafe-eval'</code></p>",
        "<p>Without <code>'unsafe-eval'</code>, <code>eval()</code> and its relatives cannot turn injected strings into running code.</p>",
    ),
    (
        "unsafeInline",
        "<p><code>script-src</code> does not allow <code>'unsafe-inline'</code></p>",
        "<p>Refusing inline script is what lets a CSP stop most cross-site scripting; move scripts into files, or approve them by nonce or hash.</p>",
    ),
    (
        "unsafeInlineStyle",
        "<p><code>style-src</code> does not allow <code>'unsafe-inline'</code></p>",
        "<p>Inline styles let injected markup restyle or hide parts of the page; keep styles in stylesheets.</p>",
    ),
    (
        "unsafeObjects",
        "<p>Plug-ins are blocked with <code>object-src</code> (or by <code>default-src</code>)</p>",
        "<p><code>object-src 'none'</code>, set directly or inherited from <code>default-src</code>, keeps <code>&lt;object&gt;</code> and <code>&lt;embed&gt;</code> from loading plug-in content.</p>",
    ),
];

/// The CSP test's `policy` as the Observatory's API gives it: each flag becomes
/// `{pass, description, info}`; `strictDynamic` is optional, so its `false` is `null` (not
/// applicable). Flags Vigil does not describe keep their bare value.
fn hydrate_policy(policy: &mut Value) {
    let Some(flags) = policy.as_object_mut() else {
        return;
    };
    for (key, description, info) in POLICY_ITEMS {
        let Some(flag) = flags.get(*key).cloned() else {
            continue;
        };
        let pass = match (key, &flag) {
            (&"strictDynamic", Value::Bool(false)) => Value::Null,
            (_, Value::Bool(_) | Value::Null) => flag,
            _ => continue,
        };
        flags.insert(
            (*key).to_string(),
            json!({ "pass": pass, "description": description, "info": info }),
        );
    }
}

async fn run_scan(
    st: &AppState,
    host: Option<String>,
    client: SocketAddr,
    max_age: Duration,
) -> Result<(ScanRef, Stored), Response> {
    let Some(raw) = host.filter(|h| !h.trim().is_empty()) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid-hostname",
            "querystring must have required property 'host'",
        ));
    };
    let Some(public) = &st.public else {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "scanner-off",
            "this Vigil runs without the public scan",
        ));
    };
    let (scan, _) = public
        .scan(&raw, client.ip(), max_age)
        .await
        .map_err(|r| refusal(&r))?;
    let stored: Stored = serde_json::from_str(&scan.report_json).unwrap_or_default();
    Ok((scan, stored))
}

/// `POST /api/v2/scan?host=`.
pub async fn v2_scan(
    State(st): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HostQuery>,
) -> Response {
    match run_scan(&st, q.host, client, COOLDOWN).await {
        Ok((scan, stored)) => axum::Json(scan_out(&scan, &stored, true, false)).into_response(),
        Err(resp) => resp,
    }
}

async fn analyze(
    st: AppState,
    client: SocketAddr,
    host: Option<String>,
    age: Duration,
) -> Response {
    let (scan, stored) = match run_scan(&st, host, client, age).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let history: Vec<Value> = match st.store.score_history(&scan.host).await {
        Ok(h) => h
            .into_iter()
            .map(|p| json!({ "id": p.id, "grade": p.grade, "score": p.score, "scanned_at": iso(p.scanned_at) }))
            .collect(),
        Err(_) => Vec::new(),
    };
    axum::Json(json!({
        "scan": scan_out(&scan, &stored, false, true),
        "tests": tests_out(&stored),
        "history": history,
    }))
    .into_response()
}

/// `GET /api/v2/analyze?host=` (a scan up to a day old is reused).
pub async fn v2_analyze_get(
    State(st): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HostQuery>,
) -> Response {
    analyze(st, client, q.host, CACHE_FOR_GET).await
}

/// `POST /api/v2/analyze?host=` (the cooldown applies).
pub async fn v2_analyze_post(
    State(st): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HostQuery>,
) -> Response {
    analyze(st, client, q.host, COOLDOWN).await
}

/// `GET /api/v2/grade_distribution`: `[{grade, count}]`, best grade first.
pub async fn v2_grade_distribution(State(st): State<AppState>) -> Response {
    const ORDER: [&str; 13] = [
        "A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F",
    ];
    match st.store.grade_distribution().await {
        Ok(rows) => {
            let out: Vec<Value> = ORDER
                .iter()
                .filter_map(|g| {
                    rows.iter()
                        .find(|(grade, _)| grade == g)
                        .map(|(grade, n)| json!({ "grade": grade, "count": n }))
                })
                .collect();
            axum::Json(out).into_response()
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "error-unknown",
            "the store failed",
        ),
    }
}

/// `GET /api/v2/recommendation_matrix`: every test, its possible results and their points.
pub async fn v2_recommendation_matrix() -> Response {
    let out: Vec<Value> = TestId::ALL
        .iter()
        .map(|t| {
            let results: Vec<Value> = t
                .results()
                .into_iter()
                .map(|r| {
                    let m = i64::from(vigil_grade::score(r).modifier);
                    json!({
                        "name": r.as_str(),
                        "scoreModifier": m,
                        "description": describe(r.as_str(), m),
                        "recommendation": recommendation(r.as_str()),
                    })
                })
                .collect();
            json!({ "name": t.as_str(), "title": t.title(), "mdnLink": topic_link(t.as_str()), "results": results })
        })
        .collect();
    axum::Json(out).into_response()
}

/// `GET /api/v2/version`.
pub async fn v2_version() -> Response {
    axum::Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("VIGIL_GIT_SHA").unwrap_or("unknown"),
        "source": "https://github.com/vigil-scan/vigil",
        "build": "vigil",
    }))
    .into_response()
}

/// `POST|GET /api/v1/analyze?host=`: the retired Observatory v1 shape, which the
/// instances.social list still reads (`state: "FINISHED"`, `grade`, `score`, …).
pub async fn v1_analyze(
    State(st): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HostQuery>,
) -> Response {
    let (scan, stored) = match run_scan(&st, q.host, client, CACHE_FOR_GET).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let s = scan_out(&scan, &stored, false, true);
    let when = time::OffsetDateTime::from_unix_timestamp(scan.scanned_at)
        .ok()
        .and_then(|d| {
            d.format(&time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .ok()
        })
        .unwrap_or_default();
    let likelihood = match s.grade.as_deref().and_then(|g| g.chars().next()) {
        Some('A') => "LOW",
        Some('B') => "MEDIUM",
        Some(_) => "HIGH",
        None => "UNKNOWN",
    };
    axum::Json(json!({
        "algorithm_version": s.algorithm_version,
        "end_time": when,
        "grade": s.grade,
        "hidden": false,
        "likelihood_indicator": likelihood,
        "response_headers": s.response_headers,
        "scan_id": s.id,
        "score": s.score,
        "start_time": when,
        "state": if s.grade.is_some() { "FINISHED" } else { "FAILED" },
        "status_code": s.status_code,
        "tests_failed": s.tests_failed,
        "tests_passed": s.tests_passed,
        "tests_quantity": s.tests_quantity,
    }))
    .into_response()
}

/// `POST /api/v1/scan?host=`: a full Vigil scan as a job; answers at once with where to poll.
pub async fn v1_scan(
    State(st): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HostQuery>,
) -> Response {
    let Some(raw) = q.host.filter(|h| !h.trim().is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid-hostname",
            "querystring must have required property 'host'",
        );
    };
    let Some(public) = st.public.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "scanner-off",
            "this Vigil runs without the public scan",
        );
    };
    // The name is checked before the job is accepted, so a refusal is said at once.
    let host = match public.check_host(&raw).await {
        Ok(h) => h,
        Err(r) => return refusal(&r),
    };
    let name = host.as_str().to_string();
    if let Ok(Some(recent)) = st
        .store
        .latest_scan_since(
            &name,
            vigil_monitor_now() - i64::try_from(COOLDOWN.as_secs()).unwrap_or(60),
        )
        .await
    {
        return (
            StatusCode::OK,
            axum::Json(json!({
                "job": { "host": name, "state": "finished", "scan_id": recent.id },
                "poll": format!("/api/v1/instances/{name}"),
            })),
        )
            .into_response();
    }
    let ip = client.ip();
    if let Err(r) = public.would_take(ip) {
        return refusal(&r);
    }
    let job_host = name.clone();
    tokio::spawn(async move {
        if let Err(e) = public.scan(&job_host, ip, COOLDOWN).await {
            tracing::info!(host = %job_host, error = %e, "public scan refused or failed");
        }
    });
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "job": { "host": name, "state": "queued" },
            "poll": format!("/api/v1/instances/{name}"),
        })),
    )
        .into_response()
}

fn vigil_monitor_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csp_policy_is_hydrated_like_the_reference() {
        let mut p = json!({
            "antiClickjacking": true,
            "defaultNone": false,
            "strictDynamic": false,
            "unsafeInline": true,
            "someFutureFlag": true,
        });
        hydrate_policy(&mut p);
        assert_eq!(p["antiClickjacking"]["pass"], true);
        assert_eq!(p["defaultNone"]["pass"], false);
        assert!(
            p["defaultNone"]["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("<p>"))
        );
        assert!(p["unsafeInline"]["info"].is_string());
        // Optional: a missing 'strict-dynamic' is not a failure.
        assert_eq!(p["strictDynamic"]["pass"], Value::Null);
        assert_eq!(p["someFutureFlag"], true);
        let mut strict = json!({ "strictDynamic": true });
        hydrate_policy(&mut strict);
        assert_eq!(strict["strictDynamic"]["pass"], true);
        // Not an object: left alone.
        let mut odd = json!([1, 2]);
        hydrate_policy(&mut odd);
        assert_eq!(odd, json!([1, 2]));
        // Every flag has words.
        assert_eq!(POLICY_ITEMS.len(), 11);
    }
}
