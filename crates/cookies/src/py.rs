//! Python's text rules that the legacy (2017, Python) Observatory applies to cookies and
//! headers: `str.isspace()`, `str.strip()` and base-10 `int()`. Shared by the legacy cookie jar
//! in `vigil-probe` and the legacy checks in `vigil-checks`.

/// `str.isspace()` for one character: what `strip()`, `split()` and regex `\s` match.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `str.strip()` without arguments.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `int(text)` in base 10: surrounding whitespace, an optional sign, digits with single
/// underscores between them. Saturates where Python would grow without bound.
pub fn int(text: &str) -> Option<i64> {
    let t = strip(text);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..)?),
        Some(b'+') => (false, t.get(1..)?),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return None;
    }
    let mut value: i64 = 0;
    let mut last_underscore = false;
    for c in digits.chars() {
        if c == '_' {
            if last_underscore {
                return None;
            }
            last_underscore = true;
            continue;
        }
        last_underscore = false;
        let d = c.to_digit(10)?;
        value = value.saturating_mul(10).saturating_add(i64::from(d));
    }
    Some(if neg { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_and_strip() {
        assert_eq!(int(" 1_000 "), Some(1000));
        assert_eq!(int("1__0"), None);
        assert_eq!(int("-5"), Some(-5));
        assert_eq!(int("_1"), None);
        assert_eq!(int("99999999999999999999999"), Some(i64::MAX));
        assert_eq!(strip("\u{1c} a \t"), "a");
    }
}
