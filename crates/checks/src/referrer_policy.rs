//! The `referrer-policy` test (spec §5.5): header values then the meta value, joined; the
//! last recognised token decides.

use crate::headers;
use crate::page::Page;
use serde_json::{Map, Value, json};
use vigil_model::results::ReferrerResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Policies that do not leak the path cross-origin.
const GOOD: [&str; 4] = [
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
];
/// Policies that do.
const BAD: [&str; 4] = [
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
];

/// Runs the test.
pub fn check(ev: &HttpEvidence, page: &Page) -> TestOutcome {
    let header = ev
        .final_response()
        .and_then(|r| headers::get(r, "referrer-policy"));
    let meta = page.meta_referrer.clone();
    let mut data = Map::new();
    let joined: Vec<String> = header.iter().chain(meta.iter()).cloned().collect();
    let result = if joined.is_empty() {
        ReferrerResult::NotImplemented
    } else {
        let all = joined.join(", ");
        let last = all
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .rfind(|t| GOOD.contains(&t.as_str()) || BAD.contains(&t.as_str()));
        data.insert("data".into(), json!(all));
        match last.as_deref() {
            Some(t) if GOOD.contains(&t) => ReferrerResult::Private,
            Some(_) => ReferrerResult::Unsafe,
            None => ReferrerResult::HeaderInvalid,
        }
    };
    if !data.contains_key("data") {
        data.insert("data".into(), Value::Null);
    }
    data.insert("http".into(), json!(header.is_some()));
    data.insert("meta".into(), json!(meta.is_some()));
    TestOutcome {
        result: AnyResult::Referrer(result),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{benign, header, html};

    fn with(h: Option<&str>, body: Option<&str>) -> ReferrerResult {
        let mut ev = benign();
        header(&mut ev, "referrer-policy", h);
        if let Some(b) = body {
            html(&mut ev, b);
        }
        let page = Page::from_evidence(&ev);
        match check(&ev, &page).result {
            AnyResult::Referrer(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(with(Some("no-referrer"), None), ReferrerResult::Private);
        assert_eq!(with(Some("Strict-Origin"), None), ReferrerResult::Private);
        assert_eq!(with(Some("unsafe-url"), None), ReferrerResult::Unsafe);
        assert_eq!(
            with(Some("no-referrer, bogus"), None),
            ReferrerResult::Private
        );
        assert_eq!(
            with(Some("no-referrer, unsafe-url"), None),
            ReferrerResult::Unsafe
        );
        assert_eq!(with(Some("bogus"), None), ReferrerResult::HeaderInvalid);
        assert_eq!(with(None, None), ReferrerResult::NotImplemented);
    }

    #[test]
    fn meta_comes_last() {
        let b = "<html><head><meta name=referrer content=same-origin></head></html>";
        assert_eq!(with(Some("unsafe-url"), Some(b)), ReferrerResult::Private);
        let two = "<meta name=referrer content=same-origin><meta name=referrer content=origin>";
        assert_eq!(with(None, Some(two)), ReferrerResult::Unsafe);
    }
}
