//! Delivery end to end on loopback only: a webhook receiver that checks the HMAC, SMTP sinks
//! (plain, and STARTTLS or TLS with AUTH and a certificate from a CA made here),
//! an ntfy stand-in and a stand-in for Mastodon's statuses API, all written here, against a
//! SQLite store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use vigil_alerts::{
    AlertConfig, Delivery, Dispatcher, MastodonBot, Payload, ScanFacts, SmtpConfig, SmtpSecurity,
    signature,
};
use vigil_store::{AlertState, Channel, Instance, NewCheck, Store};

static COUNTER: AtomicU64 = AtomicU64::new(0);

async fn store() -> (Arc<Store>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "vigil-alerts-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let s = Store::open(&format!("sqlite://{}", dir.join("a.db").display()))
        .await
        .unwrap();
    (Arc::new(s), dir)
}

/// One HTTP request as the stand-in saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that records each request and answers `status`.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    status: Arc<AtomicU16>,
}

async fn receiver(path: &str) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let status = Arc::new(AtomicU16::new(200));
    let (s2, st2) = (Arc::clone(&seen), Arc::clone(&status));
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (s3, st3) = (Arc::clone(&s2), Arc::clone(&st2));
            tokio::spawn(async move {
                let mut r = BufReader::new(sock);
                let mut line = String::new();
                r.read_line(&mut line).await.unwrap();
                let path = line.split(' ').nth(1).unwrap_or("").to_string();
                let mut headers = HashMap::new();
                loop {
                    let mut h = String::new();
                    r.read_line(&mut h).await.unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let n: usize = headers
                    .get("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; n];
                r.read_exact(&mut body).await.unwrap();
                s3.lock().unwrap().push(Seen {
                    path,
                    headers,
                    body,
                });
                let code = st3.load(Ordering::SeqCst);
                let resp = format!(
                    "HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                let _ = r.get_mut().write_all(resp.as_bytes()).await;
                let _ = r.get_mut().shutdown().await;
            });
        }
    });
    Receiver { url, seen, status }
}

/// A minimal SMTP server: greets, says 250 to everything, 354 to DATA, captures the message.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let m2 = Arc::clone(&mails);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let m3 = Arc::clone(&m2);
            tokio::spawn(async move {
                let mut r = BufReader::new(sock);
                r.get_mut().write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut envelope = String::new();
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let cmd = line.to_ascii_uppercase();
                    if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        r.get_mut()
                            .write_all(b"250-sink\r\n250 8BITMIME\r\n")
                            .await
                            .unwrap();
                    } else if cmd.starts_with("MAIL") || cmd.starts_with("RCPT") {
                        envelope.push_str(&line);
                        r.get_mut().write_all(b"250 OK\r\n").await.unwrap();
                    } else if cmd.starts_with("DATA") {
                        r.get_mut().write_all(b"354 go on\r\n").await.unwrap();
                        let mut data = envelope.clone();
                        loop {
                            let mut l = String::new();
                            if r.read_line(&mut l).await.unwrap_or(0) == 0 || l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        m3.lock().unwrap().push(data);
                        r.get_mut().write_all(b"250 queued\r\n").await.unwrap();
                    } else if cmd.starts_with("QUIT") {
                        r.get_mut().write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        r.get_mut().write_all(b"250 OK\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (port, mails)
}

fn config() -> AlertConfig {
    AlertConfig {
        timeout: Duration::from_secs(5),
        backoff: vec![60, 300],
        public_url: Some("https://vigil.example".into()),
        ..AlertConfig::default()
    }
}

fn facts(grade: &str) -> ScanFacts {
    ScanFacts {
        grade: Some(grade.into()),
        ..ScanFacts::default()
    }
}

fn down_instance(first_down_at: i64) -> Instance {
    Instance {
        host: "a.example".into(),
        added_at: 0,
        source: "operator".into(),
        opted_out: None,
        opted_out_at: None,
        dead_since: None,
        moved_to: None,
        next_check_at: 0,
        next_scan_at: 0,
        refused_streak: 0,
        first_down_at: Some(first_down_at),
        last_up_at: None,
        last_check_at: None,
        up: Some(false),
        last_latency_ms: None,
        last_failure: Some("timeout".into()),
        last_scan_at: None,
    }
}

fn back_up(at: i64) -> NewCheck {
    NewCheck {
        host: "a.example".into(),
        checked_at: at,
        up: true,
        latency_ms: Some(12),
        failure: None,
        void: false,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn webhook_gets_each_alert_once_signed() {
    let (store, dir) = store().await;
    let hook = receiver("/hook").await;
    let cfg = Arc::new(config());
    let d = Dispatcher::new(Arc::clone(&store), Arc::clone(&cfg));
    d.add_operator(
        "a.example",
        Channel::Webhook,
        &hook.url,
        Some("k3y"),
        "operator",
    )
    .await
    .unwrap();
    // The rule fires twice for the same scan: one alert.
    assert_eq!(
        d.on_scan_facts("a.example", 7, Some(&facts("A")), &facts("C"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        d.on_scan_facts("a.example", 7, Some(&facts("A")), &facts("C"))
            .await
            .unwrap(),
        0
    );
    // Another host's news is not for this subscription.
    assert_eq!(
        d.on_scan_facts("b.example", 8, Some(&facts("A")), &facts("C"))
            .await
            .unwrap(),
        0
    );
    let delivery = Delivery::new(Arc::clone(&store), Arc::clone(&cfg)).unwrap();
    let t = now();
    let r = delivery.deliver_due(t).await.unwrap();
    assert_eq!((r.sent, r.retrying, r.failed), (1, 0, 0));
    assert_eq!(delivery.deliver_due(t + 100_000).await.unwrap().sent, 0);
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.path, "/hook");
    assert_eq!(
        req.headers.get("x-vigil-signature").unwrap(),
        &signature("k3y", &req.body)
    );
    // Recomputed independently of the crate's helper.
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"k3y").unwrap();
    mac.update(&req.body);
    assert_eq!(
        req.headers.get("x-vigil-signature").unwrap(),
        &format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    assert_eq!(req.headers.get("x-vigil-event").unwrap(), "grade-drop");
    let p: Payload = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        (p.kind.as_str(), p.host.as_str()),
        ("grade-drop", "a.example")
    );
    assert!(p.title.contains("from A to C"));
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_then_given_up() {
    let (store, dir) = store().await;
    let hook = receiver("/fail").await;
    hook.status.store(500, Ordering::SeqCst);
    let cfg = Arc::new(config());
    let d = Dispatcher::new(Arc::clone(&store), Arc::clone(&cfg));
    d.add_operator("a.example", Channel::Webhook, &hook.url, None, "operator")
        .await
        .unwrap();
    assert_eq!(
        d.on_check(&down_instance(1_000), &back_up(10_000))
            .await
            .unwrap(),
        1
    );
    let delivery = Delivery::new(Arc::clone(&store), Arc::clone(&cfg)).unwrap();
    let t = now();
    assert_eq!(delivery.deliver_due(t).await.unwrap().retrying, 1);
    // Not before the first backoff step (60 s) …
    assert_eq!(
        delivery.deliver_due(t + 59).await.unwrap(),
        Default::default()
    );
    assert_eq!(delivery.deliver_due(t + 60).await.unwrap().retrying, 1);
    // … then 300 s, and that was the last try.
    assert_eq!(
        delivery.deliver_due(t + 359).await.unwrap(),
        Default::default()
    );
    assert_eq!(delivery.deliver_due(t + 360).await.unwrap().failed, 1);
    assert_eq!(
        delivery.deliver_due(t + 1_000_000).await.unwrap(),
        Default::default()
    );
    assert_eq!(hook.seen.lock().unwrap().len(), 3);
    let a = &store.alerts(Some("a.example"), 10).await.unwrap()[0];
    assert_eq!(a.state, AlertState::Failed);
    assert_eq!(a.attempts, 3);
    assert_eq!(a.last_error.as_deref(), Some("answered HTTP 500"));
    assert_eq!(a.dedup, "recovered:1000");
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn public_subscriptions_need_confirmation() {
    let (store, dir) = store().await;
    let hook = receiver("/public").await;
    let mut c = config();
    c.allow_private_targets = true;
    let cfg = Arc::new(c);
    let d = Dispatcher::new(Arc::clone(&store), Arc::clone(&cfg));
    let sub = d
        .subscribe("a.example", Channel::Webhook, &hook.url, Some("pub"))
        .await
        .unwrap();
    assert!(!sub.confirmed);
    // Asking twice queues one confirmation message.
    d.subscribe("a.example", Channel::Webhook, &hook.url, None)
        .await
        .unwrap();
    // Before confirmation the rules enqueue nothing for it.
    assert_eq!(
        d.on_scan_facts("a.example", 1, Some(&facts("A")), &facts("B"))
            .await
            .unwrap(),
        0
    );
    let delivery = Delivery::new(Arc::clone(&store), Arc::clone(&cfg)).unwrap();
    let t = now();
    assert_eq!(delivery.deliver_due(t).await.unwrap().sent, 1);
    let first = hook.seen.lock().unwrap()[0].clone();
    let p: Payload = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(p.kind, "confirm");
    let link = p.confirm_url.unwrap();
    let token = link
        .strip_prefix("https://vigil.example/alerts/confirm?token=")
        .unwrap();
    assert_eq!(token.len(), 64);
    assert!(d.confirm("wrong").await.unwrap().is_none());
    let confirmed = d.confirm(token).await.unwrap().unwrap();
    assert!(confirmed.confirmed);
    assert!(d.confirm(token).await.unwrap().is_none());
    assert_eq!(
        d.on_scan_facts("a.example", 2, Some(&facts("A")), &facts("B"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(delivery.deliver_due(t).await.unwrap().sent, 1);
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let p: Payload = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(p.kind, "grade-drop");
    assert_eq!(
        seen[1].headers.get("x-vigil-signature").unwrap(),
        &signature("pub", &seen[1].body)
    );
    // The public may not subscribe to everything.
    assert!(
        d.subscribe("*", Channel::Webhook, &hook.url, None)
            .await
            .is_err()
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn public_targets_on_private_addresses_are_refused() {
    let (store, dir) = store().await;
    let hook = receiver("/internal").await;
    let cfg = Arc::new(config());
    let d = Dispatcher::new(Arc::clone(&store), Arc::clone(&cfg));
    d.subscribe("a.example", Channel::Webhook, &hook.url, None)
        .await
        .unwrap();
    let delivery = Delivery::new(Arc::clone(&store), Arc::clone(&cfg)).unwrap();
    assert_eq!(delivery.deliver_due(now()).await.unwrap().retrying, 1);
    assert!(hook.seen.lock().unwrap().is_empty());
    let a = &store.alerts(None, 10).await.unwrap()[0];
    assert!(
        a.last_error
            .as_deref()
            .unwrap()
            .contains("non-public address"),
        "{:?}",
        a.last_error
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn mail_goes_through_smtp() {
    let (port, mails) = smtp_sink().await;
    let (report, error) = mail_one(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::Plain,
        username: None,
        password: None,
        from: "Vigil <alerts@vigil.example>".into(),
        ca_pem: None,
    })
    .await;
    assert_eq!(report.sent, 1, "{error:?}");
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.contains("RCPT TO:<admin@a.example>"), "{m}");
    assert!(m.contains("Subject: a.example is back up after 2 h"), "{m}");
    assert!(m.contains("it was down for 2 h"), "{m}");
}

#[tokio::test]
async fn ntfy_gets_title_priority_and_tags() {
    let (store, dir) = store().await;
    let topic = receiver("/vigil-alerts").await;
    let cfg = Arc::new(config());
    let d = Dispatcher::new(Arc::clone(&store), Arc::clone(&cfg));
    d.add_operator("*", Channel::Ntfy, &topic.url, None, "config")
        .await
        .unwrap();
    let mut f = facts("A");
    f.cert_days_left = Some(5);
    f.cert_not_after = Some("Jan  1 00:00:00 2030 GMT".into());
    assert_eq!(
        d.on_scan_facts("a.example", 3, Some(&facts("A")), &f)
            .await
            .unwrap(),
        1
    );
    let delivery = Delivery::new(Arc::clone(&store), Arc::clone(&cfg)).unwrap();
    assert_eq!(delivery.deliver_due(now()).await.unwrap().sent, 1);
    let seen = topic.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let h = &seen[0].headers;
    assert_eq!(
        h.get("title").unwrap(),
        "a.example: the certificate expires in 5 days"
    );
    assert_eq!(h.get("priority").unwrap(), "high");
    assert_eq!(h.get("tags").unwrap(), "warning,vigil");
    let text = String::from_utf8(seen[0].body.clone()).unwrap();
    assert!(text.contains("Jan  1 00:00:00 2030 GMT"), "{text}");
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn mastodon_dms_come_from_the_bot_account() {
    let (store, dir) = store().await;
    let api = receiver("").await;
    let mut c = config();
    c.mastodon = Some(MastodonBot {
        instance: api.url.clone(),
        token: "bot-token".into(),
    });
    let cfg = Arc::new(c);
    let d = Dispatcher::new(Arc::clone(&store), Arc::clone(&cfg));
    d.add_operator(
        "a.example",
        Channel::Mastodon,
        "admin@a.example",
        None,
        "operator",
    )
    .await
    .unwrap();
    let mut prev = facts("B");
    prev.security_releases_missed = vec![];
    let mut new = facts("B");
    new.software = Some("mastodon".into());
    new.version = Some("4.3.2".into());
    new.security_releases_missed = vec!["4.3.3".into()];
    assert_eq!(
        d.on_scan_facts("a.example", 4, Some(&prev), &new)
            .await
            .unwrap(),
        1
    );
    let delivery = Delivery::new(Arc::clone(&store), Arc::clone(&cfg)).unwrap();
    assert_eq!(delivery.deliver_due(now()).await.unwrap().sent, 1);
    let seen = api.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.path, "/api/v1/statuses");
    assert_eq!(
        req.headers.get("authorization").unwrap(),
        "Bearer bot-token"
    );
    let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    assert_eq!(form.get("visibility").unwrap(), "direct");
    let status = form.get("status").unwrap();
    assert!(status.starts_with("@admin@a.example "), "{status}");
    assert!(status.contains("mastodon 4.3.3"), "{status}");
    assert!(req.headers.contains_key("idempotency-key"));
    // A second pass sends nothing more.
    assert_eq!(delivery.deliver_due(now() + 100_000).await.unwrap().sent, 0);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn on_scan_compares_with_the_stored_scan_before() {
    let (store, dir) = store().await;
    let hook = receiver("/scan").await;
    let cfg = Arc::new(config());
    let d = Dispatcher::new(Arc::clone(&store), Arc::clone(&cfg));
    d.add_operator("a.example", Channel::Webhook, &hook.url, None, "operator")
        .await
        .unwrap();
    store
        .add_instance("a.example", "operator", 1_000, 300)
        .await
        .unwrap();
    let report = |days: i64| {
        format!(r#"{{"tls": {{"certificate": {{"days_left": {days}, "not_after": "N{days}"}}}}}}"#)
    };
    let scan = |at: i64, grade: &str, days: i64| vigil_store::NewScan {
        host: "a.example".into(),
        scanned_at: at,
        worker: "w".into(),
        summary: vigil_store::ScanSummary {
            rating_grade: Some(grade.into()),
            reachable: true,
            ..Default::default()
        },
        report_json: report(days),
        evidence_json: "{}".into(),
        algorithm: "t".into(),
    };
    let first = scan(1_000, "A", 90);
    let id1 = store.insert_scan_unleased(&first, 2_000).await.unwrap();
    assert_eq!(
        d.on_scan("a.example", id1, &first.summary, &first.report_json)
            .await
            .unwrap(),
        0
    );
    let second = scan(2_000, "B", 10);
    let id2 = store.insert_scan_unleased(&second, 3_000).await.unwrap();
    // A drop and an expiring certificate; twice, still two alerts.
    for _ in 0..2 {
        d.on_scan("a.example", id2, &second.summary, &second.report_json)
            .await
            .unwrap();
    }
    let mut keys: Vec<String> = store
        .alerts(Some("a.example"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.dedup)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec!["cert-expiry:N10".to_string(), format!("grade-drop:{id2}")]
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

// ---- SMTP with TLS: STARTTLS and implicit TLS, AUTH, and the relay's own CA ----

/// The base64 of AUTH PLAIN for user `vigil`, password `s3cret pass`.
const AUTH_PLAIN: &str = "AHZpZ2lsAHMzY3JldCBwYXNz";

/// A CA, a second CA that vouches for nothing here, and a server configuration whose leaf
/// (for 127.0.0.1) the first one signed.
struct SmtpPki {
    ca_pem: String,
    other_ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn ca(name: &str) -> (rcgen::CertificateParams, rcgen::KeyPair, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let pem = p.self_signed(&key).unwrap().pem();
    (p, key, pem)
}

fn smtp_pki() -> &'static SmtpPki {
    static PKI: std::sync::OnceLock<SmtpPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| {
        use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let (params, key, ca_pem) = ca("Vigil SMTP test CA");
        let (_, _, other_ca_pem) = ca("Some other CA");
        let issuer = rcgen::Issuer::from_params(&params, &key);
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        let leaf_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf_cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .unwrap();
        SmtpPki {
            ca_pem,
            other_ca_pem,
            server: Arc::new(server),
        }
    })
}

/// What the TLS sink saw, over all its connections.
#[derive(Debug, Default)]
struct TlsSinkLog {
    /// The AUTH PLAIN responses, as sent.
    auth: Vec<String>,
    /// Mails taken (envelope and data), each after TLS and a good AUTH.
    mails: Vec<String>,
    /// Commands refused: MAIL or AUTH before TLS, MAIL before AUTH, bad credentials.
    refused: Vec<String>,
    /// TLS handshakes that failed (the client gave up on the certificate).
    handshake_failures: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SinkMode {
    /// Plain at first, TLS after STARTTLS (port 587's way).
    StartTls,
    /// TLS from the first byte (port 465's way).
    Implicit,
}

/// An SMTP relay as a careful provider runs one: TLS before anything else, then AUTH, then mail.
async fn tls_smtp_sink(mode: SinkMode) -> (u16, Arc<Mutex<TlsSinkLog>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(TlsSinkLog::default()));
    let l2 = Arc::clone(&log);
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&smtp_pki().server));
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let log = Arc::clone(&l2);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let plain = match mode {
                    SinkMode::Implicit => Some(sock),
                    SinkMode::StartTls => smtp_session(sock, false, true, &log).await,
                };
                let Some(plain) = plain else { return };
                match acceptor.accept(plain).await {
                    // After STARTTLS the client speaks first (EHLO again); on 465 we greet.
                    Ok(tls) => {
                        smtp_session(tls, true, mode == SinkMode::Implicit, &log).await;
                    }
                    Err(_) => log.lock().unwrap().handshake_failures += 1,
                }
            });
        }
    });
    (port, log)
}

/// One SMTP conversation on `stream`. Answers `Some(stream)` when the client asked for
/// STARTTLS (only offered while `encrypted` is false), `None` when it is over.
async fn smtp_session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    encrypted: bool,
    greet: bool,
    log: &Mutex<TlsSinkLog>,
) -> Option<S> {
    let mut r = BufReader::new(stream);
    if greet {
        r.get_mut().write_all(b"220 sink ESMTP\r\n").await.ok()?;
    }
    let mut authed = false;
    let mut envelope = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let cmd = line.to_ascii_uppercase();
        let reply: String = if cmd.starts_with("EHLO") {
            let extension = if encrypted {
                "AUTH PLAIN LOGIN"
            } else {
                "STARTTLS"
            };
            format!("250-sink\r\n250-8BITMIME\r\n250 {extension}\r\n")
        } else if cmd.starts_with("STARTTLS") && !encrypted {
            r.get_mut()
                .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                .await
                .ok()?;
            return Some(r.into_inner());
        } else if cmd.starts_with("AUTH PLAIN ") && encrypted {
            let given = line["AUTH PLAIN ".len()..].trim().to_string();
            let good = given == AUTH_PLAIN;
            log.lock().unwrap().auth.push(given);
            if good {
                authed = true;
                "235 2.7.0 Authentication successful\r\n".into()
            } else {
                log.lock().unwrap().refused.push(line.clone());
                "535 5.7.8 Authentication credentials invalid\r\n".into()
            }
        } else if cmd.starts_with("AUTH") || (cmd.starts_with("MAIL") && !(encrypted && authed)) {
            log.lock().unwrap().refused.push(line.clone());
            "530 5.7.0 Must issue a STARTTLS command and authenticate first\r\n".into()
        } else if cmd.starts_with("MAIL") || cmd.starts_with("RCPT") {
            envelope.push_str(&line);
            "250 OK\r\n".into()
        } else if cmd.starts_with("DATA") {
            r.get_mut().write_all(b"354 go on\r\n").await.ok()?;
            let mut data = envelope.clone();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).await.unwrap_or(0) == 0 || l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            log.lock().unwrap().mails.push(data);
            "250 queued\r\n".into()
        } else if cmd.starts_with("QUIT") {
            let _ = r.get_mut().write_all(b"221 bye\r\n").await;
            return None;
        } else {
            "250 OK\r\n".into()
        };
        r.get_mut().write_all(reply.as_bytes()).await.ok()?;
    }
}

/// A relay reached with `security`, trusting `ca_pem`, with the sink's user and password.
fn tls_relay(port: u16, security: SmtpSecurity, ca_pem: &str, password: &str) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security,
        username: Some("vigil".into()),
        password: Some(password.into()),
        from: "Vigil <alerts@vigil.example>".into(),
        ca_pem: Some(ca_pem.as_bytes().to_vec()),
    }
}

/// Raises one "back up" alert for admin@a.example by mail and delivers it once; answers the
/// delivery report and the alert's last error.
async fn mail_one(relay: SmtpConfig) -> (vigil_alerts::DeliveryReport, Option<String>) {
    let (store, dir) = store().await;
    let mut c = config();
    c.smtp = Some(relay);
    let cfg = Arc::new(c);
    let d = Dispatcher::new(Arc::clone(&store), Arc::clone(&cfg));
    d.add_operator(
        "a.example",
        Channel::Email,
        "admin@a.example",
        None,
        "operator",
    )
    .await
    .unwrap();
    assert_eq!(
        d.on_check(&down_instance(1_000), &back_up(8_200))
            .await
            .unwrap(),
        1,
        "one alert raised"
    );
    let delivery = Delivery::new(Arc::clone(&store), Arc::clone(&cfg)).unwrap();
    let report = delivery.deliver_due(now()).await.unwrap();
    let error = store.alerts(None, 10).await.unwrap()[0].last_error.clone();
    eprintln!("{report:?}, last error {error:?}");
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
    (report, error)
}

#[tokio::test]
async fn mail_over_starttls_with_auth_and_the_relays_own_ca() {
    let (port, log) = tls_smtp_sink(SinkMode::StartTls).await;
    let relay = tls_relay(
        port,
        SmtpSecurity::StartTls,
        &smtp_pki().ca_pem,
        "s3cret pass",
    );
    let (report, error) = mail_one(relay).await;
    assert_eq!(report.sent, 1, "{error:?}");
    let log = log.lock().unwrap();
    assert_eq!(log.auth, [AUTH_PLAIN], "the password went over TLS, once");
    assert!(log.refused.is_empty(), "{:?}", log.refused);
    assert_eq!(log.mails.len(), 1);
    assert!(
        log.mails[0].contains("RCPT TO:<admin@a.example>"),
        "{}",
        log.mails[0]
    );
    assert!(
        log.mails[0].contains("Subject: a.example is back up"),
        "{}",
        log.mails[0]
    );
}

#[tokio::test]
async fn mail_over_implicit_tls() {
    let (port, log) = tls_smtp_sink(SinkMode::Implicit).await;
    let relay = tls_relay(port, SmtpSecurity::Tls, &smtp_pki().ca_pem, "s3cret pass");
    let (report, error) = mail_one(relay).await;
    assert_eq!(report.sent, 1, "{error:?}");
    let log = log.lock().unwrap();
    assert_eq!(log.auth, [AUTH_PLAIN]);
    assert_eq!(log.mails.len(), 1);
}

#[tokio::test]
async fn a_relay_certificate_from_another_ca_gets_no_mail_and_no_password() {
    for (mode, security) in [
        (SinkMode::StartTls, SmtpSecurity::StartTls),
        (SinkMode::Implicit, SmtpSecurity::Tls),
    ] {
        let (port, log) = tls_smtp_sink(mode).await;
        let relay = tls_relay(port, security, &smtp_pki().other_ca_pem, "s3cret pass");
        let (report, error) = mail_one(relay).await;
        assert_eq!((report.sent, report.retrying), (0, 1), "{mode:?}");
        let error = error.unwrap_or_default();
        assert!(
            error.to_lowercase().contains("certificate"),
            "{mode:?}: {error}"
        );
        let log = log.lock().unwrap();
        assert!(
            log.auth.is_empty() && log.mails.is_empty(),
            "{mode:?}: {log:?}"
        );
        assert_eq!(log.handshake_failures, 1, "{mode:?}");
    }
}

#[tokio::test]
async fn a_relay_without_starttls_gets_no_mail_when_it_is_required() {
    // The plain sink offers no STARTTLS: a downgrade (or a misconfigured relay) must not be
    // answered with the mail in the clear.
    let (port, mails) = smtp_sink().await;
    let relay = tls_relay(
        port,
        SmtpSecurity::StartTls,
        &smtp_pki().ca_pem,
        "s3cret pass",
    );
    let (report, error) = mail_one(relay).await;
    assert_eq!((report.sent, report.retrying), (0, 1));
    assert!(mails.lock().unwrap().is_empty());
    assert!(error.is_some());
}

#[tokio::test]
async fn a_wrong_password_is_an_error_the_operator_can_read() {
    let (port, log) = tls_smtp_sink(SinkMode::StartTls).await;
    let relay = tls_relay(port, SmtpSecurity::StartTls, &smtp_pki().ca_pem, "wrong");
    let (report, error) = mail_one(relay).await;
    assert_eq!((report.sent, report.retrying), (0, 1));
    let error = error.unwrap_or_default();
    assert!(
        error.contains("535") || error.to_lowercase().contains("auth"),
        "{error}"
    );
    assert!(log.lock().unwrap().mails.is_empty());
}
