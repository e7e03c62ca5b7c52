//! Servers that fail some probes (a lossy link, a rate limit) or answer the ROBOT test
//! inconsistently, on loopback. A probe that failed is retried, and what still fails is
//! recorded, never taken for "not offered"; ROBOT counts only a difference that repeats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use vigil_model::TlsEvidence;
use vigil_tls_probe::{TlsProbeConfig, retrieve_tls};

const ECDHE_AES128: u16 = 0xc02f;
const ECDHE_AES256: u16 = 0xc030;
const RSA_AES128: u16 = 0x002f;

fn config() -> TlsProbeConfig {
    TlsProbeConfig {
        probe_timeout: Duration::from_millis(500),
        handshake_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(20),
        retry_backoff: Duration::from_millis(20),
        ..TlsProbeConfig::default()
    }
}

/// Serves every connection with `f` (given the connection's number, from 0) on 127.0.0.1.
async fn serve<F, Fut>(f: F) -> u16
where
    F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let f = Arc::new(f);
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((s, _)) = listener.accept().await {
            let f = f.clone();
            tokio::spawn(async move { f(s, n).await });
            n += 1;
        }
    });
    port
}

/// One whole record (TLS, or SSL 2.0 with its 2-byte header), or what arrived within 3 s.
async fn read_record(s: &mut TcpStream) -> Vec<u8> {
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

/// (client_version, suites, TLS 1.3 in supported_versions) of a ClientHello record.
/// The extensions of a ClientHello record, as (code, data), in order; `None` when malformed.
fn extensions(hello: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let body = hello.get(9..)?;
    let mut at = 35 + usize::from(*body.get(34)?);
    let n = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    at += 2 + n;
    at += 1 + usize::from(*body.get(at)?);
    let mut out = Vec::new();
    let Some(len) = body.get(at..at + 2) else {
        return Some(out);
    };
    let mut exts = body.get(at + 2..at + 2 + usize::from(u16::from_be_bytes([len[0], len[1]])))?;
    while exts.len() >= 4 {
        let code = u16::from_be_bytes([exts[0], exts[1]]);
        let n = usize::from(u16::from_be_bytes([exts[2], exts[3]]));
        out.push((code, exts.get(4..4 + n)?));
        exts = exts.get(4 + n..)?;
    }
    Some(out)
}

fn offered(hello: &[u8]) -> Option<(u16, Vec<u16>, bool)> {
    if hello.first() != Some(&22) {
        return None;
    }
    let body = hello.get(9..)?;
    let version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let at = 35 + usize::from(*body.get(34)?);
    let n = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    let suites = body
        .get(at + 2..at + 2 + n)?
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    let tls13 = extensions(hello)?.iter().any(|(code, data)| {
        *code == 43
            && data
                .get(1..)
                .unwrap_or_default()
                .chunks(2)
                .any(|v| v == [3, 4])
    });
    Some((version, suites, tls13))
}

/// ServerHello (TLS 1.2, `suite`, renegotiation_info), Certificate (`cert`, when given) and
/// ServerHelloDone in one record.
fn flight(suite: u16, cert: Option<&[u8]>) -> Vec<u8> {
    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[7; 32]);
    hello.push(0);
    hello.extend_from_slice(&suite.to_be_bytes());
    hello.push(0);
    hello.extend_from_slice(&[0, 5, 0xff, 0x01, 0, 1, 0]);
    let mut messages: Vec<(u8, Vec<u8>)> = vec![(2, hello)];
    if let Some(der) = cert {
        let mut list = (der.len() as u32).to_be_bytes()[1..].to_vec();
        list.extend_from_slice(der);
        let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
        body.extend_from_slice(&list);
        messages.push((11, body));
    }
    messages.push((14, Vec::new()));
    let mut payload = Vec::new();
    for (kind, body) in messages {
        payload.push(kind);
        payload.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        payload.extend_from_slice(&body);
    }
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    rec.extend_from_slice(&payload);
    rec
}

const HANDSHAKE_FAILURE: [u8; 7] = [21, 3, 3, 0, 2, 2, 40];

/// A TLS 1.2-only server with two ECDHE suites (client order); everything else is refused
/// with a handshake_failure alert.
async fn tls12_answer(s: &mut TcpStream, hello: &[u8]) {
    let answer = match offered(hello) {
        Some((0x0303, suites, false)) => suites
            .iter()
            .copied()
            .find(|c| [ECDHE_AES128, ECDHE_AES256].contains(c))
            .map(|suite| flight(suite, None)),
        _ => None,
    };
    let _ = s
        .write_all(&answer.unwrap_or(HANDSHAKE_FAILURE.to_vec()))
        .await;
    linger(s).await;
}

async fn scan(port: u16, config: &TlsProbeConfig) -> TlsEvidence {
    retrieve_tls("127.0.0.1", port, config).await
}

fn tls12(ev: &TlsEvidence) -> &vigil_model::VersionEvidence {
    ev.versions.iter().find(|v| v.version == 0x0303).unwrap()
}

/// How a server mistreats a ClientHello it has not seen before.
#[derive(Clone, Copy)]
enum FirstTime {
    /// Closes the connection without a word (a dropped connection, a reset).
    Close,
    /// Keeps it open and says nothing (a lost packet, a rate limit that stalls).
    Silent,
}

/// A server that mistreats the first copy of every distinct ClientHello and answers the
/// repeats: each probe fails once, whatever the order the probes arrive in.
async fn fails_each_hello_once(how: FirstTime) -> u16 {
    let seen: Arc<Mutex<HashSet<Vec<u8>>>> = Arc::default();
    serve(move |mut s, _| {
        let seen = seen.clone();
        async move {
            let hello = read_record(&mut s).await;
            if hello.is_empty() {
                return;
            }
            if seen.lock().unwrap().insert(hello.clone()) {
                match how {
                    FirstTime::Close => return,
                    FirstTime::Silent => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        return;
                    }
                }
            }
            tls12_answer(&mut s, &hello).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_dropped_connection_is_retried_not_taken_for_a_refusal() {
    let port = fails_each_hello_once(FirstTime::Close).await;
    let ev = scan(port, &config()).await;
    let v = tls12(&ev);
    assert!(v.supported, "{v:?}");
    let mut suites = v.suites.clone();
    suites.sort_unstable();
    assert_eq!(suites, [u32::from(ECDHE_AES128), u32::from(ECDHE_AES256)]);
    assert!(v.errors.is_empty(), "{v:?}");
    // Without retries the same server looks as if it offered nothing.
    let port = fails_each_hello_once(FirstTime::Close).await;
    let ev = scan(
        port,
        &TlsProbeConfig {
            retries: 0,
            ..config()
        },
    )
    .await;
    assert!(!tls12(&ev).supported, "{:?}", tls12(&ev));
}

#[tokio::test]
async fn a_timed_out_probe_is_retried() {
    let port = fails_each_hello_once(FirstTime::Silent).await;
    let ev = scan(port, &config()).await;
    let v = tls12(&ev);
    assert!(v.supported, "{v:?}");
    assert_eq!(v.suites.len(), 2, "{v:?}");
    assert!(v.errors.is_empty(), "{v:?}");
    // The other versions were refused by alert once their hellos got through.
    for other in ev.versions.iter().filter(|v| v.version != 0x0303) {
        assert!(!other.supported && other.errors.is_empty(), "{other:?}");
    }
}

/// A server that never answers TLS 1.2 hellos and refuses everything else: TLS 1.2 stays
/// unknown, with the reason, and the report and the grades say so instead of "not offered".
#[tokio::test]
async fn a_version_that_never_answers_is_unknown_not_unsupported() {
    let port = serve(|mut s, _| async move {
        let hello = read_record(&mut s).await;
        if matches!(offered(&hello), Some((0x0303, _, false))) {
            tokio::time::sleep(Duration::from_secs(5)).await;
            return;
        }
        let _ = s.write_all(&HANDSHAKE_FAILURE).await;
        linger(&mut s).await;
    })
    .await;
    let ev = scan(port, &config()).await;
    let v = tls12(&ev);
    assert!(!v.supported);
    assert_eq!(v.errors, ["timed out (3 attempts)"], "{v:?}");
    let report = vigil_tls_checks::report::analyse(&ev, &[], 1_767_225_600);
    use vigil_tls_checks::report::ProtocolStatus;
    assert_eq!(report.protocols.tls1_2.status, ProtocolStatus::Unknown);
    assert!(!report.protocols.tls1_2.suites_complete);
    assert_eq!(report.protocols.tls1_3.status, ProtocolStatus::NotSupported);
    assert_eq!(report.protocols.tls1_0.status, ProtocolStatus::NotSupported);
    assert!(!report.complete);
    assert_eq!(report.unknown, ["TLS1.2: timed out (3 attempts)"]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["protocols"]["TLS1.2"]["status"], "unknown");
    assert_eq!(json["protocols"]["TLS1.0"]["status"], "not-supported");
}

/// Two endpoints scanned at once with one budget of two connections: never more than two are
/// open at the same time across both.
#[tokio::test]
async fn a_shared_budget_caps_connections_across_hosts() {
    let open = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut ports = Vec::new();
    for _ in 0..2 {
        let (open, peak) = (open.clone(), peak.clone());
        ports.push(
            serve(move |mut s, _| {
                let (open, peak) = (open.clone(), peak.clone());
                async move {
                    let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    let hello = read_record(&mut s).await;
                    if !hello.is_empty() {
                        // Slow enough that probes overlap if they are let through.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let answer = match offered(&hello) {
                            Some((0x0303, suites, false)) if suites.contains(&ECDHE_AES128) => {
                                flight(ECDHE_AES128, None)
                            }
                            _ => HANDSHAKE_FAILURE.to_vec(),
                        };
                        let _ = s.write_all(&answer).await;
                        let mut buf = [0u8; 1024];
                        while matches!(
                            tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await,
                            Ok(Ok(n)) if n > 0
                        ) {}
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                }
            })
            .await,
        );
    }
    let budget = Arc::new(Semaphore::new(2));
    let cfg = TlsProbeConfig {
        connection_budget: Some(budget),
        probe_timeout: Duration::from_secs(3),
        ..config()
    };
    let (a, b) = tokio::join!(scan(ports[0], &cfg), scan(ports[1], &cfg));
    assert!(tls12(&a).supported && tls12(&b).supported);
    // The server sees a close a moment after the client let its slot go, so one more may
    // overlap in its count.
    let seen = peak.swap(0, Ordering::SeqCst);
    assert!(seen <= 3, "{seen} connections open at once");
    // Without a budget of its own the same pair of scans opens many more at once.
    let unbudgeted_config = config();
    let (a, b) = tokio::join!(
        scan(ports[0], &unbudgeted_config),
        scan(ports[1], &unbudgeted_config)
    );
    assert!(tls12(&a).supported && tls12(&b).supported);
    let unbudgeted = peak.load(Ordering::SeqCst);
    assert!(unbudgeted > 3, "{unbudgeted}");
}

// --- ROBOT -------------------------------------------------------------------------------

/// DER of a length.
fn der_len(n: usize) -> Vec<u8> {
    match n {
        0..0x80 => vec![n as u8],
        0x80..0x100 => vec![0x81, n as u8],
        _ => vec![0x82, (n >> 8) as u8, n as u8],
    }
}

fn der_integer(big_endian: &[u8]) -> Vec<u8> {
    let mut v = big_endian.to_vec();
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    let mut out = vec![0x02];
    out.extend(der_len(v.len()));
    out.extend(v);
    out
}

/// An RSA public key of our choosing, with a signature nobody checks: the ROBOT test reads
/// only the modulus and the exponent.
struct FakeRsaKey {
    der: Vec<u8>,
}

impl FakeRsaKey {
    fn new(modulus: &[u8], exponent: &[u8]) -> Self {
        let mut body = der_integer(modulus);
        body.extend(der_integer(exponent));
        let mut der = vec![0x30];
        der.extend(der_len(body.len()));
        der.extend(body);
        Self { der }
    }
}

impl rcgen::PublicKeyData for FakeRsaKey {
    fn der_bytes(&self) -> &[u8] {
        &self.der
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

impl rcgen::SigningKey for FakeRsaKey {
    fn sign(&self, _: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(vec![0x42; 256])
    }
}

fn rsa_cert(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let params = rcgen::CertificateParams::new(vec!["robot.test".to_string()]).unwrap();
    params
        .self_signed(&FakeRsaKey::new(modulus, exponent))
        .unwrap()
        .der()
        .to_vec()
}

/// A 2048-bit modulus (the top bit set, odd); with exponent 1 the "encrypted" premaster is
/// the padded block itself, so the fake server can read the padding as a real one decrypts.
fn modulus(bits: usize) -> Vec<u8> {
    let mut n = vec![0xa5u8; bits / 8];
    n[0] = 0xc5;
    *n.last_mut().unwrap() |= 1;
    n
}

/// A static-RSA (TLS 1.2) server whose answer to the key exchange comes from `answer`, given
/// the ROBOT connection's number and the premaster block as sent; `None` closes.
async fn robot_server<F>(cert: Vec<u8>, answer: F) -> u16
where
    F: Fn(usize, &[u8]) -> Option<u8> + Send + Sync + 'static,
{
    let cert = Arc::new(cert);
    let answer = Arc::new(answer);
    let exchanges = Arc::new(AtomicUsize::new(0));
    serve(move |mut s, _| {
        let (cert, answer, exchanges) = (cert.clone(), answer.clone(), exchanges.clone());
        async move {
            let hello = read_record(&mut s).await;
            let rsa = matches!(offered(&hello), Some((0x0303, ref suites, false)) if suites.contains(&RSA_AES128));
            if !rsa {
                let _ = s.write_all(&HANDSHAKE_FAILURE).await;
                linger(&mut s).await;
                return;
            }
            let _ = s.write_all(&flight(RSA_AES128, Some(&cert))).await;
            // A ClientKeyExchange follows only in the ROBOT test.
            let cke = read_record(&mut s).await;
            if cke.len() < 11 || cke[5] != 16 {
                return;
            }
            let block = cke[11..].to_vec();
            let n = exchanges.fetch_add(1, Ordering::SeqCst);
            // Take in the ChangeCipherSpec and the Finished before answering.
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Some(alert) = answer(n, &block) {
                let _ = s.write_all(&[21, 3, 3, 0, 2, 2, alert]).await;
            }
        }
    })
    .await
}

fn robot_config() -> TlsProbeConfig {
    TlsProbeConfig {
        probe_timeout: Duration::from_secs(3),
        ..config()
    }
}

#[tokio::test]
async fn a_patched_server_is_not_vulnerable() {
    let port = robot_server(rsa_cert(&modulus(2048), &[1]), |_, _| Some(20)).await;
    let ev = scan(port, &robot_config()).await;
    assert_eq!((ev.robot, ev.robot_note.as_deref()), (Some(false), None));
}

/// A real oracle: a different alert whenever the padding's first bytes are wrong, in every
/// run. Confirmed by the repeat, so vulnerable.
#[tokio::test]
async fn a_consistent_oracle_is_vulnerable() {
    let port = robot_server(rsa_cert(&modulus(2048), &[1]), |_, block| {
        Some(if block.starts_with(&[0, 2]) { 20 } else { 51 })
    })
    .await;
    let ev = scan(port, &robot_config()).await;
    assert_eq!(ev.robot, Some(true), "{:?}", ev.robot_note);
}

/// One answer differs once (the third key exchange is dropped), and never again: not a
/// verdict of vulnerable, which would cap the grade at F, but unknown with the reason.
#[tokio::test]
async fn one_odd_answer_is_not_an_oracle() {
    let port = robot_server(rsa_cert(&modulus(2048), &[1]), |n, _| {
        (n != 2).then_some(20)
    })
    .await;
    let ev = scan(port, &robot_config()).await;
    assert_eq!(ev.robot, None);
    let note = ev.robot_note.as_deref().unwrap();
    assert!(note.starts_with("inconclusive: "), "{note}");
    let report = vigil_tls_checks::report::analyse(&ev, &[], 1_767_225_600);
    let grades = vigil_tls_grade::grade(&report);
    assert_ne!(grades.ssllabs.grade, "F");
    assert!(grades.ssllabs.findings.iter().all(|f| f.id != "robot"));
    assert!(
        grades
            .unknown
            .iter()
            .any(|u| u.starts_with("ROBOT: inconclusive"))
    );
}

#[tokio::test]
async fn a_modulus_beyond_16_kbit_is_not_tested() {
    let port = robot_server(rsa_cert(&modulus(16_384 + 1024), &[1, 0, 1]), |_, _| {
        Some(20)
    })
    .await;
    let ev = scan(port, &robot_config()).await;
    assert_eq!(ev.robot, None);
    let note = ev.robot_note.as_deref().unwrap();
    assert!(
        note.starts_with("not tested: the RSA modulus has 17408 bits"),
        "{note}"
    );
}

#[tokio::test]
async fn an_exponent_beyond_64_bits_is_not_tested() {
    let mut exponent = vec![0x01; 16];
    exponent[0] = 0x80;
    let port = robot_server(rsa_cert(&modulus(2048), &exponent), |_, _| Some(20)).await;
    let started = Instant::now();
    let ev = scan(port, &robot_config()).await;
    assert_eq!(ev.robot, None);
    let note = ev.robot_note.as_deref().unwrap();
    assert!(
        note.starts_with("not tested: the RSA exponent has 128 bits"),
        "{note}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

/// The groups a ClientHello offers (`supported_groups`), empty when it has none.
fn groups_offered(hello: &[u8]) -> Vec<u16> {
    extensions(hello)
        .unwrap_or_default()
        .into_iter()
        .find(|(code, _)| *code == 10)
        .and_then(|(_, data)| data.get(2..))
        .map(|list| {
            list.chunks(2)
                .filter(|c| c.len() == 2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_group_probe_that_never_answers_is_unknown_not_refused() {
    const X25519: u16 = 0x001d;
    // A TLS 1.2 server that says nothing when the hello offers X25519 alone.
    let port = serve(|mut s, _| async move {
        let hello = read_record(&mut s).await;
        if groups_offered(&hello) == [X25519] {
            tokio::time::sleep(Duration::from_secs(5)).await;
            return;
        }
        tls12_answer(&mut s, &hello).await;
    })
    .await;
    let ev = scan(port, &config()).await;
    assert!(tls12(&ev).supported, "{ev:?}");
    assert_eq!(
        ev.groups_unknown,
        ["group x25519: timed out (3 attempts)"],
        "{ev:?}"
    );
    let report = vigil_tls_checks::report::analyse(&ev, &[], 1_767_225_600);
    assert!(!report.complete);
    assert!(
        report
            .unknown
            .contains(&"key exchange group x25519: timed out (3 attempts)".to_string()),
        "{:?}",
        report.unknown
    );
}
