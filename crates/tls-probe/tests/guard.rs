//! The address guard in the TLS probes, on loopback: with `PublicOnly` no probe, handshake or
//! head fetch connects, and the evidence says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use vigil_guard::AddressPolicy;
use vigil_tls_probe::{TlsProbeConfig, retrieve_tls};

async fn counting() -> (u16, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicU32::new(0));
    let c = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (port, count)
}

#[tokio::test]
async fn public_only_probes_nothing_on_loopback() {
    let (port, count) = counting().await;
    let config = TlsProbeConfig {
        guard: AddressPolicy::PublicOnly,
        ..TlsProbeConfig::default()
    };
    let ev = retrieve_tls("localhost", port, &config).await;
    let failure = ev.failure.as_deref().unwrap_or_default();
    assert!(
        failure.starts_with("refused by the address guard: ")
            && failure.ends_with("is a loopback address"),
        "{failure}"
    );
    let chain =
        vigil_tls_probe::served_chain("127.0.0.1", port, Duration::from_secs(2), config.guard)
            .await;
    assert_eq!(chain, None);
    let head = vigil_tls_probe::head::get_head_of(
        std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        "127.0.0.1",
        "/.well-known/security.txt",
        true,
        Duration::from_secs(2),
        config.guard,
    )
    .await;
    assert_eq!(
        head.unwrap_err(),
        "refused by the address guard: 127.0.0.1 is a loopback address"
    );
    assert_eq!(count.load(Ordering::SeqCst), 0);
}
