//! The scan target: a validated, normalised host name.
//!
//! The Observatory CLI takes a bare host and nothing else (no scheme, port or path). Vigil keeps
//! that contract but refuses names that could never be fetched, so a typo is a usage error
//! rather than a confusing "site is down". Internationalised names are converted to their ASCII
//! (punycode) form with UTS-46, as browsers do.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// Why a host name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The name was empty after trimming.
    #[error("the host name is empty")]
    Empty,
    /// A scheme, port, path, user or query was given; only a bare host is accepted.
    #[error("give a bare host name such as example.org, without scheme, port or path: {0:?}")]
    NotBare(String),
    /// UTS-46 processing rejected the name.
    #[error("not a valid host name: {0:?}")]
    Invalid(String),
    /// The name is longer than DNS allows (253 octets, 63 per label).
    #[error("host name too long: {0:?}")]
    TooLong(String),
}

/// A host to scan, in the ASCII form used on the wire (lower case, punycode, no trailing dot).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct Hostname(String);

impl Hostname {
    /// Validates and normalises a user-supplied host name.
    pub fn parse(input: &str) -> Result<Self, TargetError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(TargetError::Empty);
        }
        if s.contains("://") || s.contains(['/', '?', '#', '@', ' ', '\\']) {
            return Err(TargetError::NotBare(input.to_string()));
        }
        // IPv6 literals may be given with or without brackets.
        let unbracketed = s
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(s);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(Hostname(ip.to_string()));
        }
        if s.contains(':') {
            return Err(TargetError::NotBare(input.to_string()));
        }
        let s = s.strip_suffix('.').unwrap_or(s);
        let ascii = idna::domain_to_ascii_strict(s)
            .or_else(|_| idna::domain_to_ascii(s))
            .map_err(|_| TargetError::Invalid(input.to_string()))?;
        if ascii.is_empty() || ascii.starts_with('.') || ascii.contains("..") {
            return Err(TargetError::Invalid(input.to_string()));
        }
        if ascii.len() > 253 || ascii.split('.').any(|l| l.len() > 63) {
            return Err(TargetError::TooLong(input.to_string()));
        }
        let ok_chars = ascii
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        if !ok_chars
            || ascii
                .split('.')
                .any(|l| l.starts_with('-') || l.ends_with('-'))
        {
            return Err(TargetError::Invalid(input.to_string()));
        }
        Ok(Hostname(ascii))
    }

    /// The ASCII host as used in URLs and the `Host` header.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the target is an IP literal rather than a DNS name.
    pub fn is_ip(&self) -> bool {
        self.0.parse::<IpAddr>().is_ok()
    }

    /// The host as it appears in a URL authority (IPv6 literals get brackets).
    pub fn url_host(&self) -> String {
        match self.0.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
            _ => self.0.clone(),
        }
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Hostname {
    type Error = TargetError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Hostname::parse(&value)
    }
}

impl From<Hostname> for String {
    fn from(h: Hostname) -> String {
        h.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names_and_normalises() {
        assert_eq!(
            Hostname::parse("Example.ORG.").unwrap().as_str(),
            "example.org"
        );
        assert_eq!(
            Hostname::parse("bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            Hostname::parse("001-baseline-good.obs.test")
                .unwrap()
                .as_str(),
            "001-baseline-good.obs.test"
        );
        assert_eq!(Hostname::parse("localhost").unwrap().as_str(), "localhost");
    }

    #[test]
    fn accepts_ip_literals() {
        assert!(Hostname::parse("127.0.0.1").unwrap().is_ip());
        assert_eq!(Hostname::parse("[::1]").unwrap().url_host(), "[::1]");
    }

    #[test]
    fn rejects_urls_ports_and_garbage() {
        for bad in [
            "https://example.org",
            "example.org:443",
            "example.org/path",
            "",
            "a..b",
            "-a.b",
            "a b",
            "exa$mple.org",
        ] {
            assert!(Hostname::parse(bad).is_err(), "{bad} accepted");
        }
        let long = "a".repeat(64) + ".org";
        assert!(Hostname::parse(&long).is_err());
    }
}
