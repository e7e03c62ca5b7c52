//! `retrieve_fedi` against HTTPS servers on 127.0.0.1:0 started here, with a certificate made
//! by rcgen and trusted through an extra CA file: well-behaved servers shaped like Mastodon and
//! Pleroma, then hostile or broken ones. Each must end in evidence (documents or error entries)
//! within the configured deadline, never a hang or a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use vigil_fedi::{FediConfig, facts, retrieve_fedi};
use vigil_model::fedi::{FediDocument, FediErrorKind, FediEvidence};

/// A test PKI: a CA trusted by `trusting` (loaded from a PEM file, as an operator's extra CA
/// would be) and a server configuration with a leaf for localhost and 127.0.0.1.
struct Pki {
    trusting: FediConfig,
    server: Arc<ServerConfig>,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(DnType::CommonName, "Vigil fedi test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::from_params(&ca, &ca_key);
        let mut leaf =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

        let ca_file =
            std::env::temp_dir().join(format!("vigil-fedi-test-ca-{}.pem", std::process::id()));
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        let trusting = FediConfig::with_system_trust(std::slice::from_ref(&ca_file)).unwrap();
        std::fs::remove_file(&ca_file).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(leaf_cert.der().to_vec())], key)
            .unwrap();
        Pki {
            trusting,
            server: Arc::new(server),
        }
    })
}

/// What a route answers.
enum Reply {
    /// A complete response with this status and JSON body.
    Json(u16, String),
    /// A redirect.
    Redirect(u16, String),
    /// 404.
    NotFound,
    /// A chunked body of about this many bytes, sent as fast as the client reads.
    Chunked(usize),
    /// Headers announcing this Content-Length, then a little of it.
    Declared(usize),
    /// Headers, then one byte per second forever.
    Trickle,
    /// Nothing at all after the request (the connection is held open).
    Stall,
}

type Route = dyn Fn(&str, &str) -> Reply + Send + Sync;

/// A server on 127.0.0.1 and the paths it was asked for.
struct Server {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn requested(&self, path: &str) -> bool {
        self.log.lock().unwrap().iter().any(|p| p == path)
    }
}

/// Serves `route(path, base)` over TLS, where `base` is `https://127.0.0.1:PORT`.
async fn serve(route: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let route: Arc<Route> = Arc::new(route);
    let acceptor = TlsAcceptor::from(Arc::clone(&pki().server));
    let server_log = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, route, log) = (acceptor.clone(), route.clone(), server_log.clone());
            tokio::spawn(async move {
                let Ok(Ok(mut tls)) =
                    tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await
                else {
                    return;
                };
                let Some(path) = read_path(&mut tls).await else {
                    return;
                };
                log.lock().unwrap().push(path.clone());
                let reply = route(&path, &format!("https://127.0.0.1:{port}"));
                answer(&mut tls, reply).await;
            });
        }
    });
    Server { port, log }
}

/// A server that accepts TCP connections and never says anything (not even TLS).
async fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    port
}

async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

async fn read_path(s: &mut (impl AsyncRead + Unpin)) -> Option<String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.len() < 64 * 1024 {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&seen);
    head.lines().next()?.split(' ').nth(1).map(str::to_string)
}

async fn answer(s: &mut (impl AsyncWrite + Unpin), reply: Reply) {
    let head = |status: u16, extra: &str| {
        format!("HTTP/1.1 {status} X\r\nconnection: close\r\n{extra}\r\n").into_bytes()
    };
    match reply {
        Reply::Json(status, body) => {
            let mut out = head(
                status,
                &format!(
                    "content-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                ),
            );
            out.extend_from_slice(body.as_bytes());
            let _ = s.write_all(&out).await;
        }
        Reply::Redirect(status, location) => {
            let _ = s
                .write_all(&head(
                    status,
                    &format!("location: {location}\r\ncontent-length: 0\r\n"),
                ))
                .await;
        }
        Reply::NotFound => {
            let _ = s.write_all(&head(404, "content-length: 9\r\n")).await;
            let _ = s.write_all(b"not found").await;
        }
        Reply::Chunked(total) => {
            let _ = s
                .write_all(&head(200, "transfer-encoding: chunked\r\n"))
                .await;
            let _ = s.write_all(b"6\r\n{\"a\":\"\r\n").await;
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < total {
                let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
                frame.extend_from_slice(&chunk);
                frame.extend_from_slice(b"\r\n");
                if s.write_all(&frame).await.is_err() {
                    return;
                }
                sent += chunk.len();
            }
            let _ = s.write_all(b"2\r\n\"}\r\n0\r\n\r\n").await;
        }
        Reply::Declared(len) => {
            let _ = s
                .write_all(&head(200, &format!("content-length: {len}\r\n")))
                .await;
            let _ = s.write_all(b"{\"a\":\"").await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Reply::Trickle => {
            let _ = s.write_all(&head(200, "content-length: 1000\r\n")).await;
            for _ in 0..60 {
                if s.write_all(b" ").await.is_err() || s.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Reply::Stall => tokio::time::sleep(Duration::from_secs(60)).await,
    }
    let _ = s.shutdown().await;
}

fn fixture(name: &str, base: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/{name}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_default()
            .as_str()
    );
    std::fs::read_to_string(path)
        .unwrap()
        .replace("https://HOST", base)
}

fn ok(name: &str, base: &str) -> Reply {
    Reply::Json(200, fixture(name, base))
}

fn config(port: u16) -> FediConfig {
    let mut cfg = pki().trusting.clone();
    cfg.https_port = port;
    cfg.limits.request_timeout = Duration::from_secs(2);
    cfg.limits.total_timeout = Duration::from_secs(4);
    cfg.limits.max_body_bytes = 256 * 1024;
    cfg
}

async fn retrieve(host: &str, cfg: &FediConfig) -> (FediEvidence, Duration) {
    let t = Instant::now();
    let ev = retrieve_fedi(host, cfg).await;
    (ev, t.elapsed())
}

fn kinds(ev: &FediEvidence) -> Vec<(FediDocument, FediErrorKind)> {
    ev.errors.iter().map(|e| (e.document, e.kind)).collect()
}

#[tokio::test]
async fn mastodon_like_server() {
    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok("mastodon-wellknown.json", base),
        "/nodeinfo/2.0" => ok("mastodon-nodeinfo-2.0.json", base),
        "/api/v2/instance" => ok("mastodon-instance-v2.json", base),
        "/api/v1/instance" => ok("mastodon-instance-v1.json", base),
        _ => Reply::NotFound,
    })
    .await;
    let (ev, _) = retrieve("127.0.0.1", &config(server.port)).await;
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert_eq!(ev.host, "127.0.0.1");
    assert_eq!(ev.nodeinfo_links.len(), 1);
    assert_eq!(ev.nodeinfo_schema.as_deref(), Some("2.0"));
    assert_eq!(
        ev.nodeinfo_url.as_deref(),
        Some(format!("https://127.0.0.1:{}/nodeinfo/2.0", server.port).as_str())
    );
    assert!(ev.instance_v2.is_some());
    assert!(ev.instance_v1.is_none());
    assert!(
        !server.requested("/api/v1/instance"),
        "v1 is only a fallback"
    );

    let f = facts(&ev);
    assert_eq!(f.software.as_deref(), Some("mastodon"));
    assert_eq!(f.version.as_ref().map(|v| v.raw.as_str()), Some("4.3.2"));
    assert_eq!(f.title.as_deref(), Some("Example Social"));
    let data = vigil_fedi::ReleaseData::bundled().unwrap();
    let v = vigil_fedi::verdict(&f, data, time::macros::date!(2026 - 11 - 29)).unwrap();
    assert_eq!(v.latest_on_branch.as_deref(), Some("4.3.23"));

    // The evidence is plain data: it survives a JSON round trip unchanged.
    let json = serde_json::to_string(&ev).unwrap();
    assert_eq!(serde_json::from_str::<FediEvidence>(&json).unwrap(), ev);
}

#[tokio::test]
async fn pleroma_like_server_highest_schema_and_v1_fallback() {
    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok("pleroma-wellknown.json", base),
        "/nodeinfo/2.0.json" => ok("pleroma-nodeinfo-2.0.json", base),
        "/nodeinfo/2.1.json" => ok("pleroma-nodeinfo-2.1.json", base),
        "/api/v1/instance" => ok("pleroma-instance-v1.json", base),
        _ => Reply::NotFound,
    })
    .await;
    let (ev, _) = retrieve("127.0.0.1", &config(server.port)).await;
    assert_eq!(ev.nodeinfo_links.len(), 2);
    assert_eq!(ev.nodeinfo_schema.as_deref(), Some("2.1"));
    assert!(server.requested("/nodeinfo/2.1.json"));
    assert!(!server.requested("/nodeinfo/2.0.json"));
    assert_eq!(
        kinds(&ev),
        [(FediDocument::InstanceV2, FediErrorKind::HttpStatus)]
    );
    assert_eq!(ev.errors[0].http_status, Some(404));
    assert!(ev.instance_v2.is_none());
    assert!(ev.instance_v1.is_some());
    let f = facts(&ev);
    assert_eq!(f.software.as_deref(), Some("pleroma"));
    assert_eq!(f.users_total, Some(57));
}

#[tokio::test]
async fn old_mastodon_without_v2() {
    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok("mastodon-wellknown.json", base),
        "/nodeinfo/2.0" => ok("mastodon-3.5-nodeinfo-2.0.json", base),
        "/api/v2/instance" => Reply::Json(404, r#"{"error":"Record not found"}"#.into()),
        "/api/v1/instance" => ok("mastodon-instance-v1.json", base),
        _ => Reply::NotFound,
    })
    .await;
    let (ev, _) = retrieve("127.0.0.1", &config(server.port)).await;
    assert_eq!(
        kinds(&ev),
        [(FediDocument::InstanceV2, FediErrorKind::HttpStatus)]
    );
    let f = facts(&ev);
    assert_eq!(f.version.as_ref().map(|v| v.raw.as_str()), Some("3.5.3"));
    assert_eq!(f.title.as_deref(), Some("Example Social (v1)"));
}

#[tokio::test]
async fn oversized_documents_are_refused_unparsed() {
    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok("mastodon-wellknown.json", base),
        "/nodeinfo/2.0" => Reply::Chunked(4 * 1024 * 1024),
        "/api/v2/instance" => Reply::Declared(50 * 1024 * 1024),
        _ => Reply::NotFound,
    })
    .await;
    let (ev, took) = retrieve("127.0.0.1", &config(server.port)).await;
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_eq!(
        kinds(&ev),
        [
            (FediDocument::Nodeinfo, FediErrorKind::TooLarge),
            (FediDocument::InstanceV2, FediErrorKind::TooLarge),
            (FediDocument::InstanceV1, FediErrorKind::HttpStatus),
        ]
    );
    assert!(ev.nodeinfo.is_none() && ev.instance_v2.is_none());
}

#[tokio::test]
async fn malformed_json_is_an_error_entry() {
    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok("mastodon-wellknown.json", base),
        "/nodeinfo/2.0" => Reply::Json(200, r#"{"version": "2.0", "software": {"#.into()),
        "/api/v2/instance" => Reply::Json(200, "[1, 2, 3]".into()),
        "/api/v1/instance" => Reply::Json(200, "\u{feff}{\"title\": \"BOM\"}".into()),
        _ => Reply::NotFound,
    })
    .await;
    let (ev, _) = retrieve("127.0.0.1", &config(server.port)).await;
    assert_eq!(
        kinds(&ev),
        [
            (FediDocument::Nodeinfo, FediErrorKind::BadJson),
            (FediDocument::InstanceV2, FediErrorKind::BadJson),
        ]
    );
    assert_eq!(facts(&ev).title.as_deref(), Some("BOM"));
}

#[tokio::test]
async fn deeply_nested_json_is_refused() {
    let server = serve(|path, _| match path {
        "/.well-known/nodeinfo" => Reply::Json(200, "[".repeat(100_000)),
        _ => Reply::NotFound,
    })
    .await;
    let (ev, _) = retrieve("127.0.0.1", &config(server.port)).await;
    assert_eq!(
        kinds(&ev)[0],
        (FediDocument::WellKnown, FediErrorKind::BadJson)
    );
}

#[tokio::test]
async fn redirect_loops_and_chains_are_cut() {
    let server = serve(|path, _| match path {
        "/.well-known/nodeinfo" => Reply::Redirect(302, "/loop".into()),
        "/loop" => Reply::Redirect(301, "/.well-known/nodeinfo".into()),
        "/api/v2/instance" => Reply::Redirect(307, "/hop/1".into()),
        p if p.starts_with("/hop/") => {
            let n: u32 = p[5..].parse().unwrap();
            Reply::Redirect(302, format!("/hop/{}", n + 1))
        }
        "/api/v1/instance" => Reply::Redirect(302, "http://127.0.0.1/api/v1/instance".into()),
        _ => Reply::NotFound,
    })
    .await;
    let (ev, _) = retrieve("127.0.0.1", &config(server.port)).await;
    assert_eq!(
        kinds(&ev),
        [
            (FediDocument::WellKnown, FediErrorKind::RedirectLoop),
            (FediDocument::InstanceV2, FediErrorKind::TooManyRedirects),
            (FediDocument::InstanceV1, FediErrorKind::RejectedUrl),
        ]
    );
    // Three redirects followed, the fourth refused.
    assert!(server.requested("/hop/3"));
    assert!(!server.requested("/hop/4"));
}

#[tokio::test]
async fn stalling_servers_end_within_the_deadline() {
    let cfg = config(silent_server().await);
    let (ev, took) = retrieve("127.0.0.1", &cfg).await;
    assert!(took < Duration::from_millis(5500), "{took:?}");
    assert!(
        ev.errors.iter().all(|e| e.kind == FediErrorKind::Timeout),
        "{:?}",
        ev.errors
    );
    assert_eq!(ev.errors.len(), 3, "{:?}", ev.errors);

    // TLS and headers fine, then the body trickles in, one byte a second.
    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok("mastodon-wellknown.json", base),
        "/nodeinfo/2.0" => Reply::Trickle,
        _ => Reply::Stall,
    })
    .await;
    let (ev, took) = retrieve("127.0.0.1", &config(server.port)).await;
    assert!(took < Duration::from_millis(5500), "{took:?}");
    assert_eq!(
        kinds(&ev),
        [
            (FediDocument::Nodeinfo, FediErrorKind::Timeout),
            (FediDocument::InstanceV2, FediErrorKind::Timeout),
            (FediDocument::InstanceV1, FediErrorKind::Timeout),
        ]
    );
}

#[tokio::test]
async fn links_to_http_or_other_ports_are_not_followed() {
    let elsewhere = serve(|_, base| ok("mastodon-nodeinfo-2.0.json", base)).await;
    let other = elsewhere.port;
    let server = serve(move |path, base| match path {
        "/.well-known/nodeinfo" => {
            let plain = base.replace("https://", "http://");
            let creds = base.replace("https://", "https://user:pw@");
            Reply::Json(
                200,
                format!(
                    r#"{{"links": [
                        {{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "{plain}/nodeinfo/2.1"}},
                        {{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://127.0.0.1:{other}/nodeinfo/2.0"}},
                        {{"rel": "http://nodeinfo.diaspora.software/ns/schema/1.0", "href": "{creds}/nodeinfo/1.0"}}
                    ]}}"#
                ),
            )
        }
        _ => Reply::NotFound,
    })
    .await;
    let (ev, _) = retrieve("127.0.0.1", &config(server.port)).await;
    assert_eq!(ev.nodeinfo_links.len(), 3);
    assert!(ev.nodeinfo.is_none());
    let rejected: Vec<_> = ev
        .errors
        .iter()
        .filter(|e| e.document == FediDocument::Nodeinfo)
        .map(|e| e.kind)
        .collect();
    assert_eq!(rejected, [FediErrorKind::RejectedUrl; 3], "{:?}", ev.errors);
    assert!(elsewhere.log.lock().unwrap().is_empty());
    assert!(!server.requested("/nodeinfo/2.1"));
}

#[tokio::test]
async fn links_to_other_host_names_are_followed_but_not_to_other_addresses() {
    // Scanning 127.0.0.1, a link naming `localhost` (same port) is a delegation and is read.
    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok(
            "mastodon-wellknown.json",
            &base.replace("127.0.0.1", "localhost"),
        ),
        "/nodeinfo/2.0" => ok("mastodon-nodeinfo-2.0.json", base),
        "/api/v2/instance" => ok("mastodon-instance-v2.json", base),
        _ => Reply::NotFound,
    })
    .await;
    let cfg = config(server.port);
    let (ev, _) = retrieve("127.0.0.1", &cfg).await;
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert!(
        ev.nodeinfo_url
            .as_deref()
            .unwrap()
            .starts_with("https://localhost:")
    );

    // Scanning `localhost`, a link to a bare IP address is refused.
    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok("mastodon-wellknown.json", base),
        "/api/v2/instance" => ok("mastodon-instance-v2.json", base),
        _ => Reply::NotFound,
    })
    .await;
    let (ev, _) = retrieve("localhost", &config(server.port)).await;
    assert_eq!(
        kinds(&ev),
        [(FediDocument::Nodeinfo, FediErrorKind::RejectedUrl)]
    );
    assert!(!server.requested("/nodeinfo/2.0"));
}

#[tokio::test]
async fn no_server_and_untrusted_certificates() {
    let (ev, took) = retrieve("127.0.0.1", &config(closed_port().await)).await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(
        kinds(&ev),
        [
            (FediDocument::WellKnown, FediErrorKind::Refused),
            (FediDocument::InstanceV2, FediErrorKind::Refused),
            (FediDocument::InstanceV1, FediErrorKind::Refused),
        ]
    );

    let server = serve(|path, base| match path {
        "/.well-known/nodeinfo" => ok("mastodon-wellknown.json", base),
        _ => Reply::NotFound,
    })
    .await;
    let mut cfg = FediConfig::with_system_trust(&[]).unwrap();
    cfg.https_port = server.port;
    let (ev, _) = retrieve("127.0.0.1", &cfg).await;
    assert!(
        ev.errors
            .iter()
            .all(|e| e.kind == FediErrorKind::CertificateError),
        "{:?}",
        ev.errors
    );
    assert!(ev.nodeinfo.is_none());
}

#[tokio::test]
async fn bad_host_names_are_refused_without_network() {
    let (ev, _) = retrieve("https://example.org/", &config(443)).await;
    assert_eq!(
        kinds(&ev),
        [(FediDocument::WellKnown, FediErrorKind::RejectedUrl)]
    );
}
