//! The retrieval pass (spec §2): two sessions, the chosen one's robots.txt and CORS preflight.
//!
//! A session follows redirects itself, stores cookies from every hop in its own jar and, after
//! a certificate error anywhere in its chain, starts again from its first URL without
//! verification (its responses are then marked unverified). The redirect counter is not reset
//! by that retry, as in the reference.

use crate::config::ProbeConfig;
use crate::fetch::{Answer, BodyWanted, FetchError, Method, Request, fetch};
use crate::tls::TlsConfigs;
use rustls::ClientConfig;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use url::Url;
use vigil_cookies::CookieJar;
use vigil_model::evidence::{ProbeStatus, SessionFailure};
use vigil_model::{Hostname, HttpEvidence, ResponseEvidence, RouteEntry, SessionEvidence};

const PAGE_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const ROBOTS_ACCEPT: &str = "text/plain,*/*;q=0.8";
const ACCEPT_ENCODING: &str = "gzip, compress, deflate, br";
const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

struct Session {
    start: Url,
    jar: CookieJar,
    route: Vec<RouteEntry>,
    verified: bool,
    redirects: u32,
    last: Option<(Url, Answer)>,
}

struct Ctx<'a> {
    cfg: &'a ProbeConfig,
    tls: TlsConfigs,
    /// The end of the whole retrieval (`Limits::total_timeout`).
    deadline: Instant,
}

impl Ctx<'_> {
    fn tls(&self, verified: bool) -> &Arc<ClientConfig> {
        if verified {
            &self.tls.verifying
        } else {
            &self.tls.accept_any
        }
    }

    fn base_headers(&self, accept: &str) -> Vec<(&'static str, String)> {
        vec![
            ("user-agent", self.cfg.user_agent.clone()),
            ("accept", accept.to_string()),
            ("accept-encoding", ACCEPT_ENCODING.to_string()),
        ]
    }

    /// A request's deadline: its own timeout, within `cap` and the retrieval's deadline.
    fn request_deadline(&self, cap: Option<Instant>) -> Instant {
        let d = (Instant::now() + self.cfg.limits.request_timeout).min(self.deadline);
        cap.map_or(d, |c| c.min(d))
    }
}

/// Retrieves everything the Observatory tests read about `host`; with `cfg.legacy`, the legacy
/// (2017 Observatory) pass runs beside it and lands in `HttpEvidence::legacy`.
///
/// Everything ends by `cfg.limits.total_timeout` after the call: what has not arrived by then
/// is recorded as a timeout.
pub async fn retrieve_http(host: &Hostname, cfg: &ProbeConfig) -> HttpEvidence {
    let started = Instant::now();
    let deadline = started + cfg.limits.total_timeout;
    if !cfg.legacy {
        return observatory_pass(host, cfg, deadline).await;
    }
    let (mut ev, legacy) = tokio::join!(
        observatory_pass(host, cfg, deadline),
        crate::legacy::retrieve(host, cfg, deadline)
    );
    ev.legacy = Some(legacy);
    ev.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    ev
}

/// The current Observatory's retrieval (spec §2).
async fn observatory_pass(host: &Hostname, cfg: &ProbeConfig, deadline: Instant) -> HttpEvidence {
    let started = Instant::now();
    let mut ev = HttpEvidence {
        host: host.as_str().to_string(),
        http: None,
        http_failure: None,
        https: None,
        https_failure: None,
        preflight: None,
        robots_status: None,
        elapsed_ms: 0,
        legacy: None,
    };
    let tls = match TlsConfigs::new(Arc::clone(&cfg.trust.roots)) {
        Ok(t) => t,
        Err(e) => {
            let f = SessionFailure {
                status: ProbeStatus::TlsError,
                detail: format!("TLS setup failed: {e}"),
            };
            ev.http_failure = Some(f.clone());
            ev.https_failure = Some(f);
            return ev;
        }
    };
    let ctx = Ctx { cfg, tls, deadline };
    let url_for = |scheme: &str, port: u16, default: u16| {
        let p = if port == default {
            String::new()
        } else {
            format!(":{port}")
        };
        Url::parse(&format!("{scheme}://{}{p}/", host.url_host()))
    };
    let (Ok(http_url), Ok(https_url)) = (
        url_for("http", cfg.http_port, 80),
        url_for("https", cfg.https_port, 443),
    ) else {
        let f = SessionFailure {
            status: ProbeStatus::ProtocolError,
            detail: "cannot build URLs for host".into(),
        };
        ev.http_failure = Some(f.clone());
        ev.https_failure = Some(f);
        return ev;
    };
    let (h, s) = tokio::join!(run_session(&ctx, http_url), run_session(&ctx, https_url));
    let (mut h, mut s) = (h, s);
    let chosen: Option<&mut Session> = match (&mut s, &mut h) {
        (Ok(s), _) => Some(s),
        (Err(_), Ok(h)) => Some(h),
        _ => None,
    };
    if let Some(session) = chosen {
        let robots_url = session.start.join("/robots.txt").ok();
        if let Some(robots_url) = robots_url {
            let headers = ctx.base_headers(ROBOTS_ACCEPT);
            let robots = side_request(&ctx, session, robots_url, Method::Get, headers).await;
            ev.robots_status = robots.as_ref().map(|a| a.status);
        }
        let cors_url = session
            .route
            .last()
            .and_then(|r| Url::parse(&r.url).ok())
            .unwrap_or_else(|| session.start.clone());
        let mut headers = ctx.base_headers(PAGE_ACCEPT);
        headers.push(("access-control-request-method", "GET".to_string()));
        headers.push(("origin", cfg.cors_origin.clone()));
        let preflight =
            side_request(&ctx, session, cors_url.clone(), Method::Options, headers).await;
        ev.preflight = preflight.map(|a| response_evidence(&cors_url, a));
    }
    match h {
        Ok(sess) => ev.http = into_evidence(sess),
        Err(e) => {
            ev.http_failure = Some(SessionFailure {
                status: e.status,
                detail: e.detail,
            })
        }
    }
    match s {
        Ok(sess) => ev.https = into_evidence(sess),
        Err(e) => {
            ev.https_failure = Some(SessionFailure {
                status: e.status,
                detail: e.detail,
            })
        }
    }
    ev.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    ev
}

fn response_evidence(url: &Url, a: Answer) -> ResponseEvidence {
    ResponseEvidence {
        url: url.to_string(),
        status: a.status,
        headers: a.headers,
        body: a.body,
        body_truncated: a.body_truncated,
    }
}

fn into_evidence(s: Session) -> Option<SessionEvidence> {
    let (url, answer) = s.last?;
    Some(SessionEvidence {
        start_url: s.start.to_string(),
        verified: s.verified,
        route: s.route,
        last: response_evidence(&url, answer),
        cookies: s.jar.cookies().to_vec(),
    })
}

/// Runs one session's redirect chain, retrying once without verification after a
/// certificate error.
async fn run_session(ctx: &Ctx<'_>, start: Url) -> Result<Session, FetchError> {
    let deadline = (Instant::now() + ctx.cfg.limits.session_timeout).min(ctx.deadline);
    let mut s = Session {
        start,
        jar: CookieJar::new(),
        route: Vec::new(),
        verified: true,
        redirects: 0,
        last: None,
    };
    loop {
        match chain(ctx, &mut s, deadline).await {
            Ok(last) => {
                s.last = Some(last);
                return Ok(s);
            }
            Err(e) if e.status == ProbeStatus::CertificateError && s.verified => {
                s.verified = false;
                s.route.clear();
            }
            Err(e) => return Err(e),
        }
    }
}

async fn chain(
    ctx: &Ctx<'_>,
    s: &mut Session,
    deadline: Instant,
) -> Result<(Url, Answer), FetchError> {
    let limits = &ctx.cfg.limits;
    let mut url = s.start.clone();
    loop {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError {
                status: ProbeStatus::ProtocolError,
                detail: format!("unsupported redirect target {url}"),
            });
        }
        let mut headers = ctx.base_headers(PAGE_ACCEPT);
        if let Some(cookie) = s.jar.header_for(&url, now_unix()) {
            headers.push(("cookie", cookie));
        }
        let req = Request {
            url: &url,
            method: Method::Get,
            headers,
            body: BodyWanted::Yes,
            guard: ctx.cfg.guard,
        };
        let answer = fetch(
            &req,
            ctx.tls(s.verified),
            limits,
            ctx.request_deadline(Some(deadline)),
        )
        .await?;
        s.route.push(RouteEntry {
            url: url.to_string(),
            status: answer.status,
        });
        store_cookies(&mut s.jar, &answer, &url);
        if s.redirects < limits.max_redirects && REDIRECT_STATUSES.contains(&answer.status) {
            // A redirect without Location resolves "undefined" against the current URL, as the
            // reference's `new URL(undefined, base)` does.
            let location = answer.header("location").unwrap_or("undefined").to_string();
            let next = url.join(&location).map_err(|e| FetchError {
                status: ProbeStatus::ProtocolError,
                detail: format!("bad Location {location:?}: {e}"),
            })?;
            s.redirects += 1;
            url = next;
            continue;
        }
        return Ok((url, answer));
    }
}

fn store_cookies(jar: &mut CookieJar, answer: &Answer, url: &Url) {
    let now = now_unix();
    for (name, value) in &answer.headers {
        if name == "set-cookie" {
            let _ = jar.store(value, url, now);
        }
    }
}

/// robots.txt and the preflight: a client that follows up to 10 redirects by itself and treats
/// anything but 2xx as no answer. It shares the session's jar (and appends to its route) only
/// when the session went through the certificate retry, as the reference does.
async fn side_request(
    ctx: &Ctx<'_>,
    s: &mut Session,
    first: Url,
    method: Method,
    headers: Vec<(&'static str, String)>,
) -> Option<Answer> {
    let retry_mode = !s.verified;
    let mut url = first.clone();
    let mut method = method;
    for _hop in 0..=10 {
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let mut h = headers.clone();
        if retry_mode && let Some(cookie) = s.jar.header_for(&url, now_unix()) {
            h.push(("cookie", cookie));
        }
        let req = Request {
            url: &url,
            method,
            headers: h,
            body: BodyWanted::Yes,
            guard: ctx.cfg.guard,
        };
        let answer = fetch(
            &req,
            ctx.tls(s.verified),
            &ctx.cfg.limits,
            ctx.request_deadline(None),
        )
        .await
        .ok()?;
        if retry_mode {
            store_cookies(&mut s.jar, &answer, &url);
        }
        if (300..400).contains(&answer.status) {
            let location = answer.header("location")?;
            url = url.join(location).ok()?;
            if answer.status == 303 {
                method = Method::Get;
            }
            continue;
        }
        if !(200..300).contains(&answer.status) {
            return None;
        }
        if retry_mode {
            s.route.push(RouteEntry {
                url: first.to_string(),
                status: answer.status,
            });
        }
        return Some(answer);
    }
    None
}
