//! Delivery end to end on loopback only: a webhook receiver that checks the HMAC, an SMTP sink,
//! an ntfy stand-in and a stand-in for Mastodon's statuses API, all written here, against a
//! SQLite store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use vigil_alerts::{
    AlertConfig, Delivery, Dispatcher, MastodonBot, Payload, ScanFacts, SmtpConfig, signature,
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
    let (store, dir) = store().await;
    let (port, mails) = smtp_sink().await;
    let mut c = config();
    c.smtp = Some(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        starttls: false,
        username: None,
        password: None,
        from: "Vigil <alerts@vigil.example>".into(),
    });
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
        1
    );
    let delivery = Delivery::new(Arc::clone(&store), Arc::clone(&cfg)).unwrap();
    assert_eq!(delivery.deliver_due(now()).await.unwrap().sent, 1);
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.contains("RCPT TO:<admin@a.example>"), "{m}");
    assert!(m.contains("Subject: a.example is back up after 2 h"), "{m}");
    assert!(m.contains("it was down for 2 h"), "{m}");
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
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
