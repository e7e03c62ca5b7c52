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

// ---------------------------------------------------------------------------------------------
// Hostile pages against the real limits: each scan (retrieval, the ten tests, the grade) runs in
// a child process, so its wall time and peak memory are its own. The child is this test binary
// run again on one test with `VIGIL_HOSTILE_CHILD=http_port,https_port` set; it scans with the
// default limits and prints one line with what it found. Each hostile page is compared with a
// small page of the same shape: the bounds must not change the verdict.

/// The bounds: every scan ends within 15 s and stays under 256 MB. The time bound is
/// for optimised builds (`scripts/test.sh` runs the tests with `--release`); unoptimised,
/// the HTML tokenizer alone is several times slower, so a debug build gets 60 s.
const WALL_LIMIT: Duration = if cfg!(debug_assertions) {
    Duration::from_secs(60)
} else {
    Duration::from_secs(15)
};
const MEMORY_LIMIT_KB: u64 = 256 * 1024;
/// For the trickling servers the time is network time, the same in every build.
const NETWORK_WALL_LIMIT: Duration = Duration::from_secs(15);
const CHILD_ENV: &str = "VIGIL_HOSTILE_CHILD";
const CHILD_TEST: &str = "benign_page_scans_in_a_child_process";

/// One child scan at a time, so the timings do not include other tests' work.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct ChildScan {
    wall: Duration,
    peak_kb: u64,
    /// Grade and result ids, or the site error.
    verdict: String,
}

/// Peak resident set of this process (Linux `VmHWM`).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child's side: scan, check, grade, print.
async fn child_scan(ports: &str) {
    let (http, https) = ports.split_once(',').unwrap();
    let mut cfg = ProbeConfig::new(TrustStore::system_with(&[]).unwrap());
    cfg.http_port = http.parse().unwrap();
    cfg.https_port = https.parse().unwrap();
    let host = Hostname::parse("127.0.0.1").unwrap();
    let ev = vigil_probe::retrieve_http(&host, &cfg).await;
    let verdict = match vigil_checks::run_all(&ev) {
        Ok(outcomes) => {
            let report = vigil_grade::grade(&outcomes);
            let ids: Vec<&str> = outcomes.iter().map(|o| o.result.as_str()).collect();
            format!("{:?} {} {}", report.grade, report.score, ids.join(","))
        }
        Err(e) => format!("error: {e}"),
    };
    println!("VIGIL-CHILD {} {verdict}", peak_rss_kb());
}

/// The parent's side: runs the child against the ports and waits (at most a minute).
async fn scan_in_child(http_port: u16, https_port: u16) -> ChildScan {
    let _one_at_a_time = SERIAL.lock().await;
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{http_port},{https_port}"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("the child scan did not end within 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let wall = started.elapsed();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
        // libtest prints the test's name on the same line, before the output.
        let line = out
            .split_once("VIGIL-CHILD ")
            .and_then(|(_, rest)| rest.lines().next())
            .unwrap_or_else(|| panic!("no result from the child: {out}"));
        let (peak, verdict) = line.split_once(' ').unwrap();
        ChildScan {
            wall,
            peak_kb: peak.parse().unwrap(),
            verdict: verdict.to_string(),
        }
    })
    .await
    .unwrap()
}

/// Serves `body` (gzip-compressed, as `text/html`) to every request.
async fn serve_page(body: &[u8]) -> u16 {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body).unwrap();
    let gz = std::sync::Arc::new(enc.finish().unwrap());
    serve(move |mut s| {
        let gz = gz.clone();
        async move {
            read_head(&mut s).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                gz.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&gz).await;
        }
    })
    .await
}

/// Scans `page` in a child, checks the bounds, and returns the verdict.
async fn bounded_scan(page: &[u8]) -> String {
    let port = serve_page(page).await;
    let scan = scan_in_child(port, closed_port().await).await;
    assert!(scan.wall < WALL_LIMIT, "took {:?}", scan.wall);
    assert!(
        scan.peak_kb < MEMORY_LIMIT_KB,
        "peak memory {} kB",
        scan.peak_kb
    );
    scan.verdict
}

/// A hostile page and a small one of the same shape get the same verdict, within the bounds.
async fn same_verdict_as_small(hostile: String, small: String) {
    let expected = bounded_scan(small.as_bytes()).await;
    assert!(!expected.starts_with("error"), "{expected}");
    let got = bounded_scan(hostile.as_bytes()).await;
    assert_eq!(got, expected);
}

const FOREIGN_SCRIPT: &str = "<script src=http://cdn.other.example/a.js></script>";
const META_CSP: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'\">";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn benign_page_scans_in_a_child_process() {
    if let Ok(ports) = std::env::var(CHILD_ENV) {
        return child_scan(&ports).await;
    }
    let verdict =
        bounded_scan(format!("<!doctype html><title>t</title>{META_CSP}").as_bytes()).await;
    // Served over http only: no HSTS, no redirection; the meta policy is read.
    assert!(
        verdict.contains("csp-implemented-with-no-unsafe"),
        "{verdict}"
    );
    assert!(verdict.contains("redirection-missing"), "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn million_nested_divs() {
    let page = |n: usize| format!("<!doctype html>{}{FOREIGN_SCRIPT}", "<div>".repeat(n));
    same_verdict_as_small(page(1_000_000), page(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_meta_policies() {
    let page = |n: usize| format!("<!doctype html><head>{}", META_CSP.repeat(n));
    same_verdict_as_small(page(100_000), page(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_a_million_attributes_on_one_tag() {
    let page = |n: usize| {
        let attrs: String = (0..n).map(|i| format!(" a{i}=x")).collect();
        format!(
            "<!doctype html><meta http-equiv=content-security-policy content=\"default-src 'none'\"{attrs}>"
        )
    };
    same_verdict_as_small(page(500_000), page(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_templates() {
    let page = |n: usize| {
        format!(
            "<!doctype html>{FOREIGN_SCRIPT}{}<script src=/local.js></script>{META_CSP}",
            "<template>".repeat(n)
        )
    };
    same_verdict_as_small(page(300_000), page(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_scripts() {
    let page = |n: usize| {
        let scripts: String = (0..n)
            .map(|i| format!("<script src=http://cdn{i}.other.example/a.js></script>"))
            .collect();
        format!("<!doctype html>{scripts}")
    };
    same_verdict_as_small(page(100_000), page(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unclosed_formatting_elements_pile_up() {
    let page = |n: usize| {
        let tags: String = (0..n).map(|i| format!("<p><b class=c{i}></p>x")).collect();
        format!("<!doctype html>{tags}{FOREIGN_SCRIPT}")
    };
    same_verdict_as_small(page(200_000), page(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_svg_with_stray_end_tags() {
    let page = |n: usize| {
        format!(
            "<!doctype html><svg>{}{}</svg>{FOREIGN_SCRIPT}",
            "<g>".repeat(n),
            "</x>".repeat(n)
        )
    };
    same_verdict_as_small(page(500_000), page(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_trickle_is_a_timeout_within_the_limit() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .await;
        for _ in 0..1000 {
            if s.write_all(b"4\r\n<p>\n\r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
    .await;
    let scan = scan_in_child(port, closed_port().await).await;
    assert!(scan.wall < NETWORK_WALL_LIMIT, "took {:?}", scan.wall);
    assert_eq!(scan.verdict, "error: The site seems to be down.");
}

/// Every answer trickles for 8 s: within one request's 9 s, but the page, robots.txt and the
/// preflight one after another took 24 s before the retrieval had one deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_share_one_deadline() {
    let port = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .await;
        for _ in 0..16 {
            if s.write_all(b"4\r\n<p>\n\r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let _ = s.write_all(b"0\r\n\r\n").await;
    })
    .await;
    let scan = scan_in_child(port, closed_port().await).await;
    assert!(scan.wall < NETWORK_WALL_LIMIT, "took {:?}", scan.wall);
    assert!(scan.wall > Duration::from_secs(8), "took {:?}", scan.wall);
    // The page arrived and is graded; robots.txt and the preflight ran out of time.
    assert!(!scan.verdict.starts_with("error"), "{}", scan.verdict);
    assert!(
        scan.verdict
            .contains("cross-origin-resource-sharing-not-implemented"),
        "{}",
        scan.verdict
    );
}
