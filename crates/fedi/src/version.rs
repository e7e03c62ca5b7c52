//! Software version strings as fediverse servers report them, parsed into [`SoftwareVersion`],
//! and semver precedence between them ([`VersionKey`]).
//!
//! Servers are loose about the format, so the parser accepts the shapes seen in the wild rather
//! than strict semver: `4.3.2`, `v4.3.2`, `4.4.0-beta.1`, `4.5.2+glitch`,
//! `4.3.0+hometown-1.1.1`, Pleroma's git-describe `2.6.2-1234-gabcdef-develop`, GoToSocial's
//! `0.17.3 git-abc123`, Misskey's calendar `2024.11.0`, and short forms like `1.0`. It does not
//! read the `(compatible; …)` wrapper of Pleroma's instance API; `facts` strips that first.

use std::cmp::Ordering;
use vigil_model::fedi::SoftwareVersion;

/// Longest version string considered; anything longer is not a version but junk.
const MAX_VERSION_LEN: usize = 128;

/// Parses a reported version; `None` when it does not start with a number.
pub fn parse_version(raw: &str) -> Option<SoftwareVersion> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_VERSION_LEN {
        return None;
    }
    // GoToSocial separates its commit with a space: "0.17.3 git-abc123".
    let (token, trailer) = match raw.split_once(char::is_whitespace) {
        Some((t, rest)) => (t, Some(rest.trim()).filter(|r| !r.is_empty())),
        None => (raw, None),
    };
    let token = token
        .strip_prefix('v')
        .or_else(|| token.strip_prefix('V'))
        .unwrap_or(token);
    let (core, plus) = match token.split_once('+') {
        Some((c, b)) => (c, Some(b).filter(|b| !b.is_empty())),
        None => (token, None),
    };
    let (numbers, dash) = match core.split_once('-') {
        Some((n, p)) => (n, Some(p).filter(|p| !p.is_empty())),
        None => (core, None),
    };
    let mut parts = numbers.split('.');
    let major = number(parts.next()?)?;
    let minor = parts.next().map(number).unwrap_or(Some(0))?;
    let patch = parts.next().map(number).unwrap_or(Some(0))?;
    if parts.next().is_some() {
        return None;
    }
    // `2.6.2-1234-gabcdef` is git-describe: commits *after* the tag, so it is build metadata,
    // not a pre-release that would sort before 2.6.2.
    let (pre, describe) = match dash {
        Some(d) if is_git_describe(d) => (None, Some(d)),
        other => (other, None),
    };
    let build: Vec<&str> = [describe, plus, trailer].into_iter().flatten().collect();
    Some(SoftwareVersion {
        raw: raw.to_string(),
        major,
        minor,
        patch,
        pre: pre.map(str::to_string),
        build: if build.is_empty() {
            None
        } else {
            Some(build.join(" "))
        },
    })
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `N-gHEX…`: the suffix `git describe` adds after a tag.
fn is_git_describe(s: &str) -> bool {
    let mut it = s.splitn(3, '-');
    let (Some(count), Some(hash)) = (it.next(), it.next()) else {
        return false;
    };
    let Some(hex) = hash.strip_prefix('g') else {
        return false;
    };
    number(count).is_some() && hex.len() >= 4 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A version reduced to what semver precedence looks at (build metadata is ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionKey {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
    /// Pre-release; `None` (a release) sorts after any pre-release of the same numbers.
    pub pre: Option<String>,
}

impl VersionKey {
    /// The key of a parsed version.
    pub fn of(v: &SoftwareVersion) -> VersionKey {
        VersionKey {
            major: v.major,
            minor: v.minor,
            patch: v.patch,
            pre: v.pre.clone(),
        }
    }

    /// The key of a plain release `major.minor.patch`.
    pub fn release(major: u64, minor: u64, patch: u64) -> VersionKey {
        VersionKey {
            major,
            minor,
            patch,
            pre: None,
        }
    }
}

impl Ord for VersionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => compare_pre(a, b),
            })
    }
}

impl PartialOrd for VersionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Semver §11: dot-separated identifiers, numeric ones compared as numbers and below
/// alphanumeric ones, a shorter list sorting first when all shared fields are equal.
fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (number(x), number(y)) {
                    (Some(m), Some(n)) => m.cmp(&n),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(raw: &str) -> (u64, u64, u64, Option<String>, Option<String>) {
        let v = parse_version(raw).unwrap();
        (v.major, v.minor, v.patch, v.pre, v.build)
    }

    fn s(x: &str) -> Option<String> {
        Some(x.to_string())
    }

    #[test]
    fn mastodon_releases_and_pre_releases() {
        assert_eq!(parts("4.3.2"), (4, 3, 2, None, None));
        assert_eq!(parts("4.2.10"), (4, 2, 10, None, None));
        assert_eq!(parts("4.4.0-beta.1"), (4, 4, 0, s("beta.1"), None));
        assert_eq!(parts("v4.3.0-rc.2"), (4, 3, 0, s("rc.2"), None));
        assert_eq!(
            parts("4.4.0-alpha.1+nightly-20250101"),
            (4, 4, 0, s("alpha.1"), s("nightly-20250101"))
        );
    }

    #[test]
    fn fork_flavours_are_build_metadata() {
        assert_eq!(parts("4.5.2+glitch"), (4, 5, 2, None, s("glitch")));
        assert_eq!(
            parts("4.3.0+hometown-1.1.1"),
            (4, 3, 0, None, s("hometown-1.1.1"))
        );
    }

    #[test]
    fn other_software() {
        assert_eq!(
            parts("2.6.2-1234-gabcdef-develop"),
            (2, 6, 2, None, s("1234-gabcdef-develop"))
        );
        assert_eq!(parts("3.13.2"), (3, 13, 2, None, None));
        assert_eq!(parts("0.12.4"), (0, 12, 4, None, None));
        assert_eq!(
            parts("0.17.3 git-abc123"),
            (0, 17, 3, None, s("git-abc123"))
        );
        assert_eq!(parts("2024.11.0"), (2024, 11, 0, None, None));
        assert_eq!(parts("2024.8-dev"), (2024, 8, 0, s("dev"), None));
        assert_eq!(parts(" 1.0 "), (1, 0, 0, None, None));
    }

    #[test]
    fn junk_is_not_a_version() {
        for raw in [
            "",
            "   ",
            "unknown",
            "four.three",
            "4..3",
            "4.3.2.1",
            "-1.0",
            "4.x",
            "99999999999999999999999.0",
        ] {
            assert_eq!(parse_version(raw), None, "{raw:?}");
        }
        assert_eq!(parse_version(&"1".repeat(200)), None);
    }

    #[test]
    fn precedence_follows_semver() {
        let key = |raw: &str| VersionKey::of(&parse_version(raw).unwrap());
        let ordered = [
            "4.3.9",
            "4.3.10",
            "4.4.0-alpha.1",
            "4.4.0-alpha.2",
            "4.4.0-alpha.10",
            "4.4.0-beta",
            "4.4.0-beta.1",
            "4.4.0-rc.1",
            "4.4.0",
            "4.4.1",
        ];
        for pair in ordered.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(key("4.5.2+glitch"), key("4.5.2"));
        assert_eq!(key("2.6.2-1-gabcd"), key("2.6.2"));
    }
}
