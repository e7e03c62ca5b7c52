//! Parsing a list of Content-Security-Policy strings into one directive map, exactly as the
//! reference does (spec §5.1): the 6-character minimum, duplicate rules, empty `-src` lists,
//! and the intersection-like combination of several policies.
//!
//! Invalid input is an error, never a panic: the CSP test turns any error into
//! `csp-header-invalid`.

use super::collate;
use std::collections::BTreeSet;

/// Why a policy list could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CspParseError {
    /// A policy was empty or shorter than 6 characters.
    #[error("policy too short: {0:?}")]
    TooShort(String),
    /// A directive other than report-uri/report-to repeats inside one policy.
    #[error("directive {0} repeats in one policy")]
    DuplicateDirective(String),
    /// A source has a malformed `%` escape where two policies had to be compared.
    #[error("malformed percent-escape in {0:?}")]
    BadEscape(String),
}

/// The parsed policy: directives in first-seen order, each with its set of sources.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CspMap {
    /// `(directive, sources)`; sources are unique and keep their first-seen order.
    pub directives: Vec<(String, Vec<String>)>,
    /// Directives that were allowed to repeat (report-uri, report-to) and did.
    pub duplicate_warnings: BTreeSet<String>,
}

impl CspMap {
    /// The sources of one directive.
    pub fn get(&self, directive: &str) -> Option<&Vec<String>> {
        self.directives
            .iter()
            .find(|(d, _)| d == directive)
            .map(|(_, s)| s)
    }

    /// Mutable sources of one directive.
    pub fn get_mut(&mut self, directive: &str) -> Option<&mut Vec<String>> {
        self.directives
            .iter_mut()
            .find(|(d, _)| d == directive)
            .map(|(_, s)| s)
    }

    /// True when the map has no directive.
    pub fn is_empty(&self) -> bool {
        self.directives.is_empty()
    }

    /// Removes a directive.
    pub fn remove(&mut self, directive: &str) {
        self.directives.retain(|(d, _)| d != directive);
    }
}

/// Shortest accepted policy ("img-src" minus one character).
const SHORTEST_POLICY: usize = 6;
/// Directives a `<meta>` policy may not set.
const DISALLOWED_IN_META: [&str; 3] = ["frame-ancestors", "report-uri", "sandbox"];

#[derive(Debug, Clone)]
struct Entry {
    source: String,
    index: usize,
    keep: bool,
}

/// JavaScript's `\s` (used by the reference's split and trim).
fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Parses the policies of a `<meta>` list: like [`parse`], minus the directives meta may not set.
pub fn parse_meta(policies: &[String]) -> Result<CspMap, CspParseError> {
    let mut map = parse(policies)?;
    for d in DISALLOWED_IN_META {
        map.remove(d);
    }
    Ok(map)
}

/// Parses and combines a list of policies (header policies first, then meta ones).
pub fn parse(policies: &[String]) -> Result<CspMap, CspParseError> {
    let clean: Vec<String> = policies
        .iter()
        .map(|p| {
            p.replace(['\r', '\n'], "")
                .trim_matches(js_space)
                .to_string()
        })
        .collect();
    if clean.is_empty() {
        return Ok(CspMap::default());
    }
    for p in &clean {
        if p.encode_utf16().count() < SHORTEST_POLICY {
            return Err(CspParseError::TooShort(p.clone()));
        }
    }
    let mut stored: Vec<(String, Vec<Entry>)> = Vec::new();
    let mut duplicate_warnings = BTreeSet::new();
    for (index, policy) in clean.iter().enumerate() {
        let mut seen: Vec<String> = Vec::new();
        for piece in policy.split(';') {
            let mut tokens = piece.split(js_space).filter(|t| !t.is_empty());
            let Some(name) = tokens.next() else { continue };
            let directive = name.to_lowercase();
            if seen.contains(&directive) {
                if directive == "report-uri" || directive == "report-to" {
                    duplicate_warnings.insert(directive.clone());
                } else {
                    return Err(CspParseError::DuplicateDirective(directive));
                }
            } else {
                seen.push(directive.clone());
            }
            let keep = index == 0;
            let mut values: Vec<Entry> = tokens
                .map(|t| Entry {
                    source: t.trim_matches(js_space).to_lowercase(),
                    index,
                    keep,
                })
                .collect();
            if values.is_empty() && directive.ends_with("-src") {
                values.push(Entry {
                    source: "'none'".to_string(),
                    index,
                    keep,
                });
            }
            let slot = stored.iter().position(|(d, _)| *d == directive);
            let mut combined = match (index, slot) {
                (0, _) | (_, None) => values,
                (_, Some(i)) => {
                    let mut c = stored.get(i).map(|(_, e)| e.clone()).unwrap_or_default();
                    c.extend(values);
                    c
                }
            };
            combined.sort_by(|a, b| collate::compare(&a.source, &b.source));
            for i in 1..combined.len() {
                let (prev_source, prev_index) = match combined.get(i - 1) {
                    Some(p) => (p.source.clone(), p.index),
                    None => continue,
                };
                let Some(cur) = combined.get_mut(i) else {
                    continue;
                };
                if cur.index == prev_index && cur.source.starts_with(&prev_source) {
                    cur.keep = false;
                }
                if cur.index != prev_index && path_part_match(&prev_source, &cur.source)? {
                    cur.keep = true;
                }
            }
            let mut kept: Vec<Entry> = combined.into_iter().filter(|e| e.keep).collect();
            if index == 0 && clean.len() > 1 {
                for e in &mut kept {
                    e.keep = false;
                }
            }
            match slot.and_then(|i| stored.get_mut(i)) {
                Some((_, entries)) => *entries = kept,
                None => stored.push((directive, kept)),
            }
        }
    }
    let directives = stored
        .into_iter()
        .map(|(d, entries)| {
            let mut sources: Vec<String> = Vec::new();
            for e in entries {
                if !sources.contains(&e.source) {
                    sources.push(e.source);
                }
            }
            if sources.is_empty() {
                sources.push("'none'".to_string());
            }
            (d, sources)
        })
        .collect();
    Ok(CspMap {
        directives,
        duplicate_warnings,
    })
}

/// The reference's `pathPartMatch(a, b)`.
fn path_part_match(a: &str, b: &str) -> Result<bool, CspParseError> {
    if a.is_empty() || (a == "/" && b.is_empty()) {
        return Ok(true);
    }
    let exact = !a.ends_with('/');
    let mut parts_a: Vec<&str> = a.split('/').collect();
    let parts_b: Vec<&str> = b.split('/').collect();
    if parts_a.len() > parts_b.len() || (exact && parts_a.len() != parts_b.len()) {
        return Ok(false);
    }
    if !exact {
        parts_a.pop();
    }
    for (pa, pb) in parts_a.iter().zip(parts_b.iter()) {
        if decode_uri_component(pa)? != decode_uri_component(pb)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// JavaScript's `decodeURIComponent`, which throws on malformed escapes or invalid UTF-8.
pub fn decode_uri_component(s: &str) -> Result<String, CspParseError> {
    let bad = || CspParseError::BadEscape(s.to_string());
    let bytes = s.as_bytes();
    let hex = |i: usize| -> Option<u8> {
        let h = bytes.get(i..i + 2)?;
        u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let lead = hex(i + 1).ok_or_else(bad)?;
        i += 3;
        let extra = match lead {
            0x00..=0x7f => 0,
            0xc0..=0xdf => 1,
            0xe0..=0xef => 2,
            0xf0..=0xf7 => 3,
            _ => return Err(bad()),
        };
        let mut seq = vec![lead];
        for _ in 0..extra {
            if bytes.get(i) != Some(&b'%') {
                return Err(bad());
            }
            let cont = hex(i + 1).ok_or_else(bad)?;
            if cont & 0xc0 != 0x80 {
                return Err(bad());
            }
            seq.push(cont);
            i += 3;
        }
        std::str::from_utf8(&seq).map_err(|_| bad())?;
        out.extend(seq);
    }
    String::from_utf8(out).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(list: &[&str]) -> Result<CspMap, CspParseError> {
        parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn sources<'a>(m: &'a CspMap, d: &str) -> Vec<&'a str> {
        m.get(d)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn single_policy() {
        let m = p(&["default-src 'none'; script-src 'self' https://cdn.example.com; upgrade-insecure-requests"]).unwrap();
        assert_eq!(sources(&m, "default-src"), vec!["'none'"]);
        assert_eq!(
            sources(&m, "script-src"),
            vec!["'self'", "https://cdn.example.com"]
        );
        assert_eq!(sources(&m, "upgrade-insecure-requests"), vec!["'none'"]);
    }

    #[test]
    fn too_short_and_duplicates() {
        assert!(matches!(p(&["a b"]), Err(CspParseError::TooShort(_))));
        assert!(matches!(p(&[""]), Err(CspParseError::TooShort(_))));
        assert!(matches!(
            p(&["img-src a; img-src b"]),
            Err(CspParseError::DuplicateDirective(_))
        ));
        let m = p(&["default-src 'self'; report-uri /a; report-uri /b"]).unwrap();
        assert!(m.duplicate_warnings.contains("report-uri"));
        assert_eq!(sources(&m, "report-uri"), vec!["/b"]);
    }

    #[test]
    fn empty_src_is_none_and_case_is_folded() {
        let m = p(&["DEFAULT-SRC 'SELF'; img-src"]).unwrap();
        assert_eq!(sources(&m, "default-src"), vec!["'self'"]);
        assert_eq!(sources(&m, "img-src"), vec!["'none'"]);
    }

    #[test]
    fn prefix_duplicates_are_dropped() {
        let m = p(&["script-src https: https://a.example 'self' 'self'"]).unwrap();
        assert_eq!(sources(&m, "script-src"), vec!["'self'", "https:"]);
    }

    #[test]
    fn two_policies_intersect() {
        let m = p(&[
            "default-src 'none'; script-src 'self' 'unsafe-inline'",
            "script-src 'self'; img-src *",
        ])
        .unwrap();
        assert_eq!(sources(&m, "script-src"), vec!["'self'"]);
        // Only in the second policy: nothing kept.
        assert_eq!(sources(&m, "img-src"), vec!["'none'"]);
        // Only in the first policy: marked not-kept but still stored.
        assert_eq!(sources(&m, "default-src"), vec!["'none'"]);
    }

    #[test]
    fn joined_header_policy() {
        let m = p(&["default-src 'none', script-src 'self'"]).unwrap();
        assert_eq!(
            sources(&m, "default-src"),
            vec!["'none',", "'self'", "script-src"]
        );
    }

    #[test]
    fn bad_escape_only_matters_across_policies() {
        assert!(p(&["script-src /a%zz"]).is_ok());
        assert!(matches!(
            p(&["script-src /a%zz", "script-src /a%zz"]),
            Err(CspParseError::BadEscape(_))
        ));
    }

    #[test]
    fn decode_uri_component_rules() {
        assert_eq!(decode_uri_component("a%20b").unwrap(), "a b");
        assert_eq!(decode_uri_component("%C3%A9").unwrap(), "é");
        assert!(decode_uri_component("%").is_err());
        assert!(decode_uri_component("%FF").is_err());
        assert!(decode_uri_component("%C3").is_err());
        assert!(decode_uri_component("%ED%A0%80").is_err());
    }

    #[test]
    fn meta_drops_disallowed_directives() {
        let m =
            parse_meta(&["frame-ancestors 'none'; report-uri /r; img-src 'self'".into()]).unwrap();
        assert!(m.get("frame-ancestors").is_none() && m.get("report-uri").is_none());
        assert!(m.get("img-src").is_some());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(a in "\\PC{0,120}", b in "\\PC{0,120}") {
            let _ = parse(std::slice::from_ref(&a));
            let _ = parse(&[a, b]);
        }
    }
}
