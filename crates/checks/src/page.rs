//! The final response's body as the reference sees it (spec §4): the HTML gate, the JSON
//! quirk, and the `<meta>` tags that stand in for headers.
//!
//! The reference's HTTP client parses any body that is valid JSON and the tests later turn the
//! value back into a string the way JavaScript's `String()` does, so a JSON body becomes
//! `[object Object]` (or cannot be converted at all). We reproduce that here so the CSP,
//! referrer and SRI tests see the same document.

use crate::headers;
use crate::html::{self, Mode};
use serde_json::Value;
use vigil_model::{HttpEvidence, ResponseEvidence};

/// The document text after the JSON quirk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageText {
    /// A string to parse as HTML (possibly empty).
    Text(String),
    /// A JSON object with a `toString` key: `String()` throws, so nothing can be parsed.
    Unconvertible,
}

/// What the header tests need from the final response's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The content type is exactly `text/html` or `application/xhtml+xml` before any `;`.
    pub is_html: bool,
    /// The document text.
    pub text: PageText,
    /// `content` of every `<meta http-equiv=content-security-policy>`, in document order.
    pub meta_csp: Vec<String>,
    /// `content` of the last `<meta name=referrer>`.
    pub meta_referrer: Option<String>,
}

/// True when the content type passes the reference's HTML gate (no trimming, no lower-casing).
pub fn is_html_type(resp: &ResponseEvidence) -> bool {
    let ct = headers::get(resp, "content-type").unwrap_or_default();
    let mime = ct.split(';').next().unwrap_or_default();
    mime == "text/html" || mime == "application/xhtml+xml"
}

impl Page {
    /// Builds the page view of the final response (an empty page when there is none).
    pub fn from_evidence(ev: &HttpEvidence) -> Page {
        match ev.final_response() {
            Some(resp) => Page::from_response(resp),
            None => Page {
                is_html: false,
                text: PageText::Text(String::new()),
                meta_csp: Vec::new(),
                meta_referrer: None,
            },
        }
    }

    /// Builds the page view of one response.
    pub fn from_response(resp: &ResponseEvidence) -> Page {
        let is_html = is_html_type(resp);
        let text = page_text(resp.body.as_deref().unwrap_or_default());
        let (meta_csp, meta_referrer) = match (&text, is_html) {
            (PageText::Text(t), true) if !t.is_empty() => metas(t),
            _ => (Vec::new(), None),
        };
        Page {
            is_html,
            text,
            meta_csp,
            meta_referrer,
        }
    }
}

/// Applies the JSON quirk: a body that parses as JSON is replaced by `String(value)`.
pub fn page_text(body: &str) -> PageText {
    if body.is_empty() {
        return PageText::Text(String::new());
    }
    match serde_json::from_str::<Value>(body) {
        Err(_) => PageText::Text(body.to_string()),
        Ok(v) if !truthy(&v) => PageText::Text(String::new()),
        Ok(v) => js_string(&v).map_or(PageText::Unconvertible, PageText::Text),
    }
}

/// JavaScript truthiness of a parsed JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JavaScript `String(value)`; `None` where it throws (an object with a `toString` key).
fn js_string(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number(n),
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            if o.contains_key("toString") {
                return None;
            }
            "[object Object]".to_string()
        }
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                // Array.prototype.join turns null (and undefined) into "".
                parts.push(if item.is_null() {
                    String::new()
                } else {
                    js_string(item)?
                });
            }
            parts.join(",")
        }
    })
}

/// JavaScript's Number-to-string for the common cases.
fn js_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    if f.abs() >= 1e21 || (f != 0.0 && f.abs() < 1e-6) {
        let s = format!("{f:e}");
        return match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        };
    }
    f.to_string()
}

/// Most `<meta>` policies kept. The reference combines every policy into one directive map,
/// which costs time per policy and per source; no real page has more than a few, so past this
/// many the rest of a hostile page's policies are left out.
pub const MAX_META_POLICIES: usize = 64;

/// Reads the meta CSP policies (the first [`MAX_META_POLICIES`]) and the meta referrer from an
/// HTML fragment, skipping template contents as a DOM does.
fn metas(text: &str) -> (Vec<String>, Option<String>) {
    let mut csp = Vec::new();
    let mut referrer = None;
    let found = html::find(
        text,
        Mode::Fragment,
        &["meta"],
        &["http-equiv", "content", "name"],
    );
    for meta in &found {
        match (meta.attr("http-equiv"), meta.attr("content")) {
            (Some(equiv), Some(content)) => {
                if !content.is_empty()
                    && csp.len() < MAX_META_POLICIES
                    && equiv.to_lowercase().trim() == "content-security-policy"
                {
                    csp.push(content.to_string());
                }
            }
            _ => {
                let is_referrer = meta
                    .attr("name")
                    .is_some_and(|n| n.to_lowercase().trim() == "referrer");
                if is_referrer && let Some(content) = meta.attr("content").filter(|c| !c.is_empty())
                {
                    referrer = Some(content.to_string());
                }
            }
        }
    }
    (csp, referrer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_quirk() {
        assert_eq!(
            page_text("{\"a\":1}"),
            PageText::Text("[object Object]".into())
        );
        assert_eq!(page_text("{\"toString\": 1}"), PageText::Unconvertible);
        assert_eq!(
            page_text("[1,null,\"x\",[2,3]]"),
            PageText::Text("1,,x,2,3".into())
        );
        assert_eq!(page_text("null"), PageText::Text(String::new()));
        assert_eq!(page_text("0"), PageText::Text(String::new()));
        assert_eq!(page_text("\"<b>\""), PageText::Text("<b>".into()));
        assert_eq!(page_text("1.5"), PageText::Text("1.5".into()));
        assert_eq!(page_text("1e21"), PageText::Text("1e+21".into()));
        assert_eq!(
            page_text("<html></html>"),
            PageText::Text("<html></html>".into())
        );
    }

    #[test]
    fn metas_anywhere_in_the_document_count() {
        let (csp, referrer) = metas(
            "<html><head><meta http-equiv=\"Content-Security-Policy \" content=\"default-src 'none'\">\
             <meta name=referrer content=origin></head><body>\
             <meta http-equiv=content-security-policy content=\"img-src 'self'\">\
             <meta name=\" Referrer\" content=no-referrer></body></html>",
        );
        assert_eq!(
            csp,
            vec![
                "default-src 'none'".to_string(),
                "img-src 'self'".to_string()
            ]
        );
        assert_eq!(referrer.as_deref(), Some("no-referrer"));
    }

    #[test]
    fn meta_with_http_equiv_and_content_is_never_a_referrer() {
        let (_, referrer) = metas("<meta name=referrer http-equiv=x content=origin>");
        assert_eq!(referrer, None);
        let (csp, _) = metas("<meta http-equiv=content-security-policy content=\"\">");
        assert!(csp.is_empty());
    }

    #[test]
    fn metas_inside_template_do_not_count() {
        let (csp, _) = metas(
            "<template><meta http-equiv=content-security-policy content=\"default-src 'none'\"></template>",
        );
        assert!(csp.is_empty());
    }

    #[test]
    fn html_gate_is_exact() {
        let mut r = ResponseEvidence {
            url: "https://x/".into(),
            status: 200,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: None,
            body_truncated: false,
        };
        assert!(is_html_type(&r));
        r.headers[0].1 = "TEXT/HTML".into();
        assert!(!is_html_type(&r));
        r.headers[0].1 = "application/xhtml+xml".into();
        assert!(is_html_type(&r));
    }
}
