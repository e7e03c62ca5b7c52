//! The legacy retrieval pass: what the 2017 Observatory (PyPI `httpobs` 0.9.3) fetches with
//! python-requests, gathered only when `ProbeConfig::legacy` is set.
//!
//! It differs from the current Observatory's pass in ways that change scores, so it is a pass
//! of its own rather than a reinterpretation of the normal evidence:
//!
//! * each session follows up to 30 redirects; a redirect status without `Location` is a final
//!   answer, and a 31st redirect is an error, which makes the session fail ("site down" when
//!   both fail);
//! * any TLS error restarts the whole chain once without verification, and the session keeps
//!   cookies from the failed attempt;
//! * after the sessions, five more requests go through the chosen session (sharing its cookie
//!   jar): `GET /` with an `Origin` header (the "CORS" response), then
//!   `/clientaccesspolicy.xml`, `/contribute.json`, `/crossdomain.xml` and `/robots.txt`, all on
//!   the scheme and host where the session's redirects ended;
//! * those requests verify certificates again, except that requests reuses the kept-alive,
//!   unverified connection of a retried session for the same origin; so on an origin reached
//!   without verification they succeed, and on any other origin with a bad certificate they fail.
//!
//! Every request has the probe's usual bounds: `Limits::request_timeout` each, one
//! `Limits::session_timeout` budget per session (retry included), and one more
//! `Limits::session_timeout` shared by the five extra requests, all within the retrieval's
//! `Limits::total_timeout`.

use crate::config::ProbeConfig;
use crate::fetch::{Answer, BodyWanted, FetchError, Method, Request, fetch};
use crate::legacy_jar::PyJar;
use crate::tls::TlsConfigs;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use url::Url;
use vigil_model::evidence::{ProbeStatus, SessionFailure};
use vigil_model::{
    Hostname, LegacyEvidence, LegacyResource, LegacySession, ResponseEvidence, RouteEntry,
};

/// The legacy retriever's User-Agent (httpobs 0.9.3 default configuration).
pub const LEGACY_USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.11; rv:98.0) Gecko/20100101 Firefox/98.0 Observatory/98.0";

/// The extra files the legacy retriever fetches, in its order.
pub const LEGACY_RESOURCES: [&str; 4] = [
    "/clientaccesspolicy.xml",
    "/contribute.json",
    "/crossdomain.xml",
    "/robots.txt",
];

/// python-requests' default `Accept` and (without brotli installed) `Accept-Encoding`.
const ACCEPT: &str = "*/*";
const ACCEPT_ENCODING: &str = "gzip, deflate";
/// python-requests' `Session.max_redirects`.
const MAX_REDIRECTS: usize = 30;
/// Statuses requests treats as redirects (when a `Location` is present).
const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn fail(status: ProbeStatus, detail: impl Into<String>) -> FetchError {
    FetchError {
        status,
        detail: detail.into(),
    }
}

/// `(host, port)` of an https URL: the key of requests' connection pool.
fn https_origin(url: &Url) -> Option<(String, u16)> {
    (url.scheme() == "https").then(|| {
        (
            url.host_str().unwrap_or_default().to_string(),
            url.port_or_known_default().unwrap_or(443),
        )
    })
}

struct Pass<'a> {
    cfg: &'a ProbeConfig,
    tls: TlsConfigs,
    /// The end of the whole retrieval.
    deadline: Instant,
}

/// A session that got its final response.
struct Session {
    start: Url,
    jar: PyJar,
    verified: bool,
    route: Vec<RouteEntry>,
    last_url: Url,
    last: Answer,
    /// https origins with a kept-alive connection opened without verification.
    unverified: Vec<(String, u16)>,
}

/// How one redirect chain ended.
struct Chain {
    route: Vec<RouteEntry>,
    last_url: Url,
    last: Answer,
    /// https origins contacted on the way.
    origins: Vec<(String, u16)>,
}

impl Pass<'_> {
    fn headers(&self, extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("user-agent", LEGACY_USER_AGENT.to_string()),
            ("accept-encoding", ACCEPT_ENCODING.to_string()),
            ("accept", ACCEPT.to_string()),
        ];
        h.extend(extra.iter().cloned());
        h
    }

    /// Follows one redirect chain the way requests does. `verify_for` decides, per URL, whether
    /// the certificate is checked.
    async fn chain(
        &self,
        start: &Url,
        jar: &mut PyJar,
        extra: &[(&'static str, String)],
        verify_for: &(dyn Fn(&Url) -> bool + Sync),
        deadline: Instant,
    ) -> Result<Chain, FetchError> {
        let limits = &self.cfg.limits;
        let mut url = start.clone();
        let mut route = Vec::new();
        let mut origins = Vec::new();
        loop {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(fail(
                    ProbeStatus::ProtocolError,
                    format!("no connection adapter for {url}"),
                ));
            }
            let mut headers = self.headers(extra);
            if let Some(cookie) = jar.header_for(&url, now_unix()) {
                headers.push(("cookie", cookie));
            }
            let req = Request {
                url: &url,
                method: Method::Get,
                headers,
                body: BodyWanted::Yes,
                guard: self.cfg.guard,
            };
            let tls = if verify_for(&url) {
                &self.tls.verifying
            } else {
                &self.tls.accept_any
            };
            let request_deadline = deadline.min(Instant::now() + limits.request_timeout);
            let answer = fetch(&req, tls, limits, request_deadline).await?;
            if let Some(o) = https_origin(&url)
                && !origins.contains(&o)
            {
                origins.push(o);
            }
            jar.extract(&answer.headers, &url, now_unix());
            let location = location(&answer);
            let redirect = REDIRECT_STATUSES.contains(&answer.status) && location.is_some();
            if let (true, Some(location)) = (redirect, location) {
                if route.len() >= MAX_REDIRECTS {
                    return Err(fail(
                        ProbeStatus::ProtocolError,
                        format!("exceeded {MAX_REDIRECTS} redirects"),
                    ));
                }
                route.push(RouteEntry {
                    url: url.to_string(),
                    status: answer.status,
                });
                url = resolve_location(&url, &location)?;
                continue;
            }
            route.push(RouteEntry {
                url: url.to_string(),
                status: answer.status,
            });
            return Ok(Chain {
                route,
                last_url: url,
                last: answer,
                origins,
            });
        }
    }

    /// One session: the chain with verification, and after a TLS error the chain again
    /// without it (cookies from the failed attempt stay in the jar).
    async fn session(&self, start: Url) -> Result<Session, FetchError> {
        let deadline = (Instant::now() + self.cfg.limits.session_timeout).min(self.deadline);
        let mut jar = PyJar::default();
        let verified = self.chain(&start, &mut jar, &[], &|_| true, deadline).await;
        let (chain, verified) = match verified {
            Ok(c) => (c, true),
            Err(e)
                if matches!(
                    e.status,
                    ProbeStatus::CertificateError | ProbeStatus::TlsError
                ) =>
            {
                let c = self
                    .chain(&start, &mut jar, &[], &|_| false, deadline)
                    .await?;
                (c, false)
            }
            Err(e) => return Err(e),
        };
        Ok(Session {
            start,
            jar,
            verified,
            route: chain.route,
            last_url: chain.last_url,
            unverified: if verified { Vec::new() } else { chain.origins },
            last: chain.last,
        })
    }

    /// A request through the chosen session (`__get`): its jar, its redirect rules, and
    /// verification except on origins with a pooled unverified connection. Any error is
    /// "no response".
    async fn side_get(
        &self,
        s: &mut Session,
        url: &Url,
        extra: &[(&'static str, String)],
        deadline: Instant,
    ) -> Option<(Url, Answer)> {
        let unverified = s.unverified.clone();
        let verify_for = move |u: &Url| https_origin(u).is_none_or(|o| !unverified.contains(&o));
        let chain = self
            .chain(url, &mut s.jar, extra, &verify_for, deadline)
            .await
            .ok()?;
        Some((chain.last_url, chain.last))
    }
}

/// requests' redirect target: every `Location` value joined with ", " (urllib3 folds repeated
/// headers), re-read as UTF-8 from its Latin-1 form.
fn location(a: &Answer) -> Option<String> {
    let values: Vec<&str> = a
        .headers
        .iter()
        .filter(|(n, _)| n == "location")
        .map(|(_, v)| v.as_str())
        .collect();
    if values.is_empty() {
        return None;
    }
    let joined = values.join(", ");
    let bytes: Vec<u8> = joined
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    Some(String::from_utf8(bytes).unwrap_or(joined))
}

/// Resolves a `Location` against the current URL; a scheme-relative `//host` takes the current
/// scheme, as requests does.
fn resolve_location(current: &Url, location: &str) -> Result<Url, FetchError> {
    current.join(location).map_err(|e| {
        fail(
            ProbeStatus::ProtocolError,
            format!("bad Location {location:?}: {e}"),
        )
    })
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

fn failure(e: FetchError) -> SessionFailure {
    SessionFailure {
        status: e.status,
        detail: e.detail,
    }
}

/// `scheme://netloc` of the session's final URL plus `path`, as the legacy retriever builds
/// the URLs of its extra requests.
fn on_final_origin(last: &Url, path: &str) -> Url {
    let mut u = last.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.set_path(path);
    u
}

/// Runs the legacy pass for `host`.
pub(crate) async fn retrieve(
    host: &Hostname,
    cfg: &ProbeConfig,
    deadline: Instant,
) -> LegacyEvidence {
    let mut ev = LegacyEvidence {
        http: None,
        http_failure: None,
        https: None,
        https_failure: None,
        cors: None,
        cors_origin: cfg.cors_origin.clone(),
        resources: Vec::new(),
        cookies: Vec::new(),
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
    let pass = Pass { cfg, tls, deadline };
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
    let (h, s) = tokio::join!(pass.session(http_url), pass.session(https_url));
    let (mut h, mut s) = (h.map_err(failure), s.map_err(failure));
    let chosen = match (&mut s, &mut h) {
        (Ok(s), _) => Some(s),
        (Err(_), Ok(h)) => Some(h),
        _ => None,
    };
    if let Some(session) = chosen {
        let deadline = (Instant::now() + cfg.limits.session_timeout).min(pass.deadline);
        let last_url = session.last_url.clone();
        let cors_url = on_final_origin(&last_url, "/");
        let origin = [("origin", cfg.cors_origin.clone())];
        ev.cors = pass
            .side_get(session, &cors_url, &origin, deadline)
            .await
            .map(|(u, a)| response_evidence(&u, a));
        for path in LEGACY_RESOURCES {
            let url = on_final_origin(&last_url, path);
            let response = pass
                .side_get(session, &url, &[], deadline)
                .await
                .map(|(u, a)| response_evidence(&u, a));
            ev.resources.push(LegacyResource {
                path: path.to_string(),
                url: url.to_string(),
                response,
            });
        }
        ev.cookies = session.jar.cookies();
    }
    let into = |s: Session| LegacySession {
        start_url: s.start.to_string(),
        verified: s.verified,
        route: s.route,
        last: response_evidence(&s.last_url, s.last),
    };
    match h {
        Ok(sess) => ev.http = Some(into(sess)),
        Err(f) => ev.http_failure = Some(f),
    }
    match s {
        Ok(sess) => ev.https = Some(into(sess)),
        Err(f) => ev.https_failure = Some(f),
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_joined_and_reread_as_utf8() {
        let a = Answer {
            status: 301,
            headers: vec![
                ("location".into(), "/caf\u{c3}\u{a9}".into()),
                ("location".into(), "/b".into()),
            ],
            body: None,
            body_truncated: false,
        };
        assert_eq!(location(&a).as_deref(), Some("/café, /b"));
    }

    #[test]
    fn extra_requests_go_to_the_final_origin() {
        let last = Url::parse("https://www.example.org:8443/deep/page?x=1#f").unwrap();
        assert_eq!(
            on_final_origin(&last, "/contribute.json").as_str(),
            "https://www.example.org:8443/contribute.json"
        );
    }
}
