#!/usr/bin/env bash
# serve.sh: owns serving Vigil's HTTP conformance fixtures (./cases) on 127.0.0.1:80 and :443.
#
#   serve.sh start                install nginx/openssl if missing, build the test PKI, add the
#                                 /etc/hosts lines, generate the nginx config, start or reload it
#   serve.sh stop [--purge-hosts] stop our nginx (and optionally drop our /etc/hosts lines)
#   serve.sh status               say whether our nginx runs
#   serve.sh ca                   print the path of the CA certificate scanners must trust
#
# Everything generated lives in the state directory, ${VIGIL_TEST_STATE:-/tmp/vigil-test}/http:
#   certs/ (test PKI), docroot/NAME/www/, sites/NAME.conf, nginx.conf, nginx.pid, logs/, tmp/.
# This script never writes next to itself. start/stop need root (ports 80/443, /etc/hosts).
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin" # nginx lives in sbin, which a sudo or su PATH may lack

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASES="$HERE/cases"
STATE="${VIGIL_TEST_STATE:-/tmp/vigil-test}/http"
CERTS="$STATE/certs"
MARK="# vigil-test-http"
NGINX=(nginx -p "$STATE" -c "$STATE/nginx.conf" -e "$STATE/logs/error.log")
say() { echo "serve.sh: $*" >&2; }
die() { echo "serve.sh: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "run me as root: I bind 127.0.0.1:80/443 and edit /etc/hosts"; }

# Our nginx is the master whose pid is in our pid file and whose command line names our config.
our_pid() {
  local pid
  pid="$(cat "$STATE/nginx.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE/nginx.conf" || return 1
  echo "$pid"
}

# Prints who listens on TCP port $1 (any address), empty when nobody does.
port_holder() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | awk '{print $4, $6}'
  elif (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    echo "127.0.0.1:$1 (unknown process)"
  fi
}

install_tools() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  [ ${#missing[@]} = 0 ] && return 0
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The Debian package may start its own nginx service, which would hold port 80. It was started
  # just now by this install, so stopping it takes nothing away from anyone.
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

wait_gone() { for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

# --- test PKI ---------------------------------------------------------------------------------
CERT_FILES="ca untrusted-ca server expired mismatch untrusted selfsigned"

write_openssl_cnf() { # $1 = directory holding the CA database
  cat <<EOF
[ req ]
distinguished_name = req_dn
[ req_dn ]
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $1/index.txt
new_certs_dir = $1
serial = $1/serial
default_md = sha256
default_days = 3000
policy = any_subject
unique_subject = no
copy_extensions = none
[ any_subject ]
organizationName = optional
commonName = supplied
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ leaf_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = @test_names
[ mismatch_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong-name.example
[ selfsigned_ext ]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = @test_names
[ test_names ]
DNS.1 = *.obs.test
DNS.2 = obs.test
DNS.3 = *.obs-oracle.dev
DNS.4 = obs-oracle.dev
DNS.5 = *.secure.vigil.test
EOF
}

make_pki() {
  local f complete=1
  for f in $CERT_FILES; do
    if [ ! -s "$CERTS/$f.pem" ] || [ ! -s "$CERTS/$f.key" ]; then complete=0; fi
  done
  # The names the server certificate covers; a PKI made for other names is made again.
  local names="obs.test obs-oracle.dev secure.vigil.test"
  [ "$(cat "$CERTS/names" 2>/dev/null)" = "$names" ] || complete=0
  [ "$complete" = 1 ] && return 0
  local w="$STATE/certs.new"
  rm -rf "$w" && mkdir -p "$w/db" && : >"$w/db/index.txt" && echo 01 >"$w/db/serial"
  write_openssl_cnf "$w/db" >"$w/openssl.cnf"
  (
    cd "$w"
    umask 077
    ssl() { openssl "$@" 2>>"$w/openssl.log" >/dev/null || die "openssl $1 failed; see $w/openssl.log"; }
    self() { # stem common-name extension-section
      ssl req -config openssl.cnf -x509 -new -newkey rsa:2048 -nodes -days 3650 \
        -subj "/O=vigil-test/CN=$2" -extensions "$3" -keyout "$1.key" -out "$1.pem"
    }
    issue() { # stem common-name issuer-stem extension-section [openssl ca validity options]
      local stem="$1" cn="$2" issuer="$3" ext="$4"
      shift 4
      ssl req -config openssl.cnf -new -newkey rsa:2048 -nodes -subj "/O=vigil-test/CN=$cn" \
        -keyout "$stem.key" -out "$stem.csr"
      ssl ca -config openssl.cnf -batch -notext -cert "$issuer.pem" -keyfile "$issuer.key" \
        -extensions "$ext" -in "$stem.csr" -out "$stem.pem" "$@"
    }
    self ca "vigil-test CA" ca_ext
    self untrusted-ca "vigil-test UNTRUSTED CA" ca_ext
    self selfsigned obs.test selfsigned_ext
    issue server obs.test ca leaf_ext
    issue mismatch wrong-name.example ca mismatch_ext
    issue untrusted obs.test untrusted-ca leaf_ext
    # openssl ca is the one tool in OpenSSL 3.0 that can back-date a certificate.
    issue expired obs.test ca leaf_ext -startdate 20200101000000Z -enddate 20210101000000Z
    rm -f ./*.csr openssl.log
    chmod 644 ./*.pem
    echo "$names" >names
  )
  rm -rf "$CERTS" && mv "$w" "$CERTS" && chmod 755 "$CERTS"
  say "created the test PKI in $CERTS"
}

# --- cases, /etc/hosts and nginx configuration --------------------------------------------------

# "NAME HOST EXTRA..." per case. case.json is our own pretty-printed fixture data, so a flat
# text scan is enough; the Rust harness reads the same files with a real JSON parser.
case_hosts() {
  local d name flat host extra
  for d in "$CASES"/*/; do
    name="$(basename "$d")"
    if [ ! -f "$d/case.json" ] || [ ! -f "$d/site.conf" ]; then continue; fi
    flat="$(tr -d '\n' <"$d/case.json")"
    host="$(sed -n 's/.*"host": *"\([^"]*\)".*/\1/p' <<<"$flat")"
    extra="$(sed -n 's/.*"extra_hosts": *\[\([^]]*\)\].*/\1/p' <<<"$flat" | tr -d '", ')"
    [ -n "$host" ] || die "$d/case.json has no host"
    echo "$name $host $extra"
  done
}

write_hosts() { # reads "NAME HOST EXTRA..." lines on stdin
  local want have tmp
  want="$(awk '{for (i = 2; i <= NF; i++) if (!seen[$i]++) print "127.0.0.1 " $i " '"$MARK"'"}')"
  # Cases whose site also listens on [::1] get an IPv6 line too (the IPv6 check needs an AAAA).
  local d v6host
  for d in "$CASES"/*/; do
    [ -n "$want" ] || break # purging: no lines at all
    grep -q 'listen \[::1\]' "$d/site.conf" 2>/dev/null || continue
    v6host="$(tr -d '\n' <"$d/case.json" | sed -n 's/.*"host": *"\([^"]*\)".*/\1/p')"
    [ -n "$v6host" ] && want="$want"$'\n'"::1 $v6host $MARK"
  done
  have="$(grep -F -- "$MARK" /etc/hosts || true)"
  [ "$want" = "$have" ] && return 0
  tmp="$(mktemp)"
  {
    grep -vF -- "$MARK" /etc/hosts || true
    [ -z "$want" ] || echo "$want"
  } >"$tmp"
  cat "$tmp" >/etc/hosts # rewrite in place: /etc/hosts is often a bind mount
  rm -f "$tmp"
  [ -z "$want" ] || say "wrote $(wc -l <<<"$want") /etc/hosts lines marked '$MARK'"
}

write_main_conf() {
  cat <<EOF
# Generated by tests/conformance/http/serve.sh; rewritten on every start.
daemon on;
worker_processes 1;
pid $STATE/nginx.pid;
error_log $STATE/logs/error.log warn;
events { worker_connections 512; }
http {
    log_format vigil '\$time_iso8601 \$host \$scheme "\$request" \$status '
                     'ua="\$http_user_agent" origin="\$http_origin" cookie="\$http_cookie"';
    access_log $STATE/logs/access.log vigil;
    client_body_temp_path $STATE/tmp/body;
    proxy_temp_path $STATE/tmp/proxy;
    fastcgi_temp_path $STATE/tmp/fastcgi;
    uwsgi_temp_path $STATE/tmp/uwsgi;
    scgi_temp_path $STATE/tmp/scgi;
    server_tokens off;
    # The recorded answers saw exactly these content types (no distro mime.types).
    types {
        text/html html htm;
        text/plain txt;
        text/css css;
        application/javascript js;
        application/json json;
        application/xml xml;
    }
    default_type application/octet-stream;
    keepalive_timeout 5;
    server_names_hash_bucket_size 128;
    server_names_hash_max_size 4096;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;

    # Names with no server block of their own: no answer on port 80, no TLS handshake on 443.
    # The "site down", "no http" and "no https" cases are built on these two servers.
    server {
        listen 127.0.0.1:80 default_server;
        server_name _;
        return 444;
    }
    server {
        listen 127.0.0.1:443 ssl default_server;
        server_name _;
        ssl_reject_handshake on;
    }

    include $STATE/sites/*.conf;
}
EOF
}

write_sites() { # reads "NAME HOST EXTRA..." lines on stdin
  local name host conf
  rm -rf "$STATE/sites.new" "$STATE/docroot.new"
  mkdir -p "$STATE/sites.new" "$STATE/docroot.new"
  while read -r name host _; do
    mkdir -p "$STATE/docroot.new/$name"
    [ -d "$CASES/$name/www" ] && cp -R "$CASES/$name/www" "$STATE/docroot.new/$name/www"
    conf="$(<"$CASES/$name/site.conf")"
    conf="${conf//@HOST@/"$host"}"
    conf="${conf//@DIR@/"$STATE/docroot/$name"}"
    conf="${conf//@CERTS@/"$CERTS"}"
    printf '%s\n' "$conf" >"$STATE/sites.new/$name.conf"
  done
  # nginx workers run as an unprivileged user: everything they serve must be world-readable.
  chmod -R u+w,a+rX "$STATE/docroot.new"
  rm -rf "$STATE/sites" "$STATE/docroot"
  mv "$STATE/sites.new" "$STATE/sites"
  mv "$STATE/docroot.new" "$STATE/docroot"
}

# --- commands -----------------------------------------------------------------------------------

refuse_if_ports_held() {
  local port holder busy=0
  for port in 80 443; do
    holder="$(port_holder "$port")"
    [ -z "$holder" ] && continue
    busy=1
    echo "serve.sh: port $port is already held: $holder" >&2
  done
  [ "$busy" = 0 ] && return 0
  echo "serve.sh: stop it first, then run 'serve.sh start' again. The shared kit's nginx stops" >&2
  die "with its teardown.sh; a serve.sh run with another VIGIL_TEST_STATE with its 'stop'."
}

start() {
  need_root
  install_tools
  local pid running=0
  if pid="$(our_pid)"; then running=1; else refuse_if_ports_held; fi
  mkdir -p "$STATE/logs" "$STATE/tmp"
  chmod a+rx "$(dirname "$STATE")" "$STATE" # only adds bits: the root may be /tmp itself
  make_pki
  local hosts
  hosts="$(case_hosts)"
  write_hosts <<<"$hosts"
  write_sites <<<"$hosts"
  write_main_conf >"$STATE/nginx.conf"
  "${NGINX[@]}" -t -q 2>"$STATE/logs/config-test.log" \
    || { cat "$STATE/logs/config-test.log" >&2; die "nginx rejected the generated configuration"; }

  if [ "$running" = 1 ]; then
    "${NGINX[@]}" -s reload
    sleep 0.5 # let the new workers take over before a scan starts
    say "reloaded nginx (pid $pid): $(wc -l <<<"$hosts") cases"
    return 0
  fi
  rm -f "$STATE/nginx.pid"
  "${NGINX[@]}"
  for _ in $(seq 50); do our_pid >/dev/null && break; sleep 0.1; done
  pid="$(our_pid)" || die "nginx did not start; see $STATE/logs/error.log"
  say "nginx (pid $pid) serves $(wc -l <<<"$hosts") cases on 127.0.0.1:80 and 127.0.0.1:443"
}

stop() {
  need_root
  local pid
  if pid="$(our_pid)"; then
    kill -QUIT "$pid"
    wait_gone "$pid" || { kill -TERM "$pid" 2>/dev/null || true; wait_gone "$pid" || true; }
    rm -f "$STATE/nginx.pid"
    say "stopped nginx (pid $pid)"
  else
    say "not running (state $STATE)"
  fi
  if [ "${1:-}" = --purge-hosts ]; then
    : | write_hosts
    say "removed the '$MARK' lines from /etc/hosts"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  status)
    if pid="$(our_pid)"; then echo "running (pid $pid, state $STATE)"; else echo "stopped"; exit 1; fi
    ;;
  ca)
    [ -s "$CERTS/ca.pem" ] || die "no CA yet in $CERTS: run 'serve.sh start' first"
    echo "$CERTS/ca.pem"
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
