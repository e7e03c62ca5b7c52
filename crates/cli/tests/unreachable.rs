//! A host that cannot be reached gets one line naming the cause and exit 1: no rating, no
//! DNSSEC verdict, no advice. In JSON: `rating: null` with `rating_unavailable`, and
//! `unreachable: {cause, detail}`.
//!
//! The name-lookup cases run `vigil` inside a network namespace of their own (`unshare`, root
//! only) whose `/etc/resolv.conf` points at a stub DNS server on the namespace's loopback, so
//! no query ever leaves the machine: the stub answers NXDOMAIN for `nosuch.vigil.test` and an
//! empty NOERROR for `nodata.vigil.test`, and with the stub stopped nothing answers at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::process::{Command, Output};

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("vigil runs")
}

/// A loopback port with nothing listening (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn refused_on_every_port_is_one_line_and_exit_1() {
    let (p80, p443) = (closed_port(), closed_port());
    let (p80, p443) = (p80.to_string(), p443.to_string());
    // --resolver on a dead loopback port keeps the DNS part off the network.
    let common = [
        "scan",
        "--http-port",
        &p80,
        "--https-port",
        &p443,
        "--resolver",
        "127.0.0.1:9",
        "localhost",
    ];
    let out = vigil(&common);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("localhost could not be reached: connection refused"),
        "{text}"
    );
    for absent in ["rating", "What to change", "DNSSEC", "TLS 1.3", "bogus"] {
        assert!(!text.contains(absent), "{absent:?} in {text}");
    }

    let mut json_args = common.to_vec();
    json_args.extend(["--format", "json"]);
    let out = vigil(&json_args);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unreachable"]["cause"], "connection-refused", "{v}");
    assert!(v["rating"].is_null());
    assert!(
        v["rating_unavailable"]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );
    assert_eq!(v["changes"], Value::Array(vec![]));
    for part in ["tls", "dns", "ipv6", "software", "observatory"] {
        assert!(v.get(part).is_some_and(Value::is_null), "{part}: {v}");
    }
    // The error is flat, as docs/json-output.md documents it.
    assert_eq!(v["error"]["kind"], "site-down", "{v}");
    assert_eq!(v["error"]["message"], "The site seems to be down.");

    // --min-grade never passes a host that could not be scanned.
    let mut gate = common.to_vec();
    gate.extend(["--min-grade", "F"]);
    assert_eq!(vigil(&gate).status.code(), Some(1));
}

/// A stub DNS server: NXDOMAIN for nosuch.*, an empty NOERROR answer for everything else.
const STUB: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(4096)
    if len(d) < 12:
        continue
    i = 12
    labels = []
    while i < len(d) and d[i] != 0:
        labels.append(d[i + 1:i + 1 + d[i]].decode("ascii", "replace").lower())
        i += 1 + d[i]
    q = d[12:i + 5]
    rcode = 3 if labels[:1] == ["nosuch"] else 0
    flags = bytes([0x84 | (d[2] & 0x01), 0x80 | rcode])
    s.sendto(d[:2] + flags + b"\x00\x01\x00\x00\x00\x00\x00\x00" + q, a)
"#;

/// Runs `vigil ARGS` in a fresh network and mount namespace whose resolver is the stub (or
/// nothing, with `stub == false`). `None` when namespaces are not available (not root).
fn in_namespace(stub: bool, args: &[&str]) -> Option<Output> {
    let dir = std::env::temp_dir().join(format!("vigil-unreachable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let resolv = dir.join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    let stub_py = dir.join("stub.py");
    std::fs::write(&stub_py, STUB).unwrap();
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let start_stub = if stub {
        format!(
            "python3 {} > {}/stub.log 2>&1 & for i in $(seq 50); do grep -q ready {}/stub.log && break; sleep 0.1; done;",
            stub_py.display(),
            dir.display(),
            dir.display()
        )
    } else {
        String::new()
    };
    let script = format!(
        "ip link set lo up && mount --bind {} /etc/resolv.conf && {start_stub} NO_COLOR=1 {} {}",
        resolv.display(),
        env!("CARGO_BIN_EXE_vigil"),
        quoted.join(" ")
    );
    let out = Command::new("unshare")
        .args(["--net", "--mount", "--", "sh", "-c", &script])
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    if String::from_utf8_lossy(&out.stderr).contains("unshare failed") {
        return None;
    }
    Some(out)
}

#[test]
#[ignore = "needs root for a network namespace: scripts/test.sh"]
fn names_that_do_not_resolve_say_so() {
    for (stub, host, cause, words) in [
        (true, "nosuch.vigil.test", "no-such-name", "no such name"),
        (
            true,
            "nodata.vigil.test",
            "no-address",
            "the name has no address",
        ),
        (
            false,
            "nosuch.vigil.test",
            "resolver-failed",
            "the name could not be looked up",
        ),
    ] {
        let out = in_namespace(stub, &["scan", host]).expect("unshare works as root");
        assert_eq!(out.status.code(), Some(1), "{host}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.lines().count(), 1, "{host}: {text}");
        assert!(
            text.starts_with(&format!("{host} could not be reached: {words}")),
            "{host}: {text}"
        );
        let out = in_namespace(stub, &["scan", "--format", "json", host]).unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["unreachable"]["cause"], cause, "{v}");
        assert!(v["rating"].is_null() && v["dns"].is_null() && v["tls"].is_null());
    }
}

#[test]
fn a_silent_host_times_out_in_one_line() {
    // Two loopback ports that accept connections and then never say anything.
    let listeners: Vec<std::net::TcpListener> = (0..2)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port().to_string())
        .collect();
    for l in listeners {
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in l.incoming().flatten() {
                held.push(conn);
            }
        });
    }
    let started = std::time::Instant::now();
    let out = vigil(&[
        "scan",
        "--http-port",
        &ports[0],
        "--https-port",
        &ports[1],
        "--resolver",
        "127.0.0.1:9",
        "--format",
        "json",
        "127.0.0.1",
    ]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unreachable"]["cause"], "timed-out", "{v}");
    assert!(v["rating"].is_null() && v["tls"].is_null(), "{v}");
    // The issue's bound for any scan, whatever the server does.
    assert!(took < std::time::Duration::from_secs(15), "took {took:?}");
}
