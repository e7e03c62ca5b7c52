//! Discovery from peer lists: a Mastodon-compatible instance's `/api/v1/instance/peers` is a
//! JSON array of the host names it federates with. Every name is untrusted: it is normalised,
//! deduplicated, skipped when obfuscated (`*`, as instances hide blocked domains) and rejected
//! unless it is a valid public host name; at most `limit` names are taken from one instance.

use crate::guard::public_name;
use std::collections::BTreeSet;
use vigil_model::Hostname;

/// What one peers document gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peers {
    /// Valid, new-looking names, sorted, at most the limit.
    pub names: Vec<String>,
    /// Entries skipped: obfuscated, invalid or not public.
    pub rejected: usize,
    /// The list held more valid names than the limit.
    pub truncated: bool,
}

/// Why a peers document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeersError {
    #[error("the peers document is not a JSON array of strings: {0}")]
    NotAList(String),
}

/// Reads a peers document (pure).
pub fn parse(body: &[u8], limit: usize) -> Result<Peers, PeersError> {
    let list: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| PeersError::NotAList(e.to_string()))?;
    let mut names = BTreeSet::new();
    let mut rejected = 0;
    let mut truncated = false;
    for entry in list {
        let Some(raw) = entry.as_str() else {
            rejected += 1;
            continue;
        };
        match normalise(raw) {
            Some(name) => {
                if names.len() >= limit && !names.contains(&name) {
                    truncated = true;
                    continue;
                }
                names.insert(name);
            }
            None => rejected += 1,
        }
    }
    Ok(Peers {
        names: names.into_iter().collect(),
        rejected,
        truncated,
    })
}

/// The normal form of one peer name, or `None` when it must not be added (pure).
pub fn normalise(raw: &str) -> Option<String> {
    if raw.contains('*') || raw.len() > 253 {
        return None;
    }
    let host = Hostname::parse(raw.trim()).ok()?;
    let name = host.as_str().to_ascii_lowercase();
    public_name(&name).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_cleaned() {
        let body = br#"["Mastodon.Social", "mastodon.social.", "*.blocked.example", "ab**.net",
            "127.0.0.1", "localhost", "peer.test", "bad name.org", 42, "xn--mnchen-3ya.de",
            "https://evil.org/", "fosstodon.org"]"#;
        let p = parse(body, 100).unwrap_or_default();
        assert_eq!(
            p.names,
            vec!["fosstodon.org", "mastodon.social", "xn--mnchen-3ya.de"]
        );
        assert_eq!(p.rejected, 8);
        assert!(!p.truncated);
        let p = parse(body, 2).unwrap_or_default();
        assert_eq!(p.names.len(), 2);
        assert!(p.truncated);
        assert!(parse(b"{\"a\":1}", 10).is_err());
        assert!(parse(b"not json", 10).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse(&body, 10);
        }
    }
}
