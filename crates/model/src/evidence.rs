//! Evidence: everything the retrieve step learned about a host over HTTP, as plain data.
//!
//! The shape follows what the Observatory's tests read (spec §2-§3): the http:// session, the
//! https:// session, the chosen ("auto") session with its cookie jar, and the CORS preflight.
//! A session that got no response at all is `None`; the reason is kept as a [`ProbeStatus`] so
//! reports can say *why* without the checks having to care.

use serde::{Deserialize, Serialize};

/// How a network attempt ended, as a fixed list (zgrab2 style) rather than free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProbeStatus {
    /// A response was received.
    Ok,
    /// The name did not resolve.
    DnsError,
    /// The TCP connection was refused.
    Refused,
    /// A timeout fired (connect, request or whole session).
    Timeout,
    /// The peer closed or reset the connection without a usable answer.
    Closed,
    /// The TLS handshake failed for a reason other than the certificate.
    TlsError,
    /// The certificate failed verification (the session is retried without verification).
    CertificateError,
    /// The peer answered with something that is not HTTP, or broke a limit.
    ProtocolError,
    /// The address guard refused the address before connecting (a public scan reaching for
    /// loopback, a private network, cloud metadata…); nothing was sent.
    Forbidden,
}

/// One response as the checks see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseEvidence {
    /// The URL that was requested.
    pub url: String,
    /// The HTTP status code.
    pub status: u16,
    /// Header fields in arrival order: lower-case name, value decoded as Latin-1 with control
    /// characters (except TAB) removed and surrounding spaces/tabs trimmed.
    pub headers: Vec<(String, String)>,
    /// The decompressed body decoded as UTF-8 (lossy, BOM removed). `None` when not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// True when the body was cut at the size limit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
}

impl ResponseEvidence {
    /// All values of a header, in arrival order (names compare case-insensitively).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One URL of a session's route and the status it answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteEntry {
    /// The URL, serialised as WHATWG URL `href`.
    pub url: String,
    /// The status of the response to that URL.
    pub status: u16,
}

/// SameSite as the cookie jar stored it; an unknown or empty value leaves it unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    /// `SameSite=Strict`
    Strict,
    /// `SameSite=Lax`
    Lax,
    /// `SameSite=None`
    None,
}

impl SameSite {
    /// The lower-case attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "strict",
            SameSite::Lax => "lax",
            SameSite::None => "none",
        }
    }
}

/// A cookie as a session's jar holds it at the end of retrieval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCookie {
    /// Cookie name.
    pub name: String,
    /// Cookie value.
    pub value: String,
    /// Canonical domain (the request host for host-only cookies).
    pub domain: String,
    /// True when no usable `Domain` attribute was given.
    pub host_only: bool,
    /// Path attribute or the default path.
    pub path: String,
    /// `Secure` attribute present.
    pub secure: bool,
    /// `HttpOnly` attribute present.
    pub http_only: bool,
    /// `SameSite` when it held a recognised value.
    pub same_site: Option<SameSite>,
    /// `Expires` as an ISO-8601 UTC timestamp, when given and parseable.
    pub expires: Option<String>,
    /// `Max-Age` in seconds, when given and numeric.
    pub max_age: Option<i64>,
    /// Expiry as unix seconds (from Max-Age or Expires), `None` for session cookies.
    pub expiry_unix: Option<i64>,
}

/// One session (the http:// or the https:// one) that got a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEvidence {
    /// The session's first URL (`http://HOST/` or `https://HOST/`).
    pub start_url: String,
    /// False when a certificate error forced a retry without verification.
    pub verified: bool,
    /// Every URL the session received a response for, in order; in retry mode a 2xx
    /// robots.txt is appended as well (the reference does the same).
    pub route: Vec<RouteEntry>,
    /// The last response of the redirect chain.
    pub last: ResponseEvidence,
    /// The cookie jar at the end of retrieval.
    pub cookies: Vec<StoredCookie>,
}

/// Why a session has no response, kept for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFailure {
    /// The fixed status.
    pub status: ProbeStatus,
    /// A human readable detail (the underlying error).
    pub detail: String,
}

/// Everything the HTTP tests read about one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpEvidence {
    /// The scanned host (ASCII form).
    pub host: String,
    /// Session H (`http://HOST/`), `None` when it got no response.
    pub http: Option<SessionEvidence>,
    /// Why session H failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_failure: Option<SessionFailure>,
    /// Session S (`https://HOST/`), `None` when it got no response.
    pub https: Option<SessionEvidence>,
    /// Why session S failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_failure: Option<SessionFailure>,
    /// The 2xx answer to the CORS preflight, if any.
    pub preflight: Option<ResponseEvidence>,
    /// Status of `/robots.txt` (informational; the tests do not read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robots_status: Option<u16>,
    /// Milliseconds the retrieval took.
    pub elapsed_ms: u64,
    /// What the 2017 Observatory's retriever saw, gathered only when legacy scoring was asked
    /// for (`ProbeConfig::legacy`). Absent from evidence captured without it, so older
    /// evidence files still load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<LegacyEvidence>,
}

/// One session of the legacy retriever (PyPI `httpobs` 0.9.3, built on python-requests).
///
/// Kept apart from [`SessionEvidence`] because requests follows redirects differently (30 hops
/// instead of 10, a redirect without `Location` is final, a loop is an error) and keeps cookies
/// with Python's `http.cookiejar` rules, so the two passes can disagree about the same site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacySession {
    /// The session's first URL (`http://HOST/` or `https://HOST/`).
    pub start_url: String,
    /// False when a TLS error made the retriever run the chain again without verification.
    pub verified: bool,
    /// The URL requested for every response of the chain, in order (requests' `history`
    /// followed by the final URL). Only the successful attempt is kept.
    pub route: Vec<RouteEntry>,
    /// The final response of the chain.
    pub last: ResponseEvidence,
}

/// One of the extra files the legacy retriever fetches through the chosen session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyResource {
    /// The path asked for (`/contribute.json`, `/crossdomain.xml` ...).
    pub path: String,
    /// The absolute URL requested first; its extension feeds the retriever's soft-404 rule.
    pub url: String,
    /// The final response after redirects, `None` when the request failed.
    pub response: Option<ResponseEvidence>,
}

/// A cookie as Python's `http.cookiejar` (which python-requests uses) stores it.
///
/// The legacy cookie test reads `HttpOnly` and `SameSite` from the non-standard attributes
/// (`rest`), exactly as the cookie jar left them, so they are kept raw rather than interpreted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyCookie {
    /// Cookie name.
    pub name: String,
    /// Cookie value; `None` for a `Set-Cookie: name` without `=`.
    pub value: Option<String>,
    /// Domain: the request host for host-only cookies, `.domain` when `Domain` was given.
    pub domain: String,
    /// True when a `Domain` attribute was given.
    pub domain_specified: bool,
    /// Path attribute or the default path.
    pub path: String,
    /// `Secure` attribute present.
    pub secure: bool,
    /// Expiry in unix seconds (from `Max-Age` or `Expires`); `None` for session cookies.
    pub expires: Option<i64>,
    /// `Port` attribute, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// The other attributes in first-seen order, names as sent (`HttpOnly`, `SameSite` ...),
    /// values `None` when the attribute had no `=`.
    pub rest: Vec<(String, Option<String>)>,
}

/// Everything the legacy (2017, 135-point) Observatory reads about a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyEvidence {
    /// Session H (`http://HOST/`), `None` when it raised an error.
    pub http: Option<LegacySession>,
    /// Why session H failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_failure: Option<SessionFailure>,
    /// Session S (`https://HOST/`), `None` when it raised an error.
    pub https: Option<LegacySession>,
    /// Why session S failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_failure: Option<SessionFailure>,
    /// The `GET /` with an `Origin` header that the legacy CORS test reads (it is not an
    /// `OPTIONS` preflight), sent to the chosen session's final origin; `None` when it failed.
    pub cors: Option<ResponseEvidence>,
    /// The `Origin` that request carried (the CORS test compares the allowed origin with it).
    pub cors_origin: String,
    /// `/clientaccesspolicy.xml`, `/contribute.json`, `/crossdomain.xml` and `/robots.txt`.
    pub resources: Vec<LegacyResource>,
    /// The chosen session's cookie jar after every request above.
    pub cookies: Vec<LegacyCookie>,
}

impl LegacyEvidence {
    /// The chosen session: https when it answered, otherwise http (as the legacy retriever).
    pub fn chosen(&self) -> Option<&LegacySession> {
        self.https.as_ref().or(self.http.as_ref())
    }

    /// The fetched extra file at `path`, if it was asked for.
    pub fn resource(&self, path: &str) -> Option<&LegacyResource> {
        self.resources.iter().find(|r| r.path == path)
    }
}

/// Which session the tests treat as "the" site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    /// The https:// session answered.
    Https,
    /// Only the http:// session answered.
    Http,
}

impl HttpEvidence {
    /// The chosen session: https when it answered, otherwise http (spec §2 step 2).
    pub fn chosen(&self) -> Option<(Chosen, &SessionEvidence)> {
        match (&self.https, &self.http) {
            (Some(s), _) => Some((Chosen::Https, s)),
            (None, Some(h)) => Some((Chosen::Http, h)),
            (None, None) => None,
        }
    }

    /// The final ("auto") response most tests read.
    pub fn final_response(&self) -> Option<&ResponseEvidence> {
        self.chosen().map(|(_, s)| &s.last)
    }

    /// True when the site URL is `https://HOST/`.
    pub fn site_is_https(&self) -> bool {
        self.https.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_without_legacy_data_still_loads() {
        let old =
            r#"{"host":"example.org","http":null,"https":null,"preflight":null,"elapsed_ms":3}"#;
        let ev: HttpEvidence = serde_json::from_str(old).expect("old evidence loads");
        assert!(ev.legacy.is_none());
        // And it is written back without the field.
        let again = serde_json::to_string(&ev).expect("serialises");
        assert!(!again.contains("legacy"));
    }

    #[test]
    fn legacy_evidence_round_trips() {
        let legacy = LegacyEvidence {
            http: None,
            http_failure: None,
            https: None,
            https_failure: Some(SessionFailure {
                status: ProbeStatus::Refused,
                detail: "refused".into(),
            }),
            cors: None,
            cors_origin: "https://http-observatory.security.mozilla.org".into(),
            resources: vec![LegacyResource {
                path: "/robots.txt".into(),
                url: "http://example.org/robots.txt".into(),
                response: None,
            }],
            cookies: vec![LegacyCookie {
                name: "a".into(),
                value: None,
                domain: ".example.org".into(),
                domain_specified: true,
                path: "/".into(),
                secure: false,
                expires: Some(1),
                port: None,
                rest: vec![("HttpOnly".into(), None)],
            }],
        };
        let text = serde_json::to_string(&legacy).expect("serialises");
        let back: LegacyEvidence = serde_json::from_str(&text).expect("loads");
        assert_eq!(back, legacy);
        assert!(back.chosen().is_none());
        assert!(back.resource("/robots.txt").is_some());
    }
}
