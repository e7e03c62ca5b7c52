//! `facts` over fixture documents written from each server's documented shapes: NodeInfo 2.0
//! and 2.1 as Mastodon, glitch-soc, Hometown, Pleroma, Akkoma, GoToSocial, Misskey and Pixelfed
//! serve them, and Mastodon's `/api/v2/instance` and `/api/v1/instance`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use vigil_fedi::{facts, nodeinfo_links, preference_order};
use vigil_model::fedi::{FediDocument, FediEvidence, FediFacts};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/{name}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str()
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn evidence(nodeinfo: Option<&str>, v2: Option<&str>, v1: Option<&str>) -> FediEvidence {
    FediEvidence {
        host: "example.test".into(),
        nodeinfo_links: Vec::new(),
        nodeinfo_schema: None,
        nodeinfo_url: None,
        nodeinfo: nodeinfo.map(fixture),
        instance_v2: v2.map(fixture),
        instance_v1: v1.map(fixture),
        errors: Vec::new(),
        elapsed_ms: 1,
    }
}

fn version(f: &FediFacts) -> (u64, u64, u64, Option<&str>, Option<&str>) {
    let v = f.version.as_ref().unwrap();
    (
        v.major,
        v.minor,
        v.patch,
        v.pre.as_deref(),
        v.build.as_deref(),
    )
}

#[test]
fn mastodon_nodeinfo_and_v2() {
    let f = facts(&evidence(
        Some("mastodon-nodeinfo-2.0.json"),
        Some("mastodon-instance-v2.json"),
        None,
    ));
    assert_eq!(f.software.as_deref(), Some("mastodon"));
    assert_eq!(version(&f), (4, 3, 2, None, None));
    assert_eq!(f.open_registrations, Some(true));
    assert_eq!(f.users_total, Some(18342));
    // NodeInfo wins over the instance API for counts (2210, not v2's 2215).
    assert_eq!(f.users_active_month, Some(2210));
    assert_eq!(f.local_posts, Some(1_187_342));
    assert_eq!(f.title.as_deref(), Some("Example Social"));
    let s = &f.source;
    assert_eq!(s.software, Some(FediDocument::Nodeinfo));
    assert_eq!(s.version, Some(FediDocument::Nodeinfo));
    assert_eq!(s.users_active_month, Some(FediDocument::Nodeinfo));
    assert_eq!(s.title, Some(FediDocument::InstanceV2));
}

#[test]
fn mastodon_instance_api_alone() {
    let f = facts(&evidence(None, Some("mastodon-instance-v2.json"), None));
    assert_eq!(f.software.as_deref(), Some("mastodon"));
    assert_eq!(f.source.software, Some(FediDocument::InstanceV2));
    assert_eq!(version(&f), (4, 3, 2, None, None));
    assert_eq!(f.open_registrations, Some(true));
    assert_eq!(f.users_active_month, Some(2215));
    assert_eq!(f.users_total, None);

    let f = facts(&evidence(None, None, Some("mastodon-instance-v1.json")));
    // v1 has no source_url, so the software is not named; the facts it has are kept.
    assert_eq!(f.software, None);
    assert_eq!(version(&f), (3, 5, 3, None, None));
    assert_eq!(f.open_registrations, Some(false));
    assert_eq!(f.users_total, Some(912));
    assert_eq!(f.local_posts, Some(40211));
    assert_eq!(f.title.as_deref(), Some("Example Social (v1)"));
    assert_eq!(f.source.users_total, Some(FediDocument::InstanceV1));
}

#[test]
fn old_mastodon_with_v1_fallback() {
    let f = facts(&evidence(
        Some("mastodon-3.5-nodeinfo-2.0.json"),
        None,
        Some("mastodon-instance-v1.json"),
    ));
    assert_eq!(f.software.as_deref(), Some("mastodon"));
    assert_eq!(version(&f), (3, 5, 3, None, None));
    assert_eq!(f.users_total, Some(912));
    assert_eq!(f.users_active_month, Some(140));
    assert_eq!(f.title.as_deref(), Some("Example Social (v1)"));
    assert_eq!(f.source.title, Some(FediDocument::InstanceV1));
}

#[test]
fn mastodon_forks_keep_their_flavour() {
    let f = facts(&evidence(Some("glitch-nodeinfo-2.0.json"), None, None));
    assert_eq!(f.software.as_deref(), Some("mastodon"));
    assert_eq!(version(&f), (4, 5, 2, None, Some("glitch")));
    assert_eq!(f.open_registrations, Some(false));
    assert_eq!(f.title.as_deref(), Some("glitch.example"));

    let f = facts(&evidence(Some("hometown-nodeinfo-2.0.json"), None, None));
    assert_eq!(version(&f), (4, 3, 0, None, Some("hometown-1.1.1")));
    assert_eq!(f.title, None);
}

#[test]
fn pleroma() {
    let f = facts(&evidence(
        Some("pleroma-nodeinfo-2.1.json"),
        None,
        Some("pleroma-instance-v1.json"),
    ));
    assert_eq!(f.software.as_deref(), Some("pleroma"));
    assert_eq!(version(&f), (2, 6, 2, None, Some("1234-gabcdef-develop")));
    assert_eq!(f.open_registrations, Some(false));
    assert_eq!(
        (f.users_total, f.users_active_month, f.local_posts),
        (Some(57), Some(12), Some(15402))
    );
    assert_eq!(f.title.as_deref(), Some("Pleroma Example"));

    // Without NodeInfo the "(compatible; Pleroma …)" wrapper still names it.
    let f = facts(&evidence(None, None, Some("pleroma-instance-v1.json")));
    assert_eq!(f.software.as_deref(), Some("pleroma"));
    assert_eq!(f.source.software, Some(FediDocument::InstanceV1));
    assert_eq!(version(&f), (2, 6, 2, None, Some("1234-gabcdef-develop")));
}

#[test]
fn akkoma() {
    let f = facts(&evidence(Some("akkoma-nodeinfo-2.1.json"), None, None));
    assert_eq!(f.software.as_deref(), Some("akkoma"));
    assert_eq!(version(&f), (3, 13, 2, None, None));
    assert_eq!(f.open_registrations, Some(true));
    assert_eq!(f.users_total, Some(130));
}

#[test]
fn gotosocial() {
    let f = facts(&evidence(
        Some("gotosocial-nodeinfo-2.0.json"),
        None,
        Some("gotosocial-instance-v1.json"),
    ));
    assert_eq!(f.software.as_deref(), Some("gotosocial"));
    assert_eq!(version(&f), (0, 17, 3, None, Some("git-abc123")));
    assert_eq!(f.users_active_month, None);
    assert_eq!(f.local_posts, Some(4812));
    assert_eq!(f.title.as_deref(), Some("GoToSocial Example"));
}

#[test]
fn misskey_nulls_are_absent() {
    let f = facts(&evidence(Some("misskey-nodeinfo-2.1.json"), None, None));
    assert_eq!(f.software.as_deref(), Some("misskey"));
    assert_eq!(version(&f), (2024, 11, 0, None, None));
    assert_eq!(f.users_total, Some(2210));
    assert_eq!(f.users_active_month, None);
    assert_eq!(f.source.users_active_month, None);
    assert_eq!(f.title.as_deref(), Some("Misskey Example"));
}

#[test]
fn pixelfed() {
    let f = facts(&evidence(Some("pixelfed-nodeinfo-2.0.json"), None, None));
    assert_eq!(f.software.as_deref(), Some("pixelfed"));
    assert_eq!(version(&f), (0, 12, 4, None, None));
    assert_eq!(f.users_active_month, Some(171));
    assert_eq!(f.open_registrations, Some(true));
}

#[test]
fn well_known_documents() {
    let links = nodeinfo_links(&fixture("mastodon-wellknown.json"));
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].schema, "2.0");
    let links = nodeinfo_links(&fixture("pleroma-wellknown.json"));
    let best = preference_order(&links)[0];
    assert_eq!(
        (best.schema.as_str(), best.href.as_str()),
        ("2.1", "https://HOST/nodeinfo/2.1.json")
    );
}

#[test]
fn facts_serialise_round_trip() {
    let f = facts(&evidence(
        Some("pleroma-nodeinfo-2.1.json"),
        None,
        Some("pleroma-instance-v1.json"),
    ));
    let json = serde_json::to_string(&f).unwrap();
    assert!(json.contains(r#""software":"nodeinfo""#), "{json}");
    let back: FediFacts = serde_json::from_str(&json).unwrap();
    assert_eq!(back, f);
}
