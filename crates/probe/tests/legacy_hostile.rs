//! The legacy retrieval pass against hostile and odd servers on loopback: it must stay within
//! the configured limits, and follow python-requests' rules where they differ from the current
//! Observatory's (30 redirects then an error, a redirect without `Location` is final, five extra
//! requests through the chosen session with its cookie jar).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use vigil_model::{Hostname, HttpEvidence};
use vigil_probe::{ProbeConfig, TrustStore};

/// Reads the request head and returns it.
async fn read_head(s: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 8192];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

async fn serve<F, Fut>(f: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
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

async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

async fn retrieve(http_port: u16, https_port: u16) -> (HttpEvidence, Duration) {
    let mut cfg = ProbeConfig::new(TrustStore::system_with(&[]).unwrap());
    cfg.http_port = http_port;
    cfg.https_port = https_port;
    cfg.limits.request_timeout = Duration::from_secs(2);
    cfg.limits.session_timeout = Duration::from_secs(3);
    cfg.legacy = true;
    let host = Hostname::parse("127.0.0.1").unwrap();
    let t = Instant::now();
    let ev = vigil_probe::retrieve_http(&host, &cfg).await;
    (ev, t.elapsed())
}

#[tokio::test]
async fn legacy_pass_is_off_by_default() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let mut cfg = ProbeConfig::new(TrustStore::system_with(&[]).unwrap());
    cfg.http_port = port;
    cfg.https_port = closed_port().await;
    let ev = vigil_probe::retrieve_http(&Hostname::parse("127.0.0.1").unwrap(), &cfg).await;
    assert!(ev.legacy.is_none());
}

#[tokio::test]
async fn redirect_loop_is_an_error_after_thirty_redirects() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let port = serve(move |mut s| {
        let counter = counter.clone();
        async move {
            read_head(&mut s).await;
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = s
                .write_all(b"HTTP/1.1 302 Found\r\nlocation: /again\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    })
    .await;
    let (ev, took) = retrieve(port, closed_port().await).await;
    let legacy = ev.legacy.as_ref().expect("legacy pass ran");
    assert!(legacy.http.is_none(), "a loop fails the session");
    assert!(legacy.http_failure.is_some());
    // The current pass still takes the 11th response as final.
    assert_eq!(ev.http.as_ref().expect("current pass").route.len(), 11);
    // The current pass: 11 for the page, 11 each for robots.txt and the preflight (its side
    // client follows 10 redirects too). The legacy pass: 31, then nothing more (no session).
    assert_eq!(hits.load(Ordering::SeqCst), 33 + 31);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(
        vigil_grade::legacy_report(&ev).unwrap_err(),
        vigil_model::SiteError::SiteDown
    );
}

#[tokio::test]
async fn redirect_without_location_is_final() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 301 Moved\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let (ev, _) = retrieve(port, closed_port().await).await;
    let legacy = ev.legacy.as_ref().unwrap();
    let http = legacy.http.as_ref().expect("a final 301");
    assert_eq!(http.route.len(), 1);
    assert_eq!(http.last.status, 301);
    let report = vigil_grade::legacy_report(&ev).expect("a 301 is scanned");
    assert_eq!(report.tests.len(), 12);
}

#[tokio::test]
async fn extra_requests_share_the_session_jar() {
    let port = serve(|mut s| async move {
        let head = read_head(&mut s).await;
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let reply = match path.as_str() {
            "/robots.txt" => {
                "HTTP/1.1 200 OK\r\nset-cookie: sessionid=1; Path=/\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n\r\n".to_string()
            }
            "/crossdomain.xml" => {
                let body = r#"<cross-domain-policy><allow-access-from domain="*"/></cross-domain-policy>"#;
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
            }
            _ => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_string(),
        };
        let _ = s.write_all(reply.as_bytes()).await;
    })
    .await;
    let (ev, _) = retrieve(port, closed_port().await).await;
    let legacy = ev.legacy.as_ref().unwrap();
    assert_eq!(legacy.resources.len(), 4);
    assert_eq!(legacy.cookies.len(), 1, "robots.txt cookies count");
    let report = vigil_grade::legacy_report(&ev).expect("404 pages are scanned");
    let result = |name: &str| {
        report
            .tests
            .iter()
            .find(|t| t.test == name)
            .map(|t| t.result.clone())
            .unwrap()
    };
    assert_eq!(result("cookies"), "cookies-session-without-secure-flag");
    assert_eq!(
        result("cross-origin-resource-sharing"),
        "cross-origin-resource-sharing-implemented-with-universal-access"
    );
}

#[tokio::test]
async fn silent_server_is_bounded() {
    let port = serve(|s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let (ev, took) = retrieve(port, closed_port().await).await;
    let legacy = ev.legacy.as_ref().unwrap();
    assert!(legacy.http.is_none() && legacy.https.is_none());
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
