//! Every blocked range at its edges, its IPv6 forms, and properties over random addresses.
#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn why(s: &str) -> Option<&'static str> {
    blocked(ip(s))
}

#[test]
fn every_ipv4_range_is_refused_at_both_ends() {
    for (first, last, reason) in [
        ("0.0.0.1", "0.255.255.255", "a \"this network\" address"),
        ("10.0.0.0", "10.255.255.255", PRIVATE),
        ("100.64.0.0", "100.127.255.255", "a shared (CGNAT) address"),
        ("127.0.0.0", "127.255.255.255", "a loopback address"),
        ("169.254.0.0", "169.254.255.255", "a link-local address"),
        ("172.16.0.0", "172.31.255.255", PRIVATE),
        (
            "192.0.0.0",
            "192.0.0.255",
            "an IETF protocol assignment address",
        ),
        ("192.0.2.0", "192.0.2.255", DOCUMENTATION),
        (
            "192.88.99.0",
            "192.88.99.255",
            "a 6to4 relay anycast address",
        ),
        ("192.168.0.0", "192.168.255.255", PRIVATE),
        ("198.18.0.0", "198.19.255.255", "a benchmarking address"),
        ("198.51.100.0", "198.51.100.255", DOCUMENTATION),
        ("203.0.113.0", "203.0.113.255", DOCUMENTATION),
        ("224.0.0.0", "239.255.255.255", "a multicast address"),
        ("240.0.0.0", "255.255.255.254", "a reserved address"),
    ] {
        assert_eq!(why(first), Some(reason), "{first}");
        assert_eq!(why(last), Some(reason), "{last}");
    }
    assert_eq!(why("0.0.0.0"), Some("the unspecified address"));
    assert_eq!(why("255.255.255.255"), Some("the broadcast address"));
    assert_eq!(why("169.254.169.254"), Some(METADATA));
    assert_eq!(why("100.100.100.200"), Some(METADATA));
}

#[test]
fn the_neighbours_of_blocked_ranges_are_public() {
    for good in [
        "1.1.1.1",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.255",
        "192.0.3.0",
        "192.88.98.255",
        "192.88.100.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "198.51.99.255",
        "198.51.101.0",
        "203.0.112.255",
        "203.0.114.0",
        "223.255.255.255",
        "93.184.215.14",
    ] {
        assert_eq!(why(good), None, "{good}");
    }
}

#[test]
fn every_ipv6_range_is_refused() {
    for (bad, reason) in [
        ("::", "the unspecified address"),
        ("::1", "a loopback address"),
        ("fd00:ec2::254", METADATA),
        ("fc00::1", "a unique-local address"),
        ("fdff:ffff::1", "a unique-local address"),
        ("fe80::1", "a link-local address"),
        ("febf:ffff::1", "a link-local address"),
        ("fec0::1", "a site-local address"),
        ("ff02::1", "a multicast address"),
        ("100::", "a discard-only address"),
        ("100::ffff:ffff:ffff:ffff", "a discard-only address"),
        ("2001::1", "a Teredo address"),
        ("2001:0:ffff::1", "a Teredo address"),
        ("2001:2::1", "a benchmarking address"),
        ("2001:10::1", "an ORCHID address"),
        ("2001:20::1", "an ORCHIDv2 address"),
        ("2001:db8::1", DOCUMENTATION),
        ("2001:db8:ffff::1", DOCUMENTATION),
        ("3fff::1", DOCUMENTATION),
        ("5f00::1", "a segment-routing (SRv6) address"),
        (
            "4000::1",
            "a reserved address (outside global unicast 2000::/3)",
        ),
        (
            "::ffff:0:1.2.3.4",
            "a reserved address (outside global unicast 2000::/3)",
        ),
    ] {
        assert_eq!(why(bad), Some(reason), "{bad}");
    }
    for good in [
        "2a01:4f8::1",
        "2606:4700::1111",
        "2001:1::1",
        "2001:4860:4860::8888",
        "2001:db9::1",
        "3fff:1000::1",
        "64:ff9b::101:101",
        "2002:101:101::1",
        "::ffff:1.1.1.1",
    ] {
        assert_eq!(why(good), None, "{good}");
    }
}

#[test]
fn ipv6_forms_of_blocked_ipv4_are_refused_as_that_address() {
    for (v4, reason) in [
        ("127.0.0.1", "a loopback address"),
        ("10.1.2.3", PRIVATE),
        ("169.254.169.254", METADATA),
        ("100.100.100.200", METADATA),
        ("192.168.1.1", PRIVATE),
        ("0.0.0.0", "the unspecified address"),
    ] {
        let a: Ipv4Addr = v4.parse().unwrap();
        let n = u128::from(u32::from(a));
        let forms = [
            ("mapped", a.to_ipv6_mapped()),
            ("NAT64", Ipv6Addr::from((0x64_ff9b_u128 << 96) | n)),
            ("6to4", Ipv6Addr::from((0x2002_u128 << 112) | (n << 80) | 1)),
        ];
        for (form, addr) in forms {
            assert_eq!(blocked(IpAddr::V6(addr)), Some(reason), "{form} {addr}");
        }
        // The compatible form of 0.0.0.0 is ::, and ::1 is loopback: judged as such.
        if n > 1 {
            let compat = Ipv6Addr::from(n);
            assert_eq!(blocked(IpAddr::V6(compat)), Some(reason), "compat {compat}");
        }
    }
    // Local-use NAT64: whatever layout the operator's translator uses, never let through.
    for local in [
        "64:ff9b:1::7f00:1",
        "64:ff9b:1:7f00:0:100::",
        "64:ff9b:1::101:101",
    ] {
        assert_eq!(
            why(local),
            Some("a local-use NAT64 address (RFC 8215)"),
            "{local}"
        );
    }
    // An IPv4-compatible form of a public address is still no real destination.
    assert_eq!(
        why("::1.1.1.1"),
        Some("a deprecated IPv4-compatible address")
    );
}

#[test]
fn the_policy_refuses_only_when_public_only() {
    let lo = ip("127.0.0.1");
    assert!(AddressPolicy::AllowAll.allows(lo));
    assert_eq!(AddressPolicy::default(), AddressPolicy::AllowAll);
    let refused = AddressPolicy::PublicOnly.check(lo).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "refused by the address guard: 127.0.0.1 is a loopback address"
    );
    assert!(refused.to_string().starts_with(REFUSED_BY_GUARD));
    assert!(AddressPolicy::PublicOnly.allows(ip("1.1.1.1")));
}

/// A random address inside `net/len`.
fn inside(net: Ipv4Addr, len: u8, noise: u32) -> Ipv4Addr {
    let host = noise.checked_shr(u32::from(len)).unwrap_or(0);
    Ipv4Addr::from(u32::from(net) | host)
}

proptest! {
    #[test]
    fn every_address_in_a_listed_v4_range_is_refused(i in 0..V4_BLOCKED.len(), noise: u32) {
        let (net, len, _) = V4_BLOCKED[i];
        prop_assert!(blocked(IpAddr::V4(inside(net, len, noise))).is_some());
    }

    #[test]
    fn mapped_and_nat64_forms_agree_with_ipv4(a: u32) {
        let v4 = Ipv4Addr::from(a);
        let expected = blocked(IpAddr::V4(v4));
        prop_assert_eq!(blocked(IpAddr::V6(v4.to_ipv6_mapped())), expected);
        let nat64 = Ipv6Addr::from((0x64_ff9b_u128 << 96) | u128::from(a));
        prop_assert_eq!(blocked(IpAddr::V6(nat64)), expected);
    }

    #[test]
    fn public_only_refuses_exactly_the_blocked(bits: u128, v4: bool) {
        let addr = if v4 {
            IpAddr::V4(Ipv4Addr::from(bits as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(bits))
        };
        prop_assert!(AddressPolicy::AllowAll.allows(addr));
        prop_assert_eq!(AddressPolicy::PublicOnly.allows(addr), blocked(addr).is_none());
    }

    #[test]
    fn every_address_in_a_listed_v6_range_is_refused(i in 0..V6_BLOCKED.len(), noise: u128) {
        let (net, len, _) = V6_BLOCKED[i];
        let host = noise.checked_shr(u32::from(len)).unwrap_or(0);
        prop_assert!(blocked(IpAddr::V6(Ipv6Addr::from(u128::from(net) | host))).is_some());
    }
}

#[test]
fn clients_count_by_ipv4_address_and_ipv6_slash_64() {
    let key = |s: &str| client_key(s.parse().unwrap());
    assert_eq!(key("203.0.113.7"), key("203.0.113.7"));
    assert_ne!(key("203.0.113.7"), key("203.0.113.8"));
    assert_eq!(
        key("::ffff:203.0.113.7"),
        key("203.0.113.7"),
        "mapped is the same client"
    );
    assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:1:2:3"));
    assert_eq!(key("2001:db8:1:2:aaaa::1").to_string(), "2001:db8:1:2::");
    assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
}
