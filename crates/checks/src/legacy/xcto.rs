//! Legacy `x-content-type-options`: present but empty is invalid (not "not implemented").

use super::{LegacyOutcome, LegacyTest, Reqs, py};

/// The test.
pub fn check(r: &Reqs<'_>) -> LegacyOutcome {
    let result = match r.header("x-content-type-options") {
        None => "x-content-type-options-not-implemented",
        Some(v) if py::strip(py::head(&v, 256)).to_lowercase() == "nosniff" => {
            "x-content-type-options-nosniff"
        }
        Some(_) => "x-content-type-options-header-invalid",
    };
    LegacyOutcome::new(
        LegacyTest::XContentTypeOptions,
        result,
        result == "x-content-type-options-nosniff",
    )
}

#[cfg(test)]
mod tests {
    use super::super::kit::site;
    use super::*;

    #[test]
    fn results() {
        let r = |h: &[(&str, &str)]| {
            let ev = site(h, "");
            check(&Reqs::new(&ev).unwrap()).result
        };
        assert_eq!(r(&[]), "x-content-type-options-not-implemented");
        assert_eq!(
            r(&[("x-content-type-options", " NoSniff ")]),
            "x-content-type-options-nosniff"
        );
        assert_eq!(
            r(&[("x-content-type-options", "")]),
            "x-content-type-options-header-invalid"
        );
        assert_eq!(
            r(&[
                ("x-content-type-options", "nosniff"),
                ("x-content-type-options", "nosniff")
            ]),
            "x-content-type-options-header-invalid"
        );
    }
}
