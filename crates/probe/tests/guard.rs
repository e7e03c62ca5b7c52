//! The address guard in the HTTP sessions, on loopback: with `PublicOnly` the sessions fail
//! with `Forbidden` naming the address and nothing connects; with the default a redirect to
//! another loopback port is followed, so the guarded run shows the guard and not a dead port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vigil_guard::AddressPolicy;
use vigil_model::Hostname;
use vigil_model::evidence::ProbeStatus;
use vigil_probe::{ProbeConfig, TrustStore};

/// Answers every request with `answer`, counting connections.
async fn serve(answer: String) -> (u16, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicU32::new(0));
    let c = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, count)
}

fn config(http_port: u16, guard: AddressPolicy) -> ProbeConfig {
    let mut cfg = ProbeConfig::new(TrustStore::system_with(&[]).unwrap());
    cfg.http_port = http_port;
    // Nothing listens there; only the http:// session matters here.
    cfg.https_port = 9;
    cfg.guard = guard;
    cfg
}

#[tokio::test]
async fn public_only_refuses_loopback_before_connecting() {
    let (port, count) = serve("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into()).await;
    let host = Hostname::parse("127.0.0.1").unwrap();
    let ev = vigil_probe::retrieve_http(&host, &config(port, AddressPolicy::PublicOnly)).await;
    for f in [&ev.http_failure, &ev.https_failure] {
        let f = f.as_ref().expect("the session failed");
        assert_eq!(f.status, ProbeStatus::Forbidden, "{f:?}");
        assert_eq!(
            f.detail,
            "refused by the address guard: 127.0.0.1 is a loopback address"
        );
    }
    assert_eq!(count.load(Ordering::SeqCst), 0);
    // The default lets the same scan through.
    let ev = vigil_probe::retrieve_http(&host, &config(port, AddressPolicy::AllowAll)).await;
    assert!(ev.http.is_some(), "{ev:?}");
    assert!(count.load(Ordering::SeqCst) > 0);
}

#[tokio::test]
async fn connect_refuses_every_blocked_address_of_a_name() {
    let url = url::Url::parse("http://localhost:9/").unwrap();
    let e = vigil_probe::connect(&url, AddressPolicy::PublicOnly)
        .await
        .unwrap_err();
    assert_eq!(e.status, ProbeStatus::Forbidden);
    assert!(
        e.detail.starts_with("refused by the address guard: ")
            && e.detail.ends_with("is a loopback address"),
        "{e:?}"
    );
}
