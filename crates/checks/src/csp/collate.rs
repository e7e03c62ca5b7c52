//! Sorting CSP sources the way `Intl.Collator("en").compare` (ICU, CLDR root order) does.
//!
//! Only the relative order of adjacent sources matters to the parser (the prefix and
//! cross-policy rules look at neighbours), so we reproduce ICU's primary order for ASCII —
//! punctuation and symbols first in CLDR's sequence, then digits, then letters ignoring case —
//! and fall back to code point order beyond ASCII.

use std::cmp::Ordering;

/// CLDR root order of the ASCII punctuation and symbols (all sort before digits and letters).
const PUNCTUATION: &str = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";

fn primary(c: char) -> (u8, u32) {
    if c.is_whitespace() || c.is_control() {
        return (0, c as u32);
    }
    if let Some(i) = PUNCTUATION.find(c) {
        return (1, i as u32);
    }
    if c.is_ascii_digit() {
        return (2, c as u32);
    }
    if c.is_ascii_alphabetic() {
        return (3, c.to_ascii_lowercase() as u32);
    }
    (4, c as u32)
}

/// Compares two sources in ICU English collation order (primary strength, then case, then code
/// points), so that sorting is stable and deterministic.
pub fn compare(a: &str, b: &str) -> Ordering {
    let pa = a.chars().map(primary);
    let pb = b.chars().map(primary);
    pa.cmp(pb).then_with(|| {
        // Tertiary: lower case before upper case at the first difference.
        let case = |c: char| u8::from(c.is_uppercase());
        a.chars().map(case).cmp(b.chars().map(case))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_then_digits_then_letters() {
        let mut v = vec![
            "https:",
            "'self'",
            "*",
            "data:",
            "1.example",
            "blob:",
            "'none'",
        ];
        v.sort_by(|a, b| compare(a, b));
        assert_eq!(
            v,
            vec![
                "'none'",
                "'self'",
                "*",
                "1.example",
                "blob:",
                "data:",
                "https:"
            ]
        );
    }

    #[test]
    fn prefix_sorts_first() {
        assert_eq!(compare("https:", "https://a"), Ordering::Less);
        assert_eq!(compare("a", "a"), Ordering::Equal);
        assert_eq!(compare("a-b", "a.b"), Ordering::Less);
    }
}
