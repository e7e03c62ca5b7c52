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
for ((i = 1; i <= N; i++)); do printf 'i%05d.bench.example\n' "$i"; done >"$names"

# Summary columns as the monitor writes them, spread over the grades.
fill_sql() {
  cat <<'SQL'
UPDATE instances SET
  last_scan_id = 1, last_scan_at = 1796500000 + (length(host) * 7919 + unicode(substr(host, 2, 1)) * 31 + CAST(substr(host, 2, 5) AS INTEGER)) % 86400,
  rating_score = CAST(substr(host, 2, 5) AS INTEGER) % 101,
  observatory_score = CAST(substr(host, 2, 5) AS INTEGER) % 146,
  reachable = 1, up = 1, checks_30d = 8640, up_30d = 8600, checks_90d = 25920, up_90d = 25800,
  uptime_30d_ppm = 995370, uptime_90d_ppm = 995370,
  ipv6 = 'reachable', dnssec = 'insecure', software = 'mastodon', version = '4.5.3',
  version_verdict = 'outdated', open_registrations = 1;
UPDATE instances SET rating_grade = CASE
  WHEN rating_score >= 95 THEN 'A+' WHEN rating_score >= 85 THEN 'A' WHEN rating_score >= 75 THEN 'B'
  WHEN rating_score >= 65 THEN 'C' WHEN rating_score >= 55 THEN 'D' WHEN rating_score >= 45 THEN 'E' ELSE 'F' END,
  observatory_grade = CASE WHEN observatory_score >= 100 THEN 'A+' WHEN observatory_score >= 90 THEN 'A'
  WHEN observatory_score >= 70 THEN 'B' WHEN observatory_score >= 50 THEN 'C' WHEN observatory_score >= 30 THEN 'D' ELSE 'F' END,
  tls_grade = CASE WHEN rating_score % 3 = 0 THEN 'A+' WHEN rating_score % 3 = 1 THEN 'A' ELSE 'B' END;
UPDATE instances SET
  rating_rank = CASE rating_grade WHEN 'A+' THEN 22 WHEN 'A' THEN 21 WHEN 'B' THEN 18 WHEN 'C' THEN 15 WHEN 'D' THEN 12 WHEN 'E' THEN 9 ELSE 6 END,
  tls_rank = CASE tls_grade WHEN 'A+' THEN 22 WHEN 'A' THEN 21 ELSE 18 END;
SQL
}

run_wrk() { # label url
  local out
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2" 2>&1)"
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  printf '| %s | %s | %s | %s | %s |\n' "$DB_KIND" "$1" "$p50" "$p99" "$rps"
}

bench_db() { # kind url
  DB_KIND="$1"
  local db="$2" port
  port=$((20000 + RANDOM % 20000))
  local t0 t1
  t0=$(date +%s.%N)
  "$V" instances import --database "$db" "$names" >/dev/null
  t1=$(date +%s.%N)
  echo "[web] $DB_KIND: imported $N names in $(echo "$t1 - $t0" | bc) s" >&2
  if [ "$DB_KIND" = sqlite ]; then
    fill_sql | sed 's/unicode(substr(host, 2, 1))/0/' | sqlite3 "$db"
  else
    fill_sql | sed 's/unicode(substr(host, 2, 1))/0/; s/length(host)/length(host)::int/' | psql -q "$db" >/dev/null
  fi
  "$V" serve --no-monitor --database "$db" --listen "127.0.0.1:$port" >"$WORK/serve-$DB_KIND.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local b="http://127.0.0.1:$port"
  run_wrk "list page, 100 rows (/?limit=100)" "$b/?limit=100"
  run_wrk "list page, page 150 sorted by uptime" "$b/?limit=100&sort=uptime&offset=15000"
  run_wrk "list API, 100 rows" "$b/api/v1/instances?limit=100"
  run_wrk "list API, sorted by TLS, offset 20000" "$b/api/v1/instances?limit=100&sort=tls&offset=20000"
  run_wrk "badge SVG" "$b/badge/i00042.bench.example.svg"
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
