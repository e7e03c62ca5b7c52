//! Suite order detection against fake TLS 1.2 servers on loopback: one that follows the
//! client, one that imposes its order, and one that imposes it except for clients listing
//! ChaCha20 first (OpenSSL's PRIORITIZE_CHACHA).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vigil_tls_probe::{TlsProbeConfig, retrieve_tls};

const AES256: u16 = 0xc030;
const CHACHA: u16 = 0xcca8;
const AES128: u16 = 0xc02f;
const SERVER_PREFERENCE: [u16; 3] = [AES256, CHACHA, AES128];

#[derive(Clone, Copy)]
enum Policy {
    Client,
    Server,
    ServerChachaPriority,
}

/// The suites of a ClientHello record (no bounds checks needed beyond `get`: test input).
fn offered(hello: &[u8]) -> Option<(u16, Vec<u16>)> {
    let body = hello.get(9..)?;
    let version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let sid = usize::from(*body.get(34)?);
    let at = 35 + sid;
    let len = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    let list = body.get(at + 2..at + 2 + len)?;
    Some((
        version,
        list.chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect(),
    ))
}

fn choose(policy: Policy, offer: &[u16]) -> Option<u16> {
    let known = |s: &u16| SERVER_PREFERENCE.contains(s);
    match policy {
        Policy::Client => offer.iter().copied().find(known),
        Policy::ServerChachaPriority if offer.first() == Some(&CHACHA) => Some(CHACHA),
        _ => SERVER_PREFERENCE
            .iter()
            .copied()
            .find(|s| offer.contains(s)),
    }
}

fn server_hello(suite: u16) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[7u8; 32]);
    body.push(0);
    body.extend_from_slice(&suite.to_be_bytes());
    body.extend_from_slice(&[0, 0, 0]); // null compression, no extensions
    let mut hs = vec![2, 0, (body.len() >> 8) as u8, body.len() as u8];
    hs.extend_from_slice(&body);
    hs.extend_from_slice(&[14, 0, 0, 0]);
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

async fn serve(policy: Policy) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let reply = match offered(&buf[..n]) {
                    Some((0x0303, offer)) => choose(policy, &offer).map(server_hello),
                    _ => None,
                };
                let reply = reply.unwrap_or_else(|| vec![21, 3, 3, 0, 2, 2, 40]);
                let _ = sock.write_all(&reply).await;
                let _ = tokio::time::timeout(Duration::from_millis(200), sock.read(&mut buf)).await;
            });
        }
    });
    port
}

async fn tls12(policy: Policy) -> vigil_model::VersionEvidence {
    let config = TlsProbeConfig {
        probe_timeout: Duration::from_secs(2),
        handshake_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(20),
        ..TlsProbeConfig::default()
    };
    let ev = retrieve_tls("127.0.0.1", serve(policy).await, &config).await;
    ev.versions
        .into_iter()
        .find(|v| v.version == 0x0303)
        .unwrap()
}

#[tokio::test]
async fn client_order_is_recognised() {
    let v = tls12(Policy::Client).await;
    assert!(v.supported);
    assert_eq!(v.suites.len(), 3);
    assert_eq!(v.server_order, Some(false));
    assert_eq!(v.chacha_priority, None);
}

#[tokio::test]
async fn server_order_is_listed_in_the_servers_preference() {
    let v = tls12(Policy::Server).await;
    assert_eq!(v.server_order, Some(true));
    let want: Vec<u32> = SERVER_PREFERENCE.iter().map(|&s| u32::from(s)).collect();
    assert_eq!(v.suites, want);
    assert_eq!(v.chacha_priority, Some(false));
}

#[tokio::test]
async fn chacha_priority_is_detected_without_spoiling_the_order() {
    let v = tls12(Policy::ServerChachaPriority).await;
    assert_eq!(v.server_order, Some(true));
    let want: Vec<u32> = SERVER_PREFERENCE.iter().map(|&s| u32::from(s)).collect();
    assert_eq!(v.suites, want);
    assert_eq!(v.chacha_priority, Some(true), "{v:?}");
}
