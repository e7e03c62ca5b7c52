//! The list's HTTP face over the store: `GET /api/v1/instances` (ranked, sortable, paginated),
//! `GET /api/v1/instances/{host}` (the latest whole `InstanceReport`, byte for byte as stored),
//! `GET /api/v1/instances/{host}/history` and `GET /healthz`. It only reads the store; grading
//! happened when the report was made.

pub mod alerts;
pub mod observatory;
pub mod pages;
pub mod svg;
pub mod view;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use vigil_store::{ListQuery, ListRow, SortKey, Store, StoreError, Uptime};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Extra facts for `/healthz` (the monitor's counters), produced by the binary.
    pub health: Arc<dyn Fn() -> serde_json::Value + Send + Sync>,
    /// What `/about` says about this list.
    pub site: pages::SiteInfo,
    /// The public scan (the Observatory-compatible scan routes); `None` turns them off.
    pub public: Option<Arc<vigil_monitor::public::PublicScans>>,
    /// The Prometheus recorder the monitor's counters go to; `None` turns `/metrics` off.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Alert subscriptions from the public; `None` turns them off.
    pub alerts: Option<Arc<vigil_alerts::Dispatcher>>,
    /// Public subscriptions per client address.
    pub subscribe_limit: Arc<alerts::SubscribeLimit>,
    /// What badges showed lately (badges are fetched far more than anything else).
    pub badges: Arc<pages::BadgeCache>,
}

/// `GET /metrics`: the monitor's counters and histograms, plus gauges read from the store
/// at scrape time (instances per letter, jobs due).
async fn prometheus(State(st): State<AppState>) -> Result<Response, ApiError> {
    let Some(handle) = &st.metrics else {
        return Err(ApiError(StatusCode::NOT_FOUND, "metrics are off".into()));
    };
    for (letter, n) in st.store.letter_counts().await? {
        let letter = letter.unwrap_or_else(|| "unrated".into());
        metrics::gauge!("vigil_instances", "letter" => letter).set(n as f64);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (scans, checks) = st.store.due_counts(now).await?;
    metrics::gauge!("vigil_queue_depth", "kind" => "scan").set(scans as f64);
    metrics::gauge!("vigil_queue_depth", "kind" => "check").set(checks as f64);
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        handle.render(),
    )
        .into_response())
}

/// The page's own security headers: what Vigil grades others on, applied to itself (no
/// inline script or style anywhere, so the CSP can be this strict).
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

fn set(
    name: header::HeaderName,
    value: &'static str,
) -> tower_http::set_header::SetResponseHeaderLayer<HeaderValue> {
    tower_http::set_header::SetResponseHeaderLayer::if_not_present(
        name,
        HeaderValue::from_static(value),
    )
}

/// How long any request but a scan may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

fn timeout(limit: Duration) -> tower_http::timeout::TimeoutLayer {
    tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limit)
}

/// Headers of the API and the badges: other sites embed badges and call the API from browsers.
fn shared(r: Router<AppState>) -> Router<AppState> {
    r.layer(set(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .layer(set(
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "cross-origin",
        ))
}

/// Headers of the pages: they are this site's alone.
fn own(r: Router<AppState>) -> Router<AppState> {
    r.layer(set(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    ))
    .layer(set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ))
}

/// The router with every route, a request timeout and security headers of our own.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/instances", get(list))
        .route("/api/v1/instances/{host}", get(report))
        .route("/api/v1/instances/{host}/history", get(history))
        .route("/badge/{file}", get(pages::badge))
        .route(
            "/api/v2/grade_distribution",
            get(observatory::v2_grade_distribution),
        )
        .route(
            "/api/v2/recommendation_matrix",
            get(observatory::v2_recommendation_matrix),
        )
        .route("/api/v2/version", get(observatory::v2_version))
        .route(
            "/api/v1/alerts/subscribe",
            axum::routing::post(alerts::subscribe),
        );
    let pages = Router::new()
        .route("/", get(pages::list_page))
        .route("/about", get(pages::about))
        .route("/instances/{host}", get(pages::instance_page))
        .route(
            "/instances/{host}/alerts",
            axum::routing::post(alerts::subscribe_form),
        )
        .route("/static/vigil.css", get(pages::css))
        .route("/alerts/confirm", get(alerts::confirm));
    // The routes that scan answer when the scan is done: their limit is the public scan's own
    // (queue wait plus scan deadline), so a host that never answers gets its timeout finding.
    let scan_limit = state
        .public
        .as_ref()
        .map_or(REQUEST_TIMEOUT, |p| p.answer_within());
    let scan_api = Router::new()
        .route("/api/v2/scan", axum::routing::post(observatory::v2_scan))
        .route(
            "/api/v2/analyze",
            get(observatory::v2_analyze_get).post(observatory::v2_analyze_post),
        )
        .route(
            "/api/v1/analyze",
            get(observatory::v1_analyze).post(observatory::v1_analyze),
        )
        .route("/api/v1/scan", axum::routing::post(observatory::v1_scan));
    let scan_pages = Router::new()
        .route("/scan", axum::routing::post(pages::scan_form))
        .route(
            "/instances/{host}/rescan",
            axum::routing::post(pages::rescan),
        );
    Router::new()
        .merge(shared(api).layer(timeout(REQUEST_TIMEOUT)))
        .merge(own(pages).layer(timeout(REQUEST_TIMEOUT)))
        .merge(shared(scan_api).layer(timeout(scan_limit)))
        .merge(own(scan_pages).layer(timeout(scan_limit)))
        .layer(axum::middleware::from_fn(etag))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(16 * 1024))
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ))
        .with_state(state)
}

/// The OpenAPI description of every route (docs/api.md says the same in prose).
pub const OPENAPI: &str = include_str!("../static/openapi.json");

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

/// Every route the router answers (kept beside the router so the OpenAPI test sees them all).
pub const ROUTES: &[&str] = &[
    "/healthz",
    "/metrics",
    "/api/openapi.json",
    "/api/v1/instances",
    "/api/v1/instances/{host}",
    "/api/v1/instances/{host}/history",
    "/badge/{file}",
    "/api/v2/scan",
    "/api/v2/analyze",
    "/api/v2/grade_distribution",
    "/api/v2/recommendation_matrix",
    "/api/v2/version",
    "/api/v1/analyze",
    "/api/v1/scan",
    "/api/v1/alerts/subscribe",
];

#[cfg(test)]
mod tests {
    /// One GET on loopback through the ETag layer: status line and headers, and body length.
    async fn get_through_etag(path: &str) -> (String, usize) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let app = axum::Router::new()
            .route("/small", axum::routing::get(|| async { "small answer" }))
            .route(
                "/big",
                axum::routing::get(|| async { vec![b'x'; 5 * 1024 * 1024] }),
            )
            .layer(axum::middleware::from_fn(super::etag));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).to_ascii_lowercase();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (head.to_string(), body.len())
    }

    #[tokio::test]
    async fn big_answers_pass_the_etag_layer_untagged() {
        let (head, len) = get_through_etag("/small").await;
        assert!(
            head.starts_with("http/1.1 200") && head.contains("etag: \""),
            "{head}"
        );
        assert_eq!(len, "small answer".len());
        let (head, len) = get_through_etag("/big").await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(!head.contains("etag:"), "{head}");
        assert_eq!(len, 5 * 1024 * 1024);
    }

    #[test]
    fn every_api_route_is_described() {
        let spec: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap_or_default();
        let paths = spec["paths"].as_object().cloned().unwrap_or_default();
        for r in super::ROUTES {
            assert!(paths.contains_key(*r), "{r} is not in openapi.json");
        }
        assert_eq!(
            paths.len(),
            super::ROUTES.len(),
            "openapi.json describes routes that do not exist"
        );
    }
}

/// The largest answer that gets an ETag (it is read whole to hash it).
const ETAG_MAX: u64 = 4 * 1024 * 1024;

/// ETags for GET answers: a hash of the body, and `304 Not Modified` when the client has it,
/// so polling the list or a badge costs no transfer. Bodies over 4 MiB, or of unknown size,
/// pass untouched.
async fn etag(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_get = req.method() == axum::http::Method::GET;
    let asked = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let resp = next.run(req).await;
    if !is_get || resp.status() != StatusCode::OK {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    // Only answers of a known, bounded size are hashed; anything else passes untagged.
    let bounded = axum::body::HttpBody::size_hint(&body)
        .upper()
        .is_some_and(|n| n <= ETAG_MAX);
    if !bounded {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, ETAG_MAX as usize).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "answer too large").into_response();
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes.iter() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let tag = format!("\"{h:016x}\"");
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    if asked.is_some_and(|a| a.split(',').any(|t| t.trim() == tag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// An API error: a status and `{"error": message}`.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            error: String,
        }
        (self.0, axum::Json(Body { error: self.1 })).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchInstance(h) => {
                ApiError(StatusCode::NOT_FOUND, format!("{h} is not in the list"))
            }
            other => {
                tracing::warn!(error = %other, "store error");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "the store failed".into())
            }
        }
    }
}

pub(crate) fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

async fn healthz(State(st): State<AppState>) -> Result<Response, ApiError> {
    let instances = st.store.count().await?;
    let mut body = serde_json::json!({
        "status": "ok",
        "database": st.store.backend(),
        "instances": instances,
    });
    if let (Some(obj), serde_json::Value::Object(extra)) = (body.as_object_mut(), (st.health)()) {
        obj.extend(extra);
    }
    Ok(axum::Json(body).into_response())
}

/// The query string of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub sort: Option<String>,
    pub order: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub software: Option<String>,
    pub min_grade: Option<String>,
    pub include_dead: Option<bool>,
    pub include_opted_out: Option<bool>,
    pub include_down: Option<bool>,
}

/// The list query of a query string, or why it is wrong (pure).
pub fn list_query(p: &ListParams) -> Result<ListQuery, ApiError> {
    let sort = match p.sort.as_deref().unwrap_or("rating") {
        "rating" => SortKey::Rating,
        "observatory" => SortKey::Observatory,
        "tls" | "tls_grade" => SortKey::Tls,
        "uptime" | "uptime_30d" => SortKey::Uptime30,
        "uptime_90d" => SortKey::Uptime90,
        "host" => SortKey::Host,
        "last_scan" | "last_scan_at" => SortKey::LastScan,
        "software" => SortKey::Software,
        "version" => SortKey::Version,
        "ipv6" => SortKey::Ipv6,
        "dnssec" => SortKey::Dnssec,
        other => {
            return Err(bad(format!(
                "unknown sort {other:?}: rating, observatory, tls, uptime, uptime_90d, host, last_scan, software, version, ipv6, dnssec"
            )));
        }
    };
    let default_desc = !matches!(sort, SortKey::Host | SortKey::Software);
    let descending = match p.order.as_deref() {
        None => default_desc,
        Some("desc") => true,
        Some("asc") => false,
        Some(other) => return Err(bad(format!("unknown order {other:?}: asc or desc"))),
    };
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(bad("limit must be 1 to 500"));
    }
    let min_rating_rank = match p.min_grade.as_deref() {
        None => None,
        Some(g) => match vigil_model::Grade::parse(g) {
            Some(grade) => Some(vigil_store::grade_rank(&grade.to_string())),
            None => return Err(bad(format!("{g:?} is not a grade"))),
        },
    };
    Ok(ListQuery {
        sort,
        descending,
        limit,
        offset: p.offset.unwrap_or(0),
        include_dead: p.include_dead.unwrap_or(true),
        include_opted_out: p.include_opted_out.unwrap_or(true),
        include_down: p.include_down.unwrap_or(true),
        software: p.software.clone(),
        min_rating_rank,
        open_registrations: None,
    })
}

#[derive(Debug, Serialize)]
pub struct ScoreGrade {
    pub score: Option<i64>,
    pub grade: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SoftwareOut {
    pub name: Option<String>,
    pub version: Option<String>,
    pub verdict: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UptimeOut {
    /// Share of counted checks that were up over 30 days, 0–1; null with no checks.
    #[serde(rename = "30d")]
    pub d30: Option<f64>,
    #[serde(rename = "90d")]
    pub d90: Option<f64>,
    /// The checks the 30-day figure rests on.
    pub checks: i64,
    pub checks_90d: i64,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub rank: i64,
    pub host: String,
    pub rating: ScoreGrade,
    pub observatory: ScoreGrade,
    pub tls_grade: Option<String>,
    pub ipv6: Option<String>,
    pub dnssec: Option<String>,
    pub software: SoftwareOut,
    pub open_registrations: Option<bool>,
    pub uptime: UptimeOut,
    pub up: Option<bool>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_scan_at: Option<time::OffsetDateTime>,
    pub opted_out: bool,
    pub dead: bool,
    pub moved_to: Option<String>,
}

fn rfc3339(t: Option<i64>) -> Option<time::OffsetDateTime> {
    t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
}

fn ratio(u: &Uptime) -> Option<f64> {
    // Four decimals are plenty for a percentage with two.
    u.ratio().map(|r| (r * 10_000.0).round() / 10_000.0)
}

/// The API's row of a list row (also what `vigil export` writes).
pub fn row(r: ListRow) -> Row {
    let s = r.summary;
    Row {
        rank: r.rank,
        host: r.host,
        rating: ScoreGrade {
            score: s.rating_score,
            grade: s.rating_grade,
        },
        observatory: ScoreGrade {
            score: s.observatory_score,
            grade: s.observatory_grade,
        },
        tls_grade: s.tls_grade,
        ipv6: s.ipv6,
        dnssec: s.dnssec,
        software: SoftwareOut {
            name: s.software,
            version: s.version,
            verdict: s.version_verdict,
        },
        open_registrations: s.open_registrations,
        uptime: UptimeOut {
            d30: ratio(&r.uptime_30d),
            d90: ratio(&r.uptime_90d),
            checks: r.uptime_30d.checks,
            checks_90d: r.uptime_90d.checks,
        },
        up: r.up,
        last_scan_at: rfc3339(r.last_scan_at),
        opted_out: r.opted_out,
        dead: r.dead,
        moved_to: r.moved_to,
    }
}

#[derive(Serialize)]
struct ListOut {
    total: i64,
    offset: u32,
    limit: u32,
    instances: Vec<Row>,
}

async fn list(
    State(st): State<AppState>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| bad(e.body_text()))?;
    let q = list_query(&params)?;
    let (rows, total) = st.store.list(&q).await?;
    Ok(axum::Json(ListOut {
        total,
        offset: q.offset,
        limit: q.limit,
        instances: rows.into_iter().map(row).collect(),
    })
    .into_response())
}

pub(crate) fn host_param(raw: &str) -> Result<String, ApiError> {
    vigil_model::Hostname::parse(raw)
        .map(|h| h.as_str().to_string())
        .map_err(|e| bad(e.to_string()))
}

async fn report(
    State(st): State<AppState>,
    Path(host): Path<String>,
) -> Result<Response, ApiError> {
    let host = host_param(&host)?;
    let Some(instance) = st.store.instance(&host).await? else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("{host} is not in the list"),
        ));
    };
    if instance.opted_out.is_some() {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("{host} opted out of the list"),
        ));
    }
    match st.store.latest_report(&host).await? {
        Some(json) => Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json,
        )
            .into_response()),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("{host} has not been scanned yet"),
        )),
    }
}

/// `?days=N` (1–3650, default 90).
#[derive(Debug, Default, Deserialize)]
pub struct HistoryParams {
    pub days: Option<i64>,
}

async fn history(
    State(st): State<AppState>,
    Path(host): Path<String>,
    params: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| bad(e.body_text()))?;
    let host = host_param(&host)?;
    let days = params.days.unwrap_or(90);
    if !(1..=3650).contains(&days) {
        return Err(bad("days must be 1 to 3650"));
    }
    if let Some(i) = st.store.instance(&host).await?
        && i.opted_out.is_some()
    {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("{host} opted out of the list"),
        ));
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let h = st.store.history(&host, now - days * 86_400).await?;
    Ok(axum::Json(h).into_response())
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
