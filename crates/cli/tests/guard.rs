//! `vigil scan --public-only`: the address guard end to end. A loopback target, a name that
//! leads to loopback, a redirect from a public host to loopback and a DNS answer that turns
//! to loopback on the second lookup are all refused with cause `forbidden-address`, exit 1,
//! and a detail naming the guard, the address and why; and the refused addresses never see a
//! connection (listeners there count them).
//!
//! Network rule: nothing here sends a packet to a non-loopback address of the host. The
//! "public" host 1.2.3.4 exists only on the loopback interface of a network namespace the test
//! creates (`unshare --net`, root only), which has no other interface; the script checks the
//! route before starting anything. The cloud metadata address is only ever asked of the
//! guarded scanner, which refuses it before connecting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("vigil runs")
}

/// A loopback listener that counts the connections it accepts.
fn counting_listener() -> (u16, Arc<AtomicU32>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let count = Arc::new(AtomicU32::new(0));
    let c = Arc::clone(&count);
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            c.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (port, count)
}

fn assert_refused(out: &Output, host: &str, address: &str, reason: &str) {
    assert_eq!(out.status.code(), Some(1), "{host}: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim_end(),
        format!("{host} was not scanned: refused by the address guard: {address} is {reason}"),
        "{host}"
    );
}

fn assert_refused_json(out: &Output, address: &str, reason: &str) -> Value {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["unreachable"]["cause"], "forbidden-address", "{v}");
    assert_eq!(
        v["unreachable"]["detail"],
        format!("refused by the address guard: {address} is {reason}"),
        "{v}"
    );
    assert!(v["rating"].is_null() && v["tls"].is_null(), "{v}");
    v
}

#[test]
fn loopback_and_names_that_lead_there_are_refused_before_connecting() {
    let (p80, hits80) = counting_listener();
    let (p443, hits443) = counting_listener();
    let (p80, p443) = (p80.to_string(), p443.to_string());
    for host in ["127.0.0.1", "localhost"] {
        let common = [
            "scan",
            "--public-only",
            "--http-port",
            &p80,
            "--https-port",
            &p443,
            "--resolver",
            "127.0.0.1:9",
            host,
        ];
        assert_refused(&vigil(&common), host, "127.0.0.1", "a loopback address");
        let mut json = common.to_vec();
        json.extend(["--format", "json"]);
        let v = assert_refused_json(&vigil(&json), "127.0.0.1", "a loopback address");
        // The full report stops at the lookup; nothing ran, so every part is null.
        for part in ["dns", "ipv6", "software", "observatory"] {
            assert!(v[part].is_null(), "{part}: {v}");
        }
        // The HTTP-only profile has no lookup of its own: each session's connection refuses.
        let mut http_only = common.to_vec();
        http_only.extend(["--no-tls", "--format", "json"]);
        let v = assert_refused_json(&vigil(&http_only), "127.0.0.1", "a loopback address");
        for session in ["http", "https"] {
            assert_eq!(v["retrieval"][session]["status"], "forbidden", "{v}");
        }
    }
    assert_eq!(hits80.load(Ordering::SeqCst), 0, "a connection reached :80");
    assert_eq!(
        hits443.load(Ordering::SeqCst),
        0,
        "a connection reached :443"
    );

    // Without the guard the same scan does connect: the listeners would have seen a leak.
    let out = vigil(&[
        "scan",
        "--http-port",
        &p80,
        "--https-port",
        &p443,
        "--resolver",
        "127.0.0.1:9",
        "--no-tls",
        "127.0.0.1",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(hits80.load(Ordering::SeqCst) > 0);
}

#[test]
fn cloud_metadata_is_refused_at_once_and_named() {
    // Refused before any connection: the guard names itself, and the scan is over at once
    // (an attempt would have waited for a connect timeout instead).
    let base = ["scan", "--public-only", "--resolver", "127.0.0.1:9"];
    let mut full = base.to_vec();
    full.extend(["--format", "json", "169.254.169.254"]);
    let v = assert_refused_json(&vigil(&full), "169.254.169.254", "a cloud metadata address");
    // The full report stopped at the lookup: no retrieval ran at all.
    assert_eq!(v["retrieval"]["elapsed_ms"], 0, "{v}");
    assert_eq!(v["retrieval"]["http"]["status"], "forbidden", "{v}");
    // The HTTP sessions alone refuse it at their connection.
    let mut http_only = base.to_vec();
    http_only.extend(["--no-tls", "--format", "json", "169.254.169.254"]);
    let v = assert_refused_json(
        &vigil(&http_only),
        "169.254.169.254",
        "a cloud metadata address",
    );
    assert_eq!(v["retrieval"]["https"]["status"], "forbidden", "{v}");
    for (host, reason) in [
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("10.0.0.1", "a private address (RFC 1918)"),
        ("::ffff:127.0.0.1", "a loopback address"),
    ] {
        let mut args = base.to_vec();
        args.extend(["--no-tls", host]);
        assert_refused(&vigil(&args), host, host, reason);
    }
}

#[test]
#[ignore = "needs the fleet names in /etc/hosts (tests/fleet/serve.sh hosts): scripts/test.sh"]
fn a_fleet_name_on_loopback_is_refused() {
    let (p80, hits) = counting_listener();
    let p80 = p80.to_string();
    let out = vigil(&[
        "scan",
        "--public-only",
        "--http-port",
        &p80,
        "--https-port",
        &p80,
        "--resolver",
        "127.0.0.1:9",
        "i0001.fleet.test",
    ]);
    assert_refused(&out, "i0001.fleet.test", "127.0.0.1", "a loopback address");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

/// Tiny servers for the namespace: `page` answers 200, `redirect URL` answers 301 to URL,
/// `count` only records the connection; every connection is logged to the file given.
const SERVER: &str = r#"
import socket, sys, threading
addr, port, log, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(64)
print("ready", flush=True)
def answer(c):
    try:
        with open(log, "a") as f:
            f.write("%s:%d\n" % (addr, port))
        if mode[0] == "count":
            return
        c.settimeout(2)
        c.recv(65536)
        if mode[0] == "redirect":
            head = "HTTP/1.1 301 Moved Permanently\r\nLocation: %s\r\n" % mode[1]
            body = ""
        else:
            head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            body = "<!doctype html><title>ok</title>"
        c.sendall((head + "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)).encode())
    except Exception:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=answer, args=(c,), daemon=True).start()
"#;

/// A stub DNS server for `rebind.vigil.test`: the first A question gets 1.2.3.4, every later
/// one 127.0.0.1; AAAA and everything else an empty NOERROR. Questions are logged.
const REBINDING_DNS: &str = r#"
import socket, struct, sys
log = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
a_questions = 0
while True:
    d, peer = s.recvfrom(4096)
    if len(d) < 12:
        continue
    i = 12
    labels = []
    while i < len(d) and d[i] != 0:
        labels.append(d[i + 1:i + 1 + d[i]].decode("ascii", "replace").lower())
        i += 1 + d[i]
    q = d[12:i + 5]
    qtype = struct.unpack("!H", d[i + 1:i + 3])[0] if i + 3 <= len(d) else 0
    answers = b""
    count = 0
    if labels == ["rebind", "vigil", "test"] and qtype == 1:
        a_questions += 1
        ip = bytes([1, 2, 3, 4]) if a_questions == 1 else bytes([127, 0, 0, 1])
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + ip
        count = 1
        with open(log, "a") as f:
            f.write("A %s\n" % ".".join(str(b) for b in ip))
    flags = bytes([0x84 | (d[2] & 0x01), 0x80])
    s.sendto(d[:2] + flags + struct.pack("!HHHH", 1, count, 0, 0) + q + answers, peer)
"#;

/// A scratch directory for one namespace run, removed on drop.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let d =
            std::env::temp_dir().join(format!("vigil-guard-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
    fn read(&self, name: &str) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.0.join(name)) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `vigil ARGS` in a fresh network and mount namespace: 1.2.3.4 on its loopback
/// interface (the "public" host, serving `public` on port 80), counting listeners on
/// 127.0.0.1:80 (answering pages) and 127.0.0.1:443, and the rebinding stub as its resolver.
/// Connections are logged to `hits` in `dir`, DNS answers to `dns`.
fn in_namespace(dir: &Dir, public: &[&str], args: &[&str]) -> Output {
    std::fs::write(dir.path("server.py"), SERVER).unwrap();
    std::fs::write(dir.path("dns.py"), REBINDING_DNS).unwrap();
    std::fs::write(
        dir.path("resolv.conf"),
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    std::fs::write(dir.path("hosts"), "127.0.0.1 localhost\n::1 localhost\n").unwrap();
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let public: Vec<String> = public.iter().map(|a| format!("'{a}'")).collect();
    let (d, py) = (dir.0.display(), "python3");
    let wait = |log: &str| {
        format!("for i in $(seq 50); do grep -q ready {d}/{log} && break; sleep 0.1; done;")
    };
    let script = format!(
        "set -e; ip link set lo up; ip addr add 1.2.3.4/32 dev lo; \
         ip route get 1.2.3.4 | grep -q ' dev lo '; \
         [ \"$(ip -o link show | grep -vc ': lo:')\" = 0 ]; \
         mount --bind {d}/resolv.conf /etc/resolv.conf; mount --bind {d}/hosts /etc/hosts; \
         {py} {d}/dns.py {d}/dns > {d}/dns.out 2>&1 & P1=$!; \
         {py} {d}/server.py 1.2.3.4 80 {d}/hits {} > {d}/s1.out 2>&1 & P2=$!; \
         {py} {d}/server.py 127.0.0.1 80 {d}/hits page > {d}/s2.out 2>&1 & P3=$!; \
         {py} {d}/server.py 127.0.0.1 443 {d}/hits count > {d}/s3.out 2>&1 & P4=$!; \
         {} {} {} {} set +e; NO_COLOR=1 {} {}; rc=$?; kill $P1 $P2 $P3 $P4; exit $rc",
        public.join(" "),
        wait("dns.out"),
        wait("s1.out"),
        wait("s2.out"),
        wait("s3.out"),
        env!("CARGO_BIN_EXE_vigil"),
        quoted.join(" ")
    );
    Command::new("unshare")
        .args(["--net", "--mount", "--", "sh", "-c", &script])
        .output()
        .expect("unshare runs")
}

/// The connections the namespace's servers logged, as `address:port` lines.
fn connections(dir: &Dir) -> Vec<String> {
    dir.read("hits").lines().map(str::to_string).collect()
}

#[test]
#[ignore = "needs root for a network namespace: scripts/test.sh"]
fn a_redirect_to_loopback_is_refused_at_the_redirect() {
    let dir = Dir::new("redirect");
    let scan = [
        "scan",
        "--public-only",
        "--resolver",
        "127.0.0.1:9",
        "--format",
        "json",
        "1.2.3.4",
    ];
    let out = in_namespace(&dir, &["redirect", "http://127.0.0.1/"], &scan);
    let v = assert_refused_json(&out, "127.0.0.1", "a loopback address");
    // The public host was asked and answered; the redirect's target was never connected to.
    let hits = connections(&dir);
    assert!(hits.iter().any(|h| h == "1.2.3.4:80"), "{hits:?}");
    assert!(!hits.iter().any(|h| h.starts_with("127.")), "{hits:?}");
    assert_eq!(v["retrieval"]["http"]["status"], "forbidden", "{v}");

    // Without the guard the redirect is followed to loopback: the check above can fail.
    let dir = Dir::new("redirect-open");
    let open: Vec<&str> = scan
        .iter()
        .copied()
        .filter(|a| *a != "--public-only")
        .collect();
    let out = in_namespace(&dir, &["redirect", "http://127.0.0.1/"], &open);
    let hits = connections(&dir);
    assert!(hits.iter().any(|h| h == "127.0.0.1:80"), "{hits:?} {out:?}");
}

#[test]
#[ignore = "needs root for a network namespace: scripts/test.sh"]
fn a_name_that_rebinds_to_loopback_is_refused_on_the_next_connection() {
    let dir = Dir::new("rebind");
    let scan = [
        "scan",
        "--public-only",
        "--resolver",
        "127.0.0.1:9",
        "--format",
        "evidence",
        "rebind.vigil.test",
    ];
    let out = in_namespace(&dir, &["page"], &scan);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let ev: Value = serde_json::from_slice(&out.stdout).expect("evidence json");
    // The first lookup saw the public address, so the scan went on...
    assert_eq!(ev["lookup"]["status"], "found", "{ev}");
    assert_eq!(ev["lookup"]["v4"][0], "1.2.3.4", "{ev}");
    // ...and each later connection resolved again, got 127.0.0.1 and was refused.
    let dns = dir.read("dns");
    assert!(dns.starts_with("A 1.2.3.4\nA 127.0.0.1\n"), "{dns}");
    for session in ["http_failure", "https_failure"] {
        assert_eq!(ev["http"][session]["status"], "forbidden", "{ev}");
        assert_eq!(
            ev["http"][session]["detail"],
            "refused by the address guard: 127.0.0.1 is a loopback address",
            "{ev}"
        );
    }
    assert_eq!(
        ev["tls"]["failure"], "refused by the address guard: 127.0.0.1 is a loopback address",
        "{ev}"
    );
    let hits = connections(&dir);
    assert!(!hits.iter().any(|h| h.starts_with("127.")), "{hits:?}");

    // The report of the same scan: refused, exit 1.
    let dir = Dir::new("rebind-json");
    let json: Vec<&str> = scan
        .iter()
        .map(|a| if *a == "evidence" { "json" } else { *a })
        .collect();
    assert_refused_json(
        &in_namespace(&dir, &["page"], &json),
        "127.0.0.1",
        "a loopback address",
    );
    assert!(!connections(&dir).iter().any(|h| h.starts_with("127.")));

    // Without the guard the second answer is used: loopback is connected to.
    let dir = Dir::new("rebind-open");
    let open: Vec<&str> = scan
        .iter()
        .copied()
        .filter(|a| *a != "--public-only")
        .collect();
    let _ = in_namespace(&dir, &["page"], &open);
    assert!(
        connections(&dir)
            .iter()
            .any(|h| h.starts_with("127.0.0.1:"))
    );
}
