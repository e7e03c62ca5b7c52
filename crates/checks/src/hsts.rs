//! The `strict-transport-security` test (spec §5.6). It reads only the last response of the
//! https:// session: an HSTS header on a redirect hop or over plain http is never seen.

use crate::headers;
use crate::preload;
use serde_json::{Map, Value, json};
use vigil_model::results::HstsResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Six months in seconds, the minimum `max-age` that passes.
pub const SIX_MONTHS: f64 = 15_552_000.0;

/// A parsed HSTS header.
#[derive(Debug, Clone, PartialEq)]
pub struct HstsHeader {
    /// `max-age` as JavaScript `parseInt` reads it: `Some(NaN)` when no digits follow.
    pub max_age: Option<f64>,
    /// `includeSubDomains` present.
    pub include_subdomains: bool,
    /// `preload` present.
    pub preload: bool,
}

/// Why an HSTS header is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HstsInvalid {
    /// The value contains a comma (the header was sent more than once).
    Repeated,
    /// No `max-age=` directive.
    NoMaxAge,
}

/// Parses an HSTS value with the reference's rules (the caller truncates to 1024 chars).
pub fn parse_hsts(value: &str) -> Result<HstsHeader, HstsInvalid> {
    if value.contains(',') {
        return Err(HstsInvalid::Repeated);
    }
    let mut h = HstsHeader {
        max_age: None,
        include_subdomains: false,
        preload: false,
    };
    for part in value.split(';') {
        let part = part.trim().to_lowercase();
        if let Some(rest) = part.strip_prefix("max-age=") {
            let rest: String = rest.chars().take(120).collect();
            h.max_age = Some(parse_int(&rest));
        } else if part == "includesubdomains" {
            h.include_subdomains = true;
        } else if part == "preload" {
            h.preload = true;
        }
    }
    if h.max_age.is_none() {
        return Err(HstsInvalid::NoMaxAge);
    }
    Ok(h)
}

/// JavaScript `parseInt(s, 10)`: leading whitespace, optional sign, digits; NaN without digits.
pub fn parse_int(s: &str) -> f64 {
    let t = s.trim_start();
    let (sign, digits) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return f64::NAN;
    }
    sign * digits[..end].parse::<f64>().unwrap_or(f64::NAN)
}

/// True when the result passes (cookies reads this).
pub fn passes(result: AnyResult) -> bool {
    matches!(
        result,
        AnyResult::Hsts(HstsResult::ImplementedMaxAgeAtLeastSixMonths | HstsResult::Preloaded)
    )
}

/// Runs the test.
pub fn check(ev: &HttpEvidence) -> TestOutcome {
    let mut data: Option<String> = None;
    let mut max_age: Option<f64> = None;
    let mut include_subdomains = false;
    let mut preload_flag = false;
    let mut preloaded = false;
    let mut result = HstsResult::NotImplemented;
    match &ev.https {
        None => result = HstsResult::NotImplementedNoHttps,
        Some(s) if !s.verified => result = HstsResult::InvalidCert,
        Some(s) => {
            if let Some(value) = headers::get(&s.last, "strict-transport-security") {
                let value = headers::truncate(&value, 1024).to_string();
                result = match parse_hsts(&value) {
                    Ok(h) => {
                        max_age = h.max_age;
                        include_subdomains = h.include_subdomains;
                        preload_flag = h.preload;
                        // NaN compares false, so a non-numeric max-age passes (as in the reference).
                        if h.max_age.is_some_and(|m| m < SIX_MONTHS) {
                            HstsResult::ImplementedMaxAgeLessThanSixMonths
                        } else {
                            HstsResult::ImplementedMaxAgeAtLeastSixMonths
                        }
                    }
                    Err(_) => {
                        // The reference sets fields while parsing, before it throws.
                        HstsResult::HeaderInvalid
                    }
                };
                data = Some(value);
            }
        }
    }
    if ev.https.is_some()
        && let Some(entry) = preload::preloaded(&ev.host)
    {
        result = HstsResult::Preloaded;
        include_subdomains = entry.include_subdomains;
        preloaded = true;
    }
    let mut fields = Map::new();
    fields.insert("data".into(), data.map_or(Value::Null, Value::String));
    fields.insert("includeSubDomains".into(), json!(include_subdomains));
    let max_age_json = match max_age {
        Some(m) if m.is_finite() && m.fract() == 0.0 && m.abs() < 9.0e15 => json!(m as i64),
        Some(m) if m.is_finite() => json!(m),
        _ => Value::Null,
    };
    fields.insert("maxAge".into(), max_age_json);
    fields.insert("preload".into(), json!(preload_flag));
    fields.insert("preloaded".into(), json!(preloaded));
    TestOutcome {
        result: AnyResult::Hsts(result),
        data: fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{benign, header};

    fn result_with(value: Option<&str>) -> AnyResult {
        let mut ev = benign();
        header(&mut ev, "strict-transport-security", value);
        check(&ev).result
    }

    #[test]
    fn benign_passes() {
        assert_eq!(
            result_with(Some("max-age=63072000")),
            AnyResult::Hsts(HstsResult::ImplementedMaxAgeAtLeastSixMonths)
        );
    }

    #[test]
    fn boundaries_and_quirks() {
        let at_least = AnyResult::Hsts(HstsResult::ImplementedMaxAgeAtLeastSixMonths);
        let less = AnyResult::Hsts(HstsResult::ImplementedMaxAgeLessThanSixMonths);
        let invalid = AnyResult::Hsts(HstsResult::HeaderInvalid);
        assert_eq!(result_with(Some("max-age=15552000")), at_least);
        assert_eq!(result_with(Some("max-age=15551999")), less);
        assert_eq!(result_with(Some("max-age=0")), less);
        assert_eq!(result_with(Some("max-age=abc")), at_least);
        assert_eq!(result_with(Some("max-age=\"31536000\"")), at_least);
        assert_eq!(result_with(Some("max-age = 31536000")), invalid);
        assert_eq!(
            result_with(Some("max-age=31536000, max-age=31536000")),
            invalid
        );
        assert_eq!(result_with(Some("includeSubDomains")), invalid);
        assert_eq!(
            result_with(None),
            AnyResult::Hsts(HstsResult::NotImplemented)
        );
    }

    #[test]
    fn no_https_and_invalid_cert() {
        let mut ev = benign();
        ev.https.as_mut().unwrap().verified = false;
        assert_eq!(check(&ev).result, AnyResult::Hsts(HstsResult::InvalidCert));
        ev.https = None;
        assert_eq!(
            check(&ev).result,
            AnyResult::Hsts(HstsResult::NotImplementedNoHttps)
        );
    }

    #[test]
    fn preloaded_host_even_with_invalid_cert() {
        let mut ev = benign();
        ev.host = "example.dev".into();
        ev.https.as_mut().unwrap().verified = false;
        let o = check(&ev);
        assert_eq!(o.result, AnyResult::Hsts(HstsResult::Preloaded));
        assert_eq!(o.data["preloaded"], json!(true));
    }

    #[test]
    fn parse_int_like_javascript() {
        assert_eq!(parse_int("  42abc"), 42.0);
        assert_eq!(parse_int("-7"), -7.0);
        assert!(parse_int("abc").is_nan());
        assert!(parse_int("").is_nan());
    }
}
