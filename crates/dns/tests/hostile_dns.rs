//! vigil-dns against servers that do not behave: silent, closed, and tiny loopback responders
//! that answer with garbage, truncated or self-referencing messages. Each lookup must end within
//! its deadline with errors and an indeterminate DNSSEC status, never a panic.
//!
//! Everything binds 127.0.0.1:0 and stops by itself, so these tests run in every `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UdpSocket};
use vigil_dns::{DnsConfig, DnsEvidence, DnssecStatus, retrieve_dns};

const DEADLINE: Duration = Duration::from_millis(1500);
/// Slack over the deadline for runtime scheduling on a loaded 2-core CI machine.
const SLACK: Duration = Duration::from_millis(1500);

fn config(addr: SocketAddr) -> DnsConfig {
    DnsConfig {
        resolver: Some(addr),
        trust_anchor: None,
        timeout: DEADLINE,
    }
}

async fn lookup_bounded(addr: SocketAddr) -> DnsEvidence {
    let started = Instant::now();
    let ev = retrieve_dns("victim.vigil.test", 443, &config(addr)).await;
    let took = started.elapsed();
    assert!(took < DEADLINE + SLACK, "took {took:?}: {ev:#?}");
    assert!(ev.elapsed_ms <= u64::try_from((DEADLINE + SLACK).as_millis()).unwrap());
    assert_eq!(ev.dnssec, DnssecStatus::Indeterminate, "{ev:#?}");
    assert!(ev.a.is_empty() && ev.aaaa.is_empty() && ev.caa.is_empty() && ev.tlsa.is_empty());
    assert!(!ev.errors.is_empty(), "{ev:#?}");
    ev
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_times_out_within_the_deadline() {
    // bound but never read: a black hole
    let hole = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let ev = lookup_bounded(hole.local_addr().unwrap()).await;
    assert!(
        ev.errors.iter().any(|e| e.contains("timed out")),
        "{:?}",
        ev.errors
    );
    drop(hole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_port_is_an_error() {
    let addr = {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.local_addr().unwrap()
    };
    lookup_bounded(addr).await;
}

#[test]
fn unusable_host_names_are_errors() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cfg = config("127.0.0.1:9".parse().unwrap());
    for host in ["", "a..b", &"x".repeat(300)] {
        let ev = rt.block_on(retrieve_dns(host, 443, &cfg));
        assert_eq!(ev.dnssec, DnssecStatus::Indeterminate);
        assert!(!ev.errors.is_empty(), "{host:?}: {ev:#?}");
    }
}

/// How a hostile responder answers each query.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Bytes that are no DNS message.
    Garbage,
    /// Fewer bytes than a header.
    Short,
    /// The query echoed as a response that claims three answers but carries none.
    MissingAnswers,
    /// One answer whose owner name is a compression pointer to itself.
    PointerLoop,
    /// An answer whose RDLENGTH runs past the end of the message.
    OverlongRdata,
    /// A well-formed response with another message ID (a spoofing attempt).
    WrongId,
    /// TC=1 with no records, so the client retries over TCP, where a listener promises 65535
    /// bytes and sends three.
    TruncatedThenShortTcp,
}

/// The header and question of `query`, without its EDNS OPT record (ARCOUNT = 0), so that what
/// a mode appends is read as the answer section.
fn header_and_question(query: &[u8]) -> Option<Vec<u8>> {
    let mut at = 12;
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1 + len;
        if len == 0 {
            break;
        }
    }
    let mut r = query.get(..at + 4)?.to_vec();
    r[10] = 0;
    r[11] = 0;
    Some(r)
}

/// The response to `query` in `mode`, or `None` for an unusable query.
fn respond(query: &[u8], mode: Mode) -> Option<Vec<u8>> {
    let mut r = header_and_question(query)?;
    r[2] |= 0x80; // QR
    Some(match mode {
        Mode::Garbage => b"\xde\xad\xbe\xef not a dns message at all \xff\xfe\x00".to_vec(),
        Mode::Short => r[..5].to_vec(),
        Mode::MissingAnswers => {
            r[7] = 3;
            r
        }
        Mode::PointerLoop => {
            r[7] = 1;
            let at = u16::try_from(r.len()).unwrap();
            r.extend_from_slice(&[0xc0 | (at >> 8) as u8, (at & 0xff) as u8]);
            r.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
            r
        }
        Mode::OverlongRdata => {
            r[7] = 1;
            r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0xff, 0xff, 127, 0]);
            r
        }
        Mode::WrongId => {
            r[1] = r[1].wrapping_add(1);
            r
        }
        Mode::TruncatedThenShortTcp => {
            r[2] |= 0x02; // TC
            r
        }
    })
}

/// A UDP responder (and a TCP one on the same port) that answers in `mode` until dropped.
async fn hostile_server(mode: Mode) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind(addr).await.ok();
    let task = tokio::spawn(async move {
        let tcp_task = tokio::spawn(async move {
            let Some(tcp) = tcp else { return };
            while let Ok((mut s, _)) = tcp.accept().await {
                tokio::spawn(async move {
                    let _ = s.write_all(&[0xff, 0xff, 1, 2, 3]).await;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                });
            }
        });
        let mut buf = [0u8; 4096];
        // bounded: a few hundred answers at most, then the responder goes quiet
        for _ in 0..500 {
            let Ok(Ok((n, peer))) =
                tokio::time::timeout(Duration::from_secs(10), udp.recv_from(&mut buf)).await
            else {
                break;
            };
            if let Some(resp) = respond(&buf[..n], mode) {
                let _ = udp.send_to(&resp, peer).await;
            }
        }
        tcp_task.abort();
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answers_become_errors() {
    for mode in [
        Mode::Garbage,
        Mode::Short,
        Mode::MissingAnswers,
        Mode::PointerLoop,
        Mode::OverlongRdata,
        Mode::WrongId,
        Mode::TruncatedThenShortTcp,
    ] {
        let (addr, task) = hostile_server(mode).await;
        let ev = lookup_bounded(addr).await;
        println!("{mode:?}: {:?}", ev.errors);
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_server_during_anchor_bootstrap() {
    // a KSK-only anchor makes retrieve_dns fetch the zone's DNSKEY RRset first (raw query)
    let path = std::env::temp_dir().join(format!("vigil-dns-hostile-{}.key", std::process::id()));
    std::fs::write(
        &path,
        "vigil.test. IN DNSKEY 257 3 13 P2Po+xujT0/zIKuIwnAaZ6A8zJLSFBcRni+CJTmf00n/V4+CpFcQto4b kGUNM3q5tAlmsJgPZlCK2Z6mQ+FWdQ==\n",
    )
    .unwrap();
    for mode in [
        Mode::Garbage,
        Mode::PointerLoop,
        Mode::TruncatedThenShortTcp,
    ] {
        let (addr, task) = hostile_server(mode).await;
        let cfg = DnsConfig {
            trust_anchor: Some(path.clone()),
            ..config(addr)
        };
        let started = Instant::now();
        let ev = retrieve_dns("victim.vigil.test", 443, &cfg).await;
        assert!(started.elapsed() < DEADLINE + SLACK, "{mode:?}: {ev:#?}");
        assert_eq!(ev.dnssec, DnssecStatus::Indeterminate, "{mode:?}: {ev:#?}");
        assert!(
            ev.errors
                .iter()
                .any(|e| e.starts_with("trust anchor vigil.test.")),
            "{mode:?}: {:?}",
            ev.errors
        );
        task.abort();
    }
    std::fs::remove_file(&path).ok();
}
