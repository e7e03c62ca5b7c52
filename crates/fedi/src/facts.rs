//! From raw documents to [`FediFacts`]: software name and version, registrations, user and post
//! counts, and the server's title, each with the document it came from.
//!
//! NodeInfo is the one format every fediverse server speaks, so it wins for what it defines
//! (software, counts, registrations). The instance API fills the gaps: its `version` carries
//! Pleroma/Akkoma's `(compatible; Pleroma 2.6.2)` wrapper or Mastodon's plain version, and its
//! `title` is the name users see, so it wins for the title. Every read is defensive: a field of
//! the wrong type is treated as absent, never as an error.

use crate::version::parse_version;
use serde_json::Value;
use vigil_model::fedi::{FediDocument, FediEvidence, FediFacts, SoftwareVersion};

/// Longest software name kept.
const MAX_NAME_LEN: usize = 64;
/// Longest title kept (in characters).
const MAX_TITLE_CHARS: usize = 200;

/// Reads the facts out of the evidence.
pub fn facts(ev: &FediEvidence) -> FediFacts {
    let nodeinfo = ev.nodeinfo.as_ref().filter(|v| v.is_object());
    let v2 = ev.instance_v2.as_ref().filter(|v| v.is_object());
    let v1 = ev.instance_v1.as_ref().filter(|v| v.is_object());
    let mut f = FediFacts::default();

    let (software, version) = software_and_version(nodeinfo, v2, v1);
    if let Some((name, doc)) = software {
        f.software = Some(name);
        f.source.software = Some(doc);
    }
    if let Some((v, doc)) = version {
        f.version = Some(v);
        f.source.version = Some(doc);
    }

    let sources = |n: Option<&'static [&'static str]>,
                   a: Option<&'static [&'static str]>,
                   b: Option<&'static [&'static str]>| {
        [
            (nodeinfo, n, FediDocument::Nodeinfo),
            (v2, a, FediDocument::InstanceV2),
            (v1, b, FediDocument::InstanceV1),
        ]
    };

    (f.open_registrations, f.source.open_registrations) = first(
        sources(
            Some(&["openRegistrations"]),
            Some(&["registrations", "enabled"]),
            Some(&["registrations"]),
        ),
        Value::as_bool,
    );
    (f.users_total, f.source.users_total) = first(
        sources(
            Some(&["usage", "users", "total"]),
            None,
            Some(&["stats", "user_count"]),
        ),
        count,
    );
    (f.users_active_month, f.source.users_active_month) = first(
        sources(
            Some(&["usage", "users", "activeMonth"]),
            Some(&["usage", "users", "active_month"]),
            None,
        ),
        count,
    );
    (f.local_posts, f.source.local_posts) = first(
        sources(
            Some(&["usage", "localPosts"]),
            None,
            Some(&["stats", "status_count"]),
        ),
        count,
    );
    // The instance API title is what the server shows; NodeInfo's nodeName is often a default.
    (f.title, f.source.title) = first(
        [
            (v2, Some(&["title"][..]), FediDocument::InstanceV2),
            (v1, Some(&["title"][..]), FediDocument::InstanceV1),
            (
                nodeinfo,
                Some(&["metadata", "nodeName"][..]),
                FediDocument::Nodeinfo,
            ),
        ],
        title,
    );
    f
}

type Found<T> = Option<(T, FediDocument)>;

/// Where a fact may be: a document (when present), the path in it (when it defines the fact),
/// and which document that is.
type Candidate<'a> = (
    Option<&'a Value>,
    Option<&'static [&'static str]>,
    FediDocument,
);

/// The value at the first path that yields one, with the document it came from.
fn first<T>(
    candidates: [Candidate<'_>; 3],
    read: impl Fn(&Value) -> Option<T>,
) -> (Option<T>, Option<FediDocument>) {
    candidates
        .into_iter()
        .find_map(|(doc, path, which)| {
            let v = at(doc?, path?)?;
            Some((read(v)?, which))
        })
        .map_or((None, None), |(v, d)| (Some(v), Some(d)))
}

fn at<'a>(doc: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |v, key| v.get(key))
}

/// A non-negative count; integral floats are accepted (some servers serialise counts as
/// `12.0`), strings and negatives are not.
fn count(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    let f = v.as_f64()?;
    // 2^53: beyond it a float no longer holds an exact integer.
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= 9_007_199_254_740_992.0)
        .then_some(f as u64)
}

fn title(v: &Value) -> Option<String> {
    let t = v.as_str()?.trim();
    (!t.is_empty()).then(|| t.chars().take(MAX_TITLE_CHARS).collect())
}

fn software_name(raw: &str) -> Option<String> {
    let name = raw.trim().to_lowercase();
    (!name.is_empty() && name.len() <= MAX_NAME_LEN).then_some(name)
}

/// `2.7.2 (compatible; Pleroma 2.6.2-…)` → `("pleroma", "2.6.2-…")`.
fn compatible(version: &str) -> Option<(String, &str)> {
    let inner = version.split_once("(compatible;")?.1;
    let inner = inner.split_once(')').map_or(inner, |(i, _)| i).trim();
    let (name, ver) = inner.split_once(char::is_whitespace)?;
    Some((software_name(name)?, ver.trim()))
}

/// Software name guessed from an instance document's `source_url` (Mastodon 4.x and
/// GoToSocial publish their repository there): the repository's name.
fn name_from_source_url(doc: &Value) -> Option<String> {
    let url = doc.get("source_url")?.as_str()?;
    let repo = url.trim().trim_end_matches('/').rsplit('/').next()?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    software_name(repo)
}

fn software_and_version(
    nodeinfo: Option<&Value>,
    v2: Option<&Value>,
    v1: Option<&Value>,
) -> (Found<String>, Found<SoftwareVersion>) {
    let instance: Vec<(&Value, FediDocument)> = [
        (v2, FediDocument::InstanceV2),
        (v1, FediDocument::InstanceV1),
    ]
    .into_iter()
    .filter_map(|(d, w)| Some((d?, w)))
    .collect();

    // What the instance API says about software and version, in v2-then-v1 order.
    let instance_claims = instance.iter().filter_map(|(doc, which)| {
        let raw = doc.get("version")?.as_str()?;
        match compatible(raw) {
            Some((name, ver)) => Some((Some(name), parse_version(ver), *which)),
            None => Some((name_from_source_url(doc), parse_version(raw), *which)),
        }
    });

    let software = nodeinfo
        .and_then(|n| at(n, &["software", "name"])?.as_str())
        .and_then(software_name)
        .map(|n| (n, FediDocument::Nodeinfo));
    let nodeinfo_version = nodeinfo
        .and_then(|n| at(n, &["software", "version"])?.as_str())
        .and_then(parse_version)
        .map(|v| (v, FediDocument::Nodeinfo));

    match software {
        Some((name, doc)) => {
            // A version from the instance API is only used when it names the same software
            // (or names none, as Mastodon's does).
            let version = nodeinfo_version.or_else(|| {
                instance_claims
                    .filter(|(claimed, _, _)| claimed.as_ref().is_none_or(|c| *c == name))
                    .find_map(|(_, v, w)| Some((v?, w)))
            });
            (Some((name, doc)), version)
        }
        None => {
            let mut software = None;
            let mut version = None;
            for (name, v, which) in instance_claims {
                if software.is_none() {
                    software = name.map(|n| (n, which));
                }
                if version.is_none() {
                    version = v.map(|v| (v, which));
                }
            }
            (software, version)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn evidence(nodeinfo: Option<Value>, v2: Option<Value>, v1: Option<Value>) -> FediEvidence {
        FediEvidence {
            host: "example.test".into(),
            nodeinfo_links: Vec::new(),
            nodeinfo_schema: None,
            nodeinfo_url: None,
            nodeinfo,
            instance_v2: v2,
            instance_v1: v1,
            errors: Vec::new(),
            elapsed_ms: 0,
        }
    }

    #[test]
    fn empty_evidence_gives_no_facts() {
        assert_eq!(facts(&evidence(None, None, None)), FediFacts::default());
        let junk = evidence(Some(json!([1])), Some(json!("x")), Some(json!(null)));
        assert_eq!(facts(&junk), FediFacts::default());
    }

    #[test]
    fn wrong_types_are_absent() {
        let n = json!({"software": {"name": 7, "version": ["4.3.2"]},
                       "openRegistrations": "yes",
                       "usage": {"users": {"total": -3, "activeMonth": "12"}, "localPosts": 1.5}});
        assert_eq!(facts(&evidence(Some(n), None, None)), FediFacts::default());
    }

    #[test]
    fn integral_floats_count() {
        let n = json!({"usage": {"users": {"total": 12.0}, "localPosts": 1e300}});
        let f = facts(&evidence(Some(n), None, None));
        assert_eq!(f.users_total, Some(12));
        assert_eq!(f.local_posts, None);
    }

    #[test]
    fn compatible_wrapper() {
        assert_eq!(
            compatible("2.7.2 (compatible; Pleroma 2.6.2-1-gabcd)"),
            Some(("pleroma".to_string(), "2.6.2-1-gabcd"))
        );
        assert_eq!(
            compatible("2.7.2 (compatible; Akkoma 3.13.2"),
            Some(("akkoma".to_string(), "3.13.2"))
        );
        assert_eq!(compatible("4.3.2"), None);
        assert_eq!(compatible("2.7.2 (compatible; )"), None);
    }

    #[test]
    fn instance_version_naming_other_software_is_ignored() {
        let n = json!({"software": {"name": "Mastodon"}});
        let v1 = json!({"version": "2.7.2 (compatible; Pleroma 2.6.2)"});
        let f = facts(&evidence(Some(n.clone()), None, Some(v1)));
        assert_eq!(f.software.as_deref(), Some("mastodon"));
        assert_eq!(f.version, None);
        let v2 = json!({"version": "4.3.2"});
        let f = facts(&evidence(Some(n), Some(v2), None));
        assert_eq!(f.version.map(|v| v.raw).as_deref(), Some("4.3.2"));
        assert_eq!(f.source.version, Some(FediDocument::InstanceV2));
    }

    #[test]
    fn long_titles_are_cut() {
        let v2 = json!({"title": "é".repeat(1000)});
        let f = facts(&evidence(None, Some(v2), None));
        assert_eq!(f.title.map(|t| t.chars().count()), Some(MAX_TITLE_CHARS));
    }
}
