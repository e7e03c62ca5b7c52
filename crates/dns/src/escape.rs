//! Wire bytes and error messages made safe to store and print: escaped, hex-encoded, bounded.

use crate::limits::{MAX_ERROR_CHARS, MAX_VALUE_BYTES};

/// Text of wire bytes: printable ASCII as is, everything else (and `\`) as `\xNN`, capped.
pub(crate) fn printable(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().min(MAX_VALUE_BYTES));
    for &b in bytes.iter().take(MAX_VALUE_BYTES) {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    if bytes.len() > MAX_VALUE_BYTES {
        s.push('…');
    }
    s
}

/// Lowercase hex, capped at [`MAX_VALUE_BYTES`] bytes (a longer TLSA datum cannot be a digest,
/// and a full certificate past that is cut with a `…`, which no decoder accepts, so a cut value
/// never matches).
pub(crate) fn hex(bytes: &[u8]) -> String {
    let kept = bytes.get(..MAX_VALUE_BYTES).unwrap_or(bytes);
    let mut s = ::hex::encode(kept);
    if bytes.len() > MAX_VALUE_BYTES {
        s.push('…');
    }
    s
}

/// An error line, without control characters and at most [`MAX_ERROR_CHARS`] long.
pub(crate) fn clip(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ERROR_CHARS)
        .collect();
    if s.chars().count() > MAX_ERROR_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_odd_bytes() {
        assert_eq!(printable(b"letsencrypt.org"), "letsencrypt.org");
        assert_eq!(printable(b"a\\b\x00\xff"), "a\\x5cb\\x00\\xff");
    }

    #[test]
    fn hex_is_lowercase_and_cut_values_are_marked() {
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
        let long = vec![0xab; MAX_VALUE_BYTES + 1];
        let h = hex(&long);
        assert!(h.ends_with('…'));
        assert_eq!(h.chars().count(), 2 * MAX_VALUE_BYTES + 1);
    }

    #[test]
    fn clip_bounds_and_cleans() {
        let long = "x\n".repeat(400);
        let c = clip(&long);
        assert!(!c.contains('\n'));
        assert_eq!(c.chars().count(), MAX_ERROR_CHARS + 1);
    }
}
