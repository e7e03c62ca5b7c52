//! The Observatory-compatible API and the public scan of a real `vigil serve` on loopback:
//! v2 scan/analyze/grade_distribution/recommendation_matrix/version in the reference's shapes,
//! the cooldown (a re-ask returns the last scan), the v1 shapes, the errors with the reference's
//! names and statuses, the rate limit per client, and the guard: public-looking names that lead
//! to loopback, link-local (cloud metadata) or private addresses are refused before anything is
//! sent. Needs the fleet names and knot (scripts/test.sh), so the tests are `#[ignore]`d.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::time::Duration;

/// A request with a method: (status, body).
fn call(port: u16, method: &str, path: &str) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn serve(scratch: &Scratch, fleet: &Fleet, extra: &[&str]) -> (Running, u16) {
    let port = free_port();
    let db = scratch.path("list.db");
    let mut args: Vec<String> = [
        "serve",
        "--database",
        &db,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--tick",
        "200ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if !extra.contains(&"--check-interval") {
        args.extend(["--check-interval".to_string(), "1h".to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(fleet.flags());
    let r = Running::spawn(&args, scratch.path("serve.log"));
    wait_for(Duration::from_secs(20), "the API", || get(port, "/healthz"));
    (r, port)
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn observatory_routes_answer_like_the_reference() {
    let scratch = Scratch::new("obs-api");
    let fleet = Fleet::start(&scratch);
    let (_serve, port) = serve(&scratch, &fleet, &["--allow-private", "--scan-rate", "3"]);

    let (status, scan) = call(port, "POST", "/api/v2/scan?host=i0061.fleet.test");
    assert_eq!(status, 200, "{scan}");
    for key in [
        "id",
        "details_url",
        "algorithm_version",
        "scanned_at",
        "error",
        "grade",
        "score",
        "status_code",
        "tests_failed",
        "tests_passed",
        "tests_quantity",
    ] {
        assert!(scan.get(key).is_some(), "scan lacks {key}: {scan}");
    }
    assert_eq!(scan["algorithm_version"], 4);
    assert_eq!(scan["grade"], "A+");
    assert_eq!(scan["tests_quantity"], 10);
    // Within the cooldown the same scan comes back.
    let (_, again) = call(port, "POST", "/api/v2/scan?host=I0061.fleet.test.");
    assert_eq!(again["id"], scan["id"]);

    let (status, a) = call(port, "GET", "/api/v2/analyze?host=i0061.fleet.test");
    assert_eq!(status, 200);
    assert_eq!(a["scan"]["id"], scan["id"]);
    assert!(
        a["scan"]["response_headers"]["content-security-policy"].is_string(),
        "{a}"
    );
    assert!(a["scan"].get("details_url").is_none());
    let tests = a["tests"].as_object().unwrap();
    assert_eq!(tests.len(), 10);
    for (name, t) in tests {
        for key in [
            "expectation",
            "name",
            "link",
            "title",
            "pass",
            "result",
            "score_description",
            "recommendation",
            "score_modifier",
        ] {
            assert!(t.get(key).is_some(), "{name} lacks {key}");
        }
        assert_eq!(t["name"], name.as_str());
    }
    assert_eq!(
        tests["referrer-policy"]["result"],
        "referrer-policy-private"
    );
    // The CSP policy hydrated as the reference's API gives it.
    let policy = &tests["content-security-policy"]["policy"];
    assert_eq!(policy["defaultNone"]["pass"], true, "{policy}");
    assert_eq!(policy["antiClickjacking"]["pass"], true);
    assert!(policy["insecureFormAction"]["description"].is_string());
    assert!(policy["unsafeInline"]["info"].is_string());
    assert_eq!(
        policy["strictDynamic"]["pass"],
        Value::Null,
        "optional: null"
    );
    assert_eq!(policy.as_object().unwrap().len(), 11, "{policy}");
    assert_eq!(a["history"].as_array().unwrap().len(), 1);

    let (_, dist) = call(port, "GET", "/api/v2/grade_distribution");
    assert_eq!(dist[0]["grade"], "A+");
    assert!(dist[0]["count"].as_i64() >= Some(1));
    let (_, matrix) = call(port, "GET", "/api/v2/recommendation_matrix");
    assert_eq!(matrix.as_array().unwrap().len(), 10);
    assert!(matrix[0]["results"][0]["scoreModifier"].is_i64());
    let (_, version) = call(port, "GET", "/api/v2/version");
    for key in ["version", "commit", "source", "build"] {
        assert!(version[key].is_string());
    }

    // The retired v1 shape instances.social reads.
    let (status, v1) = call(port, "POST", "/api/v1/analyze?host=i0061.fleet.test");
    assert_eq!(status, 200);
    assert_eq!(v1["state"], "FINISHED");
    assert_eq!(v1["grade"], "A+");
    assert_eq!(v1["scan_id"], scan["id"]);

    // A full scan as a job, polled through the list API.
    let (status, job) = call(port, "POST", "/api/v1/scan?host=i0062.fleet.test");
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["job"]["state"], "queued");
    let poll = job["poll"].as_str().unwrap().to_string();
    let report = wait_for(Duration::from_secs(60), "the queued scan", || {
        let (s, body) = get(port, &poll)?;
        (s == 200)
            .then(|| serde_json::from_str::<Value>(&body).ok())
            .flatten()
    });
    assert_eq!(report["schema_version"], 2);

    // Errors, with the reference's names and statuses.
    for (path, status, name) in [
        ("/api/v2/scan?host=127.0.0.1", 422, "invalid-hostname-ip"),
        (
            "/api/v2/scan?host=%5B%3A%3A1%5D",
            422,
            "invalid-hostname-ip",
        ),
        ("/api/v2/scan?host=not_a_host", 422, "invalid-hostname"),
        (
            "/api/v2/scan?host=nowhere.fleet.test",
            422,
            "invalid-hostname-lookup",
        ),
        ("/api/v2/scan", 400, "invalid-hostname"),
    ] {
        let (s, body) = call(port, "POST", path);
        assert_eq!(
            (s, body["error"].as_str()),
            (status, Some(name)),
            "{path}: {body}"
        );
        assert!(body["message"].is_string());
    }
    let (_, body) = call(port, "POST", "/api/v2/scan?host=nowhere.fleet.test");
    assert_eq!(body["message"], "nowhere.fleet.test cannot be resolved");

    // Three new scans per window for one client: the fourth is refused (two were used above).
    let (s1, _) = call(port, "POST", "/api/v2/scan?host=i0063.fleet.test");
    assert_eq!(s1, 200);
    let (s2, body) = call(port, "POST", "/api/v2/scan?host=i0064.fleet.test");
    assert_eq!(
        (s2, body["error"].as_str()),
        (429, Some("rate-limited")),
        "{body}"
    );
    // The job API says so at once too, rather than queueing a job that never runs.
    let (s3, body) = call(port, "POST", "/api/v1/scan?host=i0065.fleet.test");
    assert_eq!(
        (s3, body["error"].as_str()),
        (429, Some("rate-limited")),
        "{body}"
    );
    // A scan within the cooldown is no new scan, so it still answers.
    assert_eq!(
        call(port, "POST", "/api/v2/scan?host=i0061.fleet.test").0,
        200
    );
    // Publicly scanned fediverse servers join the list.
    let list = get_json(port, "/api/v1/instances");
    assert!(
        list["instances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["host"] == "i0061.fleet.test")
    );
}

/// A listener on loopback that accepts connections and never says a word.
fn silent_listener() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().flatten() {
            held.push(c);
        }
    });
    port
}

#[test]
#[ignore = "needs knot: scripts/test.sh"]
fn a_host_that_never_answers_gets_its_finding() {
    // Every connection of the scan goes to a listener that never answers: the scan ends at its
    // deadline, and the answer is that finding, not a blank gateway timeout of the web layer.
    let scratch = Scratch::new("silent");
    let (http, https) = (silent_listener(), silent_listener());
    let port = free_port();
    let args: Vec<String> = [
        "serve",
        "--no-monitor",
        "--allow-private",
        "--database",
        &scratch.path("list.db"),
        "--listen",
        &format!("127.0.0.1:{port}"),
        // Longer than the 10 s every other request is held to: the scan routes wait for it.
        "--scan-timeout",
        "12s",
        "--resolver",
        &script("tests/dns/serve.sh", &["addr"]),
        "--http-port",
        &http.to_string(),
        "--https-port",
        &https.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let serve = Running::spawn(&args, scratch.path("serve.log"));
    wait_for(Duration::from_secs(20), "the API", || get(port, "/healthz"));
    let (status, scan) = call(port, "POST", "/api/v2/scan?host=i0001.fleet.test");
    assert_eq!(status, 200, "{scan}");
    assert_eq!(scan["error"], "The site seems to be down.", "{scan}");
    assert_eq!(scan["grade"], Value::Null);
    let (head, _) = post_form(port, "/scan", "host=i0002.fleet.test");
    assert!(head.starts_with("http/1.1 303"), "{head}");
    let (_, page) = get(port, "/instances/i0002.fleet.test").unwrap();
    assert!(page.contains("could not be reached"), "{page}");
    assert!(!serve.log_text().contains("panicked"));
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn the_scan_form_on_the_list() {
    let scratch = Scratch::new("scan-form");
    let fleet = Fleet::start(&scratch);
    let (serve, port) = serve(&scratch, &fleet, &["--allow-private"]);
    let (_, about) = get(port, "/about").unwrap();
    assert!(about.contains("lifted the address guard"), "{about}");
    let (_, list) = get(port, "/").unwrap();
    assert!(
        list.contains("<form class=\"scan\" method=\"post\" action=\"/scan\">"),
        "{list}"
    );
    // A fediverse server: scanned, then the browser goes to its page, and it joins the list.
    let (head, _) = post_form(port, "/scan", "host=I0071.fleet.test");
    assert!(head.starts_with("http/1.1 303"), "{head}");
    assert!(
        head.contains("location: /instances/i0071.fleet.test?rescan=done"),
        "{head}"
    );
    let (_, page) = get(port, "/instances/i0071.fleet.test?rescan=done").unwrap();
    assert!(page.contains("Rescanned just now") && page.contains("What to change"));
    assert!(!page.contains("id=\"off-list\""));
    // Asked again within the cooldown: the same scan, said so.
    let (head, _) = post_form(port, "/scan", "host=i0071.fleet.test");
    assert!(head.contains("rescan=cooldown"), "{head}");
    // A web site that is no fediverse server gets its report, off the list.
    let (head, _) = post_form(port, "/scan", "host=plain.fleet.test");
    assert!(
        head.contains("location: /instances/plain.fleet.test"),
        "{head}"
    );
    let (_, page) = get(port, "/instances/plain.fleet.test").unwrap();
    assert!(page.contains("id=\"off-list\""), "{page}");
    assert!(
        page.contains("HTTP headers: Observatory"),
        "its report: {page}"
    );
    let hosts: Vec<String> = get_json(port, "/api/v1/instances")["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["host"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(hosts, vec!["i0071.fleet.test".to_string()]);
    let (_, home) = get(port, "/").unwrap();
    assert!(!home.contains("plain.fleet.test"));
    // Refusals are pages that say why, with the API's status and error name.
    for (form, status, name, says) in [
        (
            "host=127.0.0.1",
            "422",
            "invalid-hostname-ip",
            "Cannot scan IP addresses",
        ),
        (
            "host=not_a_host",
            "422",
            "invalid-hostname",
            "Invalid hostname",
        ),
        (
            "host=nowhere.fleet.test",
            "422",
            "invalid-hostname-lookup",
            "nowhere.fleet.test cannot be resolved",
        ),
        ("host=", "400", "invalid-hostname", "Type the host name"),
        ("", "400", "invalid-hostname", "Type the host name"),
    ] {
        let (head, body) = post_form(port, "/scan", form);
        assert!(
            head.starts_with(&format!("http/1.1 {status}")),
            "{form}: {head}"
        );
        assert!(head.contains("content-type: text/html"), "{head}");
        assert!(
            body.contains(&format!("data-error=\"{name}\"")),
            "{form}: {body}"
        );
        assert!(body.contains(says), "{form}: {body}");
        assert!(!body.contains("<script"));
    }
    // Markup in the name comes back escaped.
    let (_, body) = post_form(port, "/scan", "host=%3Cb%3Ex");
    assert!(!body.contains("<b>x"), "{body}");
    assert!(
        body.contains("b&#62;x") || body.contains("b&gt;x"),
        "{body}"
    );
    assert!(!serve.log_text().contains("panicked"));
}

#[test]
#[ignore = "needs the fleet names: scripts/test.sh"]
fn the_public_scan_refuses_private_targets() {
    let scratch = Scratch::new("guard-api");
    let fleet = Fleet::start(&scratch);
    let (serve, port) = serve(&scratch, &fleet, &[]);
    for (host, addr) in [
        ("loopback.vigil-test.net", "127.0.0.1"),
        ("metadata.vigil-test.net", "169.254.169.254"),
        ("private.vigil-test.net", "10.11.12.13"),
    ] {
        let started = std::time::Instant::now();
        let (s, body) = call(port, "POST", &format!("/api/v2/scan?host={host}"));
        assert_eq!(
            (s, body["error"].as_str()),
            (422, Some("forbidden-address")),
            "{host}: {body}"
        );
        let msg = body["message"].as_str().unwrap();
        assert!(msg.contains(addr) && msg.contains("address guard"), "{msg}");
        // Refused from the lookup alone: no scan ran (a scan takes far longer than this).
        assert!(started.elapsed() < Duration::from_secs(10));
        let (s, _) = call(port, "POST", &format!("/api/v1/scan?host={host}"));
        assert_eq!(s, 422);
    }
    let (_, about) = get(port, "/about").unwrap();
    assert!(about.contains("id=\"public-scan\"") && !about.contains("lifted the address guard"));
    // The form on the list refuses them the same way, and says why.
    let (head, body) = post_form(port, "/scan", "host=metadata.vigil-test.net");
    assert!(head.starts_with("http/1.1 422"), "{head}");
    assert!(
        body.contains("169.254.169.254") && body.contains("address guard"),
        "{body}"
    );
    // Names of the tests' own TLD are no public names without --allow-private.
    let (s, body) = call(port, "POST", "/api/v2/scan?host=i0001.fleet.test");
    assert_eq!((s, body["error"].as_str()), (422, Some("invalid-hostname")));
    let list = get_json(port, "/api/v1/instances");
    assert_eq!(list["total"], 0, "nothing refused may be stored: {list}");
    assert!(!serve.log_text().contains("panicked"));
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn operations_routes() {
    let scratch = Scratch::new("ops-api");
    let fleet = Fleet::start(&scratch);
    let (_serve, port) = serve(&scratch, &fleet, &["--allow-private", "i0071.fleet.test"]);
    wait_for(Duration::from_secs(60), "a scan", || {
        let (s, _) = get(port, "/api/v1/instances/i0071.fleet.test")?;
        (s == 200).then_some(())
    });
    let (s, metrics) = get(port, "/metrics").unwrap();
    assert_eq!(s, 200);
    for name in [
        "vigil_scans_total",
        "vigil_scan_duration_seconds_bucket",
        "vigil_instances",
        "vigil_queue_depth",
        "vigil_certificate_days_left",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }
    let spec = get_json(port, "/api/openapi.json");
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/v2/analyze"].is_object());
    // The errors have the shapes the spec gives them.
    for (method, path, route, status) in [
        (
            "GET",
            "/api/v1/instances?limit=0",
            "/api/v1/instances",
            "400",
        ),
        (
            "GET",
            "/api/v1/instances/nowhere.fleet.test",
            "/api/v1/instances/{host}",
            "404",
        ),
        ("GET", "/api/v2/analyze?host=", "/api/v2/analyze", "400"),
        ("POST", "/api/v1/scan?host=", "/api/v1/scan", "400"),
    ] {
        let (s, body) = call(port, method, path);
        assert_eq!(s.to_string(), status, "{path}: {body}");
        let op = &spec["paths"][route][method.to_ascii_lowercase()];
        let schema_ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let schema = &spec["components"]["schemas"][schema_ref.as_str()];
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: no schema for {status}"))
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        required.sort_unstable();
        keys.sort_unstable();
        assert_eq!(
            keys, required,
            "{path} answers the shape of {schema_ref}: {body}"
        );
    }
    // ETag and 304, gzip when asked.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /api/v1/instances HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let tag = head
        .split("etag: ")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap()
        .to_string();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /api/v1/instances HTTP/1.1\r\nHost: x\r\nIf-None-Match: {tag}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    assert!(
        String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 304"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
    // `vigil export` writes the same rows.
    let db = scratch.path("list.db");
    let out = vigil(&["export", "--database", &db, "--format", "csv"]);
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("rank,host,rating_score"));
    assert!(
        csv.lines().any(|l| l.starts_with("1,i0071.fleet.test,")),
        "{csv}"
    );
    let json: Value =
        serde_json::from_slice(&vigil(&["export", "--database", &db]).stdout).unwrap();
    assert_eq!(json[0]["host"], "i0071.fleet.test");
}

/// A webhook receiver on loopback: every POST body, in order.
fn receiver() -> (u16, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = conn.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        let _ = tx.send(body.to_string());
                        break;
                    }
                }
            }
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, rx)
}

#[test]
#[ignore = "needs the fleet, knot: scripts/test.sh"]
fn an_admin_subscribes_confirms_and_gets_the_down_alert() {
    let scratch = Scratch::new("alerts-e2e");
    let fleet = Fleet::start(&scratch);
    let (hook, bodies) = receiver();
    let (_serve, port) = serve(
        &scratch,
        &fleet,
        &[
            "--allow-private",
            "--check-interval",
            "1s",
            "--alert-down-after",
            "1s",
            "i0091.fleet.test",
        ],
    );
    let target = format!("http://127.0.0.1:{hook}/hook");
    let (s, sub) = call(
        port,
        "POST",
        &format!(
            "/api/v1/alerts/subscribe?host=i0091.fleet.test&channel=webhook&target={target}&secret=s3cret"
        ),
    );
    assert_eq!(s, 202, "{sub}");
    assert_eq!(sub["confirmed"], false);
    let (s, _) = call(
        port,
        "POST",
        &format!(
            "/api/v1/alerts/subscribe?host=nowhere.fleet.test&channel=webhook&target={target}"
        ),
    );
    assert_eq!(s, 404);
    // The confirmation message reaches the receiver, with its link.
    let first = bodies
        .recv_timeout(Duration::from_secs(60))
        .expect("no confirmation message");
    let token = first
        .split("token=")
        .nth(1)
        .and_then(|t| t.split(['"', '&', '\\']).next())
        .unwrap()
        .to_string();
    let (status, page) = get(port, &format!("/alerts/confirm?token={token}")).unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Confirmed"), "{page}");
    assert_eq!(
        get(port, &format!("/alerts/confirm?token={token}"))
            .unwrap()
            .0,
        404,
        "a token works once"
    );
    // The instance goes down for longer than the threshold: one alert.
    wait_for(Duration::from_secs(60), "checks of the instance", || {
        let list = get_json(port, "/api/v1/instances");
        (list["instances"][0]["uptime"]["checks"].as_i64()? >= 2).then_some(())
    });
    fleet.down();
    let alert = bodies
        .recv_timeout(Duration::from_secs(60))
        .expect("no down alert");
    assert!(alert.contains("i0091.fleet.test"), "{alert}");
    assert!(alert.contains("down"), "{alert}");

    // The same subscription from the instance page's form, no script needed.
    wait_for(Duration::from_secs(60), "the report", || {
        let (s, _) = get(port, "/api/v1/instances/i0091.fleet.test")?;
        (s == 200).then_some(())
    });
    let (_, page) = get(port, "/instances/i0091.fleet.test").unwrap();
    assert!(
        page.contains("action=\"/instances/i0091.fleet.test/alerts\""),
        "{page}"
    );
    let form = format!("channel=webhook&target=http%3A%2F%2F127.0.0.1%3A{hook}%2Fform&secret=");
    let (head, _) = post_form(port, "/instances/i0091.fleet.test/alerts", &form);
    assert!(head.starts_with("http/1.1 303"), "{head}");
    assert!(
        head.contains("location: /instances/i0091.fleet.test?alerts=sent#alerts"),
        "{head}"
    );
    let (_, noted) = get(port, "/instances/i0091.fleet.test?alerts=sent").unwrap();
    assert!(noted.contains("A confirmation was sent"), "{noted}");
    let confirmation = wait_for(Duration::from_secs(60), "the form's confirmation", || {
        bodies
            .recv_timeout(Duration::from_secs(1))
            .ok()
            .filter(|b| b.contains("token="))
    });
    assert!(confirmation.contains("i0091.fleet.test"), "{confirmation}");
    // Refusals are pages that say why.
    for (form, status, name) in [
        ("channel=pigeon&target=x", "400", "bad-request"),
        ("channel=email&target=", "400", "bad-request"),
        (
            "channel=webhook&target=not%20a%20url",
            "422",
            "invalid-subscription",
        ),
    ] {
        let (head, body) = post_form(port, "/instances/i0091.fleet.test/alerts", form);
        assert!(
            head.starts_with(&format!("http/1.1 {status}")),
            "{form}: {head}"
        );
        assert!(
            body.contains(&format!("data-error=\"{name}\"")),
            "{form}: {body}"
        );
        assert!(body.contains("The subscription was not taken"), "{body}");
    }
    let (head, _) = post_form(
        port,
        "/instances/nowhere.fleet.test/alerts",
        "channel=email&target=a%40b.example",
    );
    assert!(head.starts_with("http/1.1 404"), "{head}");
}
