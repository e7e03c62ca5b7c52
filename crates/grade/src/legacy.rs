//! Legacy scoring: the 2017 Mozilla Observatory's 135-point scale (PyPI `httpobs` 0.9.3).
//!
//! Three differences from the current grading matter:
//! * the score table has the legacy results and modifiers (X-XSS-Protection, HPKP and
//!   contribute.json tests, no CORP, -5 for an invalid referrer policy, -20 for unparsable
//!   policy files ...);
//! * the score is 100 plus **every** modifier, as `httpobs.scanner.local.scan` computes it: the
//!   "bonuses only count from 90 up" rule belongs to the reference's database path, which a
//!   local scan never takes;
//! * the grade chart is the same one (floor to a multiple of 5, cap at 100, never below 0).

use crate::chart::grade_for_score;
use serde::{Deserialize, Serialize};
use vigil_checks::legacy::LegacyOutcome;
use vigil_model::{Grade, HttpEvidence, SiteError};

/// Every legacy result and its score modifier (the reference's `SCORE_TABLE`).
pub const LEGACY_SCORE_TABLE: [(&str, i32); 80] = [
    ("contribute-json-with-required-keys", 0),
    ("contribute-json-only-required-on-mozilla-properties", 0),
    ("contribute-json-missing-required-keys", -5),
    ("contribute-json-not-implemented", -5),
    ("contribute-json-invalid-json", -10),
    ("csp-implemented-with-no-unsafe-default-src-none", 10),
    ("csp-implemented-with-no-unsafe", 5),
    ("csp-implemented-with-unsafe-inline-in-style-src-only", 0),
    (
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
        -10,
    ),
    ("csp-implemented-with-unsafe-eval", -10),
    ("csp-implemented-with-unsafe-inline", -20),
    ("csp-implemented-with-insecure-scheme", -20),
    ("csp-header-invalid", -25),
    ("csp-not-implemented", -25),
    ("cookies-secure-with-httponly-sessions-and-samesite", 5),
    ("cookies-secure-with-httponly-sessions", 0),
    ("cookies-not-found", 0),
    ("cookies-without-secure-flag-but-protected-by-hsts", -5),
    (
        "cookies-session-without-secure-flag-but-protected-by-hsts",
        -10,
    ),
    ("cookies-without-secure-flag", -20),
    ("cookies-samesite-flag-invalid", -20),
    ("cookies-anticsrf-without-samesite-flag", -20),
    ("cookies-session-without-httponly-flag", -30),
    ("cookies-session-without-secure-flag", -40),
    ("cross-origin-resource-sharing-not-implemented", 0),
    (
        "cross-origin-resource-sharing-implemented-with-public-access",
        0,
    ),
    (
        "cross-origin-resource-sharing-implemented-with-restricted-access",
        0,
    ),
    (
        "cross-origin-resource-sharing-implemented-with-universal-access",
        -50,
    ),
    ("hpkp-preloaded", 0),
    ("hpkp-implemented-max-age-at-least-fifteen-days", 0),
    ("hpkp-implemented-max-age-less-than-fifteen-days", 0),
    ("hpkp-not-implemented", 0),
    ("hpkp-not-implemented-no-https", 0),
    ("hpkp-invalid-cert", 0),
    ("hpkp-header-invalid", -5),
    ("redirection-all-redirects-preloaded", 0),
    ("redirection-to-https", 0),
    ("redirection-not-needed-no-http", 0),
    ("redirection-off-host-from-http", -5),
    ("redirection-not-to-https-on-initial-redirection", -10),
    ("redirection-not-to-https", -20),
    ("redirection-missing", -20),
    ("redirection-invalid-cert", -20),
    ("referrer-policy-private", 5),
    ("referrer-policy-no-referrer-when-downgrade", 0),
    ("referrer-policy-not-implemented", 0),
    ("referrer-policy-unsafe", -5),
    ("referrer-policy-header-invalid", -5),
    ("hsts-preloaded", 5),
    ("hsts-implemented-max-age-at-least-six-months", 0),
    ("hsts-implemented-max-age-less-than-six-months", -10),
    ("hsts-not-implemented", -20),
    ("hsts-header-invalid", -20),
    ("hsts-not-implemented-no-https", -20),
    ("hsts-invalid-cert", -20),
    ("sri-implemented-and-all-scripts-loaded-securely", 5),
    ("sri-implemented-and-external-scripts-loaded-securely", 5),
    ("sri-not-implemented-response-not-html", 0),
    ("sri-not-implemented-but-no-scripts-loaded", 0),
    (
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        0,
    ),
    (
        "sri-not-implemented-but-external-scripts-loaded-securely",
        -5,
    ),
    (
        "sri-implemented-but-external-scripts-not-loaded-securely",
        -20,
    ),
    (
        "sri-not-implemented-and-external-scripts-not-loaded-securely",
        -50,
    ),
    ("x-content-type-options-nosniff", 0),
    ("x-content-type-options-not-implemented", -5),
    ("x-content-type-options-header-invalid", -5),
    ("x-frame-options-implemented-via-csp", 5),
    ("x-frame-options-sameorigin-or-deny", 0),
    ("x-frame-options-allow-from-origin", 0),
    ("x-frame-options-not-implemented", -20),
    ("x-frame-options-header-invalid", -20),
    ("x-xss-protection-enabled-mode-block", 0),
    ("x-xss-protection-enabled", 0),
    ("x-xss-protection-not-needed-due-to-csp", 0),
    ("x-xss-protection-disabled", -10),
    ("x-xss-protection-not-implemented", -10),
    ("x-xss-protection-header-invalid", -10),
    ("html-not-parsable", -20),
    ("request-did-not-return-status-code-200", -5),
    ("xml-not-parsable", -20),
];

/// The modifier of a legacy result, `None` for a string the reference does not know.
pub fn legacy_modifier(result: &str) -> Option<i32> {
    LEGACY_SCORE_TABLE
        .iter()
        .find(|(r, _)| *r == result)
        .map(|(_, m)| *m)
}

/// Every legacy result string with its modifier.
pub fn legacy_results() -> impl Iterator<Item = (&'static str, i32)> {
    LEGACY_SCORE_TABLE.iter().copied()
}

/// The best legacy score: 100 + 10 (CSP) + 5 (cookies) + 5 (referrer) + 5 (HSTS preloaded)
/// + 5 (SRI) + 5 (XFO via CSP).
pub const LEGACY_MAXIMUM_SCORE: i32 = 135;

/// One legacy test in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyTestScore {
    /// Test name (`content-security-policy`, `x-xss-protection` ...).
    pub test: String,
    /// Result string.
    pub result: String,
    /// Score modifier from the legacy table.
    pub score_modifier: i32,
    /// The test's pass value.
    pub pass: bool,
}

/// A legacy scan's grade, shaped like the reference's output (snake_case keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyReport {
    /// 100 plus every modifier, at least 0 (at most 135).
    pub score: i32,
    /// Letter grade.
    pub grade: Grade,
    /// Tests with `pass == true`.
    pub tests_passed: u32,
    /// Tests with `pass == false`.
    pub tests_failed: u32,
    /// Number of tests (12).
    pub tests_quantity: u32,
    /// The twelve tests in the reference's order.
    pub tests: Vec<LegacyTestScore>,
}

/// Scores legacy outcomes with the `local.scan` rule: every modifier counts.
pub fn legacy_grade(outcomes: &[LegacyOutcome]) -> LegacyReport {
    let mut raw = 100i32;
    let mut passed = 0u32;
    let tests: Vec<LegacyTestScore> = outcomes
        .iter()
        .map(|o| {
            // Every result a legacy check returns is in the table; 0 keeps an unknown string
            // from failing a whole report.
            let modifier = legacy_modifier(o.result).unwrap_or(0);
            raw += modifier;
            passed += u32::from(o.pass);
            LegacyTestScore {
                test: o.test.as_str().to_string(),
                result: o.result.to_string(),
                score_modifier: modifier,
                pass: o.pass,
            }
        })
        .collect();
    let (score, grade) = grade_for_score(raw);
    let quantity = u32::try_from(tests.len()).unwrap_or(u32::MAX);
    LegacyReport {
        score,
        grade,
        tests_passed: passed,
        tests_failed: quantity.saturating_sub(passed),
        tests_quantity: quantity,
        tests,
    }
}

/// Runs the legacy tests on `ev` and grades them: the whole `--scoring legacy` pipeline after
/// retrieval. `ev` must come from a probe run with `ProbeConfig::legacy` set; evidence without
/// legacy data, like a site where neither legacy session answered, gives
/// `Err(SiteError::SiteDown)` (the reference's `{"error": "site down"}`).
pub fn legacy_report(ev: &HttpEvidence) -> Result<LegacyReport, SiteError> {
    vigil_checks::legacy::run_all(ev).map(|o| legacy_grade(&o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_checks::legacy::{LegacyOutcome, LegacyTest};

    fn outcomes(results: [&'static str; 12]) -> Vec<LegacyOutcome> {
        LegacyTest::ALL
            .iter()
            .zip(results)
            .map(|(t, r)| LegacyOutcome {
                test: *t,
                result: r,
                pass: legacy_modifier(r).unwrap_or(-1) >= 0,
            })
            .collect()
    }

    const BEST: [&str; 12] = [
        "csp-implemented-with-no-unsafe-default-src-none",
        "cookies-secure-with-httponly-sessions-and-samesite",
        "contribute-json-only-required-on-mozilla-properties",
        "cross-origin-resource-sharing-not-implemented",
        "hpkp-not-implemented",
        "redirection-to-https",
        "referrer-policy-private",
        "hsts-preloaded",
        "sri-implemented-and-all-scripts-loaded-securely",
        "x-content-type-options-nosniff",
        "x-frame-options-implemented-via-csp",
        "x-xss-protection-not-needed-due-to-csp",
    ];

    #[test]
    fn maximum_is_135() {
        let r = legacy_grade(&outcomes(BEST));
        assert_eq!((r.score, r.grade), (LEGACY_MAXIMUM_SCORE, Grade::APlus));
        assert_eq!(
            (r.tests_passed, r.tests_failed, r.tests_quantity),
            (12, 0, 12)
        );
    }

    #[test]
    fn bonuses_count_below_90_too() {
        let mut res = BEST;
        res[5] = "redirection-missing";
        res[9] = "x-content-type-options-not-implemented";
        res[11] = "x-xss-protection-not-implemented";
        res[3] = "cross-origin-resource-sharing-implemented-with-universal-access";
        // 100 + 35 (bonuses) - 20 - 5 - 10 - 50 = 50: the current curve would give 15.
        let r = legacy_grade(&outcomes(res));
        assert_eq!((r.score, r.grade), (50, Grade::C));
    }

    #[test]
    fn every_result_has_one_modifier() {
        let all: Vec<_> = legacy_results().collect();
        assert_eq!(all.len(), 80);
        for (i, (r, _)) in all.iter().enumerate() {
            assert!(!all[..i].iter().any(|(o, _)| o == r), "{r} twice");
        }
        assert_eq!(legacy_modifier("xml-not-parsable"), Some(-20));
        assert_eq!(legacy_modifier("corp-not-implemented"), None);
    }

    #[test]
    fn report_serialises_in_the_legacy_shape() {
        let r = legacy_grade(&outcomes(BEST));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["grade"], "A+");
        assert_eq!(v["tests"][0]["test"], "content-security-policy");
        assert_eq!(v["tests"][0]["score_modifier"], 10);
        assert!(v.get("tests_quantity").is_some());
    }

    #[test]
    fn evidence_without_legacy_data_is_site_down() {
        let ev = HttpEvidence {
            host: "example.org".into(),
            http: None,
            http_failure: None,
            https: None,
            https_failure: None,
            preflight: None,
            robots_status: None,
            elapsed_ms: 0,
            legacy: None,
        };
        assert_eq!(legacy_report(&ev), Err(SiteError::SiteDown));
    }
}
