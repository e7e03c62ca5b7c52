//! Test-only builders: a benign baseline evidence that scores well, and helpers that change
//! one thing at a time (the Observatory's own testing style).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_model::{HttpEvidence, ResponseEvidence, RouteEntry, SessionEvidence, StoredCookie};

fn response(url: &str, status: u16, headers: &[(&str, &str)], body: &str) -> ResponseEvidence {
    ResponseEvidence {
        url: url.to_string(),
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: Some(body.to_string()),
        body_truncated: false,
    }
}

/// A well-configured https site on example.org with an http->https redirect.
pub fn benign() -> HttpEvidence {
    let good_headers = [
        ("content-type", "text/html"),
        ("strict-transport-security", "max-age=63072000"),
        (
            "content-security-policy",
            "default-src 'none'; img-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-resource-policy", "same-origin"),
    ];
    let body = "<!DOCTYPE html><html><head><title>t</title></head><body></body></html>";
    let https_last = response("https://example.org/", 200, &good_headers, body);
    let https = SessionEvidence {
        start_url: "https://example.org/".into(),
        verified: true,
        route: vec![RouteEntry {
            url: "https://example.org/".into(),
            status: 200,
        }],
        last: https_last.clone(),
        cookies: vec![],
    };
    let http = SessionEvidence {
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
        last: https_last,
        cookies: vec![],
    };
    HttpEvidence {
        host: "example.org".into(),
        http: Some(http),
        http_failure: None,
        https: Some(https),
        https_failure: None,
        preflight: None,
        robots_status: None,
        elapsed_ms: 0,
        legacy: None,
    }
}

/// Sets (or with `None` removes) a header on the final https response.
pub fn header(ev: &mut HttpEvidence, name: &str, value: Option<&str>) {
    let last = &mut ev.https.as_mut().unwrap().last;
    last.headers.retain(|(n, _)| n != name);
    if let Some(v) = value {
        last.headers.push((name.to_string(), v.to_string()));
    }
}

/// Replaces the final https body.
pub fn html(ev: &mut HttpEvidence, body: &str) {
    ev.https.as_mut().unwrap().last.body = Some(body.to_string());
}

/// Replaces a session's route (statuses: 301 for hops, 200 for the last).
pub fn route(s: &mut SessionEvidence, hops: &[&str]) {
    s.route = hops
        .iter()
        .enumerate()
        .map(|(i, u)| RouteEntry {
            url: u.to_string(),
            status: if i + 1 == hops.len() { 200 } else { 301 },
        })
        .collect();
}

/// A host-only cookie on example.org, adjusted by `f`.
pub fn cookie(name: &str, f: impl FnOnce(&mut StoredCookie)) -> StoredCookie {
    let mut c = StoredCookie {
        name: name.to_string(),
        value: "v".into(),
        domain: "example.org".into(),
        host_only: true,
        path: "/".into(),
        secure: false,
        http_only: false,
        same_site: None,
        expires: None,
        max_age: None,
        expiry_unix: None,
    };
    f(&mut c);
    c
}
