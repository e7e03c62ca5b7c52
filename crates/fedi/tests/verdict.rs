//! Version verdicts over the bundled Mastodon release data, on fixed days so the results do not
//! drift with the clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use time::Date;
use time::macros::date;
use vigil_fedi::{ReleaseData, parse_version, verdict};
use vigil_model::fedi::{BranchStatus, FediFacts, VersionVerdict};

const TODAY: Date = date!(2026 - 11 - 29);

fn judge_on(software: &str, version: &str, today: Date) -> Option<VersionVerdict> {
    let facts = FediFacts {
        software: Some(software.to_string()),
        version: parse_version(version),
        ..FediFacts::default()
    };
    verdict(&facts, ReleaseData::bundled().unwrap(), today)
}

fn judge(version: &str) -> VersionVerdict {
    judge_on("mastodon", version, TODAY).unwrap()
}

fn ids(v: &VersionVerdict) -> Vec<&str> {
    v.advisories_fixed_since
        .iter()
        .map(|a| a.id.as_str())
        .collect()
}

fn fixed_in<'a>(v: &'a VersionVerdict, id: &str) -> Option<&'a str> {
    v.advisories_fixed_since
        .iter()
        .find(|a| a.id == id)
        .map(|a| a.fixed_in.as_str())
}

fn eol(since: &str) -> BranchStatus {
    BranchStatus::EndOfLife {
        since: Some(since.into()),
    }
}

#[test]
fn eol_branch_lists_branch_fixes_and_later_ones() {
    let v = judge("4.3.2");
    assert_eq!(v.branch, "4.3");
    assert_eq!(v.branch_status, eol("2026-05-20"));
    assert_eq!(v.latest_on_branch.as_deref(), Some("4.3.23"));
    assert!(!v.is_latest_on_branch);
    assert_eq!(v.newest_release, "4.6.5");
    assert_eq!(v.release_data_through, "2026-08-06");
    assert!(!v.release_data_incomplete);
    // On the branch: every 4.3.x after 4.3.2 with a security section.
    assert_eq!(
        v.security_releases_missed.first().map(String::as_str),
        Some("4.3.3")
    );
    assert_eq!(
        v.security_releases_missed.last().map(String::as_str),
        Some("4.3.23")
    );
    assert_eq!(v.security_releases_missed.len(), 16);
    assert_eq!(fixed_in(&v, "GHSA-5wxh-3p65-r4g6"), Some("4.3.3"));
    assert_eq!(fixed_in(&v, "GHSA-84ch-6436-c7mg"), Some("4.3.11"));
    assert_eq!(fixed_in(&v, "GHSA-53m7-2wrh-q839"), Some("4.3.23"));
    // After the end of life: fixes on the oldest supported branch are presumed missing.
    assert_eq!(fixed_in(&v, "GHSA-qrgq-9fx2-vf2r"), Some("4.4.18"));
    assert_eq!(fixed_in(&v, "GHSA-7jvv-fhmg-wpfw"), Some("4.4.21"));
    let dep = v
        .advisories_fixed_since
        .iter()
        .find(|a| a.id == "GHSA-qff7-4q6c-m8h6")
        .unwrap();
    assert!(dep.third_party);
    assert_eq!(dep.cve.as_deref(), Some("CVE-2026-8461"));
    assert_eq!(dep.fixed_in, "4.4.20");
    // Fixed only on newer code while 4.4 released without it that day, or fixed on 4.4 alone
    // while 4.3 was still supported: not presumed to affect 4.3.
    assert_eq!(fixed_in(&v, "GHSA-hx34-2pfw-2qfj"), None);
    assert_eq!(fixed_in(&v, "GHSA-8h43-rcqj-wpc6"), None);
    assert_eq!(fixed_in(&v, "GHSA-46w6-g98f-wxqm"), None);
    // Each id once, ordered by the release that fixed it.
    let mut unique = ids(&v);
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), v.advisories_fixed_since.len());
    assert_eq!(ids(&v).first(), Some(&"GHSA-5wxh-3p65-r4g6"));
    assert!(
        v.summary.contains("end of life since 2026-05-20"),
        "{}",
        v.summary
    );
    assert!(v.summary.contains("4.3.23"), "{}", v.summary);
}

#[test]
fn last_release_of_an_eol_branch_still_misses_later_fixes() {
    let v = judge("4.3.23");
    assert!(v.is_latest_on_branch);
    assert!(v.security_releases_missed.is_empty());
    assert_eq!(fixed_in(&v, "GHSA-53m7-2wrh-q839"), None);
    assert_eq!(fixed_in(&v, "GHSA-3rhr-8phh-jm86"), Some("4.4.19"));
}

#[test]
fn latest_releases_are_clean() {
    for version in ["4.6.5", "4.5.15", "4.4.22"] {
        let v = judge(version);
        assert!(v.is_latest_on_branch, "{version}");
        assert_eq!(v.latest_on_branch.as_deref(), Some(version));
        assert!(
            v.advisories_fixed_since.is_empty(),
            "{version}: {:?}",
            ids(&v)
        );
        assert!(v.security_releases_missed.is_empty());
        assert!(!v.release_data_incomplete);
        assert!(
            v.summary.contains("latest release of its branch"),
            "{}",
            v.summary
        );
    }
    assert_eq!(judge("4.6.5").branch_status, BranchStatus::Supported);
    assert_eq!(
        judge("4.4.22").branch_status,
        BranchStatus::SupportedUntil {
            until: "2026-12-17".into()
        }
    );
}

#[test]
fn behind_on_a_supported_branch() {
    let v = judge("4.6.3");
    assert_eq!(v.branch_status, BranchStatus::Supported);
    assert_eq!(v.latest_on_branch.as_deref(), Some("4.6.5"));
    assert!(!v.is_latest_on_branch);
    assert_eq!(v.security_releases_missed, ["4.6.4"]);
    assert_eq!(
        ids(&v),
        [
            "GHSA-7jvv-fhmg-wpfw",
            "GHSA-hx34-2pfw-2qfj",
            "GHSA-vwhj-3g83-v276"
        ]
    );
}

#[test]
fn pre_release_sorts_before_its_release() {
    let v = judge("4.4.0-beta.1");
    assert_eq!(v.branch, "4.4");
    assert_eq!(v.latest_on_branch.as_deref(), Some("4.4.22"));
    assert!(!v.is_latest_on_branch);
    assert_eq!(
        v.security_releases_missed.first().map(String::as_str),
        Some("4.4.2")
    );
    assert_eq!(fixed_in(&v, "GHSA-84ch-6436-c7mg"), Some("4.4.3"));
    assert_eq!(fixed_in(&v, "GHSA-8h43-rcqj-wpc6"), Some("4.4.8"));
    assert!(v.summary.contains("pre-release"), "{}", v.summary);
}

#[test]
fn unknown_future_versions() {
    for version in ["5.0.0", "4.7.0-alpha.1", "4.7.0"] {
        let v = judge(version);
        assert_eq!(v.branch_status, BranchStatus::Unknown, "{version}");
        assert_eq!(v.latest_on_branch, None);
        assert!(!v.is_latest_on_branch);
        assert!(v.advisories_fixed_since.is_empty());
        assert_eq!(v.newest_release, "4.6.5");
        assert!(
            v.summary.contains("not in the release data"),
            "{}",
            v.summary
        );
    }
    // A patch newer than the data on a known branch: latest as far as we know, flagged.
    let v = judge("4.6.9");
    assert!(v.is_latest_on_branch);
    assert!(v.release_data_incomplete);
    assert!(v.advisories_fixed_since.is_empty());
    assert!(
        v.summary.contains("newer than every 4.6.x release"),
        "{}",
        v.summary
    );
}

#[test]
fn branches_missing_their_backports() {
    // 4.2.x releases after 4.2.11 are missing from the data, so 4.2.11 is not called latest,
    // and fixes made on newer branches since then are presumed missing too.
    let v = judge("4.2.11");
    assert_eq!(v.branch_status, eol("2026-01-08"));
    assert_eq!(v.latest_on_branch, None);
    assert!(!v.is_latest_on_branch);
    assert!(v.release_data_incomplete);
    assert_eq!(fixed_in(&v, "GHSA-jpxp-r43f-rhvx"), Some("4.3.0"));
    assert_eq!(fixed_in(&v, "GHSA-5wxh-3p65-r4g6"), Some("4.3.3"));
    assert!(
        v.summary.contains("lacks the later 4.2.x releases"),
        "{}",
        v.summary
    );

    // An unlisted 4.2.x backport: only what was fixed after the end of life is certain.
    let v = judge("4.2.15");
    assert!(v.release_data_incomplete);
    assert_eq!(fixed_in(&v, "GHSA-5wxh-3p65-r4g6"), None);
    assert_eq!(fixed_in(&v, "GHSA-5h2f-wg8j-xqwp"), Some("4.3.18"));

    for version in ["3.5.3", "4.0.2", "4.1.8"] {
        let v = judge(version);
        assert!(v.release_data_incomplete, "{version}");
        assert_eq!(v.latest_on_branch, None, "{version}");
        assert!(!v.advisories_fixed_since.is_empty(), "{version}");
    }
}

#[test]
fn complete_branches_are_not_flagged_on_any_day() {
    let data = ReleaseData::bundled().unwrap();
    let mut days: Vec<Date> = data.releases().iter().map(|r| r.date).collect();
    days.push(TODAY);
    for day in days {
        for r in data.releases().iter().filter(|r| r.date <= day) {
            let gappy = matches!((r.version.major, r.version.minor), (3, 5) | (4, 0..=2));
            if gappy {
                continue;
            }
            let v = judge_on("mastodon", &r.version.to_string(), day).unwrap();
            assert!(
                !v.release_data_incomplete && v.latest_on_branch.is_some(),
                "{} on {day}: {}",
                r.version,
                v.summary
            );
        }
    }
}

#[test]
fn judged_as_of_the_day() {
    // On 2024-12-10, 4.3.2 was the newest 4.3 release and 4.3 was supported.
    let v = judge_on("mastodon", "4.3.2", date!(2024 - 12 - 10)).unwrap();
    assert!(v.is_latest_on_branch);
    assert_eq!(v.newest_release, "4.3.2");
    assert_eq!(
        v.branch_status,
        BranchStatus::SupportedUntil {
            until: "2026-05-20".into()
        }
    );
    assert!(v.advisories_fixed_since.is_empty());
    // Before any release in the data there is nothing to judge against.
    assert_eq!(judge_on("mastodon", "2.5.0", date!(2018 - 01 - 01)), None);
}

#[test]
fn ancient_versions() {
    let v = judge("3.4.6");
    assert_eq!(v.branch_status, eol("2022-03-30"));
    assert_eq!(v.latest_on_branch.as_deref(), Some("3.4.6"));
    assert!(v.is_latest_on_branch);
    assert!(!v.release_data_incomplete);
    assert_eq!(fixed_in(&v, "GHSA-2693-xr3m-jhqr"), Some("4.1.8"));

    let v = judge("2.4.0");
    assert_eq!(v.branch_status, BranchStatus::EndOfLife { since: None });
    assert_eq!(v.latest_on_branch, None);
    assert_eq!(fixed_in(&v, "CVE-2022-24307"), Some("3.4.6"));

    let v = judge("3.6.0");
    assert_eq!(v.branch_status, BranchStatus::Unknown);
}

#[test]
fn only_mastodon_is_judged() {
    assert_eq!(judge_on("pleroma", "2.6.2", TODAY), None);
    assert_eq!(judge_on("mastodon", "not a version", TODAY), None);
    let forked = judge_on("mastodon", "4.5.2+glitch", TODAY).unwrap();
    assert_eq!(forked.branch, "4.5");
    assert_eq!(fixed_in(&forked, "GHSA-gwhw-gcjx-72v8"), Some("4.5.3"));
    assert!(
        forked.summary.contains("fork or custom build"),
        "{}",
        forked.summary
    );
}

#[test]
fn verdict_serialises() {
    let v = judge("4.4.0-beta.1");
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["branch_status"]["status"], "supported-until");
    let back: VersionVerdict = serde_json::from_value(json).unwrap();
    assert_eq!(back, v);
}
