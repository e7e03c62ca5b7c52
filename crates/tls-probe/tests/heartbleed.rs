//! The Heartbleed test against fake loopback servers that echo the heartbeat extension: one
//! that leaks (answers the lying request with a 16 KiB record), one that is patched (drops it
//! and answers only the honest request), and one without heartbeat support.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vigil_tls_probe::{TlsProbeConfig, retrieve_tls};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Leaks,
    Patched,
    NoHeartbeat,
}

/// A TLS 1.2 ServerHello choosing ECDHE-RSA-AES128-GCM-SHA256, then ServerHelloDone.
fn flight(heartbeat: bool) -> Vec<u8> {
    let mut ext = Vec::new();
    if heartbeat {
        ext.extend_from_slice(&[0x00, 0x0f, 0x00, 0x01, 0x01]);
    }
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[7u8; 32]);
    body.push(0);
    body.extend_from_slice(&[0xc0, 0x2f, 0x00]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![2, 0, (body.len() >> 8) as u8, body.len() as u8];
    hs.extend_from_slice(&body);
    hs.extend_from_slice(&[14, 0, 0, 0]);
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

async fn serve(kind: Kind) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                // The ClientHello.
                if sock.read(&mut buf).await.unwrap_or(0) == 0 {
                    return;
                }
                let offered_heartbeat = buf.windows(5).any(|w| w == [0x00, 0x0f, 0x00, 0x01, 0x01]);
                let _ = sock
                    .write_all(&flight(kind != Kind::NoHeartbeat && offered_heartbeat))
                    .await;
                // Heartbeat requests, if any.
                let n = match tokio::time::timeout(Duration::from_millis(500), sock.read(&mut buf))
                    .await
                {
                    Ok(Ok(n)) if n > 0 => n,
                    _ => return,
                };
                if buf[0] != 24 {
                    return;
                }
                let answer = match kind {
                    Kind::Leaks => {
                        let mut r = vec![24, 3, 3, 0x40, 0x13, 2, 0x40, 0x00];
                        r.extend(std::iter::repeat_n(0xAB, 0x4000 + 16));
                        r
                    }
                    _ => {
                        let _ = n;
                        let mut r = vec![24, 3, 3, 0, 20, 2, 0, 1, 0x42];
                        r.extend_from_slice(&[0; 16]);
                        r
                    }
                };
                let _ = sock.write_all(&answer).await;
            });
        }
    });
    port
}

fn config() -> TlsProbeConfig {
    TlsProbeConfig {
        probe_timeout: Duration::from_secs(2),
        handshake_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(20),
        ..TlsProbeConfig::default()
    }
}

#[tokio::test]
async fn a_leaking_server_is_vulnerable() {
    let port = serve(Kind::Leaks).await;
    let ev = retrieve_tls("127.0.0.1", port, &config()).await;
    assert_eq!(ev.heartbleed, Some(true), "{ev:?}");
}

#[tokio::test]
async fn a_patched_server_is_not_and_answers_fast() {
    let port = serve(Kind::Patched).await;
    let ev = retrieve_tls("127.0.0.1", port, &config()).await;
    assert_eq!(ev.heartbleed, Some(false), "{ev:?}");
    assert!(ev.elapsed_ms < 900, "waited {} ms", ev.elapsed_ms);
}

#[tokio::test]
async fn no_heartbeat_extension_is_not_applicable() {
    let port = serve(Kind::NoHeartbeat).await;
    let ev = retrieve_tls("127.0.0.1", port, &config()).await;
    assert!(
        ev.versions
            .iter()
            .any(|v| v.version == 0x0303 && v.supported),
        "{ev:?}"
    );
    assert_eq!(ev.heartbleed, None);
}
