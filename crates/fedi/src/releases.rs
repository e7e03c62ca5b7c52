//! Mastodon's release history as data: every release with its date and security notes, and the
//! support window of each release branch. Bundled from `data/*.csv` with `include_str!` and
//! parsed once ([`ReleaseData::bundled`]); `scripts/refresh-mastodon-data.py` regenerates the
//! files from GitHub when online.
//!
//! The parser is strict (exact headers, known `kind` values, ISO dates) so a bad refresh fails
//! the tests instead of silently changing verdicts. What the data lacks is described in
//! `data/README.md`; the verdict copes with it, this module only reads.

use std::fmt;
use std::sync::OnceLock;
use time::Date;
use time::macros::format_description;

const RELEASES_CSV: &str = include_str!("../data/mastodon-releases.csv");
const BRANCHES_CSV: &str = include_str!("../data/mastodon-branches.csv");

const RELEASES_HEADER: &str = "version,date,security_fix,kind,advisories";
const BRANCHES_HEADER: &str = "branch,supported_until,note";

/// Why the release data could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The first line is not the expected header.
    #[error("{file}: unexpected header {found:?}")]
    Header {
        /// Which file.
        file: &'static str,
        /// The header found.
        found: String,
    },
    /// A line could not be parsed.
    #[error("{file} line {line}: {reason}")]
    Line {
        /// Which file.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
}

/// A release branch, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Branch {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
}

impl fmt::Display for Branch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A released version, `major.minor.patch` (the data holds no pre-releases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseVersion {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl ReleaseVersion {
    /// The branch this release belongs to.
    pub fn branch(&self) -> Branch {
        Branch {
            major: self.major,
            minor: self.minor,
        }
    }
}

impl fmt::Display for ReleaseVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What the security section of a release's notes holds (the CSV's `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityKind {
    /// Fixes for Mastodon's own advisories, with ids (`vuln`).
    Vuln,
    /// Security fixes without advisory ids, as older releases had them (`vuln-noid`).
    VulnNoId,
    /// Only dependency updates under Security (`deps`).
    Deps,
    /// No security section (`-`).
    None,
}

/// One advisory id as listed with a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryRef {
    /// `GHSA-…` or `CVE-…`.
    pub id: String,
    /// CVE alias of a GHSA id.
    pub cve: Option<String>,
    /// Marked `[dep]`: a third-party advisory fixed by a dependency update.
    pub third_party: bool,
}

/// One release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The version.
    pub version: ReleaseVersion,
    /// Release date.
    pub date: Date,
    /// The notes have a Security section.
    pub security_fix: bool,
    /// What that section holds.
    pub kind: SecurityKind,
    /// Advisory ids fixed by this release.
    pub advisories: Vec<AdvisoryRef>,
}

/// A branch's support window from Mastodon's SECURITY.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchSupport {
    /// The branch.
    pub branch: Branch,
    /// Last day of security support; `None` while supported with no announced end.
    pub supported_until: Option<Date>,
    /// The free-text note of the data file.
    pub note: String,
}

/// The whole release history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseData {
    releases: Vec<Release>,
    branches: Vec<BranchSupport>,
}

impl ReleaseData {
    /// The data bundled with this build, parsed on first use. A parse error is returned rather
    /// than panicking; a test guarantees the bundled files parse.
    pub fn bundled() -> Result<&'static ReleaseData, DataError> {
        static DATA: OnceLock<Result<ReleaseData, DataError>> = OnceLock::new();
        DATA.get_or_init(|| ReleaseData::parse(RELEASES_CSV, BRANCHES_CSV))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses the two CSV files (see `data/README.md` for the columns).
    pub fn parse(releases_csv: &str, branches_csv: &str) -> Result<ReleaseData, DataError> {
        let mut releases = Vec::new();
        for (line, fields) in rows("mastodon-releases.csv", releases_csv, RELEASES_HEADER, 5)? {
            releases.push(release(&fields).map_err(|reason| DataError::Line {
                file: "mastodon-releases.csv",
                line,
                reason,
            })?);
        }
        releases.sort_by_key(|r| r.version);
        if let Some(pair) = releases.windows(2).find(|p| p[0].version == p[1].version) {
            return Err(DataError::Line {
                file: "mastodon-releases.csv",
                line: 0,
                reason: format!("{} is listed twice", pair[0].version),
            });
        }
        let mut branches = Vec::new();
        for (line, fields) in rows("mastodon-branches.csv", branches_csv, BRANCHES_HEADER, 3)? {
            branches.push(branch_support(&fields).map_err(|reason| DataError::Line {
                file: "mastodon-branches.csv",
                line,
                reason,
            })?);
        }
        branches.sort_by_key(|b| b.branch);
        Ok(ReleaseData { releases, branches })
    }

    /// Every release, sorted by version.
    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// Every branch with a support entry, sorted by branch.
    pub fn branches(&self) -> &[BranchSupport] {
        &self.branches
    }

    /// The support entry of one branch.
    pub fn branch(&self, branch: Branch) -> Option<&BranchSupport> {
        self.branches.iter().find(|b| b.branch == branch)
    }
}

/// Non-empty, non-comment lines after the header, split into exactly `n` fields (the last one
/// keeps any further commas, which only the free-text note may contain).
fn rows<'a>(
    file: &'static str,
    text: &'a str,
    header: &str,
    n: usize,
) -> Result<Vec<(usize, Vec<&'a str>)>, DataError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some((_, h)) if h == header => {}
        other => {
            return Err(DataError::Header {
                file,
                found: other.map(|(_, h)| h.to_string()).unwrap_or_default(),
            });
        }
    }
    let mut out = Vec::new();
    for (line, l) in lines {
        if l.contains('"') {
            return Err(DataError::Line {
                file,
                line,
                reason: "quoted fields are not supported".into(),
            });
        }
        let fields: Vec<&str> = l.splitn(n, ',').collect();
        if fields.len() != n {
            return Err(DataError::Line {
                file,
                line,
                reason: format!("expected {n} fields, found {}", fields.len()),
            });
        }
        out.push((line, fields));
    }
    Ok(out)
}

fn date(s: &str) -> Result<Date, String> {
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|e| format!("bad date {s:?}: {e}"))
}

fn int(s: &str) -> Result<u64, String> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad number {s:?}"));
    }
    s.parse().map_err(|_| format!("bad number {s:?}"))
}

fn release_version(s: &str) -> Result<ReleaseVersion, String> {
    let parts: Vec<&str> = s.split('.').collect();
    match parts.as_slice() {
        [a, b, c] => Ok(ReleaseVersion {
            major: int(a)?,
            minor: int(b)?,
            patch: int(c)?,
        }),
        _ => Err(format!("bad version {s:?}")),
    }
}

fn release(fields: &[&str]) -> Result<Release, String> {
    let [version, day, security, kind, advisories] = fields else {
        return Err("wrong field count".into());
    };
    let security_fix = match *security {
        "yes" => true,
        "no" => false,
        other => return Err(format!("security_fix must be yes or no, not {other:?}")),
    };
    let kind = match *kind {
        "vuln" => SecurityKind::Vuln,
        "vuln-noid" => SecurityKind::VulnNoId,
        "deps" => SecurityKind::Deps,
        "-" => SecurityKind::None,
        other => return Err(format!("unknown kind {other:?}")),
    };
    if security_fix == (kind == SecurityKind::None) {
        return Err(format!("security_fix {security} contradicts kind"));
    }
    let advisories = advisories
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(advisory)
        .collect::<Result<Vec<_>, _>>()?;
    if kind == SecurityKind::Vuln && advisories.is_empty() {
        return Err("kind vuln needs advisory ids".into());
    }
    Ok(Release {
        version: release_version(version)?,
        date: date(day)?,
        security_fix,
        kind,
        advisories,
    })
}

/// `GHSA-xxxx-xxxx-xxxx`, `CVE-2022-24307`, `GHSA-…(CVE-…)`, each optionally followed by `[dep]`.
fn advisory(token: &str) -> Result<AdvisoryRef, String> {
    let (rest, third_party) = match token.strip_suffix("[dep]") {
        Some(r) => (r, true),
        None => (token, false),
    };
    let (id, cve) = match rest.split_once('(') {
        Some((id, alias)) => {
            let alias = alias
                .strip_suffix(')')
                .ok_or_else(|| format!("unclosed alias in {token:?}"))?;
            (id, Some(alias))
        }
        None => (rest, None),
    };
    let well_formed = |s: &str| {
        (s.starts_with("GHSA-") || s.starts_with("CVE-"))
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !well_formed(id) || !cve.is_none_or(|c| c.starts_with("CVE-") && well_formed(c)) {
        return Err(format!("bad advisory id {token:?}"));
    }
    Ok(AdvisoryRef {
        id: id.to_string(),
        cve: cve.map(str::to_string),
        third_party,
    })
}

fn branch_support(fields: &[&str]) -> Result<BranchSupport, String> {
    let [branch, until, note] = fields else {
        return Err("wrong field count".into());
    };
    let (major, minor) = branch
        .split_once('.')
        .ok_or_else(|| format!("bad branch {branch:?}"))?;
    Ok(BranchSupport {
        branch: Branch {
            major: int(major)?,
            minor: int(minor)?,
        },
        supported_until: if until.is_empty() {
            None
        } else {
            Some(date(until)?)
        },
        note: note.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_parses() {
        let data = ReleaseData::bundled().unwrap();
        assert_eq!(data.releases().len(), 138);
        assert_eq!(data.branches().len(), 8);
        let r = data
            .releases()
            .iter()
            .find(|r| r.version.to_string() == "4.1.8")
            .unwrap();
        assert_eq!(r.kind, SecurityKind::Vuln);
        assert_eq!(r.advisories[0].id, "GHSA-2693-xr3m-jhqr");
        assert_eq!(r.advisories[0].cve.as_deref(), Some("CVE-2023-42452"));
        let dep = data
            .releases()
            .iter()
            .find(|r| r.version.to_string() == "4.4.20")
            .unwrap();
        assert_eq!(dep.kind, SecurityKind::Deps);
        assert!(dep.advisories[0].third_party);
        let b = data.branch(Branch { major: 4, minor: 4 }).unwrap();
        assert_eq!(
            b.supported_until.map(|d| d.to_string()).unwrap(),
            "2026-12-17"
        );
        assert_eq!(
            data.branch(Branch { major: 4, minor: 6 })
                .unwrap()
                .supported_until,
            None
        );
    }

    #[test]
    fn advisory_tokens() {
        let a = advisory("GHSA-cmh9-rx85-xj38[dep]").unwrap();
        assert_eq!(
            (a.id.as_str(), a.cve, a.third_party),
            ("GHSA-cmh9-rx85-xj38", None, true)
        );
        let a = advisory("GHSA-qff7-4q6c-m8h6(CVE-2026-8461)[dep]").unwrap();
        assert_eq!(a.cve.as_deref(), Some("CVE-2026-8461"));
        assert!(a.third_party);
        assert_eq!(advisory("CVE-2022-24307").unwrap().id, "CVE-2022-24307");
        for bad in ["GHSA-x(CVE-1", "GHSA x", "OSV-1", "GHSA-1(GHSA-2)"] {
            assert!(advisory(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strict_about_shape() {
        let b = "branch,supported_until,note\n";
        let h = "version,date,security_fix,kind,advisories\n";
        assert!(matches!(
            ReleaseData::parse("version,date\n", b),
            Err(DataError::Header { .. })
        ));
        for bad in [
            "4.0.0,2022-11-14,yes,vuln-noid\n",
            "4.0,2022-11-14,yes,vuln-noid,\n",
            "4.0.0,2022-13-14,yes,vuln-noid,\n",
            "4.0.0,2022-11-14,maybe,vuln-noid,\n",
            "4.0.0,2022-11-14,yes,new,\n",
            "4.0.0,2022-11-14,no,vuln,GHSA-aaaa-bbbb-cccc\n",
            "4.0.0,2022-11-14,yes,vuln,\n",
            "4.0.0,2022-11-14,yes,\"vuln\",\n",
            "4.0.0,2022-11-14,no,-,\n4.0.0,2022-11-15,no,-,\n",
        ] {
            assert!(
                ReleaseData::parse(&format!("{h}{bad}"), b).is_err(),
                "{bad}"
            );
        }
        let ok = ReleaseData::parse(&format!("{h}\n# comment\n4.0.0,2022-11-14,no,-,\n"), b);
        assert_eq!(ok.unwrap().releases().len(), 1);
    }
}
