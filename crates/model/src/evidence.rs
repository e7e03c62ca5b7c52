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
