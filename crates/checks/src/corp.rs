//! The `cross-origin-resource-policy` test (spec §5.10). Meta tags are never read.

use crate::headers;
use serde_json::{Map, Value, json};
use vigil_model::results::CorpResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Runs the test.
pub fn check(ev: &HttpEvidence) -> TestOutcome {
    let value = ev
        .final_response()
        .and_then(|r| headers::get(r, "cross-origin-resource-policy"));
    let result = match value.as_deref() {
        None | Some("") => CorpResult::NotImplemented,
        Some(v) => match headers::truncate(v, 256).trim().to_lowercase().as_str() {
            "same-site" => CorpResult::ImplementedWithSameSite,
            "same-origin" => CorpResult::ImplementedWithSameOrigin,
            "cross-origin" => CorpResult::ImplementedWithCrossOrigin,
            _ => CorpResult::HeaderInvalid,
        },
    };
    let mut data = Map::new();
    let present = value.as_deref().is_some_and(|v| !v.is_empty());
    data.insert("data".into(), value.map_or(Value::Null, Value::String));
    data.insert("http".into(), json!(present));
    data.insert("meta".into(), json!(false));
    TestOutcome {
        result: AnyResult::Corp(result),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{benign, header};

    fn with(v: Option<&str>) -> AnyResult {
        let mut ev = benign();
        header(&mut ev, "cross-origin-resource-policy", v);
        check(&ev).result
    }

    #[test]
    fn values() {
        assert_eq!(
            with(Some("same-origin")),
            AnyResult::Corp(CorpResult::ImplementedWithSameOrigin)
        );
        assert_eq!(
            with(Some("Same-Site")),
            AnyResult::Corp(CorpResult::ImplementedWithSameSite)
        );
        assert_eq!(
            with(Some("cross-origin")),
            AnyResult::Corp(CorpResult::ImplementedWithCrossOrigin)
        );
        assert_eq!(
            with(Some("same-origin, same-origin")),
            AnyResult::Corp(CorpResult::HeaderInvalid)
        );
        assert_eq!(with(None), AnyResult::Corp(CorpResult::NotImplemented));
    }
}
