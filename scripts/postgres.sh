#!/usr/bin/env bash
# A throwaway PostgreSQL for vigil-store's tests, on 127.0.0.1:54329 only.
# Usage: scripts/postgres.sh start|stop|status|url   (idempotent; start prints the URL)
# The server runs as the `postgres` user with its data in $VIGIL_PG_DIR (default /var/tmp/vigil-pg);
# the role `vigil` may create databases and is trusted on 127.0.0.1, so tests need no password.
set -euo pipefail
PORT="${VIGIL_PG_PORT:-54329}"
DATA="${VIGIL_PG_DIR:-/var/tmp/vigil-pg}"
URL="postgres://vigil@127.0.0.1:${PORT}/vigil_test"

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

as_pg() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

ensure_installed() {
  if ! pg_bin >/dev/null; then
    echo "[postgres] installing postgresql" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  # Debian's package starts its own cluster on 5432; it is not ours, so leave it alone.
}

running() {
  local bin
  bin="$(pg_bin)" || return 1
  [ -f "$DATA/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
  ensure_installed
  local bin
  bin="$(pg_bin)"
  if ! [ -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    chown postgres:postgres "$DATA"
    chmod 700 "$DATA"
    as_pg "$bin/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=trust \
      -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! running; then
    # fsync off: test data only, and it makes CREATE DATABASE per test fast.
    as_pg "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
      -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
      start >/dev/null
  fi
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt <<'SQL' >/dev/null
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil') THEN
    CREATE ROLE vigil LOGIN CREATEDB;
  END IF;
END $$;
-- Tests drop their databases WITH (FORCE); that must be able to end an autovacuum worker.
GRANT pg_signal_backend TO vigil;
SQL
  if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAt \
    -c "SELECT 1 FROM pg_database WHERE datname = 'vigil_test'" | grep -q 1; then
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U postgres -O vigil vigil_test
  fi
  echo "$URL"
}

stop() {
  local bin
  if bin="$(pg_bin)" && running; then
    as_pg "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running: $URL"; else echo "stopped"; exit 1; fi ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
