//! Names that arrive from outside (peer lists today, the public scan later) must not turn the
//! monitor against its operator's network: they must look like public DNS names, and every
//! address they lead to must be a public unicast address. Operator-added instances skip this:
//! the operator owns them, and the tests scan loopback. This is the pre-check before a name is
//! scanned at all; the scan of such a name then runs with the public-only profile, whose guard
//! checks every connection's address again (a name may answer differently the next time).

use std::net::IpAddr;

/// Top-level names that never lead to the public Internet (RFC 2606, 6761, 6762, 7686, 8375,
/// ICANN's `.internal`).
const RESERVED_TLDS: &[&str] = &[
    "test",
    "example",
    "invalid",
    "localhost",
    "local",
    "onion",
    "internal",
    "lan",
    "home",
    "arpa",
    "localdomain",
    "intranet",
    "corp",
    "private",
];

/// True when `name` (already normalised, ASCII) looks like a public DNS host name: at least two
/// labels, not an address literal, a top-level label of letters (or punycode) that is not
/// reserved (pure).
pub fn public_name(name: &str) -> bool {
    if name.parse::<IpAddr>().is_ok() || name.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && (tld.bytes().all(|b| b.is_ascii_alphabetic()) || tld.starts_with("xn--"))
        && !RESERVED_TLDS.contains(tld)
}

/// True when `ip` is a public unicast address (pure): the same list of ranges the scan's
/// address guard enforces on every connection ([`vigil_guard::blocked`]).
pub fn public_address(ip: IpAddr) -> bool {
    vigil_guard::is_public(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_outside() {
        assert!(public_name("mastodon.social"));
        assert!(public_name("xn--mnchen-3ya.de"));
        assert!(!public_name("localhost"));
        assert!(!public_name("printer.local"));
        assert!(!public_name("peer.test"));
        assert!(!public_name("10.0.0.1"));
        assert!(!public_name("host"));
        assert!(!public_name("a..b"));
        assert!(!public_name("bad_name.social"));
        assert!(!public_name("x.123"));
    }

    #[test]
    fn addresses_from_outside() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "224.0.0.1",
        ] {
            assert!(
                !public_address(bad.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                "{bad}"
            );
        }
        for good in ["93.184.215.14", "2a01:4f8::1", "1.1.1.1"] {
            assert!(
                public_address(good.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                "{good}"
            );
        }
    }
}
