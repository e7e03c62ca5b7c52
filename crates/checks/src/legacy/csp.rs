//! Legacy `content-security-policy`.
//!
//! How it differs from the current test: directive names are case-sensitive (`SCRIPT-SRC` is
//! an unknown directive, `'NONE'` is lower-cased like every source but directive names are
//! not), any repeated directive (`report-uri` included) makes the policy invalid, a policy
//! shorter than six characters is invalid, several meta policies are joined into one (so a
//! directive repeated across metas is invalid too), header and meta policies are combined by
//! set union rather than intersection, `Content-Security-Policy-Report-Only` is ignored, and
//! "insecure scheme" looks for `http:`/`ftp:` anywhere in a source.
//!
//! The reference mutates the source sets it inspects (dropping `'unsafe-inline'` next to a
//! nonce, dropping broad sources under `'strict-dynamic'`), and `script-src`, `style-src` and
//! `object-src` may all be the `default-src` set: the aliasing is kept, because it decides
//! results such as `default-src 'nonce-x' 'strict-dynamic' https:`.

use super::py::{repr_len, split_ws, strip};
use super::{LegacyOutcome, LegacyTest, Reqs};

const BROAD: [&str; 8] = [
    "ftp:",
    "http:",
    "https:",
    "*",
    "http://*",
    "http://*.*",
    "https://*",
    "https://*.*",
];
const UNSAFE_INLINE: [&str; 2] = ["'unsafe-inline'", "data:"];
const NONCES_HASHES: [&str; 4] = ["'sha256-", "'sha384-", "'sha512-", "'nonce-"];

/// Passing results.
const PASSING: [&str; 4] = [
    "csp-implemented-with-no-unsafe",
    "csp-implemented-with-no-unsafe-default-src-none",
    "csp-implemented-with-unsafe-inline-in-style-src-only",
    "csp-implemented-with-insecure-scheme-in-passive-content-only",
];

/// A parsed policy: directive (case kept) to its set of lower-cased sources, in first-seen
/// order.
pub type Policy = Vec<(String, Vec<String>)>;

/// The CSP verdict plus what X-Frame-Options and X-XSS-Protection read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspAnalysis {
    /// The test's verdict.
    pub outcome: LegacyOutcome,
    /// The reference's `data` map is non-empty and has a `frame-ancestors` key.
    pub frame_ancestors: bool,
}

/// Parses one policy string, or `None` where the reference raises (too short, repeated
/// directive).
pub fn parse(policy: &str) -> Option<Policy> {
    let cleaned: String = policy
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    let cleaned = strip(&cleaned);
    if cleaned.chars().count() < 6 {
        return None;
    }
    let mut out: Policy = Vec::new();
    for directive in cleaned.split(';') {
        let mut tokens = split_ws(directive);
        let Some(name) = tokens.next() else {
            continue;
        };
        let mut values: Vec<String> = Vec::new();
        for t in tokens {
            let t = t.to_lowercase();
            if !values.contains(&t) {
                values.push(t);
            }
        }
        if values.is_empty() {
            values.push("'none'".to_string());
        }
        if out.iter().any(|(n, _)| n == name) {
            return None;
        }
        out.push((name.to_string(), values));
    }
    Some(out)
}

fn get<'p>(p: &'p Policy, name: &str) -> Option<&'p Vec<String>> {
    p.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// Where one of the inspected source lists lives: a directive of the combined policy, or a
/// fresh `{'*'}` of its own.
#[derive(Debug, Clone)]
enum Slot {
    Key(String),
    Own(Vec<String>),
}

struct Sets {
    csp: Policy,
    script: Slot,
    style: Slot,
    object: Slot,
}

impl Sets {
    fn slot(csp: &Policy, first: &str) -> Slot {
        if get(csp, first).is_some() {
            Slot::Key(first.to_string())
        } else if get(csp, "default-src").is_some() {
            Slot::Key("default-src".to_string())
        } else {
            Slot::Own(vec!["*".to_string()])
        }
    }

    fn read(&self, s: &Slot) -> Vec<String> {
        match s {
            Slot::Key(k) => get(&self.csp, k).cloned().unwrap_or_default(),
            Slot::Own(v) => v.clone(),
        }
    }

    fn retain(&mut self, which: Which, keep: impl Fn(&str) -> bool) {
        let slot = match which {
            Which::Script => &mut self.script,
            Which::Style => &mut self.style,
        };
        match slot {
            Slot::Own(v) => v.retain(|s| keep(s)),
            Slot::Key(k) => {
                if let Some((_, v)) = self.csp.iter_mut().find(|(n, _)| n == k) {
                    v.retain(|s| keep(s));
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Which {
    Script,
    Style,
}

fn has_nonce_or_hash(v: &[String]) -> bool {
    v.iter()
        .any(|s| NONCES_HASHES.iter().any(|p| s.starts_with(p)))
}

fn insecure(s: &str) -> bool {
    s.contains("http:") || s.contains("ftp:")
}

/// `len(str({k: list(v)}))` of the combined policy, for the reference's size guard on `data`.
fn data_repr_len(csp: &Policy) -> usize {
    let items: usize = csp
        .iter()
        .map(|(k, v)| {
            let list: usize =
                v.iter().map(|s| repr_len(s)).sum::<usize>() + 2 * v.len().saturating_sub(1) + 2;
            repr_len(k) + 2 + list
        })
        .sum();
    items + 2 * csp.len().saturating_sub(1) + 2
}

/// The test.
pub fn analyze(r: &Reqs<'_>) -> CspAnalysis {
    let done = |result: &'static str, frame_ancestors: bool| CspAnalysis {
        outcome: LegacyOutcome::new(
            LegacyTest::ContentSecurityPolicy,
            result,
            PASSING.contains(&result),
        ),
        frame_ancestors,
    };
    let http = match r.header("content-security-policy") {
        Some(v) => match parse(&v) {
            Some(p) => Some(p),
            None => return done("csp-header-invalid", false),
        },
        None => None,
    };
    let meta = match r.http_equiv.get("content-security-policy") {
        Some(v) => match parse(v) {
            Some(p) => Some(p),
            None => return done("csp-header-invalid", false),
        },
        None => None,
    };
    let csp: Policy = match (http, meta) {
        (None, None) => return done("csp-not-implemented", false),
        (Some(h), Some(m)) if !h.is_empty() && !m.is_empty() => {
            let mut union = h;
            for (k, vs) in m {
                match union.iter_mut().find(|(n, _)| *n == k) {
                    Some((_, have)) => {
                        for v in vs {
                            if !have.contains(&v) {
                                have.push(v);
                            }
                        }
                    }
                    None => union.push((k, vs)),
                }
            }
            union
        }
        (Some(h), _) if !h.is_empty() => h,
        // `http or meta`: the meta policy, even an empty one.
        (_, Some(m)) => m,
        // `{} or None` is None in the reference, which then crashes on `None.get`; the only
        // policies that get here (such as ";;;;;;") are reported as invalid instead.
        (Some(_), None) => return done("csp-header-invalid", false),
    };
    let mut sets = Sets {
        script: Sets::slot(&csp, "script-src"),
        style: Sets::slot(&csp, "style-src"),
        object: Sets::slot(&csp, "object-src"),
        csp,
    };
    for which in [Which::Script, Which::Style] {
        let list = sets.read(match which {
            Which::Script => &sets.script,
            Which::Style => &sets.style,
        });
        if has_nonce_or_hash(&list) && list.iter().any(|s| s == "'unsafe-inline'") {
            sets.retain(which, |s| s != "'unsafe-inline'");
        }
    }
    let mut result: Option<&'static str> = None;
    let mut strict_dynamic = false;
    let script = sets.read(&sets.script);
    if has_nonce_or_hash(&script) && script.iter().any(|s| s == "'strict-dynamic'") {
        sets.retain(Which::Script, |s| {
            !(BROAD.iter().any(|b| s.starts_with(b)) || s == "'self'" || s == "'unsafe-inline'")
        });
        strict_dynamic = true;
    } else if script.iter().any(|s| s == "'strict-dynamic'") {
        result = Some("csp-header-invalid");
    }
    let script = sets.read(&sets.script);
    let style = sets.read(&sets.style);
    let object = sets.read(&sets.object);
    let csp = &sets.csp;
    let site_https = super::py::urlparse(&r.auto.last.url).is_some_and(|u| u.scheme == "https");
    let active = csp
        .iter()
        .filter(|(d, _)| d != "img-src" && d != "media-src" && !"script-src".contains(d.as_str()))
        .flat_map(|(_, v)| v.iter())
        .chain(script.iter());
    let default = get(csp, "default-src");
    let passive = ["img-src", "media-src"]
        .iter()
        .filter_map(|d| get(csp, d).or(default))
        .flat_map(|v| v.iter());
    let in_list = |v: &[String], list: &[&str]| v.iter().any(|s| list.contains(&s.as_str()));
    let mut set = |r: &'static str| {
        if result.is_none() {
            result = Some(r);
        }
    };
    if in_list(&script, &BROAD) || in_list(&script, &UNSAFE_INLINE) || in_list(&object, &BROAD) {
        set("csp-implemented-with-unsafe-inline");
    }
    if site_https && !strict_dynamic && active.clone().any(|s| insecure(s)) {
        set("csp-implemented-with-insecure-scheme");
    }
    if script
        .iter()
        .chain(style.iter())
        .any(|s| s == "'unsafe-eval'")
    {
        set("csp-implemented-with-unsafe-eval");
    }
    if site_https && passive.clone().any(|s| insecure(s)) {
        set("csp-implemented-with-insecure-scheme-in-passive-content-only");
    }
    if in_list(&style, &BROAD) || in_list(&style, &UNSAFE_INLINE) {
        set("csp-implemented-with-unsafe-inline-in-style-src-only");
    }
    if default.is_some_and(|d| d.len() == 1 && d.first().is_some_and(|s| s == "'none'")) {
        set("csp-implemented-with-no-unsafe-default-src-none");
    } else {
        set("csp-implemented-with-no-unsafe");
    }
    let data_kept = !csp.is_empty() && data_repr_len(csp) < 32768;
    let frame_ancestors = data_kept && get(csp, "frame-ancestors").is_some();
    done(
        result.unwrap_or("csp-implemented-with-no-unsafe"),
        frame_ancestors,
    )
}

#[cfg(test)]
mod tests {
    use super::super::kit::site;
    use super::*;

    fn result(headers: &[(&str, &str)], body: &str) -> &'static str {
        let ev = site(headers, body);
        analyze(&Reqs::new(&ev).unwrap()).outcome.result
    }

    const HTML: (&str, &str) = ("content-type", "text/html");

    #[test]
    fn basic_results() {
        let r = |csp| result(&[HTML, ("content-security-policy", csp)], "");
        assert_eq!(
            r("default-src 'none'; frame-ancestors 'none'"),
            "csp-implemented-with-no-unsafe-default-src-none"
        );
        assert_eq!(r("default-src 'self'"), "csp-implemented-with-no-unsafe");
        assert_eq!(r("script-src 'self'"), "csp-implemented-with-unsafe-inline");
        assert_eq!(r("abc"), "csp-header-invalid");
        assert_eq!(
            r("default-src 'none'; report-uri /a; report-uri /b"),
            "csp-header-invalid"
        );
        assert_eq!(result(&[HTML], ""), "csp-not-implemented");
    }

    #[test]
    fn directive_names_are_case_sensitive() {
        let r = |csp| result(&[HTML, ("content-security-policy", csp)], "");
        // DEFAULT-SRC is not default-src, so script-src falls back to '*'.
        assert_eq!(
            r("DEFAULT-SRC 'none'"),
            "csp-implemented-with-unsafe-inline"
        );
        // Sources are lower-cased.
        assert_eq!(
            r("default-src 'NONE'"),
            "csp-implemented-with-no-unsafe-default-src-none"
        );
    }

    #[test]
    fn metas_are_joined_and_unioned_with_the_header() {
        let body = r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'"><meta http-equiv="content-security-policy" content="default-src 'self'">"#;
        assert_eq!(result(&[HTML], body), "csp-header-invalid");
        let body =
            r#"<meta http-equiv="Content-Security-Policy" content="script-src 'unsafe-inline'">"#;
        assert_eq!(
            result(
                &[HTML, ("content-security-policy", "default-src 'none'")],
                body
            ),
            "csp-implemented-with-unsafe-inline"
        );
        // Not HTML: metas are not read.
        assert_eq!(
            result(&[("content-type", "TEXT/HTML")], body),
            "csp-not-implemented"
        );
    }

    #[test]
    fn aliasing_of_default_src() {
        let r = |csp| result(&[HTML, ("content-security-policy", csp)], "");
        // strict-dynamic with a nonce strips https: from default-src, which object-src shares.
        assert_eq!(
            r("default-src 'nonce-abc' 'strict-dynamic' https:"),
            "csp-implemented-with-no-unsafe"
        );
        assert_eq!(
            r("default-src 'self' 'strict-dynamic'"),
            "csp-header-invalid"
        );
        assert_eq!(
            r("default-src 'none'; img-src http://x"),
            "csp-implemented-with-insecure-scheme-in-passive-content-only"
        );
    }

    #[test]
    fn frame_ancestors_flag() {
        let ev = site(
            &[
                HTML,
                (
                    "content-security-policy",
                    "default-src 'none'; frame-ancestors *",
                ),
            ],
            "",
        );
        assert!(analyze(&Reqs::new(&ev).unwrap()).frame_ancestors);
    }
}
