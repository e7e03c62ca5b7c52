//! The jar: which cookies are kept, which replace which, and which are sent back.
//!
//! Storage follows tough-cookie (the reference's jar) rather than a modern browser where the two
//! differ, because the Observatory grade depends on it: `Secure` cookies received over plain
//! http are kept, and expired cookies stay in the jar until a later request purges them.

use crate::parse::{ParsedCookie, parse_set_cookie};
use std::net::IpAddr;
use url::Url;
use vigil_model::StoredCookie;

/// Why a `Set-Cookie` header did not make it into the jar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// No `name=value` pair.
    Unparseable,
    /// `Domain` is a public suffix (e.g. `Domain=co.uk`).
    PublicSuffixDomain,
    /// `Domain` does not domain-match the request host.
    ForeignDomain,
    /// `__Secure-` without `Secure`, or `__Host-` without `Secure`, with `Domain` or path not `/`.
    PrefixViolation,
}

/// An in-memory cookie jar for one scan session, in creation order.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: Vec<StoredCookie>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// The cookies held, in creation order.
    pub fn cookies(&self) -> &[StoredCookie] {
        &self.cookies
    }

    /// Stores one `Set-Cookie` value received in answer to `url` at time `now` (unix seconds).
    pub fn store(&mut self, raw: &str, url: &Url, now: i64) -> Result<(), Rejection> {
        let parsed = parse_set_cookie(raw).ok_or(Rejection::Unparseable)?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let cookie = admit(parsed, &host, url.path(), now)?;
        match self
            .cookies
            .iter_mut()
            .find(|c| c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path)
        {
            // A replacement keeps the original's place (tough-cookie keeps its creation time).
            Some(old) => *old = cookie,
            None => self.cookies.push(cookie),
        }
        Ok(())
    }

    /// The `Cookie` header to send to `url`, purging expired cookies that would have matched.
    pub fn header_for(&mut self, url: &Url, now: i64) -> Option<String> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let secure = matches!(url.scheme(), "https" | "wss");
        let path = url.path();
        let matches = |c: &StoredCookie| {
            let domain_ok = if c.host_only {
                c.domain == host
            } else {
                domain_match(&host, &c.domain)
            };
            domain_ok && path_match(path, &c.path) && (secure || !c.secure)
        };
        let expired = |c: &StoredCookie| c.expiry_unix.is_some_and(|e| e <= now);
        self.cookies.retain(|c| !(matches(c) && expired(c)));
        let mut sending: Vec<&StoredCookie> = self.cookies.iter().filter(|c| matches(c)).collect();
        if sending.is_empty() {
            return None;
        }
        // Longer paths first; the sort is stable so creation order breaks ties.
        sending.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let pairs: Vec<String> = sending
            .iter()
            .map(|c| {
                if c.name.is_empty() {
                    c.value.clone()
                } else {
                    format!("{}={}", c.name, c.value)
                }
            })
            .collect();
        Some(pairs.join("; "))
    }
}

/// Applies the storage rules to a parsed cookie received from `host` for `request_path`.
fn admit(
    p: ParsedCookie,
    host: &str,
    request_path: &str,
    now: i64,
) -> Result<StoredCookie, Rejection> {
    let (domain, host_only) = match &p.domain {
        Some(d) => {
            if host.parse::<IpAddr>().is_err() && psl::domain(d.as_bytes()).is_none() {
                return Err(Rejection::PublicSuffixDomain);
            }
            if !domain_match(host, d) {
                return Err(Rejection::ForeignDomain);
            }
            (d.clone(), false)
        }
        None => (host.to_string(), true),
    };
    let path = p.path.clone().unwrap_or_else(|| default_path(request_path));
    if p.name.starts_with("__Secure-") && !p.secure {
        return Err(Rejection::PrefixViolation);
    }
    if p.name.starts_with("__Host-") && (!p.secure || !host_only || path != "/") {
        return Err(Rejection::PrefixViolation);
    }
    let expiry_unix = match (p.max_age, p.expires_unix) {
        (Some(age), _) if age <= 0 => Some(i64::MIN),
        (Some(age), _) => Some(now.saturating_add(age)),
        (None, Some(at)) => Some(at),
        (None, None) => None,
    };
    Ok(StoredCookie {
        name: p.name,
        value: p.value,
        domain,
        host_only,
        path,
        secure: p.secure,
        http_only: p.http_only,
        same_site: p.same_site,
        expires: p.expires_iso,
        max_age: p.max_age,
        expiry_unix,
    })
}

/// RFC 6265 §5.1.3 domain-match.
fn domain_match(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    host.parse::<IpAddr>().is_err()
        && host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes().get(host.len() - domain.len() - 1) == Some(&b'.')
}

/// RFC 6265 §5.1.4 default-path.
fn default_path(request_path: &str) -> String {
    if !request_path.starts_with('/') {
        return "/".to_string();
    }
    match request_path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => request_path[..i].to_string(),
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_match(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn host_only_cookie_is_stored_with_default_path() {
        let mut jar = CookieJar::new();
        jar.store("a=1", &url("https://www.example.org/dir/page"), 0)
            .unwrap();
        let c = &jar.cookies()[0];
        assert_eq!(
            (c.domain.as_str(), c.host_only, c.path.as_str()),
            ("www.example.org", true, "/dir")
        );
    }

    #[test]
    fn public_suffix_and_foreign_domains_are_dropped() {
        let mut jar = CookieJar::new();
        let u = url("https://www.example.co.uk/");
        assert_eq!(
            jar.store("a=1; Domain=co.uk", &u, 0),
            Err(Rejection::PublicSuffixDomain)
        );
        assert_eq!(
            jar.store("a=1; Domain=other.example", &u, 0),
            Err(Rejection::ForeignDomain)
        );
        assert!(jar.store("a=1; Domain=example.co.uk", &u, 0).is_ok());
        assert!(!jar.cookies()[0].host_only);
    }

    #[test]
    fn unknown_tld_counts_as_a_suffix() {
        let mut jar = CookieJar::new();
        let u = url("https://066-cookies-foreign-domain.obs.test/");
        assert_eq!(
            jar.store("a=1; Domain=test", &u, 0),
            Err(Rejection::PublicSuffixDomain)
        );
        assert!(jar.store("a=1; Domain=obs.test", &u, 0).is_ok());
    }

    #[test]
    fn prefixes_are_enforced() {
        let mut jar = CookieJar::new();
        let u = url("https://example.org/");
        assert_eq!(
            jar.store("__Secure-a=1", &u, 0),
            Err(Rejection::PrefixViolation)
        );
        assert!(jar.store("__Secure-a=1; Secure", &u, 0).is_ok());
        assert_eq!(
            jar.store("__Host-b=1; Secure; Path=/x", &u, 0),
            Err(Rejection::PrefixViolation)
        );
        assert_eq!(
            jar.store("__Host-b=1; Secure; Path=/; Domain=example.org", &u, 0),
            Err(Rejection::PrefixViolation)
        );
        assert!(jar.store("__Host-b=1; Secure; Path=/", &u, 0).is_ok());
    }

    #[test]
    fn secure_cookie_over_http_and_expired_cookie_are_kept() {
        let mut jar = CookieJar::new();
        jar.store("a=1; Secure", &url("http://example.org/"), 0)
            .unwrap();
        jar.store("b=1; Max-Age=0", &url("http://example.org/"), 0)
            .unwrap();
        assert_eq!(jar.cookies().len(), 2);
    }

    #[test]
    fn replacement_keeps_position_and_header_purges_expired() {
        let mut jar = CookieJar::new();
        let u = url("https://example.org/");
        jar.store("a=1", &u, 0).unwrap();
        jar.store("b=1", &u, 0).unwrap();
        jar.store("a=2; Max-Age=0", &u, 0).unwrap();
        assert_eq!(jar.cookies()[0].value, "2");
        assert_eq!(jar.header_for(&u, 10).as_deref(), Some("b=1"));
        assert_eq!(jar.cookies().len(), 1);
    }

    #[test]
    fn secure_cookies_only_go_over_https() {
        let mut jar = CookieJar::new();
        jar.store("s=1; Secure", &url("https://example.org/"), 0)
            .unwrap();
        assert_eq!(jar.header_for(&url("http://example.org/"), 0), None);
        assert_eq!(
            jar.header_for(&url("https://example.org/a"), 0).as_deref(),
            Some("s=1")
        );
    }

    #[test]
    fn path_and_domain_matching() {
        assert!(path_match("/a/b", "/a"));
        assert!(path_match("/a/b", "/a/"));
        assert!(!path_match("/ab", "/a"));
        assert!(domain_match("www.example.org", "example.org"));
        assert!(!domain_match("wwwexample.org", "example.org"));
        assert!(!domain_match("127.0.0.1", "0.0.1"));
    }
}
