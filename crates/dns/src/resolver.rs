//! The one validating resolver of a lookup set: hickory configured for a scanner (no hosts file,
//! bounded tries, DNSSEC on) with the anchors of the configured file, completed by
//! `anchor_fetch`, or hickory's root KSKs.

use crate::anchor::load_anchor_file;
use crate::anchor_fetch::complete_anchors;
use crate::config::DnsConfig;
use crate::escape::clip;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::dnssec::TrustAnchors;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Builds the one validating resolver of the set (after completing the anchor file's keys).
/// Problems go to `errors`, and `None` means nothing can be asked.
pub(crate) async fn build_resolver(
    config: &DnsConfig,
    errors: &mut Vec<String>,
    deadline: tokio::time::Instant,
) -> Option<TokioResolver> {
    let anchors = match &config.trust_anchor {
        None => TrustAnchors::default(),
        Some(path) => {
            let set = match load_anchor_file(path) {
                Ok(set) => set,
                Err(e) => {
                    errors.push(clip(&e.to_string()));
                    return None;
                }
            };
            let mut anchors = set.trust_anchors();
            if !set.zones().is_empty() {
                match anchor_server(config) {
                    Some(server) => {
                        let now = SystemTime::now()
                            .duration_since(UNIX_EPOCH)
                            .map_or(0, |d| d.as_secs());
                        // RRSIG times are 32-bit serial numbers: the wrap is intended
                        let now = u32::try_from(now & 0xffff_ffff).unwrap_or(0);
                        let found =
                            complete_anchors(server, &set, &mut anchors, now, deadline).await;
                        errors.extend(found.iter().map(|e| clip(e)));
                    }
                    None => errors.push("trust anchor: no name server to ask for DNSKEYs".into()),
                }
            }
            anchors
        }
    };
    match new_resolver(config, anchors) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(clip(&format!("resolver: {e}")));
            None
        }
    }
}

/// The server the anchor DNSKEYs are fetched from: the configured one, else the first of
/// resolv.conf.
fn anchor_server(config: &DnsConfig) -> Option<SocketAddr> {
    if let Some(addr) = config.resolver {
        return Some(addr);
    }
    let (conf, _) = hickory_resolver::system_conf::read_system_conf().ok()?;
    let ns = conf.name_servers().first()?;
    let port = ns.connections.first().map_or(53, |c| c.port);
    Some(SocketAddr::new(ns.ip, port))
}

/// The validating resolver for `config`.
fn new_resolver(config: &DnsConfig, anchors: TrustAnchors) -> Result<TokioResolver, NetError> {
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
    opts.validate = true;
    opts.trust_anchor = None;
    builder.with_trust_anchor(Arc::new(anchors)).build()
}
