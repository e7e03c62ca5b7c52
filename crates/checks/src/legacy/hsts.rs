//! Legacy `strict-transport-security`.
//!
//! Differences from the current test: `max-age` must be a Python integer (`max-age=abc` and
//! `max-age="31536000"` are invalid) and non-zero (`max-age=0` is invalid rather than "less
//! than six months"); a comma anywhere is invalid as before. The preload list is the same
//! Chromium list the current test uses, looked up with the final URL's netloc.

use super::{LegacyOutcome, LegacyTest, Reqs, py};
use crate::preload;

const SIX_MONTHS: i64 = 15_552_000;

/// The header's verdict.
fn parse(value: &str) -> &'static str {
    let data = py::head(value, 1024);
    if data.contains(',') {
        return "hsts-header-invalid";
    }
    let mut max_age: Option<i64> = None;
    for part in data.split(';') {
        let p = py::strip(&part.to_lowercase()).to_string();
        if p.starts_with("max-age=") {
            match py::int(py::slice(&p, 8, 128)) {
                Some(n) => max_age = Some(n),
                None => return "hsts-header-invalid",
            }
        }
    }
    match max_age.filter(|m| *m != 0) {
        None => "hsts-header-invalid",
        Some(m) if m < SIX_MONTHS => "hsts-implemented-max-age-less-than-six-months",
        Some(_) => "hsts-implemented-max-age-at-least-six-months",
    }
}

/// The test.
pub fn check(r: &Reqs<'_>) -> LegacyOutcome {
    let mut result = match &r.ev.https {
        None => "hsts-not-implemented-no-https",
        Some(s) if !s.verified => "hsts-invalid-cert",
        Some(s) => match py::header(&s.last, "strict-transport-security") {
            None => "hsts-not-implemented",
            Some(v) => parse(&v),
        },
    };
    if let Some(s) = &r.ev.https {
        let netloc = py::urlparse(&s.last.url)
            .map(|u| u.netloc)
            .unwrap_or_default();
        if !netloc.is_empty() && preload::preloaded(&netloc).is_some() {
            result = "hsts-preloaded";
        }
    }
    let pass = matches!(
        result,
        "hsts-implemented-max-age-at-least-six-months" | "hsts-preloaded"
    );
    LegacyOutcome::new(LegacyTest::StrictTransportSecurity, result, pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rules() {
        assert_eq!(
            parse("max-age=15552000"),
            "hsts-implemented-max-age-at-least-six-months"
        );
        assert_eq!(
            parse("max-age=15551999; includeSubDomains"),
            "hsts-implemented-max-age-less-than-six-months"
        );
        assert_eq!(parse("max-age=0"), "hsts-header-invalid");
        assert_eq!(parse("max-age=abc"), "hsts-header-invalid");
        assert_eq!(parse("max-age=\"31536000\""), "hsts-header-invalid");
        assert_eq!(parse("max-age = 1"), "hsts-header-invalid");
        assert_eq!(parse("max-age=1, max-age=2"), "hsts-header-invalid");
        assert_eq!(
            parse("MAX-AGE= 31536000 "),
            "hsts-implemented-max-age-at-least-six-months"
        );
    }
}
