//! Parsing one `Set-Cookie` value into the attributes the jar and the checks need.
//!
//! Attribute names are case-insensitive; `SameSite` keeps only `strict`, `lax` or `none`
//! (anything else leaves it unset); `Max-Age` is kept only when it is an integer, as the raw
//! number the server sent (the reference reports it verbatim, so `Max-Age=0` stays `0`).

use cookie::Cookie;
use time::format_description::well_known::Rfc3339;
use vigil_model::evidence::SameSite;

/// The attributes of one parsed `Set-Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCookie {
    /// Cookie name (may be empty).
    pub name: String,
    /// Cookie value.
    pub value: String,
    /// `Domain`, lower-cased, leading dot removed; `None` when absent or empty.
    pub domain: Option<String>,
    /// `Path` when it starts with `/`.
    pub path: Option<String>,
    /// `Secure` present.
    pub secure: bool,
    /// `HttpOnly` present.
    pub http_only: bool,
    /// Recognised `SameSite` value.
    pub same_site: Option<SameSite>,
    /// `Expires` as unix seconds, when parseable.
    pub expires_unix: Option<i64>,
    /// `Expires` as an ISO-8601 timestamp with milliseconds (JavaScript `toISOString` form).
    pub expires_iso: Option<String>,
    /// `Max-Age` when it is an optionally negative integer.
    pub max_age: Option<i64>,
}

/// Parses a `Set-Cookie` value; `None` when it has no `name=value` pair at all.
pub fn parse_set_cookie(raw: &str) -> Option<ParsedCookie> {
    let raw = raw.trim();
    let parsed = Cookie::parse(raw).ok()?;
    let same_site = match parsed.same_site() {
        Some(cookie::SameSite::Strict) => Some(SameSite::Strict),
        Some(cookie::SameSite::Lax) => Some(SameSite::Lax),
        Some(cookie::SameSite::None) => Some(SameSite::None),
        None => None,
    };
    let domain = parsed
        .domain()
        .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|d| !d.is_empty());
    let path = parsed
        .path()
        .filter(|p| p.starts_with('/'))
        .map(str::to_string);
    let expires = parsed.expires_datetime();
    let expires_unix = expires.map(|t| t.unix_timestamp());
    let expires_iso = expires.and_then(|t| {
        let t = t
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .ok()?;
        let s = t.format(&Rfc3339).ok()?;
        Some(s.replace('Z', ".000Z"))
    });
    Some(ParsedCookie {
        name: parsed.name().to_string(),
        value: parsed.value().to_string(),
        domain,
        path,
        secure: parsed.secure().unwrap_or(false),
        http_only: parsed.http_only().unwrap_or(false),
        same_site,
        expires_unix,
        expires_iso,
        max_age: raw_max_age(raw),
    })
}

/// The last integer `Max-Age` attribute, as written (the `cookie` crate clamps negatives).
fn raw_max_age(raw: &str) -> Option<i64> {
    let mut found = None;
    for part in raw.split(';').skip(1) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        if key.trim().eq_ignore_ascii_case("max-age") {
            let v = value.trim();
            let digits = v.strip_prefix('-').unwrap_or(v);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                // Out-of-range values saturate, as JavaScript's parseInt keeps their sign.
                found = Some(v.parse::<i64>().unwrap_or(if v.starts_with('-') {
                    i64::MIN
                } else {
                    i64::MAX
                }));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_attributes() {
        let c = parse_set_cookie("SID=abc; Path=/app; Secure; HttpOnly; SameSite=Lax").unwrap();
        assert_eq!((c.name.as_str(), c.value.as_str()), ("SID", "abc"));
        assert_eq!(c.path.as_deref(), Some("/app"));
        assert!(c.secure && c.http_only);
        assert_eq!(c.same_site, Some(SameSite::Lax));
    }

    #[test]
    fn attribute_names_are_case_insensitive() {
        let c = parse_set_cookie("a=b; secure; httponly; samesite=STRICT; DOMAIN=.Example.COM")
            .unwrap();
        assert!(c.secure && c.http_only);
        assert_eq!(c.same_site, Some(SameSite::Strict));
        assert_eq!(c.domain.as_deref(), Some("example.com"));
    }

    #[test]
    fn invalid_samesite_is_unset() {
        assert_eq!(
            parse_set_cookie("a=b; SameSite=foo").unwrap().same_site,
            None
        );
        assert_eq!(parse_set_cookie("a=b; SameSite").unwrap().same_site, None);
        assert_eq!(
            parse_set_cookie("a=b; SameSite=none").unwrap().same_site,
            Some(SameSite::None)
        );
    }

    #[test]
    fn max_age_is_raw() {
        assert_eq!(parse_set_cookie("a=b; Max-Age=0").unwrap().max_age, Some(0));
        assert_eq!(
            parse_set_cookie("a=b; Max-Age=-5").unwrap().max_age,
            Some(-5)
        );
        assert_eq!(parse_set_cookie("a=b; Max-Age=1x").unwrap().max_age, None);
        assert_eq!(parse_set_cookie("a=b").unwrap().max_age, None);
    }

    #[test]
    fn expires_is_iso_with_millis() {
        let c = parse_set_cookie("a=b; Expires=Wed, 21 Oct 2037 07:28:00 GMT").unwrap();
        assert_eq!(c.expires_iso.as_deref(), Some("2037-10-21T07:28:00.000Z"));
        assert_eq!(c.expires_unix, Some(2139722880));
    }

    #[test]
    fn no_pair_is_none() {
        assert!(parse_set_cookie("justaname").is_none());
        assert!(parse_set_cookie("").is_none());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = parse_set_cookie(&s);
        }
    }
}
