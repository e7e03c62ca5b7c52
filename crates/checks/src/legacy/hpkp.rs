//! Legacy `public-key-pinning` (HPKP), a header browsers have since dropped.
//!
//! It reads the https session's final response. Every result scores 0 except
//! `hpkp-header-invalid` (-5): a `Public-Key-Pins` header needs a non-zero integer `max-age`
//! and at least two distinct `pin-sha256` values. A host with static pins in the reference's
//! preload snapshot (`data/legacy-hpkp-pinned.txt`) is `hpkp-preloaded` whatever it sends.

use super::{LegacyOutcome, LegacyTest, Reqs, py};
use std::sync::OnceLock;

const PINNED: &str = include_str!("../../data/legacy-hpkp-pinned.txt");
const FIFTEEN_DAYS: i64 = 1_296_000;

fn pinned() -> &'static [(&'static str, bool)] {
    static TABLE: OnceLock<Vec<(&'static str, bool)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v: Vec<(&'static str, bool)> = PINNED
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| match l.strip_suffix(" *") {
                Some(n) => (n, true),
                None => (l, false),
            })
            .collect();
        v.sort_unstable();
        v
    })
}

/// `is_hpkp_preloaded`: the name itself is pinned, or a parent pinned for its subdomains.
/// The name is used as given (the reference passes the URL's netloc, port included).
pub fn hpkp_preloaded(name: &str) -> bool {
    let t = pinned();
    let find = |n: &str| {
        t.binary_search_by(|(k, _)| (*k).cmp(n))
            .ok()
            .and_then(|i| t.get(i))
    };
    if find(name).is_some() {
        return true;
    }
    let mut rest = name;
    while let Some((_, parent)) = rest.split_once('.') {
        if find(parent).is_some_and(|(_, sub)| *sub) {
            return true;
        }
        rest = parent;
    }
    false
}

/// The header's verdict: `Some(result)` when valid, `None` when invalid.
fn parse(value: &str) -> Option<&'static str> {
    let data = py::head(value, 2048);
    let mut max_age: Option<i64> = None;
    let mut pins: Vec<String> = Vec::new();
    for part in data.split(';') {
        let p = py::strip(&part.to_lowercase()).to_string();
        if p.starts_with("max-age=") {
            max_age = Some(py::int(py::slice(&p, 8, 128))?);
        } else if p.starts_with("pin-sha256=") && !pins.contains(&p) {
            pins.push(p);
        }
    }
    let max_age = max_age.filter(|m| *m != 0)?;
    if pins.len() < 2 {
        return None;
    }
    Some(if max_age < FIFTEEN_DAYS {
        "hpkp-implemented-max-age-less-than-fifteen-days"
    } else {
        "hpkp-implemented-max-age-at-least-fifteen-days"
    })
}

/// The test.
pub fn check(r: &Reqs<'_>) -> LegacyOutcome {
    let Some(https) = &r.ev.https else {
        return LegacyOutcome::new(
            LegacyTest::PublicKeyPinning,
            "hpkp-not-implemented-no-https",
            true,
        );
    };
    let (mut result, pass) = if !https.verified {
        ("hpkp-invalid-cert", true)
    } else {
        match py::header(&https.last, "public-key-pins") {
            None => ("hpkp-not-implemented", true),
            Some(v) => match parse(&v) {
                Some(res) => (res, true),
                None => ("hpkp-header-invalid", false),
            },
        }
    };
    let netloc = py::urlparse(&https.last.url)
        .map(|u| u.netloc)
        .unwrap_or_default();
    if hpkp_preloaded(&netloc) {
        result = "hpkp-preloaded";
    }
    LegacyOutcome::new(LegacyTest::PublicKeyPinning, result, pass)
}

#[cfg(test)]
mod tests {
    use super::super::kit::site;
    use super::*;

    #[test]
    fn header_rules() {
        assert_eq!(
            parse("max-age=5184000; pin-sha256=\"a\"; pin-sha256=\"b\""),
            Some("hpkp-implemented-max-age-at-least-fifteen-days")
        );
        assert_eq!(
            parse("max-age=10; pin-sha256=\"a\"; pin-sha256=\"b\""),
            Some("hpkp-implemented-max-age-less-than-fifteen-days")
        );
        assert_eq!(
            parse("max-age=5184000; pin-sha256=\"a\"; pin-sha256=\"a\""),
            None
        );
        assert_eq!(parse("max-age=0; pin-sha256=\"a\"; pin-sha256=\"b\""), None);
        assert_eq!(parse("pin-sha256=\"a\"; pin-sha256=\"b\""), None);
    }

    #[test]
    fn results() {
        let ev = site(&[], "");
        assert_eq!(
            check(&Reqs::new(&ev).unwrap()).result,
            "hpkp-not-implemented"
        );
        let mut ev = site(&[("public-key-pins", "max-age=1")], "");
        if let Some(s) = ev.https.as_mut() {
            s.verified = false;
        }
        let o = check(&Reqs::new(&ev).unwrap());
        assert_eq!((o.result, o.pass), ("hpkp-invalid-cert", true));
        let ev = site(&[("public-key-pins", "max-age=1")], "");
        let o = check(&Reqs::new(&ev).unwrap());
        assert_eq!((o.result, o.pass), ("hpkp-header-invalid", false));
        assert!(hpkp_preloaded("accounts.firefox.com"));
        assert!(hpkp_preloaded("www.android.com"));
        assert!(!hpkp_preloaded("example.org"));
    }
}
