#!/usr/bin/env bash
# Benchmark: `vigil tls` against sslyze, testssl.sh and sslscan on the 19 TLS conformance servers
# (tests/conformance/tls, tls-oracle.test:8443-8467 on loopback). Every tool runs as a whole
# process on the same servers in one run; bench/tls.py prints the wall times, the ratios
# peer/vigil and which facts of each case's facts.json each tool found.
#
# Installs what is missing: sslscan and testssl.sh from Debian (apt-get, needs root), sslyze from
# PyPI into a venv under $VIGIL_BENCH_DIR/sslyze, and builds vigil (release) only when the binary
# is absent. Starts the conformance servers when they are not running (root the first time).
#
# Knobs: REPS (3), TESTSSL=0 (leave testssl.sh out), TESTSSL_REPS (1), TESTSSL_TIMEOUT (600 s a
# run), TESTSSL_CASES / BENCH_CASES (words selecting cases), TESTSSL_ARGS (-9), TOOL_TIMEOUT,
# BENCH_KEEP (directory for the raw outputs): see bench/tls.py. VIGIL_BIN (default
# $CARGO_TARGET_DIR/release/vigil), VIGIL_BENCH_DIR (/var/tmp/vigil-bench), SSLYZE_VERSION (6.3.1).
#
# Only loopback is scanned: every target is tls-oracle.test, which serve.sh maps to 127.0.0.1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vigil-target}"
VIGIL_BIN="${VIGIL_BIN:-$CARGO_TARGET_DIR/release/vigil}"
BENCH_DIR="${VIGIL_BENCH_DIR:-/var/tmp/vigil-bench}"
SSLYZE_VERSION="${SSLYZE_VERSION:-6.3.1}"
SSLYZE_VENV="$BENCH_DIR/sslyze"
TESTSSL="${TESTSSL:-1}"
export TESTSSL
TLS_DIR="$ROOT/tests/conformance/tls"

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "tls.sh: missing $*; install with: sudo apt-get install $*" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

need=()
command -v sslscan >/dev/null 2>&1 || need+=(sslscan)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "$TESTSSL" != 0 ] && ! command -v testssl >/dev/null 2>&1; then need+=(testssl.sh); fi
if [ ! -x "$SSLYZE_VENV/bin/sslyze" ] && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  need+=(python3-venv)
fi
[ "${#need[@]}" -eq 0 ] || apt_install "${need[@]}"

if [ ! -x "$SSLYZE_VENV/bin/sslyze" ]; then
  mkdir -p "$BENCH_DIR"
  python3 -m venv "$SSLYZE_VENV"
  "$SSLYZE_VENV/bin/pip" install -q --disable-pip-version-check "sslyze==$SSLYZE_VERSION"
fi

if [ ! -x "$VIGIL_BIN" ]; then
  (cd "$ROOT" && cargo build --release -q -p vigil-cli)
  VIGIL_BIN="$CARGO_TARGET_DIR/release/vigil"
fi

bash "$TLS_DIR/serve.sh" status >/dev/null 2>&1 || bash "$TLS_DIR/serve.sh" start >/dev/null
CA="$(bash "$TLS_DIR/serve.sh" ca)"

echo "vigil:    $("$VIGIL_BIN" --version) ($VIGIL_BIN)"
echo "sslyze:   $("$SSLYZE_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("sslyze"))') (PyPI, $("$SSLYZE_VENV/bin/python" --version))"
if [ "$TESTSSL" != 0 ]; then
  echo "testssl:  $(dpkg-query -W -f='${Version}' testssl.sh 2>/dev/null || echo '?') (Debian), args: ${TESTSSL_ARGS:--9}"
fi
echo "sslscan:  $(dpkg-query -W -f='${Version}' sslscan 2>/dev/null || echo '?') (Debian), $(sslscan --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'OpenSSL [0-9.a-z]*' | head -1)"
echo "openssl:  $(openssl version)"
echo "machine:  $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "started:  $(date -u '+%Y-%m-%d %H:%M UTC'), REPS=${REPS:-3}, TESTSSL_REPS=${TESTSSL_REPS:-1}"
echo

exec python3 "$ROOT/bench/tls.py" "$VIGIL_BIN" "$SSLYZE_VENV/bin/sslyze" "$CA" "$TLS_DIR/cases"
