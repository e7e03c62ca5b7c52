//! The verdict on a Mastodon version: is it the latest of its branch, is the branch still
//! supported, and which security advisories were fixed in releases the server is not running.
//!
//! Only releases dated on or before `today` count, so old evidence is judged as it stood then.
//! Two gaps of the data are handled here (see `data/README.md`):
//!
//! * **Missing backports.** The data lacks the later patch releases of some branches (3.5, 4.0,
//!   4.1 and 4.2). A branch is taken to miss its tail when another branch got a release fixing
//!   Mastodon's own vulnerabilities more than [`BACKPORT_GRACE_DAYS`] after the branch's last
//!   listed release and before its end of support: Mastodon ships such fixes to every supported
//!   branch on the same day, so the branch's own release must be missing. Its latest release is
//!   then unknown, and the advisories fixed on newer branches since its last listed release
//!   are reported as inferred (their `fixed_in` is on the newer branch).
//! * **End of life.** A branch past its end date gets no more fixes, so advisories fixed on newer
//!   branches after that date are inferred to affect it too.
//!
//! Inference keeps only advisories fixed by the oldest branch that released that day: a fix
//! shipped only on newer branches while an older one released without it means the older code
//! was not affected, and the running one, older still, is presumed not affected either.

use crate::releases::{Branch, Release, ReleaseData, ReleaseVersion, SecurityKind};
use crate::version::VersionKey;
use std::collections::HashSet;
use time::{Date, Duration};
use vigil_model::fedi::{Advisory, BranchStatus, FediFacts, SoftwareVersion, VersionVerdict};

/// Days a branch may lag another branch's security release before its own is presumed missing
/// from the data (coordinated releases come out the same day; this absorbs odd timings).
pub const BACKPORT_GRACE_DAYS: i64 = 30;

/// Judges the running version when the server is Mastodon (forks that report the software
/// name `mastodon`, such as glitch-soc and Hometown, are judged by their base version); `None`
/// for other software, a missing version, or data with no release on or before `today`.
pub fn verdict(facts: &FediFacts, data: &ReleaseData, today: Date) -> Option<VersionVerdict> {
    if facts.software.as_deref() != Some("mastodon") {
        return None;
    }
    let running = facts.version.as_ref()?;
    let key = VersionKey::of(running);
    let branch = Branch {
        major: running.major,
        minor: running.minor,
    };
    let known: Vec<&Release> = data.releases().iter().filter(|r| r.date <= today).collect();
    let newest = known.iter().map(|r| r.version).max()?;
    let through = known.iter().map(|r| r.date).max()?;
    let on_branch: Vec<&Release> = known
        .iter()
        .copied()
        .filter(|r| r.version.branch() == branch)
        .collect();
    let last = on_branch.last().copied();

    let (status, end) = support(data, branch, &known, last.is_some(), today);
    let tail_missing = last.is_some_and(|l| misses_tail(l, branch, end, &known));
    let newer_than_data = last.is_some_and(|l| key > release_key(l.version));

    let latest_on_branch = if tail_missing { None } else { last };
    let is_latest_on_branch = latest_on_branch.is_some_and(|l| key >= release_key(l.version));

    let fixed_before: HashSet<&str> = on_branch
        .iter()
        .filter(|r| release_key(r.version) <= key)
        .flat_map(|r| r.advisories.iter().map(|a| a.id.as_str()))
        .collect();
    let mut advisories = Advisories {
        seen: fixed_before,
        list: Vec::new(),
    };
    let mut missed = Vec::new();
    for r in on_branch.iter().filter(|r| release_key(r.version) > key) {
        advisories.add(r);
        if r.security_fix {
            missed.push(r.version.to_string());
        }
    }
    // From when on fixes made on newer branches are presumed missing from the running one.
    let eol_since = match &status {
        BranchStatus::EndOfLife { .. } => Some(end.unwrap_or(Date::MIN)),
        _ => None,
    };
    let infer_from = match last {
        Some(l) if tail_missing && !newer_than_data => Some(l.date),
        _ => eol_since,
    };
    if let Some(from) = infer_from {
        for r in &known {
            if r.version.branch() > branch
                && r.date > from
                && Some(r.version.branch()) == oldest_branch_on(r.date, branch, &known)
            {
                advisories.add(r);
            }
        }
    }
    let mut advisories = advisories.list;
    advisories.sort_by(|a, b| (&a.1, &a.0.id).cmp(&(&b.1, &b.0.id)));
    let advisories: Vec<Advisory> = advisories.into_iter().map(|(a, _)| a).collect();

    let summary = Summary {
        running,
        branch,
        status: &status,
        latest: latest_on_branch.map(|r| r.version),
        is_latest: is_latest_on_branch,
        tail_missing,
        newer_than_data,
        newest,
        through,
        advisories: advisories.len(),
        missed: missed.len(),
    };
    Some(VersionVerdict {
        version: running.raw.clone(),
        branch: branch.to_string(),
        summary: summary.render(),
        branch_status: status,
        latest_on_branch: latest_on_branch.map(|r| r.version.to_string()),
        is_latest_on_branch,
        newest_release: newest.to_string(),
        release_data_through: through.to_string(),
        release_data_incomplete: tail_missing || newer_than_data,
        advisories_fixed_since: advisories,
        security_releases_missed: missed,
    })
}

fn release_key(v: ReleaseVersion) -> VersionKey {
    VersionKey::release(v.major, v.minor, v.patch)
}

/// Advisories collected so far, each id once, with the version that fixed it for sorting.
struct Advisories<'a> {
    seen: HashSet<&'a str>,
    list: Vec<(Advisory, ReleaseVersion)>,
}

impl<'a> Advisories<'a> {
    fn add(&mut self, r: &'a Release) {
        for a in &r.advisories {
            if self.seen.insert(a.id.as_str()) {
                self.list.push((
                    Advisory {
                        id: a.id.clone(),
                        cve: a.cve.clone(),
                        third_party: a.third_party,
                        fixed_in: r.version.to_string(),
                    },
                    r.version,
                ));
            }
        }
    }
}

/// The branch's status and its end of support (given or, for unlisted old branches, estimated
/// as the first release of the next branch, since Mastodon then supported only its newest).
fn support(
    data: &ReleaseData,
    branch: Branch,
    known: &[&Release],
    has_releases: bool,
    today: Date,
) -> (BranchStatus, Option<Date>) {
    let next_branch_start = known
        .iter()
        .filter(|r| r.version.branch() > branch)
        .map(|r| (r.version, r.date))
        .min()
        .map(|(_, d)| d);
    let oldest_known = known.iter().map(|r| r.version.branch()).min();
    if has_releases && let Some(entry) = data.branch(branch) {
        return match entry.supported_until {
            None => (BranchStatus::Supported, None),
            Some(until) if today <= until => (
                BranchStatus::SupportedUntil {
                    until: until.to_string(),
                },
                Some(until),
            ),
            Some(until) => (
                BranchStatus::EndOfLife {
                    since: Some(until.to_string()),
                },
                Some(until),
            ),
        };
    }
    match next_branch_start {
        // Released, unlisted and superseded: an old branch.
        Some(start) if has_releases => (
            BranchStatus::EndOfLife {
                since: Some(start.to_string()),
            },
            Some(start),
        ),
        // Never released but older than everything in the data (before 2.5).
        Some(_) if oldest_known.is_some_and(|o| branch < o) => {
            (BranchStatus::EndOfLife { since: None }, None)
        }
        // A future branch, a never-released one (3.6), or the newest branch without an entry.
        _ => (BranchStatus::Unknown, None),
    }
}

/// True when another branch got an own-vulnerability release well after `last` (the branch's
/// last listed release) and before the branch's end, so the branch's matching release is
/// missing from the data.
fn misses_tail(last: &Release, branch: Branch, end: Option<Date>, known: &[&Release]) -> bool {
    let after = last
        .date
        .checked_add(Duration::days(BACKPORT_GRACE_DAYS))
        .unwrap_or(Date::MAX);
    known.iter().any(|r| {
        r.version.branch() != branch
            && matches!(r.kind, SecurityKind::Vuln | SecurityKind::VulnNoId)
            && r.date > after
            && end.is_none_or(|e| r.date < e)
    })
}

/// The oldest branch newer than `above` that released on `day`.
fn oldest_branch_on(day: Date, above: Branch, known: &[&Release]) -> Option<Branch> {
    known
        .iter()
        .filter(|r| r.date == day && r.version.branch() > above)
        .map(|r| r.version.branch())
        .min()
}

/// What the summary sentence is built from.
struct Summary<'a> {
    running: &'a SoftwareVersion,
    branch: Branch,
    status: &'a BranchStatus,
    latest: Option<ReleaseVersion>,
    is_latest: bool,
    tail_missing: bool,
    newer_than_data: bool,
    newest: ReleaseVersion,
    through: Date,
    advisories: usize,
    missed: usize,
}

impl Summary<'_> {
    fn render(&self) -> String {
        let b = self.branch;
        let mut s = format!("Mastodon {}", self.running.raw);
        if self.running.pre.is_some() {
            s.push_str(" (a pre-release)");
        }
        s.push_str(&match self.status {
            BranchStatus::Supported => format!(": branch {b} is supported."),
            BranchStatus::SupportedUntil { until } => {
                format!(": branch {b} is supported until {until}.")
            }
            BranchStatus::EndOfLife { since: Some(d) } => {
                format!(": branch {b} is end of life since {d}.")
            }
            BranchStatus::EndOfLife { since: None } => format!(": branch {b} is end of life."),
            BranchStatus::Unknown => format!(
                ": branch {b} is not in the release data (through {}).",
                self.through
            ),
        });
        if self.tail_missing {
            s.push_str(&format!(
                " The release data lacks the later {b}.x releases, so the latest one is unknown."
            ));
        }
        match (self.latest, self.is_latest) {
            (Some(_), true) if self.newer_than_data => s.push_str(&format!(
                " It is newer than every {b}.x release in the data (through {}).",
                self.through
            )),
            (Some(_), true) => s.push_str(" It is the latest release of its branch."),
            (Some(l), false) => s.push_str(&format!(
                " The latest {b}.x release is {l}; {} security release{} missed.",
                self.missed,
                plural(self.missed)
            )),
            (None, _) => {}
        }
        if self.advisories > 0 {
            s.push_str(&format!(
                " {} advisor{} fixed since.",
                self.advisories,
                if self.advisories == 1 { "y" } else { "ies" }
            ));
        } else if !matches!(self.status, BranchStatus::Unknown) {
            s.push_str(" No known advisory fixed since.");
        }
        if let Some(build) = &self.running.build {
            s.push_str(&format!(
                " Build {build:?} is a fork or custom build, judged by its base version."
            ));
        }
        s.push_str(&format!(" Newest release: {}.", self.newest));
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
