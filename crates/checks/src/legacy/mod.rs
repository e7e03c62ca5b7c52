//! The legacy (2017) Mozilla Observatory: the twelve tests of PyPI `httpobs` 0.9.3 as its
//! `httpobs.scanner.local.scan` runs them, one pure function each, over the legacy part of the
//! evidence ([`vigil_model::LegacyEvidence`], gathered with `ProbeConfig::legacy`).
//!
//! The current Observatory grew out of this scanner, so many rules look alike, but most tests
//! differ in details that change results (case-sensitive CSP directives, repeated `report-uri`
//! refused, `max-age=0` invalid HSTS, a `<meta name=referrer>` parsed by Python's `html.parser`,
//! cookies kept by Python's cookie jar ...). Each module therefore implements its legacy rule in
//! full instead of patching the current one; only the HSTS preload list is shared.
//!
//! Result strings are exactly the reference's. Pass values come from the tests themselves (they
//! are not a function of the result everywhere: `hpkp-invalid-cert` passes, for instance); the
//! score modifiers live in `vigil-grade`.

pub mod contribute;
pub mod cookies;
pub mod cors;
pub mod csp;
pub mod hpkp;
pub mod hsts;
pub mod html;
pub mod py;
pub mod redirection;
pub mod referrer;
pub mod sri;
pub mod xcto;
pub mod xfo;
pub mod xxss;

use vigil_model::{HttpEvidence, LegacyEvidence, LegacySession, SiteError};

/// The twelve legacy tests, in the order the reference reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyTest {
    /// `content-security-policy`
    ContentSecurityPolicy,
    /// `cookies`
    Cookies,
    /// `contribute`
    Contribute,
    /// `cross-origin-resource-sharing`
    CrossOriginResourceSharing,
    /// `public-key-pinning`
    PublicKeyPinning,
    /// `redirection`
    Redirection,
    /// `referrer-policy`
    ReferrerPolicy,
    /// `strict-transport-security`
    StrictTransportSecurity,
    /// `subresource-integrity`
    SubresourceIntegrity,
    /// `x-content-type-options`
    XContentTypeOptions,
    /// `x-frame-options`
    XFrameOptions,
    /// `x-xss-protection`
    XXssProtection,
}

impl LegacyTest {
    /// Every test in output order.
    pub const ALL: [LegacyTest; 12] = [
        LegacyTest::ContentSecurityPolicy,
        LegacyTest::Cookies,
        LegacyTest::Contribute,
        LegacyTest::CrossOriginResourceSharing,
        LegacyTest::PublicKeyPinning,
        LegacyTest::Redirection,
        LegacyTest::ReferrerPolicy,
        LegacyTest::StrictTransportSecurity,
        LegacyTest::SubresourceIntegrity,
        LegacyTest::XContentTypeOptions,
        LegacyTest::XFrameOptions,
        LegacyTest::XXssProtection,
    ];

    /// The test's name in the reference's output.
    pub fn as_str(self) -> &'static str {
        match self {
            LegacyTest::ContentSecurityPolicy => "content-security-policy",
            LegacyTest::Cookies => "cookies",
            LegacyTest::Contribute => "contribute",
            LegacyTest::CrossOriginResourceSharing => "cross-origin-resource-sharing",
            LegacyTest::PublicKeyPinning => "public-key-pinning",
            LegacyTest::Redirection => "redirection",
            LegacyTest::ReferrerPolicy => "referrer-policy",
            LegacyTest::StrictTransportSecurity => "strict-transport-security",
            LegacyTest::SubresourceIntegrity => "subresource-integrity",
            LegacyTest::XContentTypeOptions => "x-content-type-options",
            LegacyTest::XFrameOptions => "x-frame-options",
            LegacyTest::XXssProtection => "x-xss-protection",
        }
    }
}

/// One legacy test's verdict before scoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyOutcome {
    /// The test.
    pub test: LegacyTest,
    /// The result string, exactly as the reference names it.
    pub result: &'static str,
    /// The test's own pass value.
    pub pass: bool,
}

impl LegacyOutcome {
    pub(crate) fn new(test: LegacyTest, result: &'static str, pass: bool) -> Self {
        LegacyOutcome { test, result, pass }
    }
}

/// `only_if_worse`: a proposal replaces the current result only when it comes later in
/// `order` (results missing from `order` count as best).
pub(crate) fn worse(
    new: &'static str,
    old: Option<&'static str>,
    order: &[&'static str],
) -> &'static str {
    let rank = |r: &str| order.iter().position(|o| *o == r);
    match old {
        None => new,
        Some(old) if rank(new) > rank(old) => new,
        Some(old) => old,
    }
}

/// The meta tags the legacy retriever reads as headers (`parse_http_equiv_headers`): keys
/// compare case-insensitively but are not trimmed, several CSP metas are joined with "; ", and
/// `<meta name=referrer>` is stored as `Referrer-Policy`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpEquiv {
    entries: Vec<(String, String)>,
}

impl HttpEquiv {
    /// Reads the meta tags of `page`. A page Python cannot parse yields nothing.
    pub fn from_page(page: &str) -> HttpEquiv {
        let mut eq = HttpEquiv::default();
        let Ok(tags) = html::start_tags(page) else {
            return eq;
        };
        for meta in tags.iter().filter(|t| t.name == "meta") {
            match (meta.get("http-equiv"), meta.get("content")) {
                (Some(name), Some(content)) => {
                    let is_csp = py::strip(&name.to_lowercase()) == "content-security-policy";
                    if is_csp && let Some(v) = eq.get_mut("content-security-policy") {
                        v.push_str("; ");
                        v.push_str(content);
                    } else {
                        eq.set(name, content);
                    }
                }
                (_, Some(content))
                    if py::strip(&meta.get("name").unwrap_or_default().to_lowercase())
                        == "referrer" =>
                {
                    eq.set("Referrer-Policy", content);
                }
                _ => {}
            }
        }
        eq
    }

    fn set(&mut self, name: &str, value: &str) {
        let key = name.to_lowercase();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.entries.push((key, value.to_string())),
        }
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut String> {
        let key = name.to_lowercase();
        self.entries
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The value stored under `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        let key = name.to_lowercase();
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The content types the legacy retriever treats as HTML.
pub const HTML_TYPES: [&str; 2] = ["text/html", "application/xhtml+xml"];

/// What the legacy tests read, prepared once: the chosen session, its page and meta headers.
#[derive(Debug, Clone)]
pub struct Reqs<'a> {
    /// The legacy evidence.
    pub ev: &'a LegacyEvidence,
    /// `responses['auto']`: the https session if it answered, else the http one.
    pub auto: &'a LegacySession,
    /// `resources['__path__']`: the final page's text ("" when there was none).
    pub page: &'a str,
    /// Meta tags read as headers (empty unless the final response is HTML).
    pub http_equiv: HttpEquiv,
}

impl<'a> Reqs<'a> {
    /// Prepares the view; `None` when neither session answered (the reference's "site down").
    pub fn new(ev: &'a LegacyEvidence) -> Option<Reqs<'a>> {
        let auto = ev.chosen()?;
        let page = auto.last.body.as_deref().unwrap_or("");
        let content_type = py::header(&auto.last, "content-type").unwrap_or_default();
        let base = content_type.split(';').next().unwrap_or_default();
        let http_equiv = if HTML_TYPES.contains(&base) && !page.is_empty() {
            HttpEquiv::from_page(page)
        } else {
            HttpEquiv::default()
        };
        Some(Reqs {
            ev,
            auto,
            page,
            http_equiv,
        })
    }

    /// A header of the final response, folded as requests folds it.
    pub fn header(&self, name: &str) -> Option<String> {
        py::header(&self.auto.last, name)
    }

    /// The text the retriever kept for an extra file (`__get_page_text` without `force`):
    /// only a 200, and not when a `.json`/`.txt`/`.xml` URL answers with exactly `text/html`
    /// or `application/xhtml+xml` (a soft 404 page).
    pub fn resource_text(&self, path: &str) -> Option<&'a str> {
        let res = self.ev.resource(path)?;
        let resp = res.response.as_ref()?;
        if resp.status != 200 {
            return None;
        }
        let ext = res.url.rsplit('.').next().unwrap_or_default();
        let content_type = py::header(resp, "content-type").unwrap_or_default();
        if HTML_TYPES.contains(&content_type.as_str()) && matches!(ext, "json" | "txt" | "xml") {
            return None;
        }
        Some(resp.body.as_deref().unwrap_or(""))
    }
}

/// Runs the twelve legacy tests in output order, or says the site is down (neither legacy
/// session answered). Evidence retrieved without the legacy pass has nothing to grade and is
/// reported as down too.
pub fn run_all(ev: &HttpEvidence) -> Result<Vec<LegacyOutcome>, SiteError> {
    let legacy = ev.legacy.as_ref().ok_or(SiteError::SiteDown)?;
    let r = Reqs::new(legacy).ok_or(SiteError::SiteDown)?;
    let csp = csp::analyze(&r);
    let hsts = hsts::check(&r);
    Ok(vec![
        csp.outcome.clone(),
        cookies::check(&r, hsts.pass),
        contribute::check(&r),
        cors::check(&r),
        hpkp::check(&r),
        redirection::check(&r),
        referrer::check(&r),
        hsts,
        sri::check(&r),
        xcto::check(&r),
        xfo::check(&r, &csp),
        xxss::check(&r, &csp),
    ])
}

#[cfg(test)]
pub(crate) mod kit {
    //! Builders for legacy evidence in unit tests.
    #![allow(clippy::unwrap_used)]

    use vigil_model::{
        LegacyCookie, LegacyEvidence, LegacyResource, LegacySession, ResponseEvidence, RouteEntry,
    };

    pub fn response(
        url: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> ResponseEvidence {
        ResponseEvidence {
            url: url.to_string(),
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: Some(body.to_string()),
            body_truncated: false,
        }
    }

    /// An https site on example.org with an http->https redirect, headers as given.
    pub fn site(headers: &[(&str, &str)], body: &str) -> LegacyEvidence {
        let last = response("https://example.org/", 200, headers, body);
        LegacyEvidence {
            http: Some(LegacySession {
                start_url: "http://example.org/".into(),
                verified: true,
                route: vec![
                    RouteEntry {
                        url: "http://example.org/".into(),
                        status: 301,
                    },
                    RouteEntry {
                        url: "https://example.org/".into(),
                        status: 200,
                    },
                ],
                last: last.clone(),
            }),
            http_failure: None,
            https: Some(LegacySession {
                start_url: "https://example.org/".into(),
                verified: true,
                route: vec![RouteEntry {
                    url: "https://example.org/".into(),
                    status: 200,
                }],
                last,
            }),
            https_failure: None,
            cors: None,
            cors_origin: "https://http-observatory.security.mozilla.org".into(),
            resources: Vec::new(),
            cookies: Vec::new(),
        }
    }

    pub fn resource(ev: &mut LegacyEvidence, path: &str, content_type: &str, body: &str) {
        let url = format!("https://example.org{path}");
        ev.resources.push(LegacyResource {
            path: path.to_string(),
            url: url.clone(),
            response: Some(response(&url, 200, &[("content-type", content_type)], body)),
        });
    }

    pub fn cookie(name: &str, secure: bool, rest: &[(&str, Option<&str>)]) -> LegacyCookie {
        LegacyCookie {
            name: name.to_string(),
            value: Some("v".into()),
            domain: "example.org".into(),
            domain_specified: false,
            path: "/".into(),
            secure,
            expires: None,
            port: None,
            rest: rest
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect(),
        }
    }
}
