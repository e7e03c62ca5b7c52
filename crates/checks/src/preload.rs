//! The HSTS preload list (Chromium's `force-https` entries), shipped as data and loaded once.
//!
//! `data/hsts-preload.txt` is generated from PyPI `hstspreload` (see `scripts/refresh-hsts-preload.py`);
//! one host per line, ` *` marking include_subdomains, sorted so lookups are binary searches
//! over the embedded text itself, with nothing built at start-up.

const LIST: &str = include_str!("../data/hsts-preload.txt");

/// A preload entry that covers a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreloadEntry {
    /// The listed name (the host itself or a parent domain).
    pub name: &'static str,
    /// Whether the entry covers subdomains.
    pub include_subdomains: bool,
}

/// The list without its comment header: one entry per line, sorted by name in byte order
/// (a unit test checks it), so a lookup is a binary search over the text itself and a scan
/// pays nothing at start-up for 161k entries.
fn entries() -> &'static str {
    let mut rest = LIST;
    while rest.starts_with('#') {
        rest = rest.split_once('\n').map_or("", |(_, r)| r);
    }
    rest
}

/// The line of `text` that contains byte `at`, and where it starts.
fn line_at(text: &'static str, at: usize) -> (usize, &'static str) {
    let bytes = text.as_bytes();
    let mut start = at.min(bytes.len());
    while start > 0 && bytes.get(start - 1) != Some(&b'\n') {
        start -= 1;
    }
    let line = text.get(start..).unwrap_or_default();
    let line = line.split_once('\n').map_or(line, |(l, _)| l);
    (start, line)
}

/// Splits a line into its name and whether it covers subdomains.
fn parse_line(line: &'static str) -> (&'static str, bool) {
    match line.strip_suffix(" *") {
        Some(name) => (name, true),
        None => (line, false),
    }
}

fn lookup(name: &str) -> Option<PreloadEntry> {
    let text = entries();
    // Invariant: the entry, if present, starts in [lo, hi).
    let (mut lo, mut hi) = (0usize, text.len());
    while lo < hi {
        let (start, line) = line_at(text, lo + (hi - lo) / 2);
        let (listed, include_subdomains) = parse_line(line);
        match listed.cmp(name) {
            std::cmp::Ordering::Equal if !listed.is_empty() => {
                return Some(PreloadEntry {
                    name: listed,
                    include_subdomains,
                });
            }
            std::cmp::Ordering::Less | std::cmp::Ordering::Equal => {
                lo = start + line.len() + 1;
            }
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    None
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
    entries().lines().filter(|l| !l.is_empty()).count()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::indexing_slicing)]
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
    fn the_list_is_sorted_and_every_entry_is_found() {
        let names: Vec<(&str, bool)> = entries()
            .lines()
            .filter(|l| !l.is_empty())
            .map(parse_line)
            .collect();
        for pair in names.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "not sorted: {:?} then {:?}",
                pair[0],
                pair[1]
            );
        }
        for (name, subs) in names
            .iter()
            .step_by(97)
            .chain(names.last())
            .chain(names.first())
        {
            let e = lookup(name).expect("listed entry");
            assert_eq!((e.name, e.include_subdomains), (*name, *subs));
        }
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("zzzzzzzz-not-listed.invalid"), None);
        assert_eq!(lookup("0"), None);
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
