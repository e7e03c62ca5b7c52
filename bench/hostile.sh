#!/usr/bin/env bash
# Benchmark: `vigil scan` and the reference MDN HTTP Observatory CLI (1.4.8) on hostile pages
# (a million nested <div>s, 100,000 meta policies, half a million attributes, deep templates,
# 100,000 scripts, piled-up formatting elements, deep SVG, a trickling body), served by
# bench/hostile.py on 127.0.0.20-27:80 under hostile-<shape>.test names added to /etc/hosts for
# the run (root needed). Prints a markdown table of wall time and peak RSS. Knobs: SHAPES,
# REF_TIMEOUT (seconds before the reference is stopped, default 180), VIGIL_BENCH_REF.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vigil-target}"
REF="${VIGIL_BENCH_REF:-/var/tmp/vigil-bench/observatory}"
PKG="$REF/node_modules/@mdn/mdn-http-observatory"
BASE=127.0.0.20
SHAPES_ALL="divs metas attributes templates scripts formatting svg trickle"

if [ ! -f "$PKG/src/scan.js" ]; then
  command -v npm >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
  mkdir -p "$REF"
  (cd "$REF" && npm install --silent --no-audit --no-fund --ignore-scripts @mdn/mdn-http-observatory@1.4.8)
fi
[ -f "$PKG/conf/hsts-preload.json" ] || cp "$ROOT/tests/conformance/http/data/hsts-preload.json" "$PKG/conf/"
(cd "$ROOT" && cargo build --release -q -p vigil-cli)

MARK="# vigil-bench-hostile"
cleanup() { sed -i "/$MARK\$/d" /etc/hosts; }
trap cleanup EXIT
cleanup
i=20
for s in $SHAPES_ALL; do
  echo "127.0.0.$i hostile-$s.test $MARK" >> /etc/hosts
  i=$((i + 1))
done
echo "vigil:     $("$CARGO_TARGET_DIR/release/vigil" --version)"
echo "reference: @mdn/mdn-http-observatory $(node -p "require('$PKG/package.json').version"), node $(node --version)"
echo "machine:   $(nproc) cores, $(uname -sr)"
echo
python3 "$ROOT/bench/hostile.py" "$CARGO_TARGET_DIR/release/vigil" "$PKG/src/scan.js" "$BASE"
