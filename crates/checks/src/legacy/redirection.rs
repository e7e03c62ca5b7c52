//! Legacy `redirection`: the http session's route, as python-requests followed it (up to 30
//! redirects; a loop makes the session fail, which reads as "no http").

use super::{LegacyOutcome, LegacyTest, Reqs, py};
use crate::preload;

/// The test.
pub fn check(r: &Reqs<'_>) -> LegacyOutcome {
    let result = match &r.ev.http {
        None => "redirection-not-needed-no-http",
        Some(s) if !s.verified => "redirection-invalid-cert",
        Some(s) => {
            let urls: Vec<&str> = s.route.iter().map(|e| e.url.as_str()).collect();
            let scheme = |i: usize| {
                urls.get(i)
                    .and_then(|u| py::urlparse(u))
                    .map(|u| u.scheme)
                    .unwrap_or_default()
            };
            let host = |i: usize| urls.get(i).and_then(|u| py::hostname(u));
            let all_preloaded = urls
                .iter()
                .all(|u| py::hostname(u).is_some_and(|h| preload::preloaded(&h).is_some()));
            if all_preloaded {
                "redirection-all-redirects-preloaded"
            } else if urls.len() <= 1 {
                "redirection-missing"
            } else if scheme(urls.len() - 1) != "https" {
                "redirection-not-to-https"
            } else if scheme(1) == "http" {
                "redirection-not-to-https-on-initial-redirection"
            } else if scheme(0) == "http" && scheme(1) == "https" && host(0) != host(1) {
                "redirection-off-host-from-http"
            } else {
                "redirection-to-https"
            }
        }
    };
    let pass = matches!(
        result,
        "redirection-not-needed-no-http"
            | "redirection-all-redirects-preloaded"
            | "redirection-to-https"
    );
    LegacyOutcome::new(LegacyTest::Redirection, result, pass)
}

#[cfg(test)]
mod tests {
    use super::super::kit::site;
    use super::*;
    use vigil_model::RouteEntry;

    fn route(urls: &[&str]) -> &'static str {
        let mut ev = site(&[], "");
        if let Some(h) = ev.http.as_mut() {
            h.route = urls
                .iter()
                .map(|u| RouteEntry {
                    url: u.to_string(),
                    status: 301,
                })
                .collect();
        }
        check(&Reqs::new(&ev).unwrap()).result
    }

    #[test]
    fn results() {
        assert_eq!(
            route(&["http://example.org/", "https://example.org/"]),
            "redirection-to-https"
        );
        assert_eq!(route(&["http://example.org/"]), "redirection-missing");
        assert_eq!(
            route(&["http://example.org/", "http://example.org/a"]),
            "redirection-not-to-https"
        );
        assert_eq!(
            route(&[
                "http://example.org/",
                "http://www.example.org/",
                "https://www.example.org/"
            ]),
            "redirection-not-to-https-on-initial-redirection"
        );
        assert_eq!(
            route(&["http://example.org/", "https://www.example.org/"]),
            "redirection-off-host-from-http"
        );
        assert_eq!(
            route(&["http://a.dev/"]),
            "redirection-all-redirects-preloaded"
        );
    }
}
