//! Legacy `subresource-integrity`.
//!
//! Scripts come from Python's `html.parser` (so `<script>` inside `<noscript>` or `<template>`
//! counts, and an `<![unknown[` section makes the page unparsable). A script is same-origin when
//! its `src` has neither scheme nor host, or when its host has the page's registrable domain
//! (computed by `publicsuffixlist` on the raw netloc, private suffixes included) and it is not
//! protocol-relative. Anything with another scheme, `data:` included, is external.

use super::html::start_tags;
use super::{HTML_TYPES, LegacyOutcome, LegacyTest, Reqs, py, worse};

/// Best first; a proposal replaces the current result only when it comes later.
const GOODNESS: [&str; 6] = [
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
];

const PASSING: [&str; 5] = [
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-not-implemented-response-not-html",
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
    "sri-not-implemented-but-no-scripts-loaded",
];

/// The test.
pub fn check(r: &Reqs<'_>) -> LegacyOutcome {
    let done = |result: &'static str| {
        LegacyOutcome::new(
            LegacyTest::SubresourceIntegrity,
            result,
            PASSING.contains(&result),
        )
    };
    let content_type = r.header("content-type").unwrap_or_default();
    if !HTML_TYPES.contains(&content_type.split(';').next().unwrap_or_default()) {
        return done("sri-not-implemented-response-not-html");
    }
    let Ok(tags) = start_tags(r.page) else {
        return done("html-not-parsable");
    };
    let page = py::urlparse(&r.auto.last.url).unwrap_or(py::SplitUrl {
        scheme: String::new(),
        netloc: String::new(),
    });
    let page_domain = py::privatesuffix(&page.netloc);
    let scripts: Vec<_> = tags.iter().filter(|t| t.name == "script").collect();
    let mut result: Option<&'static str> = None;
    let mut foreign = false;
    for script in &scripts {
        let Some(src) = script.get("src") else {
            continue;
        };
        // A src Python cannot split ("Invalid IPv6 URL") crashes the reference; count it as a
        // relative script here.
        let url = py::urlparse(src).unwrap_or(py::SplitUrl {
            scheme: String::new(),
            netloc: String::new(),
        });
        let integrity = script.get("integrity").is_some_and(|v| !v.is_empty());
        let same_sld = page_domain == py::privatesuffix(&url.netloc);
        let relative_origin = url.scheme.is_empty() && url.netloc.is_empty();
        let relative_protocol = url.scheme.is_empty() && !url.netloc.is_empty();
        let secure_origin = relative_origin || (same_sld && !relative_protocol);
        if !secure_origin {
            foreign = true;
        }
        let secure_scheme = url.scheme == "https" || (relative_origin && page.scheme == "https");
        if !secure_origin {
            let proposal = match (integrity, secure_scheme) {
                (true, false) => Some("sri-implemented-but-external-scripts-not-loaded-securely"),
                (false, true) => Some("sri-not-implemented-but-external-scripts-loaded-securely"),
                (false, false) => {
                    Some("sri-not-implemented-and-external-scripts-not-loaded-securely")
                }
                (true, true) => None,
            };
            if let Some(p) = proposal {
                result = Some(worse(p, result, &GOODNESS));
            }
        } else if integrity && secure_scheme && result.is_none() {
            result = Some("sri-implemented-and-all-scripts-loaded-securely");
        }
    }
    let result = if scripts.is_empty() {
        "sri-not-implemented-but-no-scripts-loaded"
    } else {
        match result {
            Some(r) => r,
            None if foreign => "sri-implemented-and-external-scripts-loaded-securely",
            None => "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        }
    };
    done(result)
}

#[cfg(test)]
mod tests {
    use super::super::kit::site;
    use super::*;

    fn result(body: &str) -> &'static str {
        let ev = site(&[("content-type", "text/html; charset=utf-8")], body);
        check(&Reqs::new(&ev).unwrap()).result
    }

    #[test]
    fn results() {
        assert_eq!(result("<p>"), "sri-not-implemented-but-no-scripts-loaded");
        assert_eq!(
            result(r#"<script src="/a.js"></script>"#),
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        );
        assert_eq!(
            result(r#"<script src="/a.js" integrity="sha384-x"></script>"#),
            "sri-implemented-and-all-scripts-loaded-securely"
        );
        assert_eq!(
            result(r#"<script src="https://cdn.other.net/a.js"></script>"#),
            "sri-not-implemented-but-external-scripts-loaded-securely"
        );
        assert_eq!(
            result(r#"<script src="https://cdn.other.net/a.js" integrity="x"></script>"#),
            "sri-implemented-and-external-scripts-loaded-securely"
        );
        assert_eq!(
            result(r#"<script src="//cdn.other.net/a.js" integrity="x"></script>"#),
            "sri-implemented-but-external-scripts-not-loaded-securely"
        );
        assert_eq!(
            result(r#"<script src="http://static.example.org/a.js"></script>"#),
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        );
        assert_eq!(
            result(r#"<script src="data:text/javascript,1" integrity="x"></script>"#),
            "sri-implemented-but-external-scripts-not-loaded-securely"
        );
        assert_eq!(result("<![foo[ ]]>"), "html-not-parsable");
    }

    #[test]
    fn not_html() {
        let ev = site(
            &[("content-type", "text/plain")],
            "<script src=//x></script>",
        );
        assert_eq!(
            check(&Reqs::new(&ev).unwrap()).result,
            "sri-not-implemented-response-not-html"
        );
    }
}
