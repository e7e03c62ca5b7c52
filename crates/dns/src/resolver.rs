//! The one validating resolver of a lookup set: hickory configured for a scanner (no hosts file,
//! bounded tries, DNSSEC on) with the anchors of the configured file, completed by
//! `anchor_fetch`, or hickory's root KSKs.

use crate::anchor::load_anchor_file;
use crate::anchor_fetch::{AnchorTrouble, complete_anchors, probe_signed_keys};
use crate::config::DnsConfig;
use crate::escape::clip;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::dnssec::TrustAnchors;
use hickory_resolver::proto::rr::Name;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The resolver of a lookup set, and whether its DNSSEC verdicts can mean anything for the host.
pub(crate) struct Prepared {
    pub(crate) resolver: TokioResolver,
    /// Why no validation can be done for this host (no anchor covers it, the anchor's keys
    /// could not be fetched, the path strips signatures). Then `resolver` does not validate, so
    /// the records are still reported, and the set is indeterminate: nothing was proved broken.
    pub(crate) blind: Option<String>,
}

/// Builds the resolver of the set for `host` (after completing the anchor file's keys).
/// Problems go to `errors`, and `None` means nothing can be asked.
pub(crate) async fn build_resolver(
    config: &DnsConfig,
    host: &Name,
    errors: &mut Vec<String>,
    deadline: tokio::time::Instant,
) -> Option<Prepared> {
    let (anchors, zones, troubles) = match &config.trust_anchor {
        None => {
            // hickory's root KSKs cover every name; check once that the path serves them signed
            let root = Name::root();
            let troubles = match anchor_server(config) {
                Some(server) => match probe_signed_keys(server, &root, deadline).await {
                    Ok(()) => Vec::new(),
                    Err(t) => vec![(root.clone(), t)],
                },
                None => vec![(
                    root.clone(),
                    AnchorTrouble::NoAnswer("no name server to ask".into()),
                )],
            };
            (TrustAnchors::default(), vec![root], troubles)
        }
        Some(path) => {
            let set = match load_anchor_file(path) {
                Ok(set) => set,
                Err(e) => {
                    errors.push(clip(&e.to_string()));
                    return None;
                }
            };
            let mut anchors = set.trust_anchors();
            let mut troubles = Vec::new();
            if !set.zones().is_empty() {
                match anchor_server(config) {
                    Some(server) => {
                        let now = SystemTime::now()
                            .duration_since(UNIX_EPOCH)
                            .map_or(0, |d| d.as_secs());
                        // RRSIG times are 32-bit serial numbers: the wrap is intended
                        let now = u32::try_from(now & 0xffff_ffff).unwrap_or(0);
                        troubles =
                            complete_anchors(server, &set, &mut anchors, now, deadline).await;
                    }
                    None => {
                        troubles = set
                            .zones()
                            .into_iter()
                            .map(|z| (z, AnchorTrouble::NoAnswer("no name server to ask".into())))
                            .collect();
                    }
                }
            }
            let mut zones = set.zones();
            if set.has_root() {
                zones.push(Name::root());
            }
            (anchors, zones, troubles)
        }
    };
    errors.extend(troubles.iter().map(|(z, t)| clip(&t.describe(z))));
    let blind = blindness(host, &zones, &troubles);
    if let Some(why) = &blind {
        errors.push(clip(why));
    }
    match new_resolver(config, anchors, blind.is_none()) {
        Ok(resolver) => Some(Prepared { resolver, blind }),
        Err(e) => {
            errors.push(clip(&format!("resolver: {e}")));
            None
        }
    }
}

/// Why validation cannot judge `host`: no anchored zone is `host` or an ancestor of it
/// (RFC 4035 §4.3: indeterminate), or the closest one's keys are out of reach. `None` when the
/// validator can decide.
pub(crate) fn blindness(
    host: &Name,
    zones: &[Name],
    troubles: &[(Name, AnchorTrouble)],
) -> Option<String> {
    let Some(closest) = zones
        .iter()
        .filter(|z| z.zone_of(host))
        .max_by_key(|z| z.num_labels())
    else {
        let list: Vec<String> = zones.iter().map(|z| z.to_string()).collect();
        return Some(format!(
            "DNSSEC indeterminate: no trust anchor covers {host} (anchored: {})",
            list.join(", ")
        ));
    };
    troubles
        .iter()
        .find(|(z, t)| z == closest && t.blinds_validation())
        .map(|(z, _)| {
            format!("DNSSEC indeterminate: the keys of the trust anchor {z} could not be checked")
        })
}

/// The server the anchor DNSKEYs are fetched from: the configured one, else the first of
/// resolv.conf.
pub(crate) fn anchor_server(config: &DnsConfig) -> Option<SocketAddr> {
    if let Some(addr) = config.resolver {
        return Some(addr);
    }
    let (conf, _) = hickory_resolver::system_conf::read_system_conf().ok()?;
    let ns = conf.name_servers().first()?;
    let port = ns.connections.first().map_or(53, |c| c.port);
    Some(SocketAddr::new(ns.ip, port))
}

/// The most NSEC3 iterations validated (BIND 9.18 and unbound's limit); above, denials count as
/// insecure (checked before any hashing, so a huge count costs nothing).
const NSEC3_MAX_ITERATIONS: u16 = 150;

/// The resolver for `config`: validating with `anchors`, or (when nothing could be validated)
/// plain, so the records are still reported.
fn new_resolver(
    config: &DnsConfig,
    anchors: TrustAnchors,
    validate: bool,
) -> Result<TokioResolver, NetError> {
    let provider = TokioRuntimeProvider::default();
    let mut builder = match config.resolver {
        Some(addr) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                provider,
            )
        }
        None => TokioResolver::builder(provider)?,
    };
    let opts: &mut ResolverOpts = builder.options_mut();
    // Two tries per server inside the deadline, so one lost datagram does not lose the answer.
    opts.timeout = (config.timeout / 3).max(Duration::from_millis(100));
    opts.attempts = 2;
    // A scanner reports what DNS says, not what this machine's /etc/hosts says.
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ndots = 0;
    opts.cache_size = 512;
    opts.edns0 = true;
    opts.validate = validate;
    opts.trust_anchor = None;
    if validate {
        builder = builder
            .with_trust_anchor(Arc::new(anchors))
            // RFC 9276 §3.2 leaves the NSEC3 iteration limit to the validator. hickory's
            // defaults (insecure above 100, bogus above 500) disagree with BIND and unbound
            // (validate up to 150) and would call a zone bogus for its hashing cost, which is
            // no broken chain: validate up to 150 like them, insecure above, never bogus.
            .nsec3_iteration_limits(Some(NSEC3_MAX_ITERATIONS), Some(u16::MAX));
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn a_name_outside_every_anchor_is_blind() {
        let zones = [n("example.test.")];
        assert!(blindness(&n("www.example.test."), &zones, &[]).is_none());
        assert!(blindness(&n("example.test."), &zones, &[]).is_none());
        let why = blindness(&n("www.other.test."), &zones, &[]).unwrap();
        assert!(
            why.contains("no trust anchor covers www.other.test."),
            "{why}"
        );
        // the root covers everything
        assert!(blindness(&n("www.other.test."), &[Name::root()], &[]).is_none());
    }

    #[test]
    fn the_closest_anchor_decides_and_only_unreachable_or_stripped_keys_blind() {
        let zones = [n("test."), n("example.test.")];
        let stripped = [(n("example.test."), AnchorTrouble::Unsigned)];
        assert!(blindness(&n("www.example.test."), &zones, &stripped).is_some());
        // another anchor's trouble does not matter
        assert!(blindness(&n("www.other.test."), &zones, &stripped).is_none());
        let down = [(n("test."), AnchorTrouble::NoAnswer("timed out".into()))];
        assert!(blindness(&n("www.other.test."), &zones, &down).is_some());
        // a stale anchor is left to the validator, which reports the broken chain
        let stale = [(n("example.test."), AnchorTrouble::Unproven("stale".into()))];
        assert!(blindness(&n("www.example.test."), &zones, &stale).is_none());
    }
}
