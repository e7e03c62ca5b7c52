#!/usr/bin/env bash
# Runs every Vigil test on a fresh machine: installs what the tests need (nginx, openssl,
# sqlite3, chromium for the page tests, wrk for the load test, PostgreSQL, python3-venv and tlslite-ng for the legacy TLS server),
# checks formatting and lints, serves the conformance sites on loopback, then runs the unit,
# fuzz-corpus, hostile-server and conformance tests with the release binary.
#
# Needs root: the conformance sites bind 127.0.0.1:80/443 and add names to /etc/hosts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vigil-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  echo "[test] installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "[test] cargo fmt --check"
cargo fmt --all --check
echo "[test] cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "[test] serving the test servers (HTTP :80/:443, TLS :8443-8467, DNS :53535)"
# Stop at the end only the servers this run started; ones already up stay up.
started=()
for kit in http tls; do
  if ! tests/conformance/$kit/serve.sh status >/dev/null 2>&1; then started+=("tests/conformance/$kit"); fi
done
if ! tests/dns/serve.sh status >/dev/null 2>&1; then started+=("tests/dns"); fi
stop_started() {
  for dir in "${started[@]}"; do "$dir/serve.sh" stop >/dev/null 2>&1 || true; done
}
trap stop_started EXIT
tests/conformance/http/serve.sh start
tests/conformance/tls/serve.sh start
tests/dns/serve.sh start   # knot on 127.0.0.1:53535 and [::1]:53535: signed, unsigned, bogus zones
# PostgreSQL on 127.0.0.1:54329 for the store and multi-worker tests (installed from apt when
# missing); SQLite needs nothing.
VIGIL_TEST_POSTGRES="$(bash scripts/postgres.sh start)"
export VIGIL_TEST_POSTGRES
# The monitor tests' fleet: i0001…i0400.fleet.test and a few special names on 127.0.0.1 (each
# test starts its own nginx for them on free ports).
bash tests/fleet/serve.sh hosts 400

echo "[test] cargo test (release profile: the conformance cases run the release binary)"
# The server-backed tests are #[ignore]d so that a plain `cargo test` reports them as ignored,
# not passed; here the servers run, so they all run. VIGIL_CONFORMANCE=1 also makes tests that
# would skip on a machine without ::1 fail instead.
log="$(mktemp)"
status=0
VIGIL_CONFORMANCE=1 cargo test --release --workspace --all-targets --no-fail-fast -- --include-ignored 2>&1 | tee "$log" || status=$?
# One closing line over every test binary, so the total is the last thing printed, also when
# something failed (the exit status is cargo's; --no-fail-fast runs every binary).
awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) g += $(i-1) } }
     END { printf "all tests: %d passed, %d failed, %d ignored\n", p, f, g }' "$log"
rm -f "$log"
exit "$status"
