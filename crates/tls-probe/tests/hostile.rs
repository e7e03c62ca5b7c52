//! Hostile and broken TLS servers on loopback: whatever they send (nothing, a lie about a length,
//! an endless stream, HTTP, a suite nobody offered, an alert), `retrieve_tls` must end within its
//! time limits with evidence that says so, never a hang or a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use vigil_model::TlsEvidence;
use vigil_tls_probe::{TlsProbeConfig, retrieve_tls};

/// Short limits, so a probe that waits out a timeout shows in the elapsed time.
fn config() -> TlsProbeConfig {
    TlsProbeConfig {
        probe_timeout: Duration::from_secs(1),
        handshake_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(10),
        ..TlsProbeConfig::default()
    }
}

/// Serves every connection with `f` on 127.0.0.1; returns the port.
async fn serve<F, Fut>(f: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let f = Arc::new(f);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let f = f.clone();
            tokio::spawn(async move { f(s).await });
        }
    });
    port
}

/// Reads one whole client hello record (TLS, or SSL 2.0 with its 2-byte header), so answering
/// and closing never resets a connection that still has unread bytes.
async fn read_hello(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let need = match got.as_slice() {
            [a, b, ..] if a & 0x80 != 0 => 2 + usize::from(u16::from_be_bytes([*a, *b]) & 0x7fff),
            [_, _, _, hi, lo, ..] => 5 + usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => usize::MAX,
        };
        if got.len() >= need || got.len() > 64 * 1024 {
            return got;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => return got,
        }
    }
}

/// Keeps the connection until the client closes it (at most a few seconds).
async fn linger(s: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
    }
}

/// A server that reads the hello, writes `answer`, then closes its side (`close`) or waits
/// for the client to close.
async fn answering(answer: Vec<u8>, close: bool) -> u16 {
    let answer = Arc::new(answer);
    serve(move |mut s| {
        let answer = answer.clone();
        async move {
            read_hello(&mut s).await;
            let _ = s.write_all(&answer).await;
            if close {
                let _ = s.shutdown().await;
            }
            linger(&mut s).await;
        }
    })
    .await
}

async fn scan(port: u16, config: &TlsProbeConfig) -> (TlsEvidence, Duration) {
    let t = Instant::now();
    let ev = retrieve_tls("127.0.0.1", port, config).await;
    (ev, t.elapsed())
}

/// Every version probed, none supported, nothing learned, and the scan finished in time.
fn assert_nothing_supported(ev: &TlsEvidence, took: Duration, bound: Duration) {
    assert_eq!(ev.failure, None, "the scan should end on its own");
    let versions: Vec<u16> = ev.versions.iter().map(|v| v.version).collect();
    assert_eq!(versions, [0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304]);
    for v in &ev.versions {
        assert!(!v.supported, "{v:?}");
        assert!(v.suites.is_empty(), "{v:?}");
        assert_eq!(v.server_order, None);
    }
    assert!(ev.chains.is_empty());
    assert!(ev.groups_tls12.is_empty() && ev.groups_tls13.is_empty());
    assert_eq!(ev.dh_prime_hex, None);
    assert_eq!(ev.ocsp_staple_b64, None);
    assert_eq!(
        (ev.fallback_scsv, ev.compression, ev.heartbleed),
        (None, None, None)
    );
    assert_eq!(ev.http_status, None);
    // SSL 2.0 + four legacy versions + TLS 1.3, at least one connection each.
    assert!(ev.probes >= 6, "{} probes", ev.probes);
    assert!(took < bound, "took {took:?}");
    assert!(
        ev.elapsed_ms < bound.as_millis() as u64,
        "{} ms",
        ev.elapsed_ms
    );
}

/// The errors of SSL 3.0 … TLS 1.3 (SSL 2.0 answers are raw bytes; unparsable ones are only
/// "not supported").
fn tls_errors(ev: &TlsEvidence) -> Vec<(u16, Vec<String>)> {
    ev.versions
        .iter()
        .filter(|v| v.version >= 0x0300)
        .map(|v| (v.version, v.errors.clone()))
        .collect()
}

/// Every TLS version recorded errors, and all of them contain `what`.
fn assert_every_error(ev: &TlsEvidence, what: &str) {
    for (version, errors) in tls_errors(ev) {
        assert!(!errors.is_empty(), "no error for {version:#06x}");
        assert!(
            errors.iter().all(|e| e.contains(what)),
            "{version:#06x}: {errors:?}, expected {what:?}"
        );
    }
}

fn assert_no_errors(ev: &TlsEvidence) {
    for v in &ev.versions {
        assert!(v.errors.is_empty(), "{v:?}");
    }
}

/// A handshake record holding `messages` (type, body) as given.
fn handshake_record(messages: &[(u8, &[u8])]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (kind, body) in messages {
        payload.push(*kind);
        payload.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        payload.extend_from_slice(body);
    }
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    rec.extend_from_slice(&payload);
    rec
}

/// A ServerHello body: `version`, a fixed random, no session id, `suite`, null compression,
/// `extensions` as (code, body).
fn server_hello(version: u16, suite: u16, extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&[7; 32]);
    body.push(0);
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    let mut block = Vec::new();
    for (code, data) in extensions {
        block.extend_from_slice(&code.to_be_bytes());
        block.extend_from_slice(&(data.len() as u16).to_be_bytes());
        block.extend_from_slice(data);
    }
    body.extend_from_slice(&(block.len() as u16).to_be_bytes());
    body.extend_from_slice(&block);
    body
}

/// What a ClientHello offers: (client_version, suites, TLS 1.3 in supported_versions).
fn offered(hello: &[u8]) -> Option<(u16, Vec<u16>, bool)> {
    if hello.first() != Some(&22) {
        return None;
    }
    let body = hello.get(9..)?;
    let version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let mut at = 35 + usize::from(*body.get(34)?);
    let n = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    let suites = body
        .get(at + 2..at + 2 + n)?
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    at += 2 + n;
    at += 1 + usize::from(*body.get(at)?);
    let mut tls13 = false;
    if let Some(len) = body.get(at..at + 2) {
        let mut exts =
            body.get(at + 2..at + 2 + usize::from(u16::from_be_bytes([len[0], len[1]])))?;
        while exts.len() >= 4 {
            let code = u16::from_be_bytes([exts[0], exts[1]]);
            let n = usize::from(u16::from_be_bytes([exts[2], exts[3]]));
            let data = exts.get(4..4 + n)?;
            if code == 43 {
                tls13 |= data
                    .get(1..)
                    .unwrap_or_default()
                    .chunks(2)
                    .any(|v| v == [3, 4]);
            }
            exts = &exts[4 + n..];
        }
    }
    Some((version, suites, tls13))
}

/// (a) A server that accepts and never answers: every probe times out, all at once.
#[tokio::test]
async fn silent_server_times_out_in_bounded_time() {
    let port = serve(|mut s| async move {
        read_hello(&mut s).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let (ev, took) = scan(port, &config()).await;
    // Probes run in parallel: about one probe timeout plus the handshake's, far from the
    // sum of all timeouts or the 10 s total.
    assert_nothing_supported(&ev, took, Duration::from_secs(6));
    assert_every_error(&ev, "timed out");
    assert_eq!(
        ev.versions[0].errors,
        ["timed out (3 attempts)"],
        "SSL 2.0 times out too"
    );
}

/// (b) A record header that promises 16 KiB, a few bytes of it, then the end of the stream.
#[tokio::test]
async fn truncated_record_then_close_is_not_support() {
    let mut answer = vec![22, 3, 3, 0x40, 0x00];
    answer.extend_from_slice(&[2, 0, 0x3f, 0xfc, 3, 3]);
    let (ev, took) = scan(answering(answer, true).await, &config()).await;
    assert_nothing_supported(&ev, took, Duration::from_secs(5));
    // An early close is an ordinary refusal, not a timeout.
    assert_no_errors(&ev);
}

/// (b) Lengths that overrun their container, each answered on every connection.
#[tokio::test]
async fn lying_lengths_are_reported_as_garbage() {
    // A session id of 32 bytes announced, 10 sent; the record and message lengths agree.
    let mut short_sid = vec![3, 3];
    short_sid.extend_from_slice(&[7; 32]);
    short_sid.push(32);
    short_sid.extend_from_slice(&[1; 10]);
    // An extensions block of 8 bytes whose one extension claims 200.
    let mut long_ext = server_hello(0x0303, 0xc02f, &[]);
    long_ext.truncate(long_ext.len() - 2);
    long_ext.extend_from_slice(&[0, 8, 0xff, 0x01, 0, 200, 1, 2, 3, 4]);
    // An extensions block that claims 200 bytes and carries 4.
    let mut long_exts = server_hello(0x0303, 0xc02f, &[]);
    let n = long_exts.len();
    long_exts[n - 2..].copy_from_slice(&200u16.to_be_bytes());
    long_exts.extend_from_slice(&[0xff, 0x01, 0x00, 0x00]);
    // A handshake message of 16 MiB - 1 announced in a small record.
    let mut huge_message = vec![22, 3, 3, 0, 4, 2, 0xff, 0xff, 0xff];
    huge_message.extend_from_slice(&[0; 4]);
    huge_message[3..5].copy_from_slice(&8u16.to_be_bytes());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            handshake_record(&[(2, &short_sid)]),
            "truncated ServerHello",
        ),
        (
            handshake_record(&[(2, &long_exts)]),
            "truncated ServerHello",
        ),
        (
            handshake_record(&[(2, &long_ext)]),
            "truncated ServerHello extensions",
        ),
        (
            vec![22, 3, 3, 0xff, 0xff, 0, 0, 0],
            "record of 65535 bytes exceeds the TLS limit",
        ),
        (
            huge_message,
            "handshake message of 16777215 bytes exceeds the limit",
        ),
        (
            handshake_record(&[(11, &[0, 0, 0])]),
            "message before ServerHello",
        ),
    ];
    for (answer, what) in cases {
        let (ev, took) = scan(answering(answer, true).await, &config()).await;
        assert_nothing_supported(&ev, took, Duration::from_secs(5));
        assert_every_error(&ev, what);
    }
}

/// (c) Handshake records forever, one message that never completes: the byte limit ends each
/// probe, long before any timeout.
#[tokio::test]
async fn endless_records_stop_at_the_byte_limit() {
    const LIMIT: usize = 64 * 1024;
    let port = serve(|mut s| async move {
        read_hello(&mut s).await;
        // A ServerHello of 256 KiB - 1 announced, then zeros in full records.
        let mut first = vec![22, 3, 3, 0x40, 0x00, 2, 0x03, 0xff, 0xff];
        first.resize(5 + 0x4000, 0);
        if s.write_all(&first).await.is_err() {
            return;
        }
        let mut record = vec![22, 3, 3, 0x40, 0x00];
        record.resize(5 + 0x4000, 0);
        // Bounded: 64 MiB at most, or until the client hangs up.
        for _ in 0..4096 {
            if s.write_all(&record).await.is_err() {
                return;
            }
        }
    })
    .await;
    let config = TlsProbeConfig {
        max_flight_bytes: LIMIT,
        ..config()
    };
    let (ev, took) = scan(port, &config).await;
    assert_nothing_supported(&ev, took, Duration::from_secs(5));
    assert_every_error(&ev, "exceeds the limit");
    for (version, errors) in tls_errors(&ev) {
        for e in errors {
            // "handshake message of N bytes exceeds the limit": N is the bytes read, just past
            // the limit (one read of at most 16 KiB too many).
            let n: usize = e
                .split_whitespace()
                .nth(3)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{version:#06x}: {e}"));
            assert!(n > LIMIT && n <= LIMIT + 16 * 1024, "{version:#06x}: {e}");
        }
    }
}

/// (c) A valid record header, then one byte every 100 ms: the probe timeout ends it.
#[tokio::test]
async fn slow_drip_hits_the_probe_timeout() {
    let port = serve(|mut s| async move {
        read_hello(&mut s).await;
        let mut drip = vec![22, 3, 3, 0x00, 0x40];
        drip.resize(5 + 0x40, 0x2a);
        for b in drip.iter().cycle().take(300) {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let (ev, took) = scan(port, &config()).await;
    assert_nothing_supported(&ev, took, Duration::from_secs(6));
    assert_every_error(&ev, "timed out");
}

/// (d) An HTTP server on the TLS port.
#[tokio::test]
async fn http_answer_is_not_tls() {
    let answer =
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\nbad request"
            .to_vec();
    let (ev, took) = scan(answering(answer, true).await, &config()).await;
    assert_nothing_supported(&ev, took, Duration::from_secs(5));
    assert_every_error(&ev, "the server did not answer with TLS records");
    assert!(ev.versions[0].errors.is_empty(), "{:?}", ev.versions[0]);
}

/// (e) A well-formed ServerHello (and ServerHelloDone) for every hello, choosing a suite the
/// client did not offer, at the version it asked for.
#[tokio::test]
async fn unoffered_suite_is_not_counted() {
    let port = serve(|mut s| async move {
        let hello = read_hello(&mut s).await;
        let Some((version, suites, tls13)) = offered(&hello) else {
            let _ = s.write_all(&[21, 3, 3, 0, 2, 2, 40]).await;
            linger(&mut s).await;
            return;
        };
        let suite = [0x1a1a, 0x2a2a, 0x3a3a]
            .into_iter()
            .find(|c| !suites.contains(c))
            .unwrap();
        let body = if tls13 {
            let mut share = vec![0x00, 0x1d, 0x00, 0x20];
            share.extend_from_slice(&[9; 32]);
            server_hello(0x0303, suite, &[(43, vec![3, 4]), (51, share)])
        } else {
            server_hello(version, suite, &[(0xff01, vec![0]), (23, vec![])])
        };
        let _ = s
            .write_all(&handshake_record(&[(2, &body), (14, &[])]))
            .await;
        linger(&mut s).await;
    })
    .await;
    let (ev, took) = scan(port, &config()).await;
    assert_nothing_supported(&ev, took, Duration::from_secs(5));
    // A ServerHello is an answer, not an error: the version is simply not supported.
    assert_no_errors(&ev);
    // Nothing from those hellos leaks into the evidence either.
    assert_eq!(ev.secure_renegotiation, None);
    assert_eq!(ev.extended_master_secret, None);
}

/// (f) Nothing listens: the evidence says so at once.
#[tokio::test]
async fn connection_refused_is_a_failure() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let (ev, took) = scan(port, &config()).await;
    let failure = ev.failure.as_deref().expect("a failure");
    assert!(
        failure.starts_with("cannot connect to 127.0.0.1:"),
        "{failure}"
    );
    assert!(ev.versions.is_empty(), "nothing probed: {:?}", ev.versions);
    assert_eq!(ev.address.as_deref(), Some("127.0.0.1"));
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

/// (g) A fatal handshake_failure alert for every hello: nothing supported, and no error, since
/// that is how a server refuses.
#[tokio::test]
async fn handshake_failure_alert_means_nothing_supported() {
    let (ev, took) = scan(
        answering(vec![21, 3, 3, 0, 2, 2, 40], false).await,
        &config(),
    )
    .await;
    assert_nothing_supported(&ev, took, Duration::from_secs(5));
    assert_no_errors(&ev);
    assert_eq!(ev.session_resumption, None);
    assert_eq!(ev.alpn, None);
}
