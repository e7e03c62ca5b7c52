//! Legacy `x-xss-protection`, a header browsers no longer honour.
//!
//! `1; mode=block` and `1` pass with 0 points; a passing CSP also passes when the header is
//! missing or `0`. Missing, `0` and invalid values otherwise cost 10 points. The parser is
//! strict: every `;`-separated part must be `0`, `1`, `mode=block` or `report=...`, once each,
//! so a trailing `;` makes the header invalid.

use super::csp::CspAnalysis;
use super::{LegacyOutcome, LegacyTest, Reqs, py};

const VALID_DIRECTIVES: [&str; 4] = ["0", "1", "mode", "report"];

/// `Some(mode)` when the header parses, `None` when it is invalid.
fn parse(header: &str) -> Option<Option<String>> {
    if !header.starts_with(['0', '1']) {
        return None;
    }
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    for directive in header.to_lowercase().split(';') {
        let (k, v) = if directive.contains('=') {
            let parts: Vec<&str> = directive.split('=').map(py::strip).collect();
            match parts.as_slice() {
                [k, v] => (k.to_string(), Some(v.to_string())),
                _ => return None,
            }
        } else {
            (py::strip(directive).to_string(), None)
        };
        if !VALID_DIRECTIVES.contains(&k.as_str()) {
            return None;
        }
        if k == "mode" && v.as_deref() != Some("block") {
            return None;
        }
        if seen.iter().any(|(s, _)| *s == k) {
            return None;
        }
        seen.push((k, v));
    }
    Some(
        seen.into_iter()
            .find(|(k, _)| k == "mode")
            .and_then(|(_, v)| v),
    )
}

/// The test; `csp` is the legacy CSP analysis of the same evidence.
pub fn check(r: &Reqs<'_>, csp: &CspAnalysis) -> LegacyOutcome {
    let header = r.header("x-xss-protection").unwrap_or_default();
    let header = py::strip(&header);
    let (mut result, mut pass, valid) = if header.is_empty() {
        ("x-xss-protection-not-implemented", false, true)
    } else {
        let enabled = header.starts_with('1');
        match parse(header) {
            None => ("x-xss-protection-header-invalid", false, false),
            Some(mode) if enabled && mode.as_deref() == Some("block") => {
                ("x-xss-protection-enabled-mode-block", true, true)
            }
            Some(_) if enabled => ("x-xss-protection-enabled", true, true),
            Some(_) => ("x-xss-protection-disabled", false, true),
        }
    };
    if valid && !pass && csp.outcome.pass {
        result = "x-xss-protection-not-needed-due-to-csp";
        pass = true;
    }
    LegacyOutcome::new(LegacyTest::XXssProtection, result, pass)
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
        assert_eq!(result(&[]), "x-xss-protection-not-implemented");
        assert_eq!(
            result(&[("x-xss-protection", "1; mode=block")]),
            "x-xss-protection-enabled-mode-block"
        );
        assert_eq!(
            result(&[("x-xss-protection", "1")]),
            "x-xss-protection-enabled"
        );
        assert_eq!(
            result(&[("x-xss-protection", "0")]),
            "x-xss-protection-disabled"
        );
        assert_eq!(
            result(&[("x-xss-protection", "1; mode=block;")]),
            "x-xss-protection-header-invalid"
        );
        assert_eq!(
            result(&[("x-xss-protection", "1; mode=allow")]),
            "x-xss-protection-header-invalid"
        );
        let csp = ("content-security-policy", "default-src 'none'");
        assert_eq!(result(&[csp]), "x-xss-protection-not-needed-due-to-csp");
        assert_eq!(
            result(&[csp, ("x-xss-protection", "0")]),
            "x-xss-protection-not-needed-due-to-csp"
        );
        assert_eq!(
            result(&[csp, ("x-xss-protection", "2")]),
            "x-xss-protection-header-invalid"
        );
    }
}
