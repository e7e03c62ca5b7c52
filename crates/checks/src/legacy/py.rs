//! The handful of Python behaviours the legacy tests lean on (string stripping and splitting,
//! `int()`, `urlparse`, `publicsuffixlist.privatesuffix`, `len(str(...))`), written out so the
//! tests can say what they mean in one line.

use vigil_model::ResponseEvidence;

pub use vigil_cookies::py::{is_space, strip};

/// `str.split()` (no separator: runs of whitespace, no empty pieces).
pub fn split_ws(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|p| !p.is_empty())
}

/// `s[0:n]` (counted in characters, as Python slices strings).
pub fn head(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// `s[a:b]` in characters.
pub fn slice(s: &str, a: usize, b: usize) -> &str {
    let start = s.char_indices().nth(a).map_or(s.len(), |(i, _)| i);
    let end = s.char_indices().nth(b).map_or(s.len(), |(i, _)| i);
    s.get(start..end.max(start)).unwrap_or("")
}

pub use vigil_cookies::py::int;

/// A header as python-requests exposes it: names compare case-insensitively and repeated
/// fields are folded into one value joined with ", " (urllib3's `HTTPHeaderDict`).
pub fn header(resp: &ResponseEvidence, name: &str) -> Option<String> {
    let values: Vec<&str> = resp.header_values(name).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The `scheme` and `netloc` of `urllib.parse.urlparse` (`None` when Python raises
/// "Invalid IPv6 URL").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitUrl {
    /// Lower-cased scheme, empty when there is none.
    pub scheme: String,
    /// Everything between `//` and the first `/`, `?` or `#`; empty when there is no `//`.
    pub netloc: String,
}

/// `urllib.parse.urlparse(url)` (Python 3.11), reduced to scheme and netloc.
pub fn urlparse(url: &str) -> Option<SplitUrl> {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(i) = rest.find(':')
        && i > 0
        && rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && rest.get(..i).is_some_and(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
    {
        scheme = rest.get(..i).unwrap_or_default().to_ascii_lowercase();
        rest = rest.get(i + 1..).unwrap_or_default();
    }
    let mut netloc = String::new();
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = after.get(..end).unwrap_or_default().to_string();
        if netloc.contains('[') != netloc.contains(']') {
            return None;
        }
    }
    Some(SplitUrl { scheme, netloc })
}

/// `urlparse(url).hostname`: the host of the netloc without user info and port, lower-cased.
pub fn hostname(url: &str) -> Option<String> {
    let netloc = urlparse(url)?.netloc;
    let hostinfo = netloc.rsplit_once('@').map_or(netloc.as_str(), |(_, h)| h);
    let host = match hostinfo.split_once('[') {
        Some((_, bracketed)) => bracketed.split_once(']').map_or(bracketed, |(h, _)| h),
        None => hostinfo.split_once(':').map_or(hostinfo, |(h, _)| h),
    };
    (!host.is_empty()).then(|| host.to_lowercase())
}

/// `publicsuffixlist.PublicSuffixList().privatesuffix(domain)` with its defaults: the
/// registrable domain on the whole list (private rules included), an unknown TLD counting as a
/// one-label suffix, and `None` for empty labels or a bare suffix. It is applied to whatever it
/// is given, ports and IP addresses included (`"127.0.0.1"` gives `"0.1"`).
pub fn privatesuffix(domain: &str) -> Option<String> {
    let lower = domain.to_lowercase();
    if domain.contains('\0') || lower.split('.').any(str::is_empty) || !lower.contains('.') {
        return None;
    }
    psl::domain_str(&lower).map(str::to_string).or_else(|| {
        // psl refuses some inputs (such as a port in the last label) that Python treats as an
        // unknown TLD: keep the last two labels then.
        let mut labels = lower.rsplitn(3, '.');
        let tld = labels.next()?;
        let sld = labels.next()?;
        psl::suffix_str(&lower)
            .is_none()
            .then(|| format!("{sld}.{tld}"))
    })
}

/// `len(repr(s))` for a `str` (quotes included), to apply the reference's size guards.
pub fn repr_len(s: &str) -> usize {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut n = 2;
    for c in s.chars() {
        n += match c {
            '\\' | '\n' | '\r' | '\t' => 2,
            c if c == quote => 2,
            c if (c as u32) < 0x20 || c as u32 == 0x7f => 4,
            c if (0x80..0xa0).contains(&(c as u32)) => 4,
            _ => 1,
        };
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_strings() {
        assert_eq!(strip("\u{a0} a \u{1f}"), "a");
        assert_eq!(
            split_ws(" a \t b\u{a0}c ").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(head("héllo", 2), "hé");
        assert_eq!(slice("max-age=10", 8, 128), "10");
        assert_eq!(int(" +1_0 "), Some(10));
        assert_eq!(int("0x10"), None);
        assert_eq!(int("\"10\""), None);
    }

    #[test]
    fn urlparse_scheme_and_netloc() {
        let u = urlparse("HTTPS://Cdn.Example.com:8443/x.js").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.netloc.as_str()),
            ("https", "Cdn.Example.com:8443")
        );
        let u = urlparse("//cdn.example.com/x.js").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.netloc.as_str()),
            ("", "cdn.example.com")
        );
        let u = urlparse("data:text/javascript,1").unwrap();
        assert_eq!((u.scheme.as_str(), u.netloc.as_str()), ("data", ""));
        let u = urlparse("/x.js").unwrap();
        assert_eq!((u.scheme.as_str(), u.netloc.as_str()), ("", ""));
        assert!(urlparse("http://[::1/").is_none());
        assert_eq!(
            hostname("http://user@WWW.Example.org:80/").as_deref(),
            Some("www.example.org")
        );
    }

    #[test]
    fn private_suffixes() {
        assert_eq!(privatesuffix("a.b.obs.test").as_deref(), Some("obs.test"));
        assert_eq!(
            privatesuffix("static.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(
            privatesuffix("foo.github.io").as_deref(),
            Some("foo.github.io")
        );
        assert_eq!(privatesuffix(""), None);
        assert_eq!(privatesuffix("com"), None);
        assert_eq!(privatesuffix("co.uk"), None);
        assert_eq!(privatesuffix("127.0.0.1").as_deref(), Some("0.1"));
        // Answers of publicsuffixlist 0.7.12 for the same inputs.
        let expect = [
            ("example.com:8443", Some("example.com:8443")),
            ("localhost", None),
            ("a.b.c.kawasaki.jp", Some("b.c.kawasaki.jp")),
            ("city.kawasaki.jp", Some("city.kawasaki.jp")),
            ("www.city.kawasaki.jp", Some("city.kawasaki.jp")),
            ("github.io", None),
            ("WWW.Example.CO.UK", Some("example.co.uk")),
            ("a..b", None),
            ("example.com.", None),
            ("[::1]", None),
            ("a.b.ck", Some("a.b.ck")),
            ("www.ck", Some("www.ck")),
        ];
        for (input, want) in expect {
            assert_eq!(privatesuffix(input).as_deref(), want, "{input}");
        }
    }

    #[test]
    fn repr_lengths() {
        assert_eq!(repr_len("abc"), 5);
        assert_eq!(repr_len("'self'"), 8);
        assert_eq!(repr_len("a\nb"), 6);
    }
}
