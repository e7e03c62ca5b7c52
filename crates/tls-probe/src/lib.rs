//! TLS retrieval: every fact about an endpoint's TLS configuration, gathered with hand-built
//! ClientHellos (one short connection each, many at once under a per-host and a shared cap,
//! retried when they fail) plus one real rustls handshake, into [`TlsEvidence`]. Nothing here
//! judges; `vigil-tls-checks` does.

pub mod budget;
mod exchange;
mod handshake;
pub mod head;
mod heartbleed;
mod net;
pub mod robot;
mod scan;

pub use exchange::{Answer, ExchangeLimits, Flight};
pub use robot::RobotOutcome;
pub use scan::{TlsProbeConfig, retrieve_tls};

/// The certificate chain `host:port` serves to a modern client (one real handshake, any chain
/// accepted), for checks such as DANE/TLSA that compare it with other data; `None` when no
/// handshake succeeded within `timeout`, or when `guard` refuses every address of `host`.
pub async fn served_chain(
    host: &str,
    port: u16,
    timeout: std::time::Duration,
    guard: vigil_guard::AddressPolicy,
) -> Option<Vec<Vec<u8>>> {
    let addr = tokio::time::timeout(timeout, tokio::net::lookup_host((host, port)))
        .await
        .ok()?
        .ok()?
        .find(|a| guard.allows(a.ip()))?;
    let facts = handshake::real_handshake(addr, host, timeout, guard).await?;
    (!facts.chain.is_empty()).then_some(facts.chain)
}
