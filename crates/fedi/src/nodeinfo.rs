//! The NodeInfo discovery document (`/.well-known/nodeinfo`, a JRD with `links`): which links it
//! offers and in which order to try them.
//!
//! NodeInfo's protocol says a client picks the highest schema version it understands; every
//! 2.x document is a superset of 2.0 and 1.x differs only in the software name rules, so Vigil
//! reads any of them and simply prefers the highest. Links with other relations (servers also
//! list their instance actor here, FEP-2677) are ignored. Pure: the retrieval passes the JSON in.

use serde_json::Value;
use vigil_model::fedi::NodeinfoLink;

/// Relation prefix of the NodeInfo schema links. The spec's URIs are http://; some servers
/// write https://, which is accepted as the same relation.
const SCHEMA_PREFIXES: [&str; 2] = [
    "http://nodeinfo.diaspora.software/ns/schema/",
    "https://nodeinfo.diaspora.software/ns/schema/",
];

/// Links kept from one document; more is junk, not a real server.
const MAX_LINKS: usize = 16;

/// Longest href kept.
const MAX_HREF_LEN: usize = 2048;

/// The NodeInfo links of a discovery document, in the order offered (at most 16).
pub fn nodeinfo_links(doc: &Value) -> Vec<NodeinfoLink> {
    let Some(links) = doc.get("links").and_then(Value::as_array) else {
        return Vec::new();
    };
    links
        .iter()
        .filter_map(|link| {
            let rel = link.get("rel")?.as_str()?.trim();
            let href = link.get("href")?.as_str()?.trim();
            let schema = SCHEMA_PREFIXES
                .iter()
                .find_map(|p| rel.strip_prefix(p))?
                .trim_end_matches(['#', '/']);
            schema_number(schema)?;
            if href.is_empty() || href.len() > MAX_HREF_LEN {
                return None;
            }
            Some(NodeinfoLink {
                schema: schema.to_string(),
                href: href.to_string(),
            })
        })
        .take(MAX_LINKS)
        .collect()
}

/// `2.1` → `(2, 1)`; `None` for anything that is not `major.minor`.
fn schema_number(schema: &str) -> Option<(u32, u32)> {
    let (major, minor) = schema.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The links in the order to try them: highest schema first, the order offered among equals.
pub fn preference_order(links: &[NodeinfoLink]) -> Vec<&NodeinfoLink> {
    let mut ordered: Vec<&NodeinfoLink> = links.iter().collect();
    // A stable sort keeps the server's order among links of the same schema.
    ordered.sort_by_key(|l| std::cmp::Reverse(schema_number(&l.schema).unwrap_or((0, 0))));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn highest_schema_first() {
        let doc = json!({"links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://a/2.0"},
            {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": "https://a/actor"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://a/2.1"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/1.0", "href": "https://a/1.0"},
            {"rel": "https://nodeinfo.diaspora.software/ns/schema/1.1/", "href": " https://a/1.1 "}
        ]});
        let links = nodeinfo_links(&doc);
        let schemas: Vec<&str> = links.iter().map(|l| l.schema.as_str()).collect();
        assert_eq!(schemas, ["2.0", "2.1", "1.0", "1.1"]);
        assert_eq!(links[3].href, "https://a/1.1");
        let order: Vec<&str> = preference_order(&links)
            .iter()
            .map(|l| l.href.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "https://a/2.1",
                "https://a/2.0",
                "https://a/1.1",
                "https://a/1.0"
            ]
        );
    }

    #[test]
    fn malformed_documents_give_no_links() {
        for doc in [
            json!([]),
            json!({"links": "x"}),
            json!({"links": [1, null, {"rel": 5, "href": "https://a"}]}),
            json!({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/two", "href": "https://a"}]}),
            json!({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": ""}]}),
            json!({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0"}]}),
        ] {
            assert!(nodeinfo_links(&doc).is_empty(), "{doc}");
        }
    }

    #[test]
    fn link_count_is_capped() {
        let many: Vec<Value> = (0..100)
            .map(|i| {
                json!({"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                       "href": format!("https://a/{i}")})
            })
            .collect();
        assert_eq!(nodeinfo_links(&json!({ "links": many })).len(), MAX_LINKS);
    }
}
