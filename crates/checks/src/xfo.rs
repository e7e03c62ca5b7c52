//! The `x-frame-options` test (spec §5.9), overridden when the CSP map has `frame-ancestors`.

use crate::csp::CspVerdict;
use crate::headers;
use serde_json::{Map, Value};
use vigil_model::results::XfoResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Runs the test; `csp` is the CSP test's verdict (its combined map decides the override).
pub fn check(ev: &HttpEvidence, csp: &CspVerdict) -> TestOutcome {
    let value = ev
        .final_response()
        .and_then(|r| headers::get(r, "x-frame-options"));
    let mut result = match value.as_deref() {
        None | Some("") => XfoResult::NotImplemented,
        Some(v) => {
            let v = headers::truncate(v, 1024).trim().to_lowercase();
            if v == "deny" || v == "sameorigin" {
                XfoResult::SameoriginOrDeny
            } else if v.starts_with("allow-from") {
                XfoResult::AllowFromOrigin
            } else {
                XfoResult::HeaderInvalid
            }
        }
    };
    if csp
        .map
        .as_ref()
        .is_some_and(|m| m.get("frame-ancestors").is_some())
    {
        result = XfoResult::ImplementedViaCsp;
    }
    let mut data = Map::new();
    data.insert("data".into(), value.map_or(Value::Null, Value::String));
    TestOutcome {
        result: AnyResult::Xfo(result),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::Page;
    use crate::testkit::{benign, header};

    fn with(xfo: Option<&str>, csp: Option<&str>) -> AnyResult {
        let mut ev = benign();
        header(&mut ev, "x-frame-options", xfo);
        header(&mut ev, "content-security-policy", csp);
        let page = Page::from_evidence(&ev);
        let verdict = crate::csp::check(&ev, &page);
        check(&ev, &verdict).result
    }

    #[test]
    fn header_values() {
        assert_eq!(
            with(Some("DENY"), None),
            AnyResult::Xfo(XfoResult::SameoriginOrDeny)
        );
        assert_eq!(
            with(Some("sameorigin"), None),
            AnyResult::Xfo(XfoResult::SameoriginOrDeny)
        );
        assert_eq!(
            with(Some("ALLOW-FROM https://a"), None),
            AnyResult::Xfo(XfoResult::AllowFromOrigin)
        );
        assert_eq!(
            with(Some("DENY, DENY"), None),
            AnyResult::Xfo(XfoResult::HeaderInvalid)
        );
        assert_eq!(with(None, None), AnyResult::Xfo(XfoResult::NotImplemented));
    }

    #[test]
    fn frame_ancestors_overrides_even_when_broad_or_invalid() {
        let fa = Some("default-src 'self'; frame-ancestors *");
        assert_eq!(
            with(Some("nonsense"), fa),
            AnyResult::Xfo(XfoResult::ImplementedViaCsp)
        );
        assert_eq!(with(None, fa), AnyResult::Xfo(XfoResult::ImplementedViaCsp));
        // An invalid CSP has no map, so no override.
        assert_eq!(
            with(None, Some("frame-ancestors 'none'; frame-ancestors 'none'")),
            AnyResult::Xfo(XfoResult::NotImplemented)
        );
    }
}
