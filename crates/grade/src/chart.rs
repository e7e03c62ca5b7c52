//! The grade chart: score (floored to a multiple of 5, capped at 100) to letter.

use vigil_model::Grade;

/// Bonuses only count when the score without them is at least this.
pub const MINIMUM_SCORE_FOR_EXTRA_CREDIT: i32 = 90;

/// The chart, highest first: (lowest score for the grade, grade).
const CHART: [(i32, Grade); 13] = [
    (100, Grade::APlus),
    (90, Grade::A),
    (85, Grade::AMinus),
    (80, Grade::BPlus),
    (70, Grade::B),
    (65, Grade::BMinus),
    (60, Grade::CPlus),
    (50, Grade::C),
    (45, Grade::CMinus),
    (40, Grade::DPlus),
    (30, Grade::D),
    (25, Grade::DMinus),
    (0, Grade::F),
];

/// Clamps a raw score at 0 and looks its grade up. Returns the clamped score and the grade.
pub fn grade_for_score(raw: i32) -> (i32, Grade) {
    let score = raw.max(0);
    let key = (score - score % 5).min(100);
    let grade = CHART
        .iter()
        .find(|(floor, _)| key >= *floor)
        .map_or(Grade::F, |(_, g)| *g);
    (score, grade)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_matches_the_reference_table() {
        let expect = [
            (145, "A+"),
            (100, "A+"),
            (99, "A"),
            (95, "A"),
            (90, "A"),
            (89, "A-"),
            (85, "A-"),
            (80, "B+"),
            (79, "B"),
            (75, "B"),
            (70, "B"),
            (65, "B-"),
            (60, "C+"),
            (55, "C"),
            (50, "C"),
            (45, "C-"),
            (40, "D+"),
            (35, "D"),
            (30, "D"),
            (25, "D-"),
            (24, "F"),
            (20, "F"),
            (0, "F"),
            (-40, "F"),
        ];
        for (s, g) in expect {
            assert_eq!(grade_for_score(s).1.as_str(), g, "score {s}");
        }
        assert_eq!(grade_for_score(-40).0, 0);
    }
}
