#!/usr/bin/env bash
# bench/web.sh: the public list's latency and throughput with 30,000 instances in the store,
# on SQLite and on PostgreSQL: the list page (100 rows), the list API (100 rows), the instance
# list sorted by another column, and a rendered badge. wrk (Debian) drives them on loopback.
#
#   bench/web.sh            N=30000 DURATION=10s CONNECTIONS=8 THREADS=2
#
# The instances get realistic summary columns written straight into the database (the figures
# are about reading the list, not scanning; bench/monitor.sh measures scanning).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-30000}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-8}"
THREADS="${THREADS:-2}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vigil-target}"
WORK="${WORK:-/var/tmp/vigil-bench/web}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
cargo build --release -p vigil-cli >/dev/null 2>&1 || cargo build --release -p vigil-cli
V="$CARGO_TARGET_DIR/release/vigil"
rm -rf "$WORK" && mkdir -p "$WORK"
names="$WORK/names.txt"
# Badges of random names out of ten million (nearly all unknown, so nearly every request misses
# the badge cache and reads the store: one index lookup, as for a listed host).
cat >"$WORK/random-badge.lua" <<'LUA'
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("/badge/r%07d.bench.example.svg", math.random(1, 9999999)))
end
LUA
for ((i = 1; i <= N; i++)); do printf 'i%05d.bench.example\n' "$i"; done >"$names"

# Summary columns as the monitor writes them, spread over the grades (shared with the load test).
fill_sql() { cat tests/load/fill.sql; }

run_wrk() { # label url [lua script]
  local out script=()
  [ -n "${3:-}" ] && script=(-s "$3")
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${script[@]}" "$2" 2>&1)"
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  printf '| %s | %s | %s | %s | %s |\n' "$DB_KIND" "$1" "$p50" "$p99" "$rps"
}

# Background writes shaped like the monitor's uptime checks, on $DB_KIND at $db_url.
start_churn() {
  local checks="${CHURN:-100}"
  if [ "$DB_KIND" = sqlite ]; then
    python3 - "$db_url" "$checks" "$N" <<'PY' &
import random, sqlite3, sys, time
db, rate, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db, timeout=5, isolation_level=None)
c.execute("PRAGMA busy_timeout = 5000")
t, i = time.time(), 0
while True:
    host = "i%05d.bench.example" % random.randint(1, n)
    c.execute("UPDATE instances SET check_owner = 'bench', check_lease_until = next_check_at + 60 WHERE host = ?", (host,))
    c.execute("UPDATE instances SET check_owner = NULL, check_lease_until = NULL, next_check_at = next_check_at + 300, "
              "last_check_at = next_check_at, up = 1, last_latency_ms = 42 WHERE host = ?", (host,))
    i += 1
    time.sleep(max(0.0, t + i / rate - time.time()))
PY
  else
    psql -q "$db_url" >/dev/null 2>&1 <<SQL &
DO \$\$
DECLARE h text; i bigint := 0; t0 timestamptz := clock_timestamp();
BEGIN
  LOOP
    h := format('i%s.bench.example', lpad((1 + floor(random() * $N))::int::text, 5, '0'));
    UPDATE instances SET check_owner = 'bench', check_lease_until = next_check_at + 60 WHERE host = h;
    COMMIT;
    UPDATE instances SET check_owner = NULL, check_lease_until = NULL, next_check_at = next_check_at + 300,
      last_check_at = next_check_at, up = 1, last_latency_ms = 42 WHERE host = h;
    COMMIT;
    i := i + 1;
    PERFORM pg_sleep(greatest(0, extract(epoch FROM t0 - clock_timestamp()) + i::float8 / $checks));
  END LOOP;
END
\$\$;
SQL
  fi
  churn_pid=$!
}
stop_churn() {
  kill "$churn_pid" 2>/dev/null; wait "$churn_pid" 2>/dev/null || true
  if [ "$DB_KIND" = postgres ]; then
    psql -q "$db_url" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'DO %' AND pid <> pg_backend_pid()" >/dev/null
  fi
}

bench_db() { # kind url
  DB_KIND="$1"
  local db="$2" port
  db_url="$db"
  port=$((20000 + RANDOM % 20000))
  local t0 t1
  t0=$(date +%s.%N)
  "$V" instances import --database "$db" "$names" >/dev/null
  t1=$(date +%s.%N)
  echo "[web] $DB_KIND: imported $N names in $(echo "$t1 - $t0" | bc) s" >&2
  if [ "$DB_KIND" = sqlite ]; then
    fill_sql | sqlite3 "$db"
  else
    fill_sql | psql -q "$db" >/dev/null
    # The fill rewrote every row at once; autovacuum would clean and re-analyze the table within
    # a minute, and measuring while it runs measures autovacuum. Steady state is after it.
    psql -q "$db" -c "VACUUM ANALYZE instances" >/dev/null
  fi
  "$V" serve --no-monitor --database "$db" --listen "127.0.0.1:$port" >"$WORK/serve-$DB_KIND.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local b="http://127.0.0.1:$port"
  # Warm up first (the pool's connections, the database's caches, the first list total), so
  # the first row measures the steady state as the later ones do.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$b/?limit=100" >/dev/null 2>&1 || true
  run_wrk "list page, 100 rows (/?limit=100)" "$b/?limit=100"
  run_wrk "list page, page 150 sorted by uptime" "$b/?limit=100&sort=uptime&offset=15000"
  run_wrk "list API, 100 rows" "$b/api/v1/instances?limit=100"
  run_wrk "list API, sorted by TLS, offset 20000" "$b/api/v1/instances?limit=100&sort=tls&offset=20000"
  run_wrk "badge SVG, one host (the 30 s badge cache)" "$b/badge/i00042.bench.example.svg"
  run_wrk "badge SVG, random unknown names (a store read each)" "$b/" "$WORK/random-badge.lua"
  # Eight connections saturate the two cores (wrk, the server and PostgreSQL share them), so
  # the badge's p99 above is mostly waiting for a core; one connection shows its own latency.
  THREADS=1 CONNECTIONS=1 run_wrk "badge SVG, one host, one connection" "$b/badge/i00042.bench.example.svg"
  THREADS=1 CONNECTIONS=1 run_wrk "badge SVG, random unknown names, one connection" "$b/" "$WORK/random-badge.lua"
  # The same list pages while rows change as a running monitor changes them: 100 uptime checks
  # a second (30,000 instances every 5 minutes), each a claim and a record of one random row.
  # On PostgreSQL changed rows leave heap pages not all-visible until autovacuum passes, so an
  # index-only scan has to visit the table; CHURN_WARMUP lets it reach its steady state first.
  start_churn
  sleep "${CHURN_WARMUP:-70}"
  run_wrk "list page, 100 rows, monitor writing" "$b/?limit=100"
  run_wrk "list page, page 150 sorted by uptime, monitor writing" "$b/?limit=100&sort=uptime&offset=15000"
  run_wrk "list API, sorted by TLS, offset 20000, monitor writing" "$b/api/v1/instances?limit=100&sort=tls&offset=20000"
  stop_churn
  grep -m1 "VmHWM" "/proc/$pid/status" | awk -v k="$DB_KIND" '{print "[web] " k ": peak RSS of serve " $2/1024 " MiB"}' >&2
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}

echo "| database | request | p50 | p99 | requests/s |"
echo "|---|---|---|---|---|"
bench_db sqlite "$WORK/list.db"
if pg="$(bash scripts/postgres.sh start 2>/dev/null)"; then
  base="${pg%/*}"
  psql -q "$pg" -c "DROP DATABASE IF EXISTS bench_web WITH (FORCE)" -c "CREATE DATABASE bench_web" >/dev/null
  bench_db postgres "$base/bench_web"
fi
