//! Legacy `referrer-policy`.
//!
//! It reads the `Referrer-Policy` header and the meta tags Python's parser found
//! (`<meta http-equiv=Referrer-Policy>` as well as `<meta name=referrer>`, the last one wins).
//! The meta value comes after the header value, the last recognised token decides, and
//! `no-referrer-when-downgrade` has a result of its own that passes with 0 points.

use super::{LegacyOutcome, LegacyTest, Reqs, py};

const GOOD: [&str; 4] = [
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
];
const BAD: [&str; 3] = ["origin", "origin-when-cross-origin", "unsafe-url"];

/// The test.
pub fn check(r: &Reqs<'_>) -> LegacyOutcome {
    let header = r.header("referrer-policy");
    let meta = r.http_equiv.get("referrer-policy");
    let data = match (&header, meta) {
        (Some(h), Some(m)) => format!("{h}, {m}"),
        // An empty meta alone makes the reference crash (`None[0:256]`): read as invalid.
        (None, Some(m)) => m.to_string(),
        (Some(h), None) => h.clone(),
        (None, None) => {
            return LegacyOutcome::new(
                LegacyTest::ReferrerPolicy,
                "referrer-policy-not-implemented",
                true,
            );
        }
    };
    let data = py::head(&data, 256).to_lowercase();
    let last = data
        .split(',')
        .map(py::strip)
        .rfind(|t| GOOD.contains(t) || BAD.contains(t) || *t == "no-referrer-when-downgrade");
    let result = match last {
        Some(t) if GOOD.contains(&t) => "referrer-policy-private",
        Some("no-referrer-when-downgrade") => "referrer-policy-no-referrer-when-downgrade",
        Some(_) => "referrer-policy-unsafe",
        None => "referrer-policy-header-invalid",
    };
    let pass = matches!(
        result,
        "referrer-policy-private" | "referrer-policy-no-referrer-when-downgrade"
    );
    LegacyOutcome::new(LegacyTest::ReferrerPolicy, result, pass)
}

#[cfg(test)]
mod tests {
    use super::super::kit::site;
    use super::*;

    fn result(headers: &[(&str, &str)], body: &str) -> &'static str {
        let ev = site(headers, body);
        check(&Reqs::new(&ev).unwrap()).result
    }

    #[test]
    fn results() {
        assert_eq!(result(&[], ""), "referrer-policy-not-implemented");
        assert_eq!(
            result(&[("referrer-policy", "no-referrer, bogus")], ""),
            "referrer-policy-private"
        );
        assert_eq!(
            result(&[("referrer-policy", "NO-REFERRER-WHEN-DOWNGRADE")], ""),
            "referrer-policy-no-referrer-when-downgrade"
        );
        assert_eq!(
            result(&[("referrer-policy", "bogus")], ""),
            "referrer-policy-header-invalid"
        );
        let html = ("content-type", "text/html");
        assert_eq!(
            result(
                &[html, ("referrer-policy", "unsafe-url")],
                r#"<meta http-equiv="Referrer-Policy" content="no-referrer">"#
            ),
            "referrer-policy-private"
        );
        assert_eq!(
            result(
                &[html],
                r#"<meta name="referrer" content="no-referrer"><meta name="REFERRER" content="origin">"#
            ),
            "referrer-policy-unsafe"
        );
    }
}
