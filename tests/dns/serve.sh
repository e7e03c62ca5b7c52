#!/usr/bin/env bash
# serve.sh: owns the loopback authoritative DNS server that vigil-dns's tests query.
#
#   serve.sh start      install knot/bind9-utils/openssl if missing, make the DNSSEC keys (once),
#                       write and sign the zones (every start, so signatures never run out),
#                       start knotd on 127.0.0.1 and ::1 (or reload it when it already runs)
#   serve.sh stop       stop the knotd this state directory started; nothing else
#   serve.sh status     one line; exit 0 only when knotd runs and answers for secure.vigil.test
#   serve.sh anchor     print the path of the trust anchor file (vigil.test. DNSKEY)
#   serve.sh anchor-ds  print the path of the same anchor as a DS record
#   serve.sh anchor-for ZONE   the DNSKEY anchor file of ZONE (vigil.test, nsec.vigil.test, other.test)
#   serve.sh delv-anchor ZONE  the same anchor as a delv/BIND trust-anchors file (the tests' oracle)
#   serve.sh addr       print the server address (127.0.0.1:PORT)
#
# Zones served (all but dane have A 127.0.0.1, AAAA ::1, CAA 0 issue "letsencrypt.org", and a TLSA
# 3 1 1 record at _443._tcp whose digest is the SPKI SHA-256 of ./tlsa-cert.pem):
#   vigil.test.           signed parent; its KSK is the trust anchor (there is no real root chain)
#   secure.vigil.test.    signed, DS in the parent                          -> secure
#   bogus.vigil.test.     signed, DS in the parent, but its A record was changed after signing
#                         (127.0.0.1 -> 127.0.0.2), so the A RRSIG does not verify -> bogus
#   insecure.vigil.test.  unsigned; the parent delegates to it without DS, and the parent's signed
#                         NSEC at the delegation proves the DS is absent          -> insecure
#   nsec.vigil.test.      signed with NSEC, plus names that need denial proofs: noaaaa (A only,
#                         with _443._tcp.noaaaa and b.noaaaa below it), *.wild  -> secure
#   nsec3.vigil.test.     the same names, signed with NSEC3                      -> secure
#   nsec3iter.vigil.test. the same again, NSEC3 with a salt and 150 iterations -> secure
#   dane.vigil.test.      uUsSmM names with TLSA U S M for every usage/selector/matching type,
#                         against dane-leaf.pem (usages 1, 3) and dane-ca.pem (0, 2) -> secure
#   expired.vigil.test.   signed with signatures that ran out a day ago         -> bogus
#   badds.vigil.test.     signed, but the parent's DS is that of a key the zone never uses -> bogus
#   other.test.           signed, outside vigil.test.: indeterminate under the vigil.test. anchor
# A validator needs the parent for the insecure case: with an anchor only at secure.vigil.test. a
# name outside it could not be proved insecure (no anchor covers it: indeterminate).
#
# Everything generated lives in ${VIGIL_TEST_STATE:-/tmp/vigil-test}/dns; this script never writes
# next to itself. Layout: keys/ (dnssec-keygen output, kept across starts so the anchor is stable),
# zones/ (sources and signed files), knot.conf, db/ (knot's databases), run/ (pid, control
# socket, log), anchor.key and anchor-ds.txt. Port: VIGIL_DNS_PORT, default 53535. Root is needed
# only to install packages.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin" # knotd and knotc live in sbin

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${VIGIL_TEST_STATE:-/tmp/vigil-test}/dns"
PORT="${VIGIL_DNS_PORT:-53535}"
PARENT=vigil.test
CHILDREN=(secure.vigil.test bogus.vigil.test insecure.vigil.test nsec.vigil.test nsec3.vigil.test
  nsec3iter.vigil.test dane.vigil.test expired.vigil.test badds.vigil.test)
SIGNED_CHILDREN=(secure.vigil.test bogus.vigil.test nsec.vigil.test nsec3.vigil.test
  nsec3iter.vigil.test dane.vigil.test expired.vigil.test badds.vigil.test)
OTHER=other.test # signed, but outside the vigil.test. anchor (no parent serves a DS for it)
ANCHORED=("$PARENT" nsec.vigil.test "$OTHER") # zones with an anchor file (anchors/ZONE.key, ZONE.delv.conf)
TLSA_CERT="$HERE/tlsa-cert.pem"
DANE_LEAF="$HERE/dane-leaf.pem"
DANE_CA="$HERE/dane-ca.pem"
SIG_VALIDITY=2592000 # 30 days; every start re-signs
TTL=300

say() { echo "serve.sh: $*" >&2; }
die() { echo "serve.sh: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

set_paths() { # after the state directory exists, use its canonical path (compared with /proc/PID/cwd)
  [ -d "$STATE" ] && STATE="$(cd "$STATE" && pwd -P)"
  KEYS="$STATE/keys"
  ZONES="$STATE/zones"
  RUN="$STATE/run"
  CONF="$STATE/knot.conf"
  PIDFILE="$RUN/knotd.pid"
  SOCK="$RUN/knot.sock"
  ANCHOR="$STATE/anchor.key"
  ANCHOR_DS="$STATE/anchor-ds.txt"
}
set_paths

# --- processes --------------------------------------------------------------------------------

# pid_of PIDFILE: prints the pid when that process is alive and was started from this state
# directory (cwd is the state directory or its command line names it), so a recycled pid is never
# mistaken for ours.
pid_of() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" != "$STATE" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE" || return 1
  fi
  echo "$pid"
}

wait_gone() { local _; for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

port_holder() { # who listens on TCP port $1 on loopback; empty when nobody does
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | awk '{print $4, $6}' | head -n 1
  elif (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    echo "127.0.0.1:$1 (unknown process)"
  fi
}

answers() { # the server answers for secure.vigil.test A (a few tries: tests ask in parallel on busy cores)
  local out _
  for _ in 1 2 3 4 5; do
    out="$(dig +short +norec +time=2 +tries=1 -p "$PORT" @127.0.0.1 secure.vigil.test A 2>/dev/null)" || out=""
    [ "$out" = 127.0.0.1 ] && return 0
    sleep 0.2
  done
  return 1
}

# --- tools ------------------------------------------------------------------------------------

install_tools() {
  local missing=()
  command -v knotd >/dev/null 2>&1 || missing+=(knot)
  command -v dnssec-signzone >/dev/null 2>&1 || missing+=(bind9-utils)
  command -v dig >/dev/null 2>&1 || missing+=(bind9-dnsutils)
  command -v delv >/dev/null 2>&1 || missing+=(bind9-dnsutils) # the tests' validating oracle
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
  [ ${#missing[@]} = 0 ] && return 0
  is_root || die "missing ${missing[*]}: run me as root to install them with apt-get"
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  command -v knotd >/dev/null 2>&1 || die "knotd still missing after installing knot"
}

# --- keys and zones ---------------------------------------------------------------------------

# key_file ZONE KSK|ZSK: the base name (keys/K...) of the zone's key, made once.
key_file() {
  local zone="$1" kind="$2" f
  for f in "$KEYS"/K"$zone".+013+*.key; do
    [ -f "$f" ] || continue
    if [ "$kind" = KSK ] && grep -q 'DNSKEY 257 ' "$f"; then echo "${f%.key}"; return 0; fi
    if [ "$kind" = ZSK ] && grep -q 'DNSKEY 256 ' "$f"; then echo "${f%.key}"; return 0; fi
  done
  local flags=()
  [ "$kind" = KSK ] && flags=(-f KSK)
  (cd "$KEYS" && dnssec-keygen -q -a ECDSAP256SHA256 "${flags[@]}" -n ZONE "$zone" >/dev/null)
  key_file "$zone" "$kind"
}

ensure_keys() {
  mkdir -p "$KEYS" "$KEYS/stray"
  chmod 700 "$KEYS"
  local z
  for z in "$PARENT" "${SIGNED_CHILDREN[@]}" "$OTHER"; do
    key_file "$z" KSK >/dev/null
    key_file "$z" ZSK >/dev/null
  done
  # badds.vigil.test's parent publishes the DS of this key, which the zone never uses
  if ! ls "$KEYS/stray"/Kbadds.vigil.test.+013+*.key >/dev/null 2>&1; then
    (cd "$KEYS/stray" && dnssec-keygen -q -a ECDSAP256SHA256 -f KSK -n ZONE badds.vigil.test >/dev/null)
  fi
}

tlsa_digest() { # SHA-256 of the SubjectPublicKeyInfo of the fixed test certificate (TLSA 3 1 1)
  openssl x509 -in "$TLSA_CERT" -noout -pubkey | openssl pkey -pubin -outform DER |
    openssl dgst -sha256 -r | cut -d' ' -f1
}

# tlsa_data PEM SELECTOR MATCHING: the certificate association data of a TLSA record, in hex.
tlsa_data() {
  local der
  if [ "$2" = 0 ]; then
    der() { openssl x509 -in "$1" -outform DER; }
  else
    der() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER; }
  fi
  case "$3" in
    0) der "$1" | od -An -v -tx1 | tr -d ' \n' ;;
    1) der "$1" | openssl dgst -sha256 -r | cut -d' ' -f1 ;;
    2) der "$1" | openssl dgst -sha512 -r | cut -d' ' -f1 ;;
  esac
}

# leaf_records ZONE: the records every child zone serves.
leaf_records() {
  cat <<EOF
@        IN A     127.0.0.1
@        IN AAAA  ::1
@        IN CAA   0 issue "letsencrypt.org"
@        IN CAA   0 iodef "mailto:security@$1"
_443._tcp IN TLSA 3 1 1 $TLSA_DIGEST
www      IN A     127.0.0.1
mastodon IN A     127.0.0.1
mastodon IN AAAA  ::1
EOF
}

# proof_records: names whose answers need a denial proof (the NSEC and NSEC3 zones serve them).
proof_records() {
  cat <<EOF
; A but no AAAA and no CAA, with a TLSA below it: _tcp.noaaaa is an empty non-terminal, and
; _443._tcp.noaaaa sorts between noaaaa and any letter-named child
noaaaa   IN A     127.0.0.1
_443._tcp.noaaaa IN TLSA 3 1 1 $TLSA_DIGEST
b.noaaaa IN A     127.0.0.1
; a wildcard: any.wild answers from it, and wild itself is an empty non-terminal
*.wild   IN A     127.0.0.1
*.wild   IN AAAA  ::1
EOF
}

# dane_records: one name per TLSA usage/selector/matching type, each with the association data
# of the certificate that usage is matched against (the leaf for 1 and 3, the CA for 0 and 2).
dane_records() {
  local u s m pem
  echo "@ IN A 127.0.0.1"
  for u in 0 1 2 3; do
    pem="$DANE_LEAF"
    { [ "$u" = 0 ] || [ "$u" = 2 ]; } && pem="$DANE_CA"
    for s in 0 1; do
      for m in 0 1 2; do
        echo "u${u}s${s}m${m} IN A 127.0.0.1"
        echo "_443._tcp.u${u}s${s}m${m} IN TLSA $u $s $m $(tlsa_data "$pem" "$s" "$m")"
      done
    done
  done
  # records that exist but match neither certificate (the CA's key as end entity, the leaf's as
  # trust anchor, another certificate's key), and a set where one of two records matches
  echo "mismatch IN A 127.0.0.1"
  echo "_443._tcp.mismatch IN TLSA 3 1 1 $(tlsa_data "$DANE_CA" 1 1)"
  echo "_443._tcp.mismatch IN TLSA 2 1 1 $(tlsa_data "$DANE_LEAF" 1 1)"
  echo "_443._tcp.mismatch IN TLSA 3 1 1 $TLSA_DIGEST"
  echo "multi IN A 127.0.0.1"
  echo "_443._tcp.multi IN TLSA 3 1 1 $TLSA_DIGEST"
  echo "_443._tcp.multi IN TLSA 3 1 1 $(tlsa_data "$DANE_LEAF" 1 1)"
  echo "none IN A 127.0.0.1"
}

soa() { # soa ZONE
  cat <<EOF
\$ORIGIN $1.
\$TTL $TTL
@ IN SOA ns.$PARENT. hostmaster.$PARENT. $SERIAL 3600 600 86400 $TTL
@ IN NS ns.$PARENT.
EOF
}

write_zones() {
  mkdir -p "$ZONES" "$STATE/anchors"
  SERIAL="$(date +%s)"
  TLSA_DIGEST="$(tlsa_digest)"
  [[ "$TLSA_DIGEST" =~ ^[0-9a-f]{64}$ ]] || die "could not hash $TLSA_CERT"
  local z k
  for z in "${CHILDREN[@]}" "$OTHER"; do
    {
      soa "$z"
      case "$z" in
        dane.*) dane_records ;;
        nsec.* | nsec3.* | nsec3iter.*) leaf_records "$z"; proof_records ;;
        *) leaf_records "$z" ;;
      esac
    } >"$ZONES/$z.zone"
  done
  # Children first: the parent needs their DS records.
  for z in "${SIGNED_CHILDREN[@]}" "$OTHER"; do
    case "$z" in
      nsec3.*) sign "$z" -3 - -H 0 ;; # RFC 9276: no salt, no extra iterations
      nsec3iter.*) sign "$z" -3 ab12 -H 150 ;; # salted, 150 iterations: the most BIND 9.18 validates
      expired.*) sign "$z" -P -s now-172800 -e now-86400 ;; # every signature ran out a day ago (-P: no self-check)
      *) sign "$z" ;;
    esac
  done
  # bogus: change the A record after signing, so its RRSIG covers 127.0.0.1 but 127.0.0.2 is served
  awk -v OFS='\t' '$1 == "bogus.vigil.test." && $4 == "A" { $5 = "127.0.0.2" } { print }' \
    "$ZONES/bogus.vigil.test.signed" >"$ZONES/bogus.vigil.test.signed.tmp"
  mv "$ZONES/bogus.vigil.test.signed.tmp" "$ZONES/bogus.vigil.test.signed"
  grep -qP '^bogus\.vigil\.test\.\t\d+\tIN\tA\t127\.0\.0\.2$' "$ZONES/bogus.vigil.test.signed" ||
    die "could not break the bogus zone's A record"
  cp "$ZONES/insecure.vigil.test.zone" "$ZONES/insecure.vigil.test.signed"
  # badds: the parent's DS names the stray key, not the zone's KSK
  dnssec-dsfromkey -2 "$(ls "$KEYS/stray"/Kbadds.vigil.test.+013+*.key | head -n 1)" \
    >"$ZONES/dsset-badds.vigil.test."

  {
    soa "$PARENT"
    leaf_records "$PARENT"
    echo "ns IN A 127.0.0.1"
    echo "ns IN AAAA ::1"
    for z in "${CHILDREN[@]}"; do
      echo "${z%."$PARENT"} IN NS ns.$PARENT."
    done
    # DS for the signed children only: insecure.vigil.test is an unsigned delegation.
    for z in "${SIGNED_CHILDREN[@]}"; do
      cat "$ZONES/dsset-$z."
    done
  } >"$ZONES/$PARENT.zone"
  sign "$PARENT"

  # The trust anchor: the parent's KSK, as DNSKEY and as DS.
  k="$(key_file "$PARENT" KSK)"
  grep -v '^;' "$k.key" >"$ANCHOR.tmp" && mv "$ANCHOR.tmp" "$ANCHOR"
  dnssec-dsfromkey -2 "$k.key" >"$ANCHOR_DS.tmp" && mv "$ANCHOR_DS.tmp" "$ANCHOR_DS"
  # One anchor per zone of ANCHORED, as a DNSKEY file (Vigil) and as a delv trust-anchors file.
  for z in "${ANCHORED[@]}"; do
    k="$(key_file "$z" KSK)"
    grep -v '^;' "$k.key" >"$STATE/anchors/$z.key"
    awk -v zone="$z." '$3 == "DNSKEY" {
        key = ""; for (i = 7; i <= NF; i++) key = key $i
        printf "trust-anchors {\n  %s static-key %s %s %s \"%s\";\n};\n", zone, $4, $5, $6, key
      }' "$STATE/anchors/$z.key" >"$STATE/anchors/$z.delv.conf"
    grep -q static-key "$STATE/anchors/$z.delv.conf" || die "could not write the delv anchor for $z"
  done
}

sign() { # sign ZONE [dnssec-signzone options]: zones/ZONE.zone -> zones/ZONE.signed (one record per line) + dsset
  local z="$1"
  shift
  local times=(-s now-3600 -e "now+$SIG_VALIDITY")
  [[ " $* " == *" -e "* ]] && times=()
  dnssec-signzone -q -S -K "$KEYS" -d "$ZONES" -o "$z" -O full "${times[@]}" "$@" \
    -f "$ZONES/$z.signed" "$ZONES/$z.zone" >/dev/null
}

write_conf() {
  mkdir -p "$RUN" "$STATE/db"
  local z
  {
    cat <<EOF
# Generated by tests/dns/serve.sh; rewritten on every start.
server:
    rundir: "$RUN"
    pidfile: "$RUN/knot.pid"
    listen: [ "127.0.0.1@$PORT", "::1@$PORT" ]
    identity: ""
    version: ""
log:
  - target: stderr
    any: info
database:
    storage: "$STATE/db"
control:
    listen: "$SOCK"
template:
  - id: default
    storage: "$ZONES"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
EOF
    for z in "$PARENT" "${CHILDREN[@]}" "$OTHER"; do
      printf '  - domain: %s.\n    file: "%s.signed"\n' "$z" "$z"
    done
  } >"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
}

# --- commands ---------------------------------------------------------------------------------

cmd_start() {
  install_tools
  mkdir -p "$STATE"
  set_paths
  ensure_keys
  write_zones
  write_conf
  knotc -c "$CONF" conf-check >/dev/null 2>&1 || die "knot.conf does not check: knotc -c $CONF conf-check"
  local pid
  if pid="$(pid_of "$PIDFILE")"; then
    knotc -c "$CONF" -s "$SOCK" reload >/dev/null || die "knotc reload failed (pid $pid)"
    say "reloaded knotd (pid $pid)"
  else
    rm -f "$PIDFILE"
    local holder
    holder="$(port_holder "$PORT")"
    [ -z "$holder" ] || die "port $PORT is taken: $holder"
    (cd "$STATE" && exec setsid knotd -c "$CONF") >"$RUN/knotd.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    say "started knotd (pid $(cat "$PIDFILE")) on 127.0.0.1@$PORT and ::1@$PORT"
  fi
  local _
  for _ in $(seq 50); do
    if answers; then
      say "ready: vigil.test. and its children, other.test.; anchor $ANCHOR"
      return 0
    fi
    pid_of "$PIDFILE" >/dev/null || die "knotd exited; see $RUN/knotd.log"
    sleep 0.1
  done
  die "knotd does not answer on 127.0.0.1@$PORT; see $RUN/knotd.log"
}

cmd_stop() {
  local pid
  if pid="$(pid_of "$PIDFILE")"; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" || true; }
    say "stopped knotd (pid $pid)"
  else
    say "knotd was not running"
  fi
  rm -f "$PIDFILE"
}

cmd_status() {
  local pid
  if pid="$(pid_of "$PIDFILE")" && answers; then
    echo "dns: knotd pid $pid answers on 127.0.0.1@$PORT (anchor $ANCHOR)"
  elif [ -n "${pid:-}" ]; then
    echo "dns: knotd pid $pid runs but does not answer on 127.0.0.1@$PORT"
    return 1
  else
    echo "dns: not running"
    return 1
  fi
}

cmd_path() { # print an existing generated file
  [ -s "$1" ] || die "$1 does not exist yet: run 'serve.sh start'"
  echo "$1"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  anchor) cmd_path "$ANCHOR" ;;
  anchor-ds) cmd_path "$ANCHOR_DS" ;;
  anchor-for) cmd_path "$STATE/anchors/${2:-$PARENT}.key" ;;
  delv-anchor) cmd_path "$STATE/anchors/${2:-$PARENT}.delv.conf" ;;
  addr) echo "127.0.0.1:$PORT" ;;
  *) die "usage: serve.sh start|stop|status|anchor|anchor-ds|anchor-for ZONE|delv-anchor [ZONE]|addr" ;;
esac
