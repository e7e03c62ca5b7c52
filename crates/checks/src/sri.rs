//! The `subresource-integrity` test (spec §5.7): are scripts from other sites pinned with an
//! `integrity` hash and loaded over https?
//!
//! A script's `src` is resolved the way a DOM without a base URL reflects it: absolute URLs are
//! normalised, everything else is used verbatim. "Same site" compares registrable domains on
//! the ICANN suffix list.

use crate::html::{self, Mode};
use crate::page::{Page, PageText};
use crate::registrable::registrable_domain;
use serde_json::{Map, Value, json};
use url::Url;
use vigil_model::results::SriResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Results from best to worst in the reference's (non-modifier) order.
const ORDER: [SriResult; 6] = [
    SriResult::ImplementedAndAllScriptsLoadedSecurely,
    SriResult::ImplementedAndExternalScriptsLoadedSecurely,
    SriResult::ImplementedButExternalScriptsNotLoadedSecurely,
    SriResult::NotImplementedButExternalScriptsLoadedSecurely,
    SriResult::NotImplementedAndExternalScriptsNotLoadedSecurely,
    SriResult::NotImplementedResponseNotHtml,
];

fn propose(current: &mut Option<SriResult>, new: SriResult) {
    let rank = |r: SriResult| ORDER.iter().position(|o| *o == r);
    match current {
        Some(old) if rank(new) <= rank(*old) && rank(*old).is_some() => {}
        _ => *current = Some(new),
    }
}

/// The reflected `src` of a script element in a document without a base URL.
fn reflected_src(attr: &str) -> String {
    match Url::parse(attr) {
        Ok(u) => u.to_string(),
        Err(_) => attr.to_string(),
    }
}

/// The reflected `crossOrigin` attribute.
fn cross_origin(attr: Option<&str>) -> Value {
    match attr.map(str::to_ascii_lowercase).as_deref() {
        None => Value::Null,
        Some("use-credentials") => json!("use-credentials"),
        Some(_) => json!("anonymous"),
    }
}

/// Runs the test.
pub fn check(ev: &HttpEvidence, page: &Page) -> TestOutcome {
    let mut data = Map::new();
    let mut scripts_data = Map::new();
    let result = if ev.final_response().is_none() {
        SriResult::NotImplementedButNoScriptsLoaded
    } else if !page.is_html {
        SriResult::NotImplementedResponseNotHtml
    } else {
        match &page.text {
            PageText::Unconvertible => SriResult::HtmlNotParseable,
            PageText::Text(text) => evaluate(ev, text, &mut scripts_data),
        }
    };
    let fits = serde_json::to_string(&scripts_data).map_or(0, |s| s.encode_utf16().count()) < 32768;
    data.insert(
        "data".into(),
        Value::Object(if fits { scripts_data } else { Map::new() }),
    );
    TestOutcome {
        result: AnyResult::Sri(result),
        data,
    }
}

fn evaluate(ev: &HttpEvidence, text: &str, scripts_data: &mut Map<String, Value>) -> SriResult {
    let scripts = html::find(
        text,
        Mode::Document,
        &["script"],
        &["src", "integrity", "crossorigin"],
    );
    let site_domain = registrable_domain(&ev.host);
    let site_https = ev.site_is_https();
    let mut result: Option<SriResult> = None;
    let mut foreign_seen = false;
    let count = scripts.len();
    for el in &scripts {
        let src = reflected_src(el.attr("src").unwrap_or_default());
        if src.is_empty() {
            continue;
        }
        let integrity = el.attr("integrity").filter(|i| !i.is_empty());
        let protocol_relative = src.starts_with("//") && !src[2..].starts_with('/');
        let full = src.starts_with("http://") || src.starts_with("https://");
        let relative = !protocol_relative && !full;
        let same_site = if full {
            Url::parse(&src)
                .ok()
                .and_then(|u| u.host_str().and_then(registrable_domain))
                == site_domain
        } else {
            true
        };
        let secure_origin = relative || (same_site && !protocol_relative);
        let scheme_https = full && src.starts_with("https://");
        let secure_scheme = scheme_https || (relative && site_https);
        if !secure_origin {
            foreign_seen = true;
            scripts_data.insert(
                src.clone(),
                json!({"crossorigin": cross_origin(el.attr("crossorigin")), "integrity": integrity}),
            );
            match (integrity.is_some(), secure_scheme) {
                (true, false) => propose(
                    &mut result,
                    SriResult::ImplementedButExternalScriptsNotLoadedSecurely,
                ),
                (false, true) => propose(
                    &mut result,
                    SriResult::NotImplementedButExternalScriptsLoadedSecurely,
                ),
                (false, false) => propose(
                    &mut result,
                    SriResult::NotImplementedAndExternalScriptsNotLoadedSecurely,
                ),
                (true, true) => {}
            }
        } else if integrity.is_some() && secure_scheme && result.is_none() {
            result = Some(SriResult::ImplementedAndAllScriptsLoadedSecurely);
        }
    }
    if count == 0 {
        return SriResult::NotImplementedButNoScriptsLoaded;
    }
    result.unwrap_or(if foreign_seen {
        SriResult::ImplementedAndExternalScriptsLoadedSecurely
    } else {
        SriResult::NotImplementedButAllScriptsLoadedFromSecureOrigin
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{benign, html};

    fn with(body: &str) -> SriResult {
        let mut ev = benign();
        html(&mut ev, body);
        let page = Page::from_evidence(&ev);
        match check(&ev, &page).result {
            AnyResult::Sri(r) => r,
            other => panic!("{other:?}"),
        }
    }

    const I: &str = "integrity=\"sha384-abc\"";

    #[test]
    fn no_scripts_and_same_origin() {
        assert_eq!(
            with("<p>hi</p>"),
            SriResult::NotImplementedButNoScriptsLoaded
        );
        assert_eq!(
            with("<script>inline()</script>"),
            SriResult::NotImplementedButAllScriptsLoadedFromSecureOrigin
        );
        assert_eq!(
            with("<script src=/a.js></script>"),
            SriResult::NotImplementedButAllScriptsLoadedFromSecureOrigin
        );
        assert_eq!(
            with(&format!("<script src=/a.js {I}></script>")),
            SriResult::ImplementedAndAllScriptsLoadedSecurely
        );
    }

    #[test]
    fn external_scripts() {
        assert_eq!(
            with(&format!(
                "<script src=https://cdn.other.example/a.js {I}></script>"
            )),
            SriResult::ImplementedAndExternalScriptsLoadedSecurely
        );
        assert_eq!(
            with("<script src=https://cdn.other.example/a.js></script>"),
            SriResult::NotImplementedButExternalScriptsLoadedSecurely
        );
        assert_eq!(
            with("<script src=http://cdn.other.example/a.js></script>"),
            SriResult::NotImplementedAndExternalScriptsNotLoadedSecurely
        );
        assert_eq!(
            with(&format!(
                "<script src=http://cdn.other.example/a.js {I}></script>"
            )),
            SriResult::ImplementedButExternalScriptsNotLoadedSecurely
        );
        // Protocol-relative is never a secure origin, and has no secure scheme.
        assert_eq!(
            with(&format!(
                "<script src=//cdn.other.example/a.js {I}></script>"
            )),
            SriResult::ImplementedButExternalScriptsNotLoadedSecurely
        );
    }

    #[test]
    fn same_registrable_domain_over_http_is_secure_origin() {
        // benign() scans example.org
        assert_eq!(
            with("<script src=http://static.example.org/a.js></script>"),
            SriResult::NotImplementedButAllScriptsLoadedFromSecureOrigin
        );
    }

    #[test]
    fn order_quirk_minus_5_after_minus_20() {
        let body = format!(
            "<script src=http://a.other.example/x.js {I}></script><script src=https://b.other.example/y.js></script>"
        );
        assert_eq!(
            with(&body),
            SriResult::NotImplementedButExternalScriptsLoadedSecurely
        );
    }

    #[test]
    fn not_html_and_unconvertible() {
        let mut ev = benign();
        html(&mut ev, "{\"toString\": 1}");
        let page = Page::from_evidence(&ev);
        assert_eq!(
            check(&ev, &page).result,
            AnyResult::Sri(SriResult::HtmlNotParseable)
        );
        let last = &mut ev.https.as_mut().unwrap().last;
        last.headers.retain(|(n, _)| n != "content-type");
        last.headers
            .push(("content-type".into(), "text/plain".into()));
        let page = Page::from_evidence(&ev);
        assert_eq!(
            check(&ev, &page).result,
            AnyResult::Sri(SriResult::NotImplementedResponseNotHtml)
        );
    }

    #[test]
    fn scripts_inside_template_do_not_count() {
        let body = "<script src=https://cdn.other.example/a.js></script>\
                    <template><script src=http://x.other.example/t.js></script></template>";
        assert_eq!(
            with(body),
            SriResult::NotImplementedButExternalScriptsLoadedSecurely
        );
        assert_eq!(
            with("<template><script src=/a.js></script></template>"),
            SriResult::NotImplementedButNoScriptsLoaded
        );
    }

    #[test]
    fn data_uri_counts_as_relative() {
        assert_eq!(
            with(&format!(
                "<script src=\"data:text/javascript,1\" {I}></script>"
            )),
            SriResult::ImplementedAndAllScriptsLoadedSecurely
        );
    }
}
