//! The `cross-origin-resource-sharing` test (spec §5.3), read from the preflight answer.
//!
//! The reference (1.4.8) compares the allowed origin with a value it never finds, so a
//! reflected origin is "restricted" even with credentials, and `universal-access` can never be
//! returned. We keep that behaviour for score compatibility.

use crate::headers;
use serde_json::{Map, Value};
use vigil_model::results::CorsResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Runs the test.
pub fn check(ev: &HttpEvidence) -> TestOutcome {
    let acao = ev
        .preflight
        .as_ref()
        .and_then(|r| headers::get(r, "access-control-allow-origin"))
        .filter(|v| !v.is_empty())
        .map(|v| headers::truncate(&v, 256).trim().to_lowercase());
    let result = match acao.as_deref() {
        None => CorsResult::NotImplemented,
        Some("*") => CorsResult::ImplementedWithPublicAccess,
        Some(_) => CorsResult::ImplementedWithRestrictedAccess,
    };
    let mut data = Map::new();
    data.insert("data".into(), acao.map_or(Value::Null, Value::String));
    TestOutcome {
        result: AnyResult::Cors(result),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::benign;
    use vigil_model::ResponseEvidence;

    fn with(acao: Option<&str>, credentials: bool) -> AnyResult {
        let mut ev = benign();
        let mut headers = vec![];
        if let Some(v) = acao {
            headers.push(("access-control-allow-origin".to_string(), v.to_string()));
        }
        if credentials {
            headers.push((
                "access-control-allow-credentials".to_string(),
                "true".to_string(),
            ));
        }
        ev.preflight = Some(ResponseEvidence {
            url: "https://example.org/".into(),
            status: 204,
            headers,
            body: None,
            body_truncated: false,
        });
        check(&ev).result
    }

    #[test]
    fn values() {
        assert_eq!(
            with(None, false),
            AnyResult::Cors(CorsResult::NotImplemented)
        );
        assert_eq!(
            with(Some("*"), false),
            AnyResult::Cors(CorsResult::ImplementedWithPublicAccess)
        );
        assert_eq!(
            with(Some("https://a.example"), false),
            AnyResult::Cors(CorsResult::ImplementedWithRestrictedAccess)
        );
        assert_eq!(
            with(Some("https://http-observatory.security.mozilla.org"), true),
            AnyResult::Cors(CorsResult::ImplementedWithRestrictedAccess)
        );
        let mut ev = benign();
        ev.preflight = None;
        assert_eq!(
            check(&ev).result,
            AnyResult::Cors(CorsResult::NotImplemented)
        );
    }
}
