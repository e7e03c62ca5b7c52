//! Legacy `contribute`: `/contribute.json` was required on Mozilla's own sites only.
//!
//! Whether a site is Mozilla's is decided by the second-to-last dot-separated part of the final
//! URL's host (port included), against the reference's default list. Everywhere else the
//! result is `contribute-json-only-required-on-mozilla-properties`, scoring 0.

use super::{LegacyOutcome, LegacyTest, Reqs, py};
use serde_json::Value;

/// The reference's default `mozilla_domains`.
const MOZILLA_DOMAINS: [&str; 7] = [
    "mozilla",
    "allizom",
    "browserid",
    "firefox",
    "persona",
    "taskcluster",
    "webmaker",
];

const REQUIRED_KEYS: [&str; 5] = ["name", "description", "participate", "bugs", "urls"];

/// Python's `key in value` for a parsed JSON value; `None` where Python raises `TypeError`.
fn contains(value: &Value, key: &str) -> Option<bool> {
    match value {
        Value::Object(m) => Some(m.contains_key(key)),
        Value::Array(a) => Some(a.iter().any(|v| v.as_str() == Some(key))),
        Value::String(s) => Some(s.contains(key)),
        _ => None,
    }
}

/// The test.
pub fn check(r: &Reqs<'_>) -> LegacyOutcome {
    let netloc = py::urlparse(&r.auto.last.url)
        .map(|u| u.netloc)
        .unwrap_or_default();
    let sld = if netloc.contains('.') {
        netloc.rsplit('.').nth(1).unwrap_or_default()
    } else {
        ""
    };
    let result = if !MOZILLA_DOMAINS.contains(&sld) {
        "contribute-json-only-required-on-mozilla-properties"
    } else {
        match r
            .resource_text("/contribute.json")
            .filter(|t| !t.is_empty())
        {
            None => "contribute-json-not-implemented",
            Some(text) => match serde_json::from_str::<Value>(text) {
                Err(_) => "contribute-json-invalid-json",
                Ok(v) => match REQUIRED_KEYS
                    .iter()
                    .map(|k| contains(&v, k))
                    .collect::<Option<Vec<bool>>>()
                {
                    None => "contribute-json-invalid-json",
                    Some(found) if found.iter().all(|f| *f) => "contribute-json-with-required-keys",
                    Some(_) => "contribute-json-missing-required-keys",
                },
            },
        }
    };
    let pass = matches!(
        result,
        "contribute-json-with-required-keys"
            | "contribute-json-only-required-on-mozilla-properties"
    );
    LegacyOutcome::new(LegacyTest::Contribute, result, pass)
}

#[cfg(test)]
mod tests {
    use super::super::kit::{resource, site};
    use super::*;

    fn on(host: &str, body: Option<&str>) -> &'static str {
        let mut ev = site(&[], "");
        if let Some(s) = ev.https.as_mut() {
            s.last.url = format!("https://{host}/");
        }
        if let Some(b) = body {
            resource(&mut ev, "/contribute.json", "application/json", b);
        }
        check(&Reqs::new(&ev).unwrap()).result
    }

    #[test]
    fn only_mozilla_sites_need_it() {
        assert_eq!(
            on("example.org", None),
            "contribute-json-only-required-on-mozilla-properties"
        );
        assert_eq!(
            on("www.mozilla.org", None),
            "contribute-json-not-implemented"
        );
        assert_eq!(
            on("www.mozilla.org", Some("{")),
            "contribute-json-invalid-json"
        );
        assert_eq!(
            on("www.mozilla.org", Some(r#"{"name":1}"#)),
            "contribute-json-missing-required-keys"
        );
        assert_eq!(
            on(
                "www.mozilla.org",
                Some(r#"{"name":1,"description":1,"participate":1,"bugs":1,"urls":1}"#)
            ),
            "contribute-json-with-required-keys"
        );
        assert_eq!(
            on("www.mozilla.org", Some("3")),
            "contribute-json-invalid-json"
        );
    }
}
