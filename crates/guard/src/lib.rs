//! The address guard: which IP addresses a scan may connect to.
//!
//! A public scan takes any host name from anyone, so a name (or a redirect, or a DNS answer
//! that changes between lookups) must not turn the scanner against the operator's own network:
//! loopback, private ranges, link-local (cloud metadata), CGNAT and every other special-purpose
//! block of RFC 6890 and the IANA registries. [`blocked`] is the one list of those ranges, as a
//! pure function; [`AddressPolicy`] is the setting each network part of a scan carries and
//! checks on the address it is about to connect to, so the check holds for every connection
//! however the address was found. Nothing here resolves names or opens sockets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which addresses a scan may connect to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Any address: operators scan their own instances (often on a private network) and the
    /// tests run on loopback.
    #[default]
    AllowAll,
    /// Only public unicast addresses: for names that come from anyone.
    PublicOnly,
}

impl AddressPolicy {
    /// `Ok` when this policy lets a scan connect to `ip`.
    pub fn check(self, ip: IpAddr) -> Result<(), Refused> {
        match (self, blocked(ip)) {
            (AddressPolicy::PublicOnly, Some(reason)) => Err(Refused { ip, reason }),
            _ => Ok(()),
        }
    }

    /// True when this policy lets a scan connect to `ip`.
    pub fn allows(self, ip: IpAddr) -> bool {
        self.check(ip).is_ok()
    }
}

/// The start of every refusal's text, so reports and tests can tell a refusal from a network
/// failure without a type (the HTTP evidence keeps failures as status plus text).
pub const REFUSED_BY_GUARD: &str = "refused by the address guard";

/// A connection the guard refused, before any packet was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("refused by the address guard: {ip} is {reason}")]
pub struct Refused {
    /// The address that was about to be connected to.
    pub ip: IpAddr,
    /// Why it is refused, e.g. "a loopback address".
    pub reason: &'static str,
}

/// An IPv4 range: network, prefix length and what it is.
type V4Range = (Ipv4Addr, u8, &'static str);
/// An IPv6 range: network, prefix length and what it is.
type V6Range = (Ipv6Addr, u8, &'static str);

const METADATA: &str = "a cloud metadata address";
const PRIVATE: &str = "a private address (RFC 1918)";
const DOCUMENTATION: &str = "a documentation address";

/// IPv4 ranges, most specific first (the first match gives the reason).
const V4_BLOCKED: &[V4Range] = &[
    // AWS, GCP, Azure, OpenStack and others at 169.254.169.254; Alibaba Cloud inside CGNAT.
    (Ipv4Addr::new(169, 254, 169, 254), 32, METADATA),
    (Ipv4Addr::new(100, 100, 100, 200), 32, METADATA),
    (
        Ipv4Addr::new(255, 255, 255, 255),
        32,
        "the broadcast address",
    ),
    (Ipv4Addr::new(0, 0, 0, 0), 32, "the unspecified address"),
    (Ipv4Addr::new(0, 0, 0, 0), 8, "a \"this network\" address"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, PRIVATE),
    (Ipv4Addr::new(100, 64, 0, 0), 10, "a shared (CGNAT) address"),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "a loopback address"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "a link-local address"),
    (Ipv4Addr::new(172, 16, 0, 0), 12, PRIVATE),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        24,
        "an IETF protocol assignment address",
    ),
    (Ipv4Addr::new(192, 0, 2, 0), 24, DOCUMENTATION),
    (
        Ipv4Addr::new(192, 88, 99, 0),
        24,
        "a 6to4 relay anycast address",
    ),
    (Ipv4Addr::new(192, 168, 0, 0), 16, PRIVATE),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "a benchmarking address"),
    (Ipv4Addr::new(198, 51, 100, 0), 24, DOCUMENTATION),
    (Ipv4Addr::new(203, 0, 113, 0), 24, DOCUMENTATION),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "a multicast address"),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "a reserved address"),
];

const fn v6(s: [u16; 8]) -> Ipv6Addr {
    Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
}

/// IPv6 ranges that carry no IPv4 address, most specific first. Everything outside
/// 2000::/3 that is not listed, and not a NAT64 or mapped form, is refused as reserved.
const V6_BLOCKED: &[V6Range] = &[
    (v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]), 128, METADATA),
    (v6([0, 0, 0, 0, 0, 0, 0, 0]), 128, "the unspecified address"),
    (v6([0, 0, 0, 0, 0, 0, 0, 1]), 128, "a loopback address"),
    (
        v6([0x100, 0, 0, 0, 0, 0, 0, 0]),
        64,
        "a discard-only address",
    ),
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 32, "a Teredo address"),
    (
        v6([0x2001, 2, 0, 0, 0, 0, 0, 0]),
        48,
        "a benchmarking address",
    ),
    (
        v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0]),
        28,
        "an ORCHID address",
    ),
    (
        v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0]),
        28,
        "an ORCHIDv2 address",
    ),
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), 32, DOCUMENTATION),
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]), 20, DOCUMENTATION),
    (
        v6([0x5f00, 0, 0, 0, 0, 0, 0, 0]),
        16,
        "a segment-routing (SRv6) address",
    ),
    (
        v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]),
        7,
        "a unique-local address",
    ),
    (
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]),
        10,
        "a link-local address",
    ),
    (
        v6([0xfec0, 0, 0, 0, 0, 0, 0, 0]),
        10,
        "a site-local address",
    ),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0]), 8, "a multicast address"),
];

fn in_v4(ip: Ipv4Addr, (net, len, _): &V4Range) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(*net) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// Why `ip` is not a public unicast address a scan may connect to; `None` when it is (pure).
///
/// IPv6 forms that reach an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are
/// judged by the IPv4 address they carry, so `::ffff:127.0.0.1` is refused as loopback.
pub fn blocked(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => blocked_v4(ip),
        IpAddr::V6(ip) => blocked_v6(ip),
    }
}

/// True when `ip` is a public unicast address (pure).
pub fn is_public(ip: IpAddr) -> bool {
    blocked(ip).is_none()
}

/// The key a per-client limit counts under: an IPv4 address as itself (also when it arrives
/// IPv4-mapped on a dual-stack socket), an IPv6 address by its /64. One IPv6 subscriber holds a
/// whole /64 and may send from any address in it, so counting per address would give each
/// request a fresh budget.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
    }
}

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    V4_BLOCKED
        .iter()
        .find(|r| in_v4(ip, r))
        .map(|(_, _, why)| *why)
}

/// The IPv4 address in the low 32 bits.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from(u128::from(ip) as u32)
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // The exact addresses (::, ::1, the metadata address) before the IPv4 forms they overlap.
    if let Some((_, _, why)) = V6_BLOCKED
        .iter()
        .take(3)
        .find(|(net, len, _)| in_v6(ip, *net, *len))
    {
        return Some(why);
    }
    let bits = u128::from(ip);
    // ::ffff:a.b.c.d: the kernel connects to a.b.c.d itself.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return blocked_v4(v4);
    }
    // ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated): never a real IPv6 destination.
    if in_v6(ip, Ipv6Addr::UNSPECIFIED, 96) {
        return blocked_v4(low_v4(ip)).or(Some("a deprecated IPv4-compatible address"));
    }
    // NAT64 (RFC 6052 well-known prefix): the translator connects to the embedded address.
    if in_v6(ip, v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]), 96) {
        return blocked_v4(low_v4(ip));
    }
    // Local-use NAT64 (RFC 8215) goes through the operator's own translator, whose prefix
    // length (and so where the IPv4 address sits) is not known from outside: any address
    // there may reach a blocked one, so the whole /48 is refused.
    if in_v6(ip, v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]), 48) {
        return Some("a local-use NAT64 address (RFC 8215)");
    }
    // 6to4 (RFC 3056): the relay forwards to the IPv4 address in bits 16-47.
    if in_v6(ip, v6([0x2002, 0, 0, 0, 0, 0, 0, 0]), 16) {
        return blocked_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    if let Some((_, _, why)) = V6_BLOCKED
        .iter()
        .find(|(net, len, _)| in_v6(ip, *net, *len))
    {
        return Some(why);
    }
    if !in_v6(ip, v6([0x2000, 0, 0, 0, 0, 0, 0, 0]), 3) {
        return Some("a reserved address (outside global unicast 2000::/3)");
    }
    None
}

#[cfg(test)]
mod tests;
