#!/usr/bin/env bash
# serve.sh: owns serving Vigil's TLS conformance fixtures (./cases) on 127.0.0.1.
#
#   serve.sh start                 install nginx/openssl/python3-venv if missing, build the test PKI,
#                                  add "127.0.0.1 tls-oracle.test" to /etc/hosts, make the tlslite-ng
#                                  venv, staple OCSP, start every server; leaves running ones alone
#   serve.sh stop [--purge-hosts]  stop the processes this state directory started (and optionally
#                                  drop our /etc/hosts line)
#   serve.sh status                one line per server; exit 0 only when all of them run
#   serve.sh ca                    print the path of the only trust anchor, trusted-roots.pem
#
# Everything generated lives in ${VIGIL_TEST_STATE:-/tmp/vigil-test}/tls; this script never writes
# next to itself. Layout of the state directory (the cases' server.conf/server.sh use the relative
# paths pki/out/... and run/..., resolved against it):
#   pki/out/   certificates, served keys, chains, DH parameters, trusted-roots.pem
#   pki/db/    CA keys and openssl-ca databases (the intermediate's feeds the OCSP responder)
#   venv/      Python venv with tlslite-ng 0.8.2, for the SSLv3/RC4/3DES case
#   nginx.conf, nginx/   one nginx for every case with a server.conf (pid, error log, temp dirs)
#   run/       the stapled OCSP response, pid files of the other servers, logs/
# Root is needed only to install packages and to add the /etc/hosts line; ports are all > 1024.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin" # nginx lives in sbin, which a sudo or su PATH may lack

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASES="$HERE/cases"
STATE="${VIGIL_TEST_STATE:-/tmp/vigil-test}/tls"
HOST=tls-oracle.test
OCSP_PORT=8499
MARK="# vigil-test-tls"
TLSLITE_VERSION=0.8.2
# Bump when the PKI recipe below changes: an existing PKI with another stamp is rebuilt.
PKI_STAMP="vigil-tls-pki v1"
STAPLE_MAX_AGE_MIN=10080 # refresh the stapled OCSP response (valid 30 days) when older than a week

say() { echo "serve.sh: $*" >&2; }
die() { echo "serve.sh: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

set_paths() { # after the state directory exists, use its canonical path (compared with /proc/PID/cwd)
  [ -d "$STATE" ] && STATE="$(cd "$STATE" && pwd -P)"
  PKI="$STATE/pki/out"
  CADB="$STATE/pki/db"
  RUN="$STATE/run"
  LOGS="$RUN/logs"
  STAPLE="$RUN/ocsp-leaf-ocsp.der"
  NGINX=(nginx -p "$STATE/nginx/" -c "$STATE/nginx.conf" -e "$STATE/nginx/error.log")
}
set_paths

# --- cases ------------------------------------------------------------------------------------

# One line per case: "NAME PORT KIND", KIND = nginx (server.conf) or script (server.sh).
list_cases() {
  local d name port
  for d in "$CASES"/*/; do
    d="${d%/}"
    name="$(basename "$d")"
    [ -f "$d/case.json" ] || continue
    port="$(tr -d '\n' <"$d/case.json" | sed -n 's/.*"port": *\([0-9][0-9]*\).*/\1/p')"
    [ -n "$port" ] || die "$d/case.json has no port"
    if [ -f "$d/server.conf" ]; then
      echo "$name $port nginx"
    elif [ -f "$d/server.sh" ]; then
      echo "$name $port script"
    else
      die "$d has neither server.conf nor server.sh"
    fi
  done
}

# Every pki/out/... file some case serves, one per line.
pki_files_needed() {
  cat "$CASES"/*/server.conf "$CASES"/*/server.sh 2>/dev/null |
    grep -o 'pki/out/[A-Za-z0-9._-]*' | sed 's|^pki/out/||' | sort -u
}

# --- processes --------------------------------------------------------------------------------

# pid_of PIDFILE: prints the pid when that process is alive and was started from this state
# directory (its working directory is the state directory or its command line names it), so a
# recycled pid is never mistaken for ours.
pid_of() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" != "$STATE" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE" || return 1
  fi
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_holder() { # who listens on TCP port $1; empty when nobody does
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | awk '{print $4, $6}' | head -n 1
  elif port_open "$1"; then
    echo "127.0.0.1:$1 (unknown process)"
  fi
}

wait_gone() { local _; for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

# stop_pidfile PIDFILE LABEL [SIGNAL]: stops our process (SIGNAL first, SIGKILL as a last resort).
stop_pidfile() {
  local pid
  if pid="$(pid_of "$1")"; then
    kill "-${3:-TERM}" "$pid" 2>/dev/null || true
    if ! wait_gone "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" || true; }
    fi
    say "stopped $2 (pid $pid)"
  elif pid="$(cat "$1" 2>/dev/null)" && [ -n "$pid" ] && [ -d "/proc/$pid" ] && ! is_root &&
    [ "$(stat -c %u "/proc/$pid" 2>/dev/null)" != "$(id -u)" ]; then
    # alive but another user's: we cannot tell whether it is ours, so leave it and its pid file
    die "$2 (pid $pid) belongs to $(stat -c %U "/proc/$pid" 2>/dev/null): run 'serve.sh stop' as that user"
  fi
  rm -f "$1"
}

# launch PIDFILE LOG CMD...: runs CMD detached (own session) in the state directory.
# setsid execs in place (a background job of a script is no process-group leader), so $! is the
# pid of the server itself once the exec chain is done.
launch() {
  local pidfile="$1" log="$2"
  shift 2
  (cd "$STATE" && exec setsid "$@") >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# --- tools ------------------------------------------------------------------------------------

PY=""
pick_python() { # a python3 that can make venvs with pip
  local c
  for c in /usr/bin/python3 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import venv, ensurepip' 2>/dev/null; then
      PY="$(command -v "$c")"
      return 0
    fi
  done
  return 1
}

install_tools() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  pick_python || missing+=(python3 python3-venv)
  command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
  [ ${#missing[@]} = 0 ] && return 0
  is_root || die "missing ${missing[*]}: run me as root to install them with apt-get"
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  pick_python || die "python3 still cannot make a venv after installing python3-venv"
  case " ${missing[*]} " in
    *" nginx "*) stop_packaged_nginx ;;
  esac
}

# The Debian package may start its own nginx service right after the install. It was started by
# this install, so stopping it takes nothing away from anyone.
stop_packaged_nginx() {
  if [ -d /run/systemd/system ] && systemctl is-active --quiet nginx 2>/dev/null; then
    say "stopping the nginx service the package started"
    systemctl stop nginx || true
  fi
  local pid
  pid="$(cat /run/nginx.pid 2>/dev/null || true)"
  if [ -n "$pid" ] && grep -qx nginx "/proc/$pid/comm" 2>/dev/null; then
    say "stopping the nginx service the package started (pid $pid)"
    kill -QUIT "$pid" 2>/dev/null || true
    wait_gone "$pid" || say "the packaged nginx (pid $pid) is still running"
  fi
}

# --- /etc/hosts -------------------------------------------------------------------------------

hosts_has_name() {
  grep -qE "^[[:space:]]*127\.0\.0\.1[[:space:]]+([^#]*[[:space:]])?${HOST//./\\.}([[:space:]#]|\$)" /etc/hosts
}

ensure_hosts() {
  hosts_has_name && return 0
  is_root || die "add '127.0.0.1 $HOST' to /etc/hosts, or run me as root"
  # append in place (/etc/hosts is often a bind mount); never glue onto an unterminated last line
  if [ -s /etc/hosts ] && [ -n "$(tail -c 1 /etc/hosts)" ]; then echo >>/etc/hosts; fi
  echo "127.0.0.1 $HOST $MARK" >>/etc/hosts
  say "added '127.0.0.1 $HOST' to /etc/hosts (marked '$MARK')"
}

purge_hosts() {
  grep -qF -- "$MARK" /etc/hosts || return 0
  is_root || die "run me as root to edit /etc/hosts"
  local tmp
  tmp="$(mktemp)"
  grep -vF -- "$MARK" /etc/hosts >"$tmp" || true
  cat "$tmp" >/etc/hosts
  rm -f "$tmp"
  say "removed the '$MARK' line from /etc/hosts"
}

# --- test PKI ---------------------------------------------------------------------------------
# Trust: "Oracle Test Root CA" (RSA 3072, 2024..2046) -> "Oracle Test Intermediate CA" (RSA 2048,
# 2024..2040, pathlen 0) -> the leaves. "Untrusted Test Root CA" (RSA 2048) issues leaf-untrusted.
# Every subject is /O=TLS Oracle/CN=...; leaves name tls-oracle.test, localhost and 127.0.0.1
# and are valid 2024-01-01..2036-01-01 unless said otherwise. Dates are fixed so the facts hold
# on any day; keys are made fresh on each machine (no fact depends on them).

pki_complete() {
  [ "$(cat "$STATE/pki/stamp" 2>/dev/null)" = "$PKI_STAMP" ] || return 1
  local f
  for f in $(pki_files_needed) trusted-roots.pem int.crt leaf-ocsp.crt ocsp-signer.crt; do
    [ -s "$PKI/$f" ] || return 1
  done
  [ -s "$CADB/int/index.txt" ] && [ -s "$CADB/ocsp-signer.key" ]
}

pki_config() {
  local ca
  cat <<'EOF'
# openssl ca configuration of the TLS fixtures' test PKI (generated by serve.sh).
# Paths are relative to the build directory; select a CA with -name.
[ req ]
distinguished_name = req_dn
[ req_dn ]
[ any_name ]
organizationName = optional
commonName = supplied
[ ca_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ ca_intermediate ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ tls_server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::LEAF_SAN
[ tls_server_ocsp ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::LEAF_SAN
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8499/
[ tls_server_selfsigned ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = $ENV::LEAF_SAN
[ ocsp_responder ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
EOF
  for ca in root int untrusted selfsigned; do
    cat <<EOF
[ $ca ]
database = db/$ca/index.txt
new_certs_dir = db/$ca/issued
serial = db/$ca/serial
certificate = out/$ca.crt
private_key = db/$ca/key.pem
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
preserve = yes
EOF
  done
}

# make_key FILE KIND: a fresh private key (PKCS#8 PEM); KIND: rsa2048, rsa3072, p256, p384, ed25519
make_key() {
  local opts
  case "$2" in
    rsa*) opts=(-algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}") ;;
    p256) opts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve) ;;
    p384) opts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve) ;;
    ed25519) opts=(-algorithm ED25519) ;;
    *) die "unknown key kind $2" ;;
  esac
  openssl genpkey "${opts[@]}" -out "$1" 2>>build.log
}

# sign CA KEYFILE OUT.crt CN EXTENSIONS FROM UNTIL DIGEST SAN [-selfsign]
sign() {
  local ca="$1" key="$2" crt="$3" cn="$4" ext="$5" from="$6" until="$7" md="$8" san="$9"
  shift 9
  openssl req -new -key "$key" -subj "/O=TLS Oracle/CN=$cn" -out req.csr 2>>build.log
  LEAF_SAN="$san" openssl ca -config ca.cnf -name "$ca" -batch -notext -rand_serial \
    -extensions "$ext" -startdate "$from" -enddate "$until" -md "$md" \
    -in req.csr -out "$crt" "$@" >>build.log 2>&1
  rm -f req.csr
}

build_pki() {
  local w="$STATE/pki.new"
  local std_san="DNS:$HOST,DNS:localhost,IP:127.0.0.1"
  local from=20240101000000Z until=20360101000000Z
  rm -rf "$w"
  mkdir -p "$w/out"
  local ca
  for ca in root int untrusted selfsigned; do
    mkdir -p "$w/db/$ca/issued"
    : >"$w/db/$ca/index.txt"
    echo 01 >"$w/db/$ca/serial"
  done
  # -e is ignored inside a subshell that is tested with || or if: take its status explicitly
  set +e
  (
    set -e
    cd "$w"
    umask 077
    pki_config >ca.cnf

    # roots: self-issued, then the intermediate under the trusted root
    make_key db/root/key.pem rsa3072
    sign root db/root/key.pem out/root.crt "Oracle Test Root CA" ca_root \
      20240101000000Z 20460101000000Z sha256 unused -selfsign
    make_key db/untrusted/key.pem rsa2048
    sign untrusted db/untrusted/key.pem out/untrusted.crt "Untrusted Test Root CA" ca_root \
      20240101000000Z 20460101000000Z sha256 unused -selfsign
    make_key db/int/key.pem rsa2048
    sign root db/int/key.pem out/int.crt "Oracle Test Intermediate CA" ca_intermediate \
      20240101000000Z 20400101000000Z sha256 unused

    # leaves: stem, key kind, issuing CA, extensions, validity, digest, CN, SAN
    local stem kind issuer ext nb na md cn san
    while read -r stem kind issuer ext nb na md cn san; do
      [ -n "$stem" ] || continue
      [ "$cn" = - ] && cn="$HOST"
      [ "$san" = - ] && san="$std_san"
      make_key "out/$stem.key" "$kind"
      sign "$issuer" "out/$stem.key" "out/$stem.crt" "$cn" "$ext" "$nb" "$na" "$md" "$san"
    done <<EOF
leaf-rsa2048    rsa2048 int       tls_server      $from           $until          sha256 - -
leaf-p256       p256    int       tls_server      $from           $until          sha256 - -
leaf-p384       p384    int       tls_server      $from           $until          sha256 - -
leaf-ed25519    ed25519 int       tls_server      $from           $until          sha256 - -
leaf-ocsp       rsa2048 int       tls_server_ocsp $from           $until          sha256 - -
leaf-expired    rsa2048 int       tls_server      20200101000000Z 20210101000000Z sha256 - -
leaf-notyet     rsa2048 int       tls_server      20990101000000Z 21000101000000Z sha256 - -
leaf-wronghost  rsa2048 int       tls_server      $from           $until          sha256 wrong.example.net DNS:wrong.example.net,DNS:www.wrong.example.net
leaf-sha1       rsa2048 int       tls_server      $from           $until          sha1   - -
leaf-untrusted  rsa2048 untrusted tls_server      $from           $until          sha256 - -
EOF
    # the self-signed leaf: its own issuer, not a CA, same fixed dates (openssl ca -selfsign is
    # the OpenSSL 3.0 tool that takes a start date)
    make_key out/leaf-selfsigned.key rsa2048
    sign selfsigned out/leaf-selfsigned.key out/leaf-selfsigned.crt "$HOST" tls_server_selfsigned \
      "$from" "$until" sha256 "$std_san" -selfsign -keyfile out/leaf-selfsigned.key
    # the OCSP signer: delegated by the intermediate; its key is not served, so it lives in db/
    make_key db/ocsp-signer.key p256
    sign int db/ocsp-signer.key out/ocsp-signer.crt "Oracle Test OCSP Signer" ocsp_responder \
      "$from" "$until" sha256 DNS:ocsp.invalid

    # what the servers send: leaf + intermediate; leaf only when there is no intermediate
    local n
    for n in rsa2048 p256 p384 ed25519 ocsp expired notyet wronghost sha1; do
      cat "out/leaf-$n.crt" out/int.crt >"out/chain-$n.pem"
    done
    cp out/leaf-untrusted.crt out/chain-untrusted.pem
    cp out/leaf-selfsigned.crt out/chain-selfsigned.pem
    cp out/root.crt out/trusted-roots.pem

    openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out out/dh-ffdhe2048.pem 2>>build.log
    openssl dhparam -out out/dh-1024.pem 1024 2>>build.log
    chmod 644 out/*.crt out/*.pem
    chmod 700 db
    chmod 755 out
    rm -f build.log
  )
  local rc=$?
  set -e
  [ "$rc" = 0 ] || die "could not build the test PKI (see $w/build.log)"
  local f
  for f in $(pki_files_needed); do
    [ -s "$w/out/$f" ] || die "the PKI recipe does not make pki/out/$f, which a case serves"
  done
  echo "$PKI_STAMP" >"$w/stamp"
  rm -rf "$STATE/pki"
  mv "$w" "$STATE/pki"
  say "built the test PKI in $STATE/pki"
}

# --- OCSP staple --------------------------------------------------------------------------------

# Writes a fresh "good" response for leaf-ocsp (valid 30 days) when there is none, when it is older
# than a week, or when it predates the PKI. Returns 0 when it wrote one, 1 when the old one stays.
refresh_staple() {
  if [ -s "$STAPLE" ] && [ -z "$(find "$STAPLE" -mmin +"$STAPLE_MAX_AGE_MIN" 2>/dev/null)" ] &&
    [ "$STAPLE" -nt "$STATE/pki/stamp" ]; then
    return 1
  fi
  local req="$RUN/ocsp-request.der" tmp="$STAPLE.new"
  openssl ocsp -issuer "$PKI/int.crt" -cert "$PKI/leaf-ocsp.crt" -no_nonce -reqout "$req" \
    >/dev/null 2>"$LOGS/ocsp-staple.log" || die "openssl ocsp could not write a request; see $LOGS/ocsp-staple.log"
  openssl ocsp -index "$CADB/int/index.txt" -CA "$PKI/int.crt" -rsigner "$PKI/ocsp-signer.crt" \
    -rkey "$CADB/ocsp-signer.key" -reqin "$req" -respout "$tmp" -ndays 30 \
    >/dev/null 2>>"$LOGS/ocsp-staple.log" || die "openssl ocsp could not answer; see $LOGS/ocsp-staple.log"
  # check it before nginx staples it: signature chains to our root, status good
  local check
  check="$(openssl ocsp -respin "$tmp" -issuer "$PKI/int.crt" -cert "$PKI/leaf-ocsp.crt" \
    -CAfile "$PKI/trusted-roots.pem" -verify_other "$PKI/int.crt" 2>&1)" || true
  case "$check" in
    *"Response verify OK"*"leaf-ocsp.crt: good"*) ;;
    *) echo "$check" >&2; die "the fresh OCSP response does not verify as good" ;;
  esac
  mv "$tmp" "$STAPLE"
  rm -f "$req"
  say "wrote a fresh OCSP response for stapling (valid 30 days): $STAPLE"
  return 0
}

# --- venv with tlslite-ng -----------------------------------------------------------------------

ensure_venv() {
  grep -qs 'venv/bin/python' "$CASES"/*/server.sh || return 0
  local check="import importlib.metadata as m, tlslite; assert m.version('tlslite-ng') == '$TLSLITE_VERSION'"
  "$STATE/venv/bin/python" -c "$check" 2>/dev/null && return 0
  say "making $STATE/venv with tlslite-ng $TLSLITE_VERSION (pip)"
  rm -rf "$STATE/venv"
  "$PY" -m venv "$STATE/venv" || die "python3 -m venv failed"
  "$STATE/venv/bin/pip" install -q --disable-pip-version-check "tlslite-ng==$TLSLITE_VERSION" ||
    die "pip could not install tlslite-ng==$TLSLITE_VERSION (needs PyPI, or a wheel in PIP_FIND_LINKS)"
  "$STATE/venv/bin/python" -c "$check" || die "tlslite-ng $TLSLITE_VERSION does not import from the venv"
}

# --- nginx --------------------------------------------------------------------------------------

write_nginx_conf() {
  local name port kind
  echo "# Generated by tests/conformance/tls/serve.sh; rewritten on every start."
  echo "# Relative paths in the included server blocks resolve against this file's directory."
  echo "worker_processes 2;"
  echo "pid $STATE/nginx/nginx.pid;"
  echo "error_log $STATE/nginx/error.log warn;"
  echo "events { worker_connections 512; }"
  echo "http {"
  echo "    access_log off;"
  echo "    server_tokens off;"
  local t
  for t in client_body proxy fastcgi uwsgi scgi; do echo "    ${t}_temp_path $STATE/nginx/tmp/$t;"; done
  while read -r name port kind; do
    [ "$kind" = nginx ] && echo "    include \"$CASES/$name/server.conf\";"
  done <<<"$CASE_LIST"
  echo "}"
}

# --- commands -----------------------------------------------------------------------------------

# Refuses to start when a port we need is held by a process that is not ours.
check_ports() {
  local name port kind pidfile holder busy=0
  local nginx_ours=0 ocsp_ours=0
  pid_of "$STATE/nginx/nginx.pid" >/dev/null && nginx_ours=1
  pid_of "$RUN/ocsp.pid" >/dev/null && ocsp_ours=1
  check_one() { # port label ours
    [ "$3" = 1 ] && return 0
    holder="$(port_holder "$1")"
    [ -z "$holder" ] && return 0
    echo "serve.sh: 127.0.0.1:$1 ($2) is already held: $holder" >&2
    busy=1
  }
  check_one "$OCSP_PORT" "OCSP responder" "$ocsp_ours"
  while read -r name port kind; do
    if [ "$kind" = nginx ]; then
      check_one "$port" "$name" "$nginx_ours"
    else
      pidfile="$RUN/$name.pid"
      if pid_of "$pidfile" >/dev/null; then check_one "$port" "$name" 1; else check_one "$port" "$name" 0; fi
    fi
  done <<<"$CASE_LIST"
  [ "$busy" = 0 ] && return 0
  echo "serve.sh: stop those first. The shared kit's servers stop with its teardown.sh; a serve.sh" >&2
  die "started with another VIGIL_TEST_STATE stops with its own 'serve.sh stop'."
}

stop_all() {
  local name port kind
  stop_pidfile "$STATE/nginx/nginx.pid" nginx QUIT
  stop_pidfile "$RUN/ocsp.pid" "OCSP responder"
  if [ -n "${CASE_LIST:-}" ]; then
    while read -r name port kind; do
      [ "$kind" = script ] && stop_pidfile "$RUN/$name.pid" "$name"
    done <<<"$CASE_LIST"
  fi
  # pid files of cases that no longer exist
  local f
  for f in "$RUN"/*.pid; do
    [ -e "$f" ] && stop_pidfile "$f" "$(basename "$f" .pid)"
  done
  return 0
}

wait_for_ports() {
  local name port kind pidfile i n=0
  while read -r name port kind; do
    n=$((n + 1))
    if [ "$kind" = nginx ]; then pidfile="$STATE/nginx/nginx.pid"; else pidfile="$RUN/$name.pid"; fi
    for i in $(seq 200); do
      port_open "$port" && break
      if ! pid_of "$pidfile" >/dev/null; then
        [ "$kind" = nginx ] && tail -n 5 "$STATE/nginx/error.log" >&2 2>/dev/null
        [ "$kind" = script ] && tail -n 5 "$LOGS/$name.log" >&2 2>/dev/null
        die "$name died before it listened on 127.0.0.1:$port"
      fi
      [ "$i" = 200 ] && die "$name does not listen on 127.0.0.1:$port after 20 s (see $LOGS, $STATE/nginx/error.log)"
      sleep 0.1
    done
  done <<<"$CASE_LIST"
  for i in $(seq 100); do
    port_open "$OCSP_PORT" && break
    pid_of "$RUN/ocsp.pid" >/dev/null || { tail -n 5 "$LOGS/ocsp.log" >&2; die "the OCSP responder died"; }
    [ "$i" = 100 ] && die "the OCSP responder does not listen on 127.0.0.1:$OCSP_PORT"
    sleep 0.1
  done
  say "$n TLS servers up on 127.0.0.1 as $HOST, OCSP responder on :$OCSP_PORT (state $STATE)"
}

start() {
  install_tools
  mkdir -p "$STATE"
  [ -w "$STATE" ] || die "$STATE belongs to $(stat -c %U "$STATE"): run 'serve.sh start' as that user"
  set_paths
  chmod a+rx "$STATE" # only adds bits
  mkdir -p "$RUN" "$LOGS" "$STATE/nginx/tmp"
  CASE_LIST="$(list_cases)"
  ensure_hosts
  check_ports

  local reload=0
  if ! pki_complete; then
    # servers still running on an old PKI would serve keys that no longer match: restart them
    stop_all
    build_pki
  fi
  refresh_staple && reload=1
  ensure_venv

  write_nginx_conf >"$STATE/nginx.conf.new"
  if cmp -s "$STATE/nginx.conf.new" "$STATE/nginx.conf"; then
    rm -f "$STATE/nginx.conf.new"
  else
    mv "$STATE/nginx.conf.new" "$STATE/nginx.conf"
    reload=1
  fi
  "${NGINX[@]}" -t -q 2>"$STATE/nginx/config-test.log" ||
    { cat "$STATE/nginx/config-test.log" >&2; die "nginx rejected the generated configuration"; }
  local pid
  if pid="$(pid_of "$STATE/nginx/nginx.pid")"; then
    if [ "$reload" = 1 ]; then
      "${NGINX[@]}" -s reload
      sleep 0.5 # let the new workers take over
      say "reloaded nginx (pid $pid)"
    fi
  else
    rm -f "$STATE/nginx/nginx.pid"
    "${NGINX[@]}"
  fi

  if ! pid_of "$RUN/ocsp.pid" >/dev/null; then
    launch "$RUN/ocsp.pid" "$LOGS/ocsp.log" "$PY" "$HERE/lib/ocsp_responder.py" \
      --port "$OCSP_PORT" --index "$CADB/int/index.txt" --ca "$PKI/int.crt" \
      --signer "$PKI/ocsp-signer.crt" --signer-key "$CADB/ocsp-signer.key"
  fi

  # cases served by their own server.sh, run from the state directory; TLS_KIT names this
  # directory, so a server.sh finds lib/legacy_server.py there
  local name port kind
  while read -r name port kind; do
    [ "$kind" = script ] || continue
    pid_of "$RUN/$name.pid" >/dev/null && continue
    launch "$RUN/$name.pid" "$LOGS/$name.log" env TLS_KIT="$HERE" "$CASES/$name/server.sh"
  done <<<"$CASE_LIST"

  wait_for_ports
}

status() {
  local name port kind pidfile pid up all=0
  CASE_LIST="$(list_cases)"
  show() { # label port pidfile
    if pid="$(pid_of "$3")"; then
      if port_open "$2"; then up="running"; else up="running, port closed"; all=1; fi
      printf '%-32s 127.0.0.1:%-5s %s (pid %s)\n' "$1" "$2" "$up" "$pid"
    elif ! is_root && pid="$(cat "$3" 2>/dev/null)" && [ -n "$pid" ] && [ -d "/proc/$pid" ] && port_open "$2"; then
      # another user's process (root's, usually): its cwd cannot be read from here
      printf '%-32s 127.0.0.1:%-5s running (pid %s of %s; ask as that user to be sure)\n' \
        "$1" "$2" "$pid" "$(stat -c %U "/proc/$pid" 2>/dev/null || echo '?')"
    else
      printf '%-32s 127.0.0.1:%-5s stopped\n' "$1" "$2"
      all=1
    fi
  }
  while read -r name port kind; do
    if [ "$kind" = nginx ]; then pidfile="$STATE/nginx/nginx.pid"; else pidfile="$RUN/$name.pid"; fi
    show "$name" "$port" "$pidfile"
  done <<<"$CASE_LIST"
  show "ocsp-responder" "$OCSP_PORT" "$RUN/ocsp.pid"
  echo "state: $STATE"
  return "$all"
}

case "${1:-}" in
  start) start ;;
  stop)
    CASE_LIST="$(list_cases)"
    stop_all
    say "nothing of $STATE runs now"
    [ "${2:-}" = --purge-hosts ] && purge_hosts
    exit 0
    ;;
  status) status ;;
  ca)
    [ -s "$PKI/trusted-roots.pem" ] || die "no test PKI yet in $PKI: run 'serve.sh start' first"
    echo "$PKI/trusted-roots.pem"
    ;;
  *)
    sed -n '2,10p' "$0" >&2
    exit 2
    ;;
esac
