//! What the monitor tests share: a fleet nginx of their own on free ports (tests/fleet/serve.sh),
//! `vigil` processes that are stopped when dropped, a tiny HTTP client for the API, and a fresh
//! PostgreSQL database per test when `VIGIL_TEST_POSTGRES` names a server.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn script(path: &str, args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(repo().join(path))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{path} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!("vigil-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One fleet nginx on its own ports.
pub struct Fleet {
    pub dir: String,
    pub http: u16,
    pub https: u16,
}

impl Fleet {
    pub fn start(scratch: &Scratch) -> Fleet {
        // The names must be in /etc/hosts (scripts/test.sh puts them there).
        assert!(
            std::net::ToSocketAddrs::to_socket_addrs(&("i0001.fleet.test", 443)).is_ok(),
            "the fleet names are not in /etc/hosts: run `tests/fleet/serve.sh hosts` as root (scripts/test.sh does)"
        );
        let fleet = Fleet {
            dir: scratch.path("fleet"),
            http: free_port(),
            https: free_port(),
        };
        fleet.up();
        fleet
    }
    pub fn up(&self) {
        script(
            "tests/fleet/serve.sh",
            &[
                "start",
                &self.dir,
                &self.http.to_string(),
                &self.https.to_string(),
            ],
        );
    }
    pub fn down(&self) {
        script("tests/fleet/serve.sh", &["stop", &self.dir]);
    }
    pub fn ca() -> String {
        script("tests/fleet/serve.sh", &["ca"])
    }
    /// The flags that point a monitor at this fleet and keep DNS on loopback.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--ca-file".into(),
            Fleet::ca(),
            "--resolver".into(),
            script("tests/dns/serve.sh", &["addr"]),
            "--http-port".into(),
            self.http.to_string(),
            "--https-port".into(),
            self.https.to_string(),
        ]
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("tests/fleet/serve.sh"))
            .args(["stop", &self.dir])
            .output();
    }
}

/// Runs `vigil ARGS` to the end.
pub fn vigil(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .unwrap()
}

/// A long-running `vigil` (serve or worker), killed when dropped; stderr goes to a log file.
pub struct Running {
    pub child: Child,
    pub log: String,
}

impl Running {
    pub fn spawn(args: &[String], log: String) -> Running {
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(args)
            .env("VIGIL_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Running { child, log }
    }
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
    /// SIGTERM, then waits up to `within` for a clean exit; returns the exit status.
    pub fn term(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on 127.0.0.1:port: (status, body); `None` when nothing answers.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// One request as written, on a fresh connection: (lower-cased response head, body).
fn exchange(port: u16, request: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.to_ascii_lowercase(), body.to_string())
}

/// `GET path` with the response head kept.
pub fn get_full(port: u16, path: &str) -> (String, String) {
    exchange(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
}

/// A form POST, as a browser sends one.
pub fn post_form(port: u16, path: &str, form: &str) -> (String, String) {
    exchange(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    )
}

/// `GET path` as JSON, panicking on anything else.
pub fn get_json(port: u16, path: &str) -> Value {
    let (status, body) = get(port, path).unwrap_or_else(|| panic!("no answer for {path}"));
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {status} {e}: {body}"))
}

/// Polls `f` until it returns `Some`, or panics after `limit` with `what`.
pub fn wait_for<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A fresh PostgreSQL database (URL) on the server `VIGIL_TEST_POSTGRES` names; `None` when
/// no server is configured (and then the caller skips, unless `VIGIL_CONFORMANCE=1` says the
/// run must have one).
pub fn postgres_db(tag: &str) -> Option<String> {
    let Ok(base) = std::env::var("VIGIL_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("VIGIL_CONFORMANCE").is_none(),
            "VIGIL_TEST_POSTGRES is not set: scripts/test.sh starts PostgreSQL (scripts/postgres.sh)"
        );
        eprintln!("skipped: no VIGIL_TEST_POSTGRES");
        return None;
    };
    let name = format!("m_{tag}_{}", std::process::id());
    let out = Command::new("psql")
        .args([
            base.as_str(),
            "-qAt",
            "-c",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            "-c",
            &format!("CREATE DATABASE {name}"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

/// One SQL answer from PostgreSQL (`psql -At`).
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-qAtc", sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// One SQL answer from a SQLite file (`sqlite3`).
pub fn sqlite(path: &str, sql: &str) -> String {
    let out = Command::new("sqlite3").args([path, sql]).output().unwrap();
    assert!(
        out.status.success(),
        "sqlite3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The hosts of a rendered list page, top to bottom.
pub fn hosts_in_order(html: &str) -> Vec<String> {
    html.split("<td class=\"host\"><a href=\"/instances/")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_string))
        .collect()
}

/// `vigil serve` over `hosts` on the fleet, rescanning every 3 s and checking every second,
/// returned once `hosts[0]` has two scans (so its history charts have a line).
pub fn serve_rescanning(scratch: &Scratch, fleet: &Fleet, hosts: &[&str]) -> (Running, u16) {
    let db = scratch.path("list.db");
    let mut add = vec!["instances", "add", "--database", &db];
    add.extend_from_slice(hosts);
    assert!(vigil(&add).status.success());
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut args: Vec<String> = [
        "serve",
        "--database",
        &db,
        "--listen",
        &listen,
        "--check-interval",
        "1s",
        "--scan-interval",
        "3s",
        "--tick",
        "200ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(fleet.flags());
    let serve = Running::spawn(&args, scratch.path("serve.log"));
    let first = hosts[0].to_string();
    wait_for(Duration::from_secs(90), "two scans", || {
        get(port, "/healthz")?;
        let h = get_json(port, &format!("/api/v1/instances/{first}/history"));
        (h["scans"].as_array()?.len() >= 2).then_some(())
    });
    (serve, port)
}
