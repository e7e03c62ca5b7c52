//! The HSTS preload list (Chromium's `force-https` entries), shipped as data and loaded once.
//!
//! `data/hsts-preload.txt` is generated from PyPI `hstspreload` (see `scripts/refresh-hsts-preload.py`);
//! one host per line, ` *` marking include_subdomains, sorted so lookups are binary searches
//! over a table built on first use.

use std::sync::OnceLock;

const LIST: &str = include_str!("../data/hsts-preload.txt");

/// A preload entry that covers a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreloadEntry {
    /// The listed name (the host itself or a parent domain).
    pub name: &'static str,
    /// Whether the entry covers subdomains.
    pub include_subdomains: bool,
}

fn table() -> &'static [(&'static str, bool)] {
    static TABLE: OnceLock<Vec<(&'static str, bool)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v: Vec<(&'static str, bool)> = LIST
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| match l.strip_suffix(" *") {
                Some(name) => (name, true),
                None => (l, false),
            })
            .collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    })
}

fn lookup(name: &str) -> Option<PreloadEntry> {
    let t = table();
    t.binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .and_then(|i| t.get(i))
        .map(|(name, include_subdomains)| PreloadEntry {
            name,
            include_subdomains: *include_subdomains,
        })
}

/// The entry that preloads `host`: its exact name, or a parent with include_subdomains (§7).
pub fn preloaded(host: &str) -> Option<PreloadEntry> {
    let host = host.to_ascii_lowercase();
    if let Some(e) = lookup(&host) {
        return Some(e);
    }
    let mut rest = host.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if let Some(e) = lookup(parent).filter(|e| e.include_subdomains) {
            return Some(e);
        }
        rest = parent;
    }
    None
}

/// Number of entries (for diagnostics and tests).
pub fn len() -> usize {
    table().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtld_entries_cover_subdomains() {
        assert!(preloaded("086-redir-preloaded.obs-oracle.dev").is_some());
        assert!(preloaded("example.app").is_some());
        assert!(preloaded("dev").is_some());
    }

    #[test]
    fn test_names_are_not_preloaded() {
        assert!(preloaded("157-mastodon-max-score.obs.test").is_none());
        assert!(preloaded("obs.test").is_none());
    }

    #[test]
    fn exact_entry_and_parent_without_subdomains() {
        assert!(len() > 100_000);
        // Real entries from Chromium's list.
        assert!(preloaded("paypal.com").is_some());
        assert!(preloaded("www.paypal.com").is_some());
        // paypal.com is listed without include_subdomains.
        assert!(preloaded("shop.paypal.com").is_none());
    }
}
