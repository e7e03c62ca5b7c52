//! Header fields as Node's `IncomingMessage` presents them to the reference (spec §4).
//!
//! Repeated fields are joined with `", "`, except `set-cookie` (kept as a list) and a fixed set
//! of single-value fields where only the first occurrence counts. This joining is why two
//! `Strict-Transport-Security` lines make an invalid header and two CSP lines one policy.

use vigil_model::ResponseEvidence;

/// Fields where Node keeps only the first value.
const FIRST_VALUE_ONLY: [&str; 18] = [
    "age",
    "authorization",
    "content-length",
    "content-type",
    "etag",
    "expires",
    "from",
    "host",
    "if-modified-since",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "proxy-authorization",
    "referer",
    "retry-after",
    "server",
    "user-agent",
];

/// A field's value after joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinedValue {
    /// Every field but `set-cookie`.
    Single(String),
    /// `set-cookie`, one entry per line.
    List(Vec<String>),
}

/// All fields of a response after joining, in order of first appearance.
pub fn joined(resp: &ResponseEvidence) -> Vec<(String, JoinedValue)> {
    let mut out: Vec<(String, JoinedValue)> = Vec::new();
    for (name, value) in &resp.headers {
        let name = name.to_ascii_lowercase();
        match out.iter_mut().find(|(n, _)| *n == name) {
            None => {
                let v = if name == "set-cookie" {
                    JoinedValue::List(vec![value.clone()])
                } else {
                    JoinedValue::Single(value.clone())
                };
                out.push((name, v));
            }
            Some((_, JoinedValue::List(list))) => list.push(value.clone()),
            Some((n, JoinedValue::Single(s))) => {
                if !FIRST_VALUE_ONLY.contains(&n.as_str()) {
                    s.push_str(", ");
                    s.push_str(value);
                }
            }
        }
    }
    out
}

/// The joined value of one field (for `set-cookie`, the first line), or `None` when absent.
pub fn get(resp: &ResponseEvidence, name: &str) -> Option<String> {
    let mut values = resp.header_values(name);
    let first = values.next()?.to_string();
    if name.eq_ignore_ascii_case("set-cookie") || FIRST_VALUE_ONLY.contains(&name) {
        return Some(first);
    }
    Some(values.fold(first, |mut acc, v| {
        acc.push_str(", ");
        acc.push_str(v);
        acc
    }))
}

/// All `Set-Cookie` lines.
pub fn set_cookies(resp: &ResponseEvidence) -> Vec<&str> {
    resp.header_values("set-cookie").collect()
}

/// Truncates to at most `max` characters (the reference slices UTF-16 units; close enough
/// for header values, which are Latin-1).
pub fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(headers: &[(&str, &str)]) -> ResponseEvidence {
        ResponseEvidence {
            url: "https://example.org/".into(),
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: None,
            body_truncated: false,
        }
    }

    #[test]
    fn repeated_fields_join_with_comma() {
        let r = resp(&[
            ("content-security-policy", "a"),
            ("Content-Security-Policy", "b"),
        ]);
        assert_eq!(get(&r, "content-security-policy").as_deref(), Some("a, b"));
    }

    #[test]
    fn first_value_only_fields() {
        let r = resp(&[
            ("content-type", "text/html"),
            ("content-type", "text/plain"),
        ]);
        assert_eq!(get(&r, "content-type").as_deref(), Some("text/html"));
        assert_eq!(
            joined(&r),
            vec![(
                "content-type".into(),
                JoinedValue::Single("text/html".into())
            )]
        );
    }

    #[test]
    fn set_cookie_is_a_list() {
        let r = resp(&[("set-cookie", "a=1"), ("x", "1"), ("set-cookie", "b=2")]);
        assert_eq!(set_cookies(&r), vec!["a=1", "b=2"]);
        assert_eq!(
            joined(&r)[0].1,
            JoinedValue::List(vec!["a=1".into(), "b=2".into()])
        );
    }

    #[test]
    fn truncate_counts_chars() {
        assert_eq!(truncate("abcdef", 3), "abc");
        assert_eq!(truncate("ab", 3), "ab");
    }
}
