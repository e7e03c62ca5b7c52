//! What the instance page reads from a stored report: the fields it shows, deserialised from
//! the report JSON with every field optional, so a report written by an older or newer Vigil
//! still renders (missing parts are simply not shown). Nothing here grades: every letter and
//! score is the one the report carries.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Report {
    pub host: String,
    pub scanned_at: Option<String>,
    pub unreachable: Option<Unreachable>,
    pub rating: Option<Rating>,
    pub rating_unavailable: Option<String>,
    pub changes: Vec<Change>,
    pub observatory: Option<Observatory>,
    pub error: Option<SiteError>,
    pub tls: Option<Tls>,
    pub dns: Option<Dns>,
    pub ipv6: Option<Ipv6>,
    pub software: Option<Software>,
    pub guidance: Vec<Guidance>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Unreachable {
    pub cause: String,
    pub detail: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Rating {
    pub score: i64,
    pub letter: String,
    pub uncapped_letter: String,
    pub parts: Vec<Part>,
    pub caps: Vec<Cap>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Part {
    pub part: String,
    pub weight: i64,
    pub effective_weight: f64,
    pub score: Option<i64>,
    pub why: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Cap {
    pub letter: String,
    pub why: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Change {
    pub kind: String,
    pub id: String,
    pub title: String,
    pub fix: String,
    pub observatory_points: Option<i64>,
    pub rating_gain: Option<Gain>,
    pub mastodon: Option<String>,
    pub snippets: Option<Snippets>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Gain {
    pub points: i64,
    pub letter_before: String,
    pub letter_after: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Snippets {
    pub nginx: String,
    pub apache: String,
    pub caddy: String,
    pub haproxy: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Observatory {
    pub score: i64,
    pub grade: String,
    pub tests_passed: i64,
    pub tests_failed: i64,
    pub tests: Vec<Test>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Test {
    pub test: String,
    pub title: String,
    pub result: String,
    pub pass: bool,
    pub score_modifier: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SiteError {
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Tls {
    pub certificate: Option<Certificate>,
    pub grades: TlsGrades,
    pub forward_secrecy: Option<String>,
    pub alpn: Option<serde_json::Value>,
    pub protocols: serde_json::Map<String, serde_json::Value>,
}

impl Tls {
    /// The versions offered, newest first.
    pub fn versions(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .protocols
            .iter()
            .filter(|(_, p)| p.get("supported").and_then(serde_json::Value::as_bool) == Some(true))
            .map(|(name, _)| name.clone())
            .collect();
        v.reverse();
        v
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Certificate {
    pub trusted: bool,
    pub hostname_match: bool,
    pub issuer_cn: Option<String>,
    pub key_type: Option<String>,
    pub key_bits: Option<i64>,
    pub not_after: Option<String>,
    pub days_left: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TlsGrades {
    pub ssllabs: SslLabs,
    pub cryptcheck: Cryptcheck,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SslLabs {
    pub grade: String,
    pub score: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Cryptcheck {
    pub grade: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Dns {
    pub dnssec: String,
    pub a: Vec<String>,
    pub aaaa: Vec<String>,
    pub caa: Caa,
    pub tlsa: Tlsa,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Caa {
    pub present: bool,
    pub issuers: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Tlsa {
    pub present: bool,
    pub matches: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Ipv6 {
    pub verdict: Ipv6Verdict,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Ipv6Verdict {
    pub aaaa: bool,
    pub reachable: bool,
    pub same_site: bool,
    pub notes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Software {
    pub facts: Facts,
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Facts {
    pub software: Option<String>,
    pub version: Option<Version>,
    pub open_registrations: Option<bool>,
    pub users_total: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Version {
    pub raw: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Verdict {
    pub summary: String,
    pub newest_release: String,
    pub is_latest_on_branch: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Guidance {
    pub id: String,
    pub value: Option<String>,
    pub ok: bool,
    pub advice: String,
}

/// The report of the stored JSON; `None` when it is not JSON at all. A `null` counts as a
/// missing field (the report writes `null` for every part it could not get, as for a host that
/// never answered), so each one falls back to its default here.
pub fn parse(json: &str) -> Option<Report> {
    let mut value: serde_json::Value = serde_json::from_str(json).ok()?;
    strip_nulls(&mut value);
    serde_json::from_value(value).ok()
}

/// Removes every `null` member of every object, however deep (pure).
fn strip_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_that_never_answered_renders() {
        let json = include_str!("../tests/fixtures/unreachable.report.json");
        let r = parse(json).expect("the report of an unreachable host parses");
        let u = r.unreachable.expect("unreachable");
        assert_eq!(u.cause, "timed-out");
        assert!(r.rating.is_none() && r.tls.is_none() && r.guidance.is_empty());
        assert!(r.rating_unavailable.is_some());
    }

    #[test]
    fn a_full_report_renders() {
        let json = include_str!("../../scan/tests/fixtures/mastodon-like.report.json");
        let r = parse(json).expect("the golden report parses");
        assert!(r.rating.is_some() && r.tls.is_some() && r.observatory.is_some());
        assert!(!r.changes.is_empty());
    }

    #[test]
    fn nulls_anywhere_are_missing_fields() {
        let r = parse(r#"{"host":"x","rating":{"score":null,"letter":"B","parts":null},"changes":[{"title":null}]}"#)
            .expect("parses");
        let rating = r.rating.expect("rating");
        assert_eq!((rating.score, rating.letter.as_str()), (0, "B"));
        assert!(rating.parts.is_empty());
        assert_eq!(r.changes.len(), 1);
        assert!(parse("not json").is_none());
    }
}
