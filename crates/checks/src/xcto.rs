//! The `x-content-type-options` test (spec §5.8): only `nosniff` passes.

use crate::headers;
use serde_json::{Map, Value};
use vigil_model::results::XctoResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Runs the test.
pub fn check(ev: &HttpEvidence) -> TestOutcome {
    let value = ev
        .final_response()
        .and_then(|r| headers::get(r, "x-content-type-options"));
    let result = match value.as_deref() {
        None | Some("") => XctoResult::NotImplemented,
        Some(v) if headers::truncate(v, 256).trim().to_lowercase() == "nosniff" => {
            XctoResult::Nosniff
        }
        Some(_) => XctoResult::HeaderInvalid,
    };
    let mut data = Map::new();
    data.insert("data".into(), value.map_or(Value::Null, Value::String));
    TestOutcome {
        result: AnyResult::Xcto(result),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{benign, header};

    fn with(v: Option<&str>) -> XctoResult {
        let mut ev = benign();
        header(&mut ev, "x-content-type-options", v);
        match check(&ev).result {
            AnyResult::Xcto(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values() {
        assert_eq!(with(Some("nosniff")), XctoResult::Nosniff);
        assert_eq!(with(Some(" NoSniff ")), XctoResult::Nosniff);
        assert_eq!(with(Some("nosniff, nosniff")), XctoResult::HeaderInvalid);
        assert_eq!(with(Some("sniff")), XctoResult::HeaderInvalid);
        assert_eq!(with(Some("")), XctoResult::NotImplemented);
        assert_eq!(with(None), XctoResult::NotImplemented);
    }
}
