//! Pure scoring for the Observatory tests: the score table and the grade chart, as data.
//!
//! `grade` never looks at evidence; it maps result ids to modifiers and pass values and applies
//! the reference's curve (bonuses count only when penalties leave at least 90 points).
#![forbid(unsafe_code)]

pub mod advice;
mod chart;
pub mod legacy;
pub mod mastodon;
mod table;

pub use advice::{Advice, OtherServers, advice, max_modifier, other_servers};
pub use chart::{MINIMUM_SCORE_FOR_EXTRA_CREDIT, grade_for_score};
pub use legacy::{LegacyReport, LegacyTestScore, legacy_report};
pub use table::{Score, score};

use vigil_model::{OBSERVATORY_ALGORITHM_VERSION, ObservatoryReport, TestOutcome, TestScore};

/// Scores the ten outcomes (in any order; output follows the order given).
pub fn grade(outcomes: &[TestOutcome]) -> ObservatoryReport {
    let mut with_extra = 100i32;
    let mut uncurved = 100i32;
    let mut passed = 0u32;
    let mut tests = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let s = score(outcome.result);
        with_extra += s.modifier;
        if s.modifier < 0 {
            uncurved += s.modifier;
        }
        if s.pass {
            passed += 1;
        }
        tests.push(TestScore {
            test: outcome.test(),
            outcome: outcome.clone(),
            modifier: s.modifier,
            pass: s.pass,
        });
    }
    let raw = if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT {
        with_extra
    } else {
        uncurved
    };
    let (score, grade) = grade_for_score(raw);
    let quantity = u32::try_from(outcomes.len()).unwrap_or(u32::MAX);
    ObservatoryReport {
        algorithm_version: OBSERVATORY_ALGORITHM_VERSION,
        score,
        grade,
        tests_passed: passed,
        tests_failed: quantity.saturating_sub(passed),
        tests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::results::*;
    use vigil_model::{AnyResult, Grade};

    fn best() -> Vec<TestOutcome> {
        [
            AnyResult::Csp(CspResult::ImplementedWithNoUnsafeDefaultSrcNone),
            AnyResult::Cookies(CookiesResult::SecureWithHttponlySessionsAndSamesite),
            AnyResult::Cors(CorsResult::NotImplemented),
            AnyResult::Redirection(RedirectionResult::ToHttps),
            AnyResult::Referrer(ReferrerResult::Private),
            AnyResult::Hsts(HstsResult::Preloaded),
            AnyResult::Sri(SriResult::ImplementedAndAllScriptsLoadedSecurely),
            AnyResult::Xcto(XctoResult::Nosniff),
            AnyResult::Xfo(XfoResult::ImplementedViaCsp),
            AnyResult::Corp(CorpResult::ImplementedWithSameOrigin),
        ]
        .into_iter()
        .map(TestOutcome::bare)
        .collect()
    }

    #[test]
    fn maximum_is_145() {
        let r = grade(&best());
        assert_eq!(
            (r.score, r.grade, r.tests_passed, r.tests_failed),
            (145, Grade::APlus, 10, 0)
        );
    }

    #[test]
    fn bonuses_kept_at_exactly_90_dropped_at_85() {
        let mut o = best();
        o[5] = TestOutcome::bare(AnyResult::Hsts(
            HstsResult::ImplementedMaxAgeLessThanSixMonths,
        ));
        // -10 penalty: uncurved 90 keeps bonuses: 100 + 40 - 10 = 130
        assert_eq!(grade(&o).score, 130);
        o[6] = TestOutcome::bare(AnyResult::Sri(
            SriResult::NotImplementedButExternalScriptsLoadedSecurely,
        ));
        // -15 in penalties: uncurved 85, bonuses dropped
        assert_eq!(grade(&o).score, 85);
        assert_eq!(grade(&o).grade, Grade::AMinus);
    }

    #[test]
    fn score_never_negative() {
        let mut o = best();
        o[2] = TestOutcome::bare(AnyResult::Cors(CorsResult::ImplementedWithUniversalAccess));
        o[6] = TestOutcome::bare(AnyResult::Sri(
            SriResult::NotImplementedAndExternalScriptsNotLoadedSecurely,
        ));
        o[1] = TestOutcome::bare(AnyResult::Cookies(CookiesResult::SessionWithoutSecureFlag));
        let r = grade(&o);
        assert_eq!(r.score, 0);
        assert_eq!(r.grade, Grade::F);
    }
}
