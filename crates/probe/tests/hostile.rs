//! Hostile and broken servers on loopback: every one must end in a finding (a failure status or
//! a truncated body) within the configured time limits, never a hang or a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use vigil_model::evidence::ProbeStatus;
use vigil_model::{Hostname, HttpEvidence};
use vigil_probe::{ProbeConfig, TrustStore};

/// Reads the request head so the client's write does not fail before our answer.
async fn read_head(s: &mut TcpStream) {
    let mut buf = vec![0u8; 8192];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
}

/// Serves every connection with `f` on 127.0.0.1; returns the port.
async fn serve<F, Fut>(f: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let f = std::sync::Arc::new(f);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let f = f.clone();
            tokio::spawn(async move { f(s).await });
        }
    });
    port
}

async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

fn config(http_port: u16, https_port: u16) -> ProbeConfig {
    let mut cfg = ProbeConfig::new(TrustStore::system_with(&[]).unwrap());
    cfg.http_port = http_port;
    cfg.https_port = https_port;
    cfg.limits.request_timeout = Duration::from_secs(2);
    cfg.limits.session_timeout = Duration::from_secs(3);
    cfg.limits.max_body_bytes = 64 * 1024;
    cfg.limits.max_decoded_bytes = 128 * 1024;
    cfg
}

async fn retrieve(http_port: u16, https_port: u16) -> (HttpEvidence, Duration) {
    let host = Hostname::parse("127.0.0.1").unwrap();
    let t = Instant::now();
    let ev = vigil_probe::retrieve_http(&host, &config(http_port, https_port)).await;
    (ev, t.elapsed())
}

fn http_status(ev: &HttpEvidence) -> ProbeStatus {
    ev.http_failure
        .as_ref()
        .map(|f| f.status)
        .unwrap_or(ProbeStatus::Ok)
}

#[tokio::test]
async fn silent_server_times_out() {
    let port = serve(|s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let (ev, took) = retrieve(port, closed_port().await).await;
    assert_eq!(http_status(&ev), ProbeStatus::Timeout);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(
        ev.https_failure.as_ref().unwrap().status,
        ProbeStatus::Refused
    );
    assert_eq!(
        vigil_checks::run_all(&ev).unwrap_err().to_string(),
        "The site seems to be down."
    );
}

#[tokio::test]
async fn garbage_is_a_protocol_error() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s.write_all(b"\x00\x01\x02 this is not http\r\n\r\n").await;
    })
    .await;
    let (ev, _) = retrieve(port, closed_port().await).await;
    assert_eq!(http_status(&ev), ProbeStatus::ProtocolError);
}

#[tokio::test]
async fn immediate_close_is_reported() {
    let port = serve(|s| async move { drop(s) }).await;
    let (ev, _) = retrieve(port, closed_port().await).await;
    assert!(
        matches!(
            http_status(&ev),
            ProbeStatus::Closed | ProbeStatus::ProtocolError
        ),
        "{:?}",
        ev.http_failure
    );
}

#[tokio::test]
async fn endless_body_is_truncated_in_time() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n")
            .await;
        let chunk = vec![b'a'; 16 * 1024];
        for _ in 0..100_000 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let (ev, took) = retrieve(port, closed_port().await).await;
    let last = &ev.http.as_ref().expect("a response").last;
    assert!(last.body_truncated);
    assert_eq!(last.body.as_ref().unwrap().len(), 64 * 1024);
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[tokio::test]
async fn slow_drip_body_hits_the_deadline() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\n\r\n")
            .await;
        for _ in 0..1000 {
            if s.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let (ev, took) = retrieve(port, closed_port().await).await;
    assert_eq!(http_status(&ev), ProbeStatus::Timeout);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn oversized_head_is_refused() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..2000 {
            head.extend_from_slice(format!("x-filler-{i}: {}\r\n", "b".repeat(40)).as_bytes());
        }
        head.extend_from_slice(b"content-length: 0\r\n\r\n");
        let _ = s.write_all(&head).await;
    })
    .await;
    let (ev, _) = retrieve(port, closed_port().await).await;
    assert_eq!(
        http_status(&ev),
        ProbeStatus::ProtocolError,
        "{:?}",
        ev.http_failure
    );
}

#[tokio::test]
async fn redirect_loop_stops_after_ten_redirects() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 302 Found\r\nlocation: /again\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let (ev, _) = retrieve(port, closed_port().await).await;
    let http = ev.http.as_ref().expect("the 11th response is final");
    assert_eq!(http.route.len(), 11);
    assert_eq!(http.last.status, 302);
}

#[tokio::test]
async fn gzip_bomb_is_capped() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![b'<'; 20 * 1024 * 1024]).unwrap();
    let bomb = std::sync::Arc::new(enc.finish().unwrap());
    let port = serve(move |mut s| {
        let bomb = bomb.clone();
        async move {
            read_head(&mut s).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
                bomb.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&bomb).await;
        }
    })
    .await;
    let (ev, _) = retrieve(port, closed_port().await).await;
    let last = &ev.http.as_ref().expect("a response").last;
    assert!(last.body_truncated);
    assert!(last.body.as_ref().unwrap().len() <= 128 * 1024);
}

#[tokio::test]
async fn tls_port_speaking_garbage_is_a_tls_error() {
    let http = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .await;
    })
    .await;
    let https = serve(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nnot tls at all")
            .await;
    })
    .await;
    let (ev, _) = retrieve(http, https).await;
    let f = ev.https_failure.as_ref().expect("https fails");
    assert!(
        matches!(f.status, ProbeStatus::TlsError | ProbeStatus::Closed),
        "{f:?}"
    );
    // The site is then graded on its http answer.
    let outcomes = vigil_checks::run_all(&ev).unwrap();
    assert_eq!(outcomes.len(), 10);
}
