//! What the checks return and what grading makes of it.
//!
//! A [`TestOutcome`] is a result id plus the informational fields the reference prints beside it
//! (`data`, `policy`, `route` ...). Grading adds the modifier and pass value from the score
//! table and produces an [`ObservatoryReport`].

use crate::results::{AnyResult, TestId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One test's verdict before scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestOutcome {
    /// The result id.
    pub result: AnyResult,
    /// Extra fields in the reference's order (for the Observatory output and the report).
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl TestOutcome {
    /// An outcome without extra fields.
    pub fn bare(result: AnyResult) -> Self {
        TestOutcome {
            result,
            data: serde_json::Map::new(),
        }
    }

    /// The test the outcome belongs to.
    pub fn test(&self) -> TestId {
        self.result.test()
    }
}

/// Why the reference refuses to scan a site (its two exact messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SiteError {
    /// Neither session got a final response.
    SiteDown,
    /// The final response's status is below 200, or 400+ other than 401/403.
    UnexpectedStatus {
        /// The status received.
        status: u16,
    },
}

impl fmt::Display for SiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteError::SiteDown => f.write_str("The site seems to be down."),
            SiteError::UnexpectedStatus { status } => {
                write!(
                    f,
                    "Site did respond with an unexpected HTTP status code {status}."
                )
            }
        }
    }
}

/// A letter grade, best first (so `Ord` puts A+ lowest; use [`Grade::at_least`]).
///
/// One scale for every letter Vigil prints, so a `--min-grade` floor compares with any of them:
/// the Observatory uses A+ … D- and F, the composite rating A+, A, B, C, D, E and F, and the
/// SSL Labs-style TLS grade A+ … F with E (its T and M are trust verdicts, not letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grade {
    /// A+
    APlus,
    /// A
    A,
    /// A-
    AMinus,
    /// B+
    BPlus,
    /// B
    B,
    /// B-
    BMinus,
    /// C+
    CPlus,
    /// C
    C,
    /// C-
    CMinus,
    /// D+
    DPlus,
    /// D
    D,
    /// D-
    DMinus,
    /// E (the composite rating and TLS grades only; the Observatory never gives it)
    E,
    /// F
    F,
}

impl Grade {
    /// All grades, best first.
    pub const ALL: [Grade; 14] = [
        Grade::APlus,
        Grade::A,
        Grade::AMinus,
        Grade::BPlus,
        Grade::B,
        Grade::BMinus,
        Grade::CPlus,
        Grade::C,
        Grade::CMinus,
        Grade::DPlus,
        Grade::D,
        Grade::DMinus,
        Grade::E,
        Grade::F,
    ];

    /// The printed letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::APlus => "A+",
            Grade::A => "A",
            Grade::AMinus => "A-",
            Grade::BPlus => "B+",
            Grade::B => "B",
            Grade::BMinus => "B-",
            Grade::CPlus => "C+",
            Grade::C => "C",
            Grade::CMinus => "C-",
            Grade::DPlus => "D+",
            Grade::D => "D",
            Grade::DMinus => "D-",
            Grade::E => "E",
            Grade::F => "F",
        }
    }

    /// Parses a printed letter (case-insensitive).
    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// True when `self` is as good as `floor` or better.
    pub fn at_least(self, floor: Grade) -> bool {
        self <= floor
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Grade {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Grade {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Grade::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown grade {s:?}")))
    }
}

/// One test after scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestScore {
    /// The test.
    pub test: TestId,
    /// The verdict and its extra fields.
    pub outcome: TestOutcome,
    /// The score modifier from the table.
    pub modifier: i32,
    /// Whether the test passes.
    pub pass: bool,
}

/// The graded Observatory part of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservatoryReport {
    /// Scoring algorithm version (4).
    pub algorithm_version: u32,
    /// Final score (>= 0, at most 145).
    pub score: i32,
    /// Letter grade.
    pub grade: Grade,
    /// Tests with `pass == true`.
    pub tests_passed: u32,
    /// Tests with `pass == false`.
    pub tests_failed: u32,
    /// Every test, in output order.
    pub tests: Vec<TestScore>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_order_and_parse() {
        assert!(Grade::APlus.at_least(Grade::B));
        assert!(Grade::B.at_least(Grade::B));
        assert!(!Grade::BMinus.at_least(Grade::B));
        assert_eq!(Grade::parse("a+"), Some(Grade::APlus));
        assert_eq!(Grade::parse("Z"), None);
        // The composite rating's E sits between D- and F, so a floor of B rejects it.
        assert_eq!(Grade::parse("e"), Some(Grade::E));
        assert!(!Grade::E.at_least(Grade::B));
        assert!(!Grade::E.at_least(Grade::DMinus));
        assert!(Grade::E.at_least(Grade::F));
    }

    #[test]
    fn site_error_messages_are_exact() {
        assert_eq!(
            SiteError::SiteDown.to_string(),
            "The site seems to be down."
        );
        assert_eq!(
            SiteError::UnexpectedStatus { status: 404 }.to_string(),
            "Site did respond with an unexpected HTTP status code 404."
        );
    }
}
