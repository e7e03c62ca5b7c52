#!/usr/bin/env bash
# Benchmark: what the whole instance report costs. Times `vigil scan` on the Mastodon-like
# conformance site (HTTP on 127.0.0.1 and ::1, TLS, NodeInfo) in its three depths, and
# `vigil dns` against the local knot server; whole process each, REPS runs (default 10).
# Needs root the first time (the test servers bind :80/:443 and edit /etc/hosts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vigil-target}"
(cd "$ROOT" && cargo build --release -q -p vigil-cli)
bash "$ROOT/tests/conformance/http/serve.sh" start >/dev/null 2>&1
bash "$ROOT/tests/dns/serve.sh" start >/dev/null 2>&1
export SSL_CERT_FILE="$(bash "$ROOT/tests/conformance/http/serve.sh" ca)"
VIGIL="$CARGO_TARGET_DIR/release/vigil" RESOLVER="$(bash "$ROOT/tests/dns/serve.sh" addr)" \
ANCHOR="$(bash "$ROOT/tests/dns/serve.sh" anchor)" REPS="${REPS:-10}" python3 - <<'PY'
import os, statistics, subprocess, time

vigil, resolver, anchor = os.environ["VIGIL"], os.environ["RESOLVER"], os.environ["ANCHOR"]
reps = int(os.environ["REPS"])
host = "mastodon.secure.vigil.test"

def run(args):
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss

cases = [
    ("Observatory only (--format observatory)", [vigil, "scan", "--format", "observatory", host]),
    ("full report (HTTP, TLS, IPv6, DNS, software, rating)", [vigil, "scan", "--format", "json", "--resolver", resolver, "--trust-anchor", anchor, host]),
    ("full report + --scoring legacy", [vigil, "scan", "--format", "json", "--scoring", "legacy", "--resolver", resolver, "--trust-anchor", anchor, host]),
    ("vigil dns (DNSSEC-validated, signed zone)", [vigil, "dns", "--format", "json", "--resolver", resolver, "--trust-anchor", anchor, "secure.vigil.test"]),
]
print(f"{'what':<56} {'median ms':>9} {'min':>6} {'max':>6} {'peak RSS MiB':>13}")
for name, args in cases:
    r = [run(args) for _ in range(reps)]
    times = [x[0] * 1000 for x in r]
    print(f"{name:<56} {statistics.median(times):9.0f} {min(times):6.0f} {max(times):6.0f} {max(x[1] for x in r) / 1024:13.1f}")
PY
