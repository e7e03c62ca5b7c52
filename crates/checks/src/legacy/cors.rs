//! Legacy `cross-origin-resource-sharing`.
//!
//! Unlike the current test it reads `Access-Control-Allow-Origin` from a plain `GET /` sent
//! with an `Origin` header (not from an `OPTIONS` preflight), compares `*` without lower-casing,
//! can return `universal-access` (the origin reflected with credentials allowed), and also
//! grades `/crossdomain.xml` (Flash) and `/clientaccesspolicy.xml` (Silverlight): a `*` domain
//! in either is universal access (-50), any other domain restricted access. A policy file
//! Python's HTML parser cannot read gives `xml-not-parsable` (-20).

use super::html::{ParseError, start_tags};
use super::{LegacyOutcome, LegacyTest, Reqs, py};

const UNIVERSAL: &str = "cross-origin-resource-sharing-implemented-with-universal-access";
const RESTRICTED: &str = "cross-origin-resource-sharing-implemented-with-restricted-access";

/// The domains a policy file allows: `<allow-access-from domain>` (crossdomain.xml) or
/// `<domain uri>` (clientaccesspolicy.xml), stripped, empty ones skipped.
fn domains(text: Option<&str>, tag: &str, attr: &str) -> Result<Vec<String>, ParseError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    Ok(start_tags(text)?
        .iter()
        .filter(|t| t.name == tag)
        .filter_map(|t| t.get(attr).filter(|v| !v.is_empty()))
        .map(|v| py::strip(v).to_string())
        .collect())
}

/// The test.
pub fn check(r: &Reqs<'_>) -> LegacyOutcome {
    let mut result = "cross-origin-resource-sharing-not-implemented";
    if let Some(resp) = &r.ev.cors
        && let Some(acao) = py::header(resp, "access-control-allow-origin")
    {
        let allow = py::head(py::strip(&acao), 256);
        let credentials = py::header(resp, "access-control-allow-credentials")
            .is_some_and(|v| py::strip(&v.to_lowercase()) == "true");
        result = if allow == "*" {
            "cross-origin-resource-sharing-implemented-with-public-access"
        } else if acao == r.ev.cors_origin && credentials {
            UNIVERSAL
        } else {
            RESTRICTED
        };
    }
    let crossdomain = r
        .resource_text("/crossdomain.xml")
        .filter(|t| !t.is_empty());
    let clientaccess = r
        .resource_text("/clientaccesspolicy.xml")
        .filter(|t| !t.is_empty());
    if crossdomain.is_some() || clientaccess.is_some() {
        let all = domains(crossdomain, "allow-access-from", "domain").and_then(|mut cd| {
            cd.extend(domains(clientaccess, "domain", "uri")?);
            Ok(cd)
        });
        let all = match all {
            Ok(d) => d,
            Err(ParseError) => {
                result = "xml-not-parsable";
                Vec::new()
            }
        };
        if all.iter().any(|d| d == "*") {
            result = UNIVERSAL;
        } else if !all.is_empty() && result != UNIVERSAL {
            result = RESTRICTED;
        }
    }
    let pass = matches!(
        result,
        "cross-origin-resource-sharing-implemented-with-public-access"
            | RESTRICTED
            | "cross-origin-resource-sharing-not-implemented"
    );
    LegacyOutcome::new(LegacyTest::CrossOriginResourceSharing, result, pass)
}

#[cfg(test)]
mod tests {
    use super::super::kit::{resource, response, site};
    use super::*;

    fn with_acao(headers: &[(&str, &str)]) -> &'static str {
        let mut ev = site(&[], "");
        ev.cors = Some(response("https://example.org/", 200, headers, ""));
        check(&Reqs::new(&ev).unwrap()).result
    }

    #[test]
    fn header_results() {
        assert_eq!(
            with_acao(&[]),
            "cross-origin-resource-sharing-not-implemented"
        );
        assert_eq!(
            with_acao(&[("access-control-allow-origin", "*")]),
            "cross-origin-resource-sharing-implemented-with-public-access"
        );
        assert_eq!(
            with_acao(&[("access-control-allow-origin", "https://a.example")]),
            RESTRICTED
        );
        assert_eq!(
            with_acao(&[
                (
                    "access-control-allow-origin",
                    "https://http-observatory.security.mozilla.org"
                ),
                ("access-control-allow-credentials", "TRUE")
            ]),
            UNIVERSAL
        );
    }

    #[test]
    fn policy_files() {
        let mut ev = site(&[], "");
        resource(
            &mut ev,
            "/crossdomain.xml",
            "application/xml",
            r#"<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*" /></cross-domain-policy>"#,
        );
        assert_eq!(check(&Reqs::new(&ev).unwrap()).result, UNIVERSAL);
        let mut ev = site(&[], "");
        resource(
            &mut ev,
            "/clientaccesspolicy.xml",
            "application/xml",
            r#"<access-policy><cross-domain-access><policy><allow-from><domain uri="https://a.example"/></allow-from></policy></cross-domain-access></access-policy>"#,
        );
        assert_eq!(check(&Reqs::new(&ev).unwrap()).result, RESTRICTED);
        // A soft 404 (text/html for an .xml URL) is not a policy file.
        let mut ev = site(&[], "");
        resource(
            &mut ev,
            "/crossdomain.xml",
            "text/html",
            r#"<allow-access-from domain="*">"#,
        );
        assert_eq!(
            check(&Reqs::new(&ev).unwrap()).result,
            "cross-origin-resource-sharing-not-implemented"
        );
    }
}
