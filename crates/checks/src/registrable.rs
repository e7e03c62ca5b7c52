//! Registrable domains on the ICANN section of the public suffix list, as the reference's
//! `tldts` computes them for the SRI same-site rule: private suffixes (github.io ...) are
//! ignored, unknown TLDs count as one-label suffixes, and IP addresses have none.

use std::net::IpAddr;

/// The registrable domain ("eTLD+1") of `host`, or `None` for IPs and bare suffixes.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() || host.is_empty() {
        return None;
    }
    let suffix_len = icann_suffix_len(&host)?;
    if suffix_len >= host.len() {
        return None;
    }
    // host = "...label.suffix": keep one label before the suffix.
    let head = &host[..host.len() - suffix_len - 1];
    let label = head.rsplit('.').next()?;
    if label.is_empty() {
        return None;
    }
    Some(format!("{label}.{}", &host[host.len() - suffix_len..]))
}

/// Length of the ICANN public suffix of `host`, skipping private rules.
fn icann_suffix_len(host: &str) -> Option<usize> {
    let mut name = host;
    loop {
        let suffix = psl::suffix(name.as_bytes())?;
        let len = suffix.as_bytes().len();
        if suffix.typ() != Some(psl::Type::Private) {
            return Some(len);
        }
        // A private rule such as github.io: its ICANN part is what the rule's own suffix is.
        let s = std::str::from_utf8(suffix.as_bytes()).ok()?;
        let (_, shorter) = s.split_once('.')?;
        name = &host[host.len() - shorter.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icann_domains() {
        assert_eq!(
            registrable_domain("static.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(
            registrable_domain("cdn.example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            registrable_domain("foo.github.io").as_deref(),
            Some("github.io")
        );
    }

    #[test]
    fn unknown_tld_is_one_label() {
        assert_eq!(
            registrable_domain("static.obs.test").as_deref(),
            Some("obs.test")
        );
        assert_eq!(
            registrable_domain("129-sri-same-sld-http.obs.test").as_deref(),
            Some("obs.test")
        );
    }

    #[test]
    fn ips_and_suffixes_have_none() {
        assert_eq!(registrable_domain("127.0.0.1"), None);
        assert_eq!(registrable_domain("co.uk"), None);
        assert_eq!(registrable_domain("com"), None);
    }
}
