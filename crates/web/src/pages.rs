//! The public pages, rendered on the server (askama) and readable with JavaScript off: the
//! ranked list at `/`, `/about`, each instance's page, and the badges. Values shown are the
//! stored ones; this module only formats them.

use crate::svg;
use crate::view;
use crate::{ApiError, AppState, ListParams, list_query};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use vigil_store::{ListRow, SortKey};

/// Facts about this list for `/about`.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub scan_interval: String,
    pub check_interval: String,
    pub user_agent: String,
}

fn render(t: &impl Template) -> Result<Response, PageError> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| {
            PageError(ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot render: {e}"),
            ))
        })
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(askama::Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    version: &'static str,
    title: &'a str,
    text: &'a str,
    error: &'a str,
}

/// A short page with one message: the alert pages' answers and the pages' errors.
pub(crate) fn message(status: StatusCode, title: &str, text: &str, error: &str) -> Response {
    let page = MessagePage {
        version: VERSION,
        title,
        text,
        error,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, text.to_string()).into_response(),
    }
}

/// An error on an HTML page: the API's status and reason, shown as a page a visitor can read
/// (with `data-error` naming the kind) instead of JSON in the browser.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<vigil_store::StoreError> for PageError {
    fn from(e: vigil_store::StoreError) -> Self {
        PageError(ApiError::from(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let ApiError(status, text) = self.0;
        let (title, kind) = match status {
            StatusCode::NOT_FOUND => ("Not on this list", "not-found"),
            StatusCode::BAD_REQUEST => ("That address does not work", "bad-request"),
            s if s.is_server_error() => ("Something failed", "server-error"),
            _ => ("Vigil", "error"),
        };
        message(status, title, &format!("{text}."), kind)
    }
}

/// One sortable column heading.
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
    pub arrow: &'static str,
}

/// One row as the list shows it.
pub struct RowView {
    pub rank: i64,
    pub host: String,
    pub note: String,
    pub class: &'static str,
    pub rating: String,
    pub rating_class: String,
    pub observatory: String,
    pub observatory_class: String,
    pub tls: String,
    pub tls_class: String,
    pub ipv6: String,
    pub dnssec: String,
    pub uptime: String,
    pub software: String,
    pub verdict: String,
    pub verdict_class: &'static str,
    pub last_scan: String,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    version: &'static str,
    total: i64,
    sort: String,
    order: String,
    software: String,
    grades: Vec<(&'static str, bool)>,
    registrations: Vec<(&'static str, bool)>,
    include_down: bool,
    include_dead: bool,
    include_opted_out: bool,
    columns: Vec<Column>,
    rows: Vec<RowView>,
    prev: Option<String>,
    next: Option<String>,
    page_info: String,
    /// The public scan's form is shown when this list takes scans from anyone.
    scan_form: bool,
}

/// The list page's query: the API's, plus `registrations=open|closed`. (The fields are
/// repeated rather than flattened: a flattened query string loses its types.)
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageParams {
    pub sort: Option<String>,
    pub order: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub software: Option<String>,
    pub min_grade: Option<String>,
    pub include_dead: Option<bool>,
    pub include_opted_out: Option<bool>,
    pub include_down: Option<bool>,
    pub registrations: Option<String>,
    #[serde(skip)]
    pub list: ListParams,
}

fn letter_class(g: Option<&str>) -> String {
    g.and_then(|g| g.chars().next())
        .map(String::from)
        .unwrap_or_default()
}

fn when(t: Option<i64>) -> String {
    t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .map(|d| {
            format!(
                "{} {:02}:{:02} UTC",
                svg::day(d.unix_timestamp()),
                d.hour(),
                d.minute()
            )
        })
        .unwrap_or_else(|| "not yet".into())
}

fn score_grade(score: Option<i64>, grade: Option<&str>) -> String {
    match (grade, score) {
        (Some(g), Some(s)) => format!("{g} {s}"),
        (Some(g), None) => g.to_string(),
        _ => "–".into(),
    }
}

fn row_view(r: ListRow) -> RowView {
    let s = &r.summary;
    let (verdict, verdict_class) = match s.version_verdict.as_deref() {
        Some("end-of-life") => ("end of life", "eol"),
        Some("security-update-missed") => ("security fixes missing", "security"),
        Some("outdated") => ("outdated", "outdated"),
        _ => ("", ""),
    };
    let note = if r.opted_out {
        "opted out".to_string()
    } else if r.dead {
        "dead".to_string()
    } else if let Some(m) = &r.moved_to {
        format!("moved to {m}")
    } else if r.up == Some(false) {
        "down".to_string()
    } else {
        String::new()
    };
    let class = if r.opted_out {
        "optout"
    } else if r.dead {
        "dead"
    } else if r.up == Some(false) {
        "down"
    } else {
        ""
    };
    let uptime = match r.uptime_30d.ratio() {
        Some(x) => format!("{:.2} %", x * 100.0),
        None => "–".into(),
    };
    RowView {
        rank: r.rank,
        note,
        class,
        rating: score_grade(s.rating_score, s.rating_grade.as_deref()),
        rating_class: letter_class(s.rating_grade.as_deref()),
        observatory: score_grade(s.observatory_score, s.observatory_grade.as_deref()),
        observatory_class: letter_class(s.observatory_grade.as_deref()),
        tls: s.tls_grade.clone().unwrap_or_else(|| "–".into()),
        tls_class: letter_class(s.tls_grade.as_deref()),
        ipv6: s.ipv6.clone().unwrap_or_else(|| "–".into()),
        dnssec: s.dnssec.clone().unwrap_or_else(|| "–".into()),
        uptime,
        software: match (&s.software, &s.version) {
            (Some(n), Some(v)) => format!("{n} {v}"),
            (Some(n), None) => n.clone(),
            _ => "–".into(),
        },
        verdict: verdict.into(),
        verdict_class,
        last_scan: when(r.last_scan_at),
        host: r.host,
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The query string of the list page with some parameters changed.
fn link(p: &PageParams, sort: &str, order: &str, offset: u32) -> String {
    let mut q = vec![format!("sort={}", encode(sort)), format!("order={order}")];
    if let Some(s) = &p.list.software {
        q.push(format!("software={}", encode(s)));
    }
    if let Some(g) = &p.list.min_grade {
        q.push(format!("min_grade={}", encode(g)));
    }
    if let Some(r) = &p.registrations {
        q.push(format!("registrations={}", encode(r)));
    }
    for (name, v) in [
        ("include_down", p.list.include_down),
        ("include_dead", p.list.include_dead),
        ("include_opted_out", p.list.include_opted_out),
    ] {
        if let Some(v) = v {
            q.push(format!("{name}={v}"));
        }
    }
    if let Some(l) = p.list.limit {
        q.push(format!("limit={l}"));
    }
    if offset > 0 {
        q.push(format!("offset={offset}"));
    }
    format!("/?{}", q.join("&"))
}

fn sort_name(k: SortKey) -> &'static str {
    match k {
        SortKey::Rating => "rating",
        SortKey::Observatory => "observatory",
        SortKey::Tls => "tls",
        SortKey::Uptime30 => "uptime",
        SortKey::Uptime90 => "uptime_90d",
        SortKey::Host => "host",
        SortKey::LastScan => "last_scan",
        SortKey::Software => "software",
        SortKey::Version => "version",
        SortKey::Ipv6 => "ipv6",
        SortKey::Dnssec => "dnssec",
    }
}

/// `GET /`.
pub async fn list_page(
    State(st): State<AppState>,
    params: Result<Query<PageParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(mut p) = params.map_err(|e| crate::bad(e.body_text()))?;
    p.list = ListParams {
        sort: p.sort.take(),
        order: p.order.take(),
        limit: p.limit,
        offset: p.offset,
        software: p.software.take(),
        min_grade: p.min_grade.take(),
        include_dead: p.include_dead,
        include_opted_out: p.include_opted_out,
        include_down: p.include_down,
    };
    // A form leaves the empty fields in the query; they mean "any".
    if p.list
        .software
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        p.list.software = None;
    }
    if p.list.min_grade.as_deref().is_some_and(|s| s == "any") {
        p.list.min_grade = None;
    }
    // Pages hide dead and opted-out instances unless asked; the form's checkboxes say so.
    let mut lp = ListParams {
        include_dead: Some(p.list.include_dead.unwrap_or(false)),
        include_opted_out: Some(p.list.include_opted_out.unwrap_or(false)),
        include_down: Some(p.list.include_down.unwrap_or(true)),
        limit: Some(p.list.limit.unwrap_or(PAGE_ROWS)),
        ..Default::default()
    };
    lp.sort = p.list.sort.clone();
    lp.order = p.list.order.clone();
    lp.offset = p.list.offset;
    lp.software = p.list.software.clone();
    lp.min_grade = p.list.min_grade.clone();
    let mut q = list_query(&lp)?;
    q.open_registrations = match p.registrations.as_deref() {
        Some("open") => Some(true),
        Some("closed") => Some(false),
        None | Some("any") | Some("") => None,
        Some(other) => {
            return Err(crate::bad(format!(
                "unknown registrations {other:?}: open, closed or any"
            ))
            .into());
        }
    };
    let (rows, total) = st.store.list(&q).await?;
    let current = sort_name(q.sort);
    let order = if q.descending { "desc" } else { "asc" };
    let columns = [
        ("host", "Instance"),
        ("rating", "Rating"),
        ("observatory", "Observatory"),
        ("tls", "TLS"),
        ("ipv6", "IPv6"),
        ("dnssec", "DNSSEC"),
        ("uptime", "Uptime 30 d"),
        ("software", "Software"),
        ("last_scan", "Last scan"),
    ]
    .into_iter()
    .map(|(key, label)| {
        let (next_order, arrow) = if key == current {
            if q.descending {
                ("asc", " ▼")
            } else {
                ("desc", " ▲")
            }
        } else if key == "host" || key == "software" {
            ("asc", "")
        } else {
            ("desc", "")
        };
        Column {
            key,
            label,
            href: link(&p, key, next_order, 0),
            arrow,
        }
    })
    .collect();
    let offset = q.offset;
    let shown = u32::try_from(rows.len()).unwrap_or(0);
    let prev = (offset > 0).then(|| link(&p, current, order, offset.saturating_sub(q.limit)));
    let next = (i64::from(offset) + i64::from(shown) < total)
        .then(|| link(&p, current, order, offset + q.limit));
    let page_info = if shown == 0 {
        format!("0 of {total}")
    } else {
        format!("{}–{} of {total}", offset + 1, offset + shown)
    };
    let grade_sel = p.list.min_grade.clone().unwrap_or_else(|| "any".into());
    let reg_sel = p.registrations.clone().unwrap_or_else(|| "any".into());
    render(&ListPage {
        version: VERSION,
        scan_form: st.public.is_some(),
        total,
        sort: current.into(),
        order: order.into(),
        software: p.list.software.clone().unwrap_or_default(),
        grades: ["any", "A+", "A", "B", "C", "D", "E"]
            .into_iter()
            .map(|g| (g, g == grade_sel))
            .collect(),
        registrations: ["any", "open", "closed"]
            .into_iter()
            .map(|g| (g, g == reg_sel))
            .collect(),
        include_down: q.include_down,
        include_dead: q.include_dead,
        include_opted_out: q.include_opted_out,
        columns,
        rows: rows.into_iter().map(row_view).collect(),
        prev,
        next,
        page_info,
    })
}

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage {
    version: &'static str,
    scan_interval: String,
    check_interval: String,
    user_agent: String,
    /// "10 scans every 5 minutes", or empty when the public scan is off.
    scan_rate: String,
    /// The operator lifted the address guard (`--allow-private`).
    guard_lifted: bool,
}

/// `GET /about`.
pub async fn about(State(st): State<AppState>) -> Result<Response, PageError> {
    render(&AboutPage {
        version: VERSION,
        guard_lifted: st.public.as_ref().is_some_and(|p| p.limits().allow_private),
        scan_rate: st
            .public
            .as_ref()
            .map(|p| {
                let l = p.limits();
                let mins = (l.window.as_secs() / 60).max(1);
                format!(
                    "{} scans every {mins} minute{}",
                    l.per_client,
                    if mins == 1 { "" } else { "s" }
                )
            })
            .unwrap_or_default(),
        scan_interval: st.site.scan_interval.clone(),
        check_interval: st.site.check_interval.clone(),
        user_agent: st.site.user_agent.clone(),
    })
}

#[derive(Template)]
#[template(path = "instance.html")]
struct InstancePage {
    version: &'static str,
    host: String,
    report: Option<view::Report>,
    missing: String,
    scanned_at: String,
    uptime: String,
    rating_class: String,
    charts: Vec<String>,
    grade_changes: Vec<String>,
    tls_versions: String,
    software: String,
    rescan_note: String,
    rescan: bool,
    /// Why this page is not a row of the list (a public scan of a host that is no fediverse
    /// server), when it is not.
    off_list: String,
    /// The alert form is shown when this list sends alerts.
    alerts_on: bool,
    alerts_note: String,
    /// "Rank N of M" on the list as `/` shows it, and the link to its page there.
    standing: Option<(vigil_store::Standing, String)>,
}

/// Rows on one page of the list when the query names no limit.
const PAGE_ROWS: u32 = 100;

/// The list as `/` shows it with no query: ranked by rating, without dead and opted-out rows.
fn front_page_query() -> Result<vigil_store::ListQuery, ApiError> {
    list_query(&ListParams {
        include_dead: Some(false),
        include_opted_out: Some(false),
        include_down: Some(true),
        limit: Some(PAGE_ROWS),
        ..Default::default()
    })
}

/// `GET /instances/{host}`.
pub async fn instance_page(
    State(st): State<AppState>,
    Path(raw): Path<String>,
    note: Result<Query<RescanNote>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    // The note only adds a line to the page; a mangled one is ignored.
    let note = note.map(|Query(n)| n).unwrap_or_default();
    let host = crate::host_param(&raw)?;
    let Some(instance) = st.store.instance(&host).await? else {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("{host} is not in the list")).into());
    };
    let mut page = InstancePage {
        version: VERSION,
        host: host.clone(),
        report: None,
        missing: String::new(),
        scanned_at: String::new(),
        uptime: String::new(),
        rating_class: String::new(),
        charts: Vec::new(),
        grade_changes: Vec::new(),
        tls_versions: String::new(),
        software: String::new(),
        rescan_note: match note.rescan.as_deref() {
            Some("done") => "Rescanned just now.".into(),
            Some("cooldown") => "Scanned less than a minute ago: here is that scan.".into(),
            Some("rate-limited") => {
                "Too many scans from your address; try again in a few minutes.".into()
            }
            Some("busy") => "The scanner is busy; try again in a minute.".into(),
            Some("refused") => "This instance cannot be rescanned from here.".into(),
            Some("off") => "Rescans are off on this list.".into(),
            _ => String::new(),
        },
        rescan: st.public.is_some(),
        off_list: String::new(),
        alerts_on: st.alerts.is_some(),
        alerts_note: match note.alerts.as_deref() {
            Some("sent") => "A confirmation was sent to the address you gave; alerts start once \
                             its link is opened."
                .into(),
            _ => String::new(),
        },
        standing: None,
    };
    if instance.opted_out.is_some() {
        page.missing =
            format!("{host} opted out of the list: Vigil does not scan it or show its results.");
        return render(&page);
    }
    let Some(json) = st.store.latest_report(&host).await? else {
        page.missing = format!("{host} has not been scanned yet; it is in the queue.");
        return render(&page);
    };
    let Some(report) = view::parse(&json) else {
        page.missing = "The stored report could not be read.".into();
        return render(&page);
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let history = st.store.history(&host, now - 90 * 86_400).await?;
    let up30 = st.store.uptime(&host, now, 30).await?;
    page.uptime = match up30.ratio() {
        Some(r) => format!("{:.2} % over 30 days ({} checks)", r * 100.0, up30.checks),
        None => String::new(),
    };
    let fediverse = report
        .software
        .as_ref()
        .is_some_and(|s| s.facts.software.is_some());
    if instance.source == "public" && !fediverse {
        page.off_list = format!(
            "{host} was scanned on request. It does not answer as a fediverse server, so it is \
             not on the ranked list; this page is its report."
        );
    }
    page.scanned_at = when(instance.last_scan_at);
    page.standing = match st.store.standing(&front_page_query()?, &host).await? {
        Some(at) => {
            let offset = (at.rank - 1) / i64::from(PAGE_ROWS) * i64::from(PAGE_ROWS);
            let href = if offset == 0 {
                format!("/#row-{host}")
            } else {
                format!("/?offset={offset}#row-{host}")
            };
            Some((at, href))
        }
        None => None,
    };
    page.rating_class = letter_class(report.rating.as_ref().map(|r| r.letter.as_str()));
    page.tls_versions = report
        .tls
        .as_ref()
        .map(|t| t.versions().join(", "))
        .unwrap_or_default();
    page.software = report
        .software
        .as_ref()
        .map(|s| {
            let name = s
                .facts
                .software
                .clone()
                .unwrap_or_else(|| "unknown software".into());
            match &s.facts.version {
                Some(v) => format!("{name} {}", v.raw),
                None => name,
            }
        })
        .unwrap_or_default();
    // Oldest first for the charts.
    let mut scans = history.scans.clone();
    scans.sort_by_key(|s| s.scanned_at);
    if scans.len() >= 2 {
        let rating: svg::Series = scans
            .iter()
            .filter_map(|s| Some((s.scanned_at, s.summary.rating_score? as f64)))
            .collect();
        let obs: svg::Series = scans
            .iter()
            .filter_map(|s| {
                Some((
                    s.scanned_at,
                    s.summary.observatory_score? as f64 * 100.0 / 145.0,
                ))
            })
            .collect();
        let tls: svg::Series = scans
            .iter()
            .filter_map(|s| {
                let g = s.summary.tls_grade.as_deref()?;
                Some((s.scanned_at, vigil_store::grade_rank(g) as f64))
            })
            .collect();
        let pct = [
            (0.0, "0".to_string()),
            (50.0, "50".into()),
            (100.0, "100".into()),
        ];
        if let Some(c) = svg::line_chart(
            "rating (blue) and Observatory score scaled to 100 (grey)",
            &[("rating", "#0366d6", rating), ("Observatory", "#888", obs)],
            100.0,
            &pct,
        ) {
            page.charts.push(c);
        }
        let marks = [
            (6.0, "F".to_string()),
            (15.0, "C".into()),
            (18.0, "B".into()),
            (21.0, "A".into()),
            (22.0, "A+".into()),
        ];
        if let Some(c) =
            svg::line_chart("TLS grade", &[("TLS grade", "#2a7d00", tls)], 22.0, &marks)
        {
            page.charts.push(c);
        }
    }
    let days: Vec<(i64, i64, i64)> = history
        .days
        .iter()
        .map(|d| (d.day, d.up, d.total))
        .collect();
    if let Some(c) = svg::uptime_bars(&days) {
        page.charts.push(c);
    }
    page.grade_changes = history
        .events
        .iter()
        .filter(|e| e.kind == "grade-change")
        .map(|e| {
            format!(
                "{}: {} → {}",
                when(Some(e.at)),
                e.old.as_deref().unwrap_or("–"),
                e.new.as_deref().unwrap_or("–")
            )
        })
        .collect();
    page.report = Some(report);
    render(&page)
}

/// `?rescan=` on the instance page: what the last "rescan now" did.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RescanNote {
    pub rescan: Option<String>,
    /// `sent` after the alert form's confirmation went out.
    pub alerts: Option<String>,
}

/// `POST /instances/{host}/rescan`: the "rescan now" button. Obeys the cooldown (a scan
/// younger than it is kept), the client's rate limit and the queue, then sends the browser
/// back to the page with what happened.
pub async fn rescan(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(client): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let host = crate::host_param(&raw)?;
    let name = vigil_model::Hostname::parse(&host).map_err(|e| crate::bad(e.to_string()))?;
    let note = match &st.public {
        None => "off",
        Some(p) => match p
            .rescan_listed(&name, client.ip(), crate::observatory::COOLDOWN)
            .await
        {
            Ok((_, true)) => "done",
            Ok((_, false)) => "cooldown",
            Err(vigil_monitor::public::Refusal::RateLimited(_)) => "rate-limited",
            Err(vigil_monitor::public::Refusal::Busy) => "busy",
            Err(_) => "refused",
        },
    };
    let to = format!("/instances/{host}?rescan={note}");
    let loc = HeaderValue::from_str(&to).map_err(|e| crate::bad(e.to_string()))?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, loc)]).into_response())
}

/// How long a badge's facts are reused: a badge may lag a new scan by this much (browsers and
/// image proxies keep it an hour anyway, by its Cache-Control).
const BADGE_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// Hosts remembered at most (unknown names included, so a flood of made-up names costs one
/// read each and a bounded amount of memory).
const BADGE_HOSTS: usize = 50_000;

/// Badge facts read lately, per host. Badges sit on other sites' pages, so they are fetched far
/// more often than anything else the list serves, mostly for the same few hosts.
#[derive(Debug, Default)]
pub struct BadgeCache(
    std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, Option<vigil_store::BadgeFacts>)>,
    >,
);

impl BadgeCache {
    fn get(&self, host: &str) -> Option<Option<vigil_store::BadgeFacts>> {
        let map = self.0.lock().ok()?;
        map.get(host)
            .filter(|(at, _)| at.elapsed() < BADGE_TTL)
            .map(|(_, f)| f.clone())
    }

    fn put(&self, host: &str, facts: Option<vigil_store::BadgeFacts>) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        if map.len() >= BADGE_HOSTS {
            map.retain(|_, (at, _)| at.elapsed() < BADGE_TTL);
            if map.len() >= BADGE_HOSTS {
                map.clear();
            }
        }
        map.insert(host.to_string(), (std::time::Instant::now(), facts));
    }
}

/// `GET /badge/{host}.svg` and `GET /badge/{host}.json` (shields.io's endpoint schema).
pub async fn badge(
    State(st): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let (raw, svg) = if let Some(h) = file.strip_suffix(".svg") {
        (h, true)
    } else if let Some(h) = file.strip_suffix(".json") {
        (h, false)
    } else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            "badges are HOST.svg or HOST.json".into(),
        ));
    };
    // A badge sits in an <img> on someone's page: a name that cannot be an instance still gets
    // a badge saying so (with a 400), not JSON the image cannot show.
    let (status, facts) = match crate::host_param(raw) {
        Err(_) => (StatusCode::BAD_REQUEST, None),
        Ok(host) => match st.badges.get(&host) {
            Some(f) => (StatusCode::OK, Some(f)),
            None => {
                let f = st.store.badge_facts(&host).await?;
                st.badges.put(&host, f.clone());
                (StatusCode::OK, Some(f))
            }
        },
    };
    let (message, letter) = match facts {
        None => ("invalid name".to_string(), None),
        Some(None) => ("not listed".to_string(), None),
        Some(Some(f)) => match f {
            f if f.opted_out => ("opted out".to_string(), None),
            f if !f.scanned => ("not scanned".to_string(), None),
            f => match (f.rating_grade, f.rating_score) {
                (Some(g), Some(sc)) => (format!("{g} {sc}"), Some(g)),
                _ => ("unrated".to_string(), None),
            },
        },
    };
    let colour = svg::colour(letter.as_deref());
    let cache = HeaderValue::from_static("public, max-age=3600");
    if svg {
        let body = svg::badge("vigil", &message, colour);
        Ok((
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("image/svg+xml"),
                ),
                (header::CACHE_CONTROL, cache),
            ],
            body,
        )
            .into_response())
    } else {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Endpoint {
            schema_version: u8,
            label: &'static str,
            message: String,
            color: &'static str,
            cache_seconds: u32,
            /// shields.io's mark for a badge that reports a problem rather than a grade.
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            is_error: bool,
        }
        Ok((
            status,
            [(header::CACHE_CONTROL, cache)],
            axum::Json(Endpoint {
                schema_version: 1,
                label: "vigil",
                message,
                color: colour,
                cache_seconds: 3600,
                is_error: status != StatusCode::OK,
            }),
        )
            .into_response())
    }
}

/// `GET /static/vigil.css`.
pub async fn css() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        include_str!("../static/vigil.css"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "scan.html")]
struct ScanRefused {
    version: &'static str,
    host: String,
    title: String,
    message: String,
    error: &'static str,
}

/// The public scan form's one field.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ScanForm {
    #[serde(default)]
    pub host: String,
}

/// `POST /scan`: the form on `/`. The same public scan as the Observatory routes (the name
/// checked, every address guarded, the client's rate limit, the queue, the cooldown); the
/// browser is sent to the host's page, or shown why the scan was refused.
pub async fn scan_form(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(client): axum::extract::ConnectInfo<std::net::SocketAddr>,
    axum::extract::Form(form): axum::extract::Form<ScanForm>,
) -> Result<Response, PageError> {
    use vigil_monitor::public::Refusal;
    let raw: String = form.host.trim().chars().take(300).collect();
    let refused = |status: StatusCode, error: &'static str, title: &str, message: String| {
        let page = ScanRefused {
            version: VERSION,
            host: raw.clone(),
            title: title.to_string(),
            message,
            error,
        };
        render(&page).map(|mut r| {
            *r.status_mut() = status;
            r
        })
    };
    if raw.is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid-hostname",
            "No host name",
            "Type the host name of a server, such as mastodon.example.".into(),
        );
    }
    let Some(public) = &st.public else {
        return refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "scanner-off",
            "Scans are off",
            "This list does not take scans from the public.".into(),
        );
    };
    match public
        .scan(&raw, client.ip(), crate::observatory::COOLDOWN)
        .await
    {
        Ok((scan, fresh)) => {
            let note = if fresh { "done" } else { "cooldown" };
            let to = format!("/instances/{}?rescan={note}", scan.host);
            let loc = HeaderValue::from_str(&to).map_err(|e| crate::bad(e.to_string()))?;
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, loc)]).into_response())
        }
        Err(r) => {
            let status = crate::observatory::refusal_status(&r);
            let title = match &r {
                Refusal::IpAddress | Refusal::InvalidHostname => "Not a public host name",
                Refusal::Lookup(_) => "The name does not resolve",
                Refusal::Forbidden(_) => "Refused by the address guard",
                Refusal::RateLimited(_) => "Too many scans",
                Refusal::Busy => "The scanner is busy",
                Refusal::Failed(_) => "The scan failed",
            };
            let mut resp = refused(status, r.name(), title, r.to_string())?;
            if let Refusal::RateLimited(secs) = r
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(resp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_cache_remembers_and_stays_bounded() {
        let cache = BadgeCache::default();
        assert_eq!(cache.get("a.example"), None);
        cache.put("a.example", None);
        assert_eq!(
            cache.get("a.example"),
            Some(None),
            "unknown names are remembered too"
        );
        let facts = vigil_store::BadgeFacts {
            scanned: true,
            rating_grade: Some("A".into()),
            rating_score: Some(88),
            ..Default::default()
        };
        cache.put("b.example", Some(facts.clone()));
        assert_eq!(cache.get("b.example"), Some(Some(facts)));
        for i in 0..BADGE_HOSTS + 10 {
            cache.put(&format!("h{i}.example"), None);
        }
        let len = cache.0.lock().map(|m| m.len()).unwrap_or(usize::MAX);
        assert!(len <= BADGE_HOSTS, "{len} hosts remembered");
    }
}
