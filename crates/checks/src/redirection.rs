//! The `redirection` test (spec §5.4): does http:// send visitors to https:// on the same host
//! with its first redirect? Reads only the http:// session's route.

use crate::preload;
use serde_json::{Map, Value, json};
use url::Url;
use vigil_model::results::RedirectionResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Runs the test.
pub fn check(ev: &HttpEvidence) -> TestOutcome {
    let mut redirects = true;
    let mut route: Vec<String> = Vec::new();
    let destination = ev
        .http
        .as_ref()
        .and_then(|h| h.route.last())
        .map(|r| r.url.clone());
    let mut status = ev.http.as_ref().map(|h| h.last.status);
    let result = match &ev.http {
        None => RedirectionResult::NotNeededNoHttp,
        Some(h) if !h.verified => RedirectionResult::InvalidCert,
        Some(h) => {
            route = h.route.iter().map(|r| r.url.clone()).collect();
            let urls: Vec<Option<Url>> = route.iter().map(|u| Url::parse(u).ok()).collect();
            let host = |u: &Option<Url>| u.as_ref().and_then(|u| u.host_str().map(str::to_string));
            let scheme = |u: &Option<Url>| u.as_ref().map(|u| u.scheme().to_string());
            let all_preloaded = urls
                .iter()
                .all(|u| host(u).is_some_and(|h| preload::preloaded(&h).is_some()));
            if all_preloaded {
                RedirectionResult::AllRedirectsPreloaded
            } else if urls.len() == 1 {
                redirects = false;
                RedirectionResult::Missing
            } else if urls.last().map(scheme) != Some(Some("https".into())) {
                RedirectionResult::NotToHttps
            } else if urls.get(1).map(scheme) == Some(Some("http".into())) {
                status = h.route.last().map(|r| r.status);
                RedirectionResult::NotToHttpsOnInitialRedirection
            } else if urls.first().map(scheme) == Some(Some("http".into()))
                && urls.get(1).map(scheme) == Some(Some("https".into()))
                && urls.first().map(host) != urls.get(1).map(host)
            {
                RedirectionResult::OffHostFromHttp
            } else {
                RedirectionResult::ToHttps
            }
        }
    };
    if serde_json::to_string(&route).map_or(0, |s| s.len()) > 8192 {
        route.clear();
    }
    let mut data = Map::new();
    data.insert(
        "destination".into(),
        destination.map_or(Value::Null, Value::String),
    );
    data.insert("redirects".into(), json!(redirects));
    data.insert("route".into(), json!(route));
    data.insert(
        "statusCode".into(),
        status.map_or(Value::Null, |s| json!(s)),
    );
    TestOutcome {
        result: AnyResult::Redirection(result),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{benign, route};

    fn with_route(hops: &[&str]) -> RedirectionResult {
        let mut ev = benign();
        route(ev.http.as_mut().unwrap(), hops);
        match check(&ev).result {
            AnyResult::Redirection(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decision_list() {
        assert_eq!(
            with_route(&["http://example.org/", "https://example.org/"]),
            RedirectionResult::ToHttps
        );
        assert_eq!(
            with_route(&["http://example.org/"]),
            RedirectionResult::Missing
        );
        assert_eq!(
            with_route(&["http://example.org/", "http://example.org/x"]),
            RedirectionResult::NotToHttps
        );
        assert_eq!(
            with_route(&[
                "http://example.org/",
                "http://www.example.org/",
                "https://www.example.org/"
            ]),
            RedirectionResult::NotToHttpsOnInitialRedirection
        );
        assert_eq!(
            with_route(&["http://example.org/", "https://www.example.org/"]),
            RedirectionResult::OffHostFromHttp
        );
        assert_eq!(
            with_route(&[
                "http://example.org/",
                "https://example.org/",
                "https://other.example/"
            ]),
            RedirectionResult::ToHttps
        );
        assert_eq!(
            with_route(&["http://example.dev/"]),
            RedirectionResult::AllRedirectsPreloaded
        );
    }

    #[test]
    fn no_http_and_invalid_cert() {
        let mut ev = benign();
        ev.http.as_mut().unwrap().verified = false;
        assert_eq!(
            check(&ev).result,
            AnyResult::Redirection(RedirectionResult::InvalidCert)
        );
        ev.http = None;
        assert_eq!(
            check(&ev).result,
            AnyResult::Redirection(RedirectionResult::NotNeededNoHttp)
        );
    }
}
