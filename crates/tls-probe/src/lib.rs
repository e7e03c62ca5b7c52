//! TLS retrieval: every fact about an endpoint's TLS configuration, gathered with hand-built
//! ClientHellos (one short connection each, many at once under a per-host cap) plus one real
//! rustls handshake, into [`TlsEvidence`]. Nothing here judges; `vigil-tls-checks` does.

mod exchange;
mod handshake;
pub mod head;
mod heartbleed;
mod scan;

pub use exchange::{Answer, ExchangeLimits, Flight};
pub use scan::{TlsProbeConfig, retrieve_tls};
