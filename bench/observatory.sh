#!/usr/bin/env bash
# Benchmark: `vigil scan` against the reference MDN HTTP Observatory CLI (1.4.8) on the
# conformance sites, served by tests/conformance/http/serve.sh on loopback. Needs root (the
# sites bind 127.0.0.1:80/443). Prints per-site times, ratios and agreement, then a 100-site
# `--hosts-file` run. Knobs: REPS, BENCH_CASES, HOSTS_N (see bench/observatory.py), and
# VIGIL_BENCH_REF, the directory the reference is installed into (npm, --ignore-scripts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vigil-target}"
REF="${VIGIL_BENCH_REF:-/var/tmp/vigil-bench/observatory}"
PKG="$REF/node_modules/@mdn/mdn-http-observatory"
SERVE="$ROOT/tests/conformance/http/serve.sh"

if [ ! -f "$PKG/src/scan.js" ]; then
  command -v npm >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
  mkdir -p "$REF"
  (cd "$REF" && npm install --silent --no-audit --no-fund --ignore-scripts @mdn/mdn-http-observatory@1.4.8)
fi
# --ignore-scripts skips the step that downloads the preload list; give it the same list Vigil's
# conformance data was recorded with.
[ -f "$PKG/conf/hsts-preload.json" ] || cp "$ROOT/tests/conformance/http/data/hsts-preload.json" "$PKG/conf/"

(cd "$ROOT" && cargo build --release -q -p vigil-cli)
bash "$SERVE" start >/dev/null
# The full-report batch asks the loopback knot server, never the system resolver.
bash "$ROOT/tests/dns/serve.sh" start >/dev/null
export RESOLVER="$(bash "$ROOT/tests/dns/serve.sh" addr)" ANCHOR="$(bash "$ROOT/tests/dns/serve.sh" anchor)"
echo "vigil:     $("$CARGO_TARGET_DIR/release/vigil" --version)"
echo "reference: @mdn/mdn-http-observatory $(node -p "require('$PKG/package.json').version"), node $(node --version)"
echo "machine:   $(nproc) cores, $(uname -sr)"
echo
exec python3 "$ROOT/bench/observatory.py" "$CARGO_TARGET_DIR/release/vigil" "$PKG/src/scan.js" \
  "$(bash "$SERVE" ca)" "$ROOT/tests/conformance/http/cases"
