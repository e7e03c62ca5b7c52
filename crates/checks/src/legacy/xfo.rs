//! Legacy `x-frame-options`: `ALLOW-FROM` needs a following space, and a CSP whose parsed map
//! has a `frame-ancestors` directive (any value, header or meta) overrides everything with
//! `implemented-via-csp` (+5).

use super::csp::CspAnalysis;
use super::{LegacyOutcome, LegacyTest, Reqs, py};

/// The test; `csp` is the legacy CSP analysis of the same evidence.
pub fn check(r: &Reqs<'_>, csp: &CspAnalysis) -> LegacyOutcome {
    let mut result = match r.header("x-frame-options") {
        None => "x-frame-options-not-implemented",
        Some(v) => {
            let xfo = py::strip(py::head(&v, 1024)).to_lowercase();
            if xfo == "deny" || xfo == "sameorigin" {
                "x-frame-options-sameorigin-or-deny"
            } else if xfo.starts_with("allow-from ") {
                "x-frame-options-allow-from-origin"
            } else {
                "x-frame-options-header-invalid"
            }
        }
    };
    if csp.frame_ancestors {
        result = "x-frame-options-implemented-via-csp";
    }
    let pass = matches!(
        result,
        "x-frame-options-allow-from-origin"
            | "x-frame-options-sameorigin-or-deny"
            | "x-frame-options-implemented-via-csp"
    );
    LegacyOutcome::new(LegacyTest::XFrameOptions, result, pass)
}

#[cfg(test)]
mod tests {
    use super::super::csp::analyze;
    use super::super::kit::site;
    use super::*;

    fn result(h: &[(&str, &str)]) -> &'static str {
        let ev = site(h, "");
        let r = Reqs::new(&ev).unwrap();
        check(&r, &analyze(&r)).result
    }

    #[test]
    fn results() {
        assert_eq!(result(&[]), "x-frame-options-not-implemented");
        assert_eq!(
            result(&[("x-frame-options", "DENY")]),
            "x-frame-options-sameorigin-or-deny"
        );
        assert_eq!(
            result(&[("x-frame-options", "ALLOW-FROM https://a")]),
            "x-frame-options-allow-from-origin"
        );
        assert_eq!(
            result(&[("x-frame-options", "allow-from")]),
            "x-frame-options-header-invalid"
        );
        assert_eq!(
            result(&[
                ("x-frame-options", "bogus"),
                (
                    "content-security-policy",
                    "default-src 'self' 'unsafe-inline'; frame-ancestors *"
                )
            ]),
            "x-frame-options-implemented-via-csp"
        );
    }
}
