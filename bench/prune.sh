#!/usr/bin/env bash
# bench/prune.sh: how long `vigil prune` takes on a store the size a big list reaches, on SQLite
# and on PostgreSQL. 30,000 instances; CHECKS old uptime checks (default 2,000,000: what 30,000
# instances at a 5-minute interval write in under six days) and SCANS old scans with a 16 KB
# report and 4 KB of evidence each, all past the default retention, plus as many recent
# checks that must stay. Rows are written straight into the database (the figures are about
# pruning, not scanning).
#
#   bench/prune.sh        CHECKS=2000000 SCANS=30000
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKS="${CHECKS:-2000000}"
SCANS="${SCANS:-30000}"
N=30000
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vigil-target}"
WORK="${WORK:-/var/tmp/vigil-bench/prune}"
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
cargo build --release -p vigil-cli >/dev/null 2>&1 || cargo build --release -p vigil-cli
V="$CARGO_TARGET_DIR/release/vigil"
rm -rf "$WORK" && mkdir -p "$WORK"
names="$WORK/names.txt"
for ((i = 1; i <= N; i++)); do printf 'i%05d.bench.example\n' "$i"; done >"$names"
now=$(date +%s)
old=$((now - 200 * 86400))
recent=$((now - 3600))

# The rows, as SQL for each database (host names i00001…i30000.bench.example).
fill() { # kind
  local host
  if [ "$1" = sqlite ]; then
    host="'i' || substr('0000' || ((i % $N) + 1), -5) || '.bench.example'"
    cat <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CHECKS)
INSERT INTO checks (host, checked_at, up, void) SELECT $host, $old + i, 1, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CHECKS)
INSERT INTO checks (host, checked_at, up, void) SELECT $host, $recent, 1, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $SCANS)
INSERT INTO scans (host, scanned_at, worker, reachable, report, evidence, algorithm)
SELECT $host, $old + i, 'bench', 1, printf('%.16384c', 'r'), randomblob(4096), 'bench' FROM n;
SQL
  else
    host="'i' || lpad(((i % $N) + 1)::text, 5, '0') || '.bench.example'"
    cat <<SQL
INSERT INTO checks (host, checked_at, up, void) SELECT $host, $old + i, 1, 0 FROM generate_series(1, $CHECKS) AS i;
INSERT INTO checks (host, checked_at, up, void) SELECT $host, $recent, 1, 0 FROM generate_series(1, $CHECKS) AS i;
INSERT INTO scans (host, scanned_at, worker, reachable, report, evidence, algorithm)
SELECT $host, $old + i, 'bench', 1, repeat('r', 16384), decode(repeat('00', 4096), 'hex'), 'bench' FROM generate_series(1, $SCANS) AS i;
SQL
  fi
}

bench_db() { # kind url
  local kind="$1" db="$2" t0 t1 said
  "$V" instances import --database "$db" "$names" >/dev/null
  if [ "$kind" = sqlite ]; then fill sqlite | sqlite3 "$db"; else fill postgres | psql -q "$db" >/dev/null; fi
  t0=$(date +%s.%N)
  said="$(/usr/bin/time -f '%M' -o "$WORK/rss-$kind" "$V" prune --database "$db")"
  t1=$(date +%s.%N)
  local left
  if [ "$kind" = sqlite ]; then
    left="$(sqlite3 "$db" 'SELECT COUNT(*) FROM checks')"
  else
    left="$(psql -qAt "$db" -c 'SELECT COUNT(*) FROM checks')"
  fi
  printf '| %s | %s old checks, %s old scans | %.1f s | %s MiB | %s; %s recent checks left |\n' \
    "$kind" "$CHECKS" "$SCANS" "$(echo "$t1 - $t0" | bc)" "$(($(cat "$WORK/rss-$kind") / 1024))" "$said" "$left"
}

echo "| database | store | prune took | peak RSS | result |"
echo "|---|---|---|---|---|"
bench_db sqlite "$WORK/list.db"
if pg="$(bash scripts/postgres.sh start 2>/dev/null)"; then
  base="${pg%/*}"
  psql -q "$pg" -c "DROP DATABASE IF EXISTS bench_prune WITH (FORCE)" -c "CREATE DATABASE bench_prune" >/dev/null
  bench_db postgres "$base/bench_prune"
  psql -q "$pg" -c "DROP DATABASE IF EXISTS bench_prune WITH (FORCE)" >/dev/null
fi
rm -rf "$WORK"
