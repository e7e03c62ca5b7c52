//! The score table, the model's result enums and the reference's list of result strings
//! (`tests/data/observatory-results.json`, from the conformance kit) must cover each other.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use vigil_grade::score;
use vigil_model::{AnyResult, TestId};

fn reference() -> serde_json::Map<String, serde_json::Value> {
    let text = include_str!("data/observatory-results.json");
    serde_json::from_str(text).expect("results list is JSON")
}

#[test]
fn every_reference_result_is_modelled_under_its_test() {
    for (test, results) in reference() {
        let id = TestId::from_name(&test).unwrap_or_else(|| panic!("unknown test {test}"));
        let want: BTreeSet<String> = results
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v.as_str().expect("string").to_string())
            .collect();
        let have: BTreeSet<String> = id
            .results()
            .iter()
            .map(|r| r.as_str().to_string())
            .collect();
        assert_eq!(want, have, "results of {test}");
    }
}

#[test]
fn every_test_is_in_the_reference_list() {
    let reference = reference();
    for t in TestId::ALL {
        assert!(reference.contains_key(t.as_str()), "{t:?}");
    }
}

#[test]
fn table_has_a_passing_result_for_every_test_and_failures_never_gain_points() {
    for r in AnyResult::all() {
        let s = score(r);
        if !s.pass {
            assert!(s.modifier <= 0, "{} fails but gains points", r.as_str());
        }
    }
    for t in TestId::ALL {
        assert!(
            t.results().iter().any(|r| score(*r).pass),
            "{t:?} can never pass"
        );
    }
}
