#!/usr/bin/env bash
# Benchmark: the monitor of `vigil serve` against a local fleet (tests/fleet/serve.sh: one nginx
# answering every iNNNN.fleet.test on 127.0.0.1 like a small Mastodon). Needs root (it writes the
# fleet names into /etc/hosts and puts the 400 names the tests expect back at exit). Everything
# stays on loopback: names come from /etc/hosts, DNS questions go to the knot test server on
# 127.0.0.1:53535 (never the system resolver), and the API run serves without the monitor, so the
# names that are not in /etc/hosts are never looked up.
#
# Four measurements (bench/monitor.py does the work and prints a summary table):
#   1. full reports per hour: N_SCAN names imported into a fresh SQLite file, `vigil serve` with
#      every scan due at once, for SCAN_SECONDS or until all are scanned, at each of
#      SCAN_CONCURRENCIES; peak RSS of vigil, CPU of vigil and of nginx
#   2. uptime checks per second: a fresh file, scans pushed a month out, every check due at once,
#      --check-interval CHECK_INTERVAL, CHECK_SECONDS at each of CHECK_CONCURRENCIES
#   3. database size per 1,000 scans (after a TRUNCATE checkpoint), from run 1
#   4. list API latency with N_LIST instances (the scans of run 1 plus unscanned names),
#      `vigil serve --no-monitor`, wrk --latency (API_SECONDS per URL, API_CONNECTIONS
#      connections) or a Python client (API_REQUESTS per URL) when wrk is missing
#
# Knobs (environment): N_SCAN=10000 N_LIST=30000 SCAN_SECONDS=300 SCAN_CONCURRENCIES="8 32"
# CHECK_SECONDS=120 CHECK_INTERVAL=60s CHECK_CONCURRENCIES="64 256" API_SECONDS=10
# API_CONNECTIONS=8 API_REQUESTS=3000 API_CLIENT=wrk|python PHASES="scan check api"
# WORK=/var/tmp/vigil-bench/monitor FLEET_HTTP_PORT, FLEET_HTTPS_PORT, API_PORT (free ports)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vigil-target}"
export WORK="${WORK:-/var/tmp/vigil-bench/monitor}"
export N_SCAN="${N_SCAN:-10000}" N_LIST="${N_LIST:-30000}"
# Free loopback ports unless given (tests running beside the bench take ports of their own).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export FLEET_HTTP_PORT="${FLEET_HTTP_PORT:-$(free_port)}" FLEET_HTTPS_PORT="${FLEET_HTTPS_PORT:-$(free_port)}"
export API_PORT="${API_PORT:-$(free_port)}"
FLEET="$ROOT/tests/fleet/serve.sh"
DNS="$ROOT/tests/dns/serve.sh"
NGINX_DIR="$WORK/nginx"

[ "$(id -u)" = 0 ] || { echo "monitor.sh: run me as root (I edit /etc/hosts)" >&2; exit 1; }
[ "$N_LIST" -ge "$N_SCAN" ] || { echo "monitor.sh: N_LIST must be at least N_SCAN" >&2; exit 1; }
VIGIL="$CARGO_TARGET_DIR/release/vigil"
[ -x "$VIGIL" ] && "$VIGIL" serve --help >/dev/null 2>&1 || (cd "$ROOT" && cargo build --release -q -p vigil-cli)

cleanup() {
  local pid
  # A vigil the Python side left behind (it writes the pid of the one it runs).
  if pid="$(cat "$WORK/vigil.pid" 2>/dev/null)" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$WORK/vigil.pid"
  bash "$FLEET" stop "$NGINX_DIR" || true
  bash "$FLEET" hosts 400 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK" "$NGINX_DIR"
bash "$DNS" start >/dev/null
bash "$FLEET" hosts "$N_SCAN"
bash "$FLEET" names "$N_SCAN" >"$WORK/names-scan.txt"
bash "$FLEET" names "$N_LIST" >"$WORK/names-list.txt"
bash "$FLEET" start "$NGINX_DIR" "$FLEET_HTTP_PORT" "$FLEET_HTTPS_PORT"
# One binary for the whole run, even if the build directory changes meanwhile.
cp "$VIGIL" "$WORK/vigil"
VIGIL="$WORK/vigil"
export CA="$(bash "$FLEET" ca)" RESOLVER="$(bash "$DNS" addr)" VIGIL

echo "vigil:   $("$VIGIL" --version) ($(sha256sum "$VIGIL" | cut -c1-12), built $(date -ur "$CARGO_TARGET_DIR/release/vigil" '+%F %T UTC'))"
echo "machine: $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2}') MiB memory, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nginx:   $(nginx -v 2>&1 | sed 's/^nginx version: //'), fleet on 127.0.0.1:$FLEET_HTTP_PORT/$FLEET_HTTPS_PORT"
if command -v wrk >/dev/null; then echo "wrk:     $(wrk -v 2>&1 | head -1 || true)"; else echo "wrk:     not installed (Python client)"; fi
echo
python3 "$ROOT/bench/monitor.py"
