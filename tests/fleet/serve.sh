#!/usr/bin/env bash
# serve.sh: a local fleet of fediverse-like instances for the monitor's tests and benchmark.
# One nginx answers every name NAME.fleet.test on 127.0.0.1 (wildcard certificate from a test
# CA), each behaving like a small Mastodon: NodeInfo, /api/v1/instance, a home page with
# security headers. A few names behave differently on purpose:
#   optout.fleet.test   robots.txt disallows Vigil        gone.fleet.test    410 for everything
#   moved.fleet.test    301 to target.fleet.test          peers.fleet.test   shares a peer list
#   down.fleet.test     resolves to 127.0.0.2, where nothing listens (connection refused)
#   plain.fleet.test    a web site, not a fediverse server (no NodeInfo)
#   loopback.vigil-test.net, metadata.vigil-test.net, private.vigil-test.net: public-looking names
#                       on 127.0.0.1, 169.254.169.254 and 10.11.12.13, for the public scan's guard
#                       (which refuses them before connecting: nothing is ever sent there);
#                       peers.fleet.test shares loopback.vigil-test.net, for the monitor's guard
#
#   serve.sh hosts [N]              add N names i0001…iNNNN.fleet.test (default 400) and the
#                                   special names to /etc/hosts (root; idempotent)
#   serve.sh start DIR HTTP HTTPS   start an nginx for the fleet on 127.0.0.1:HTTP and :HTTPS
#                                   with its state in DIR (each test may run its own)
#   serve.sh stop DIR               stop that nginx
#   serve.sh ca                     print the CA certificate scanners must trust
#   serve.sh names N                print i0001…iNNNN.fleet.test, one a line
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin"
STATE="${VIGIL_TEST_STATE:-/tmp/vigil-test}/fleet"
CERTS="$STATE/certs"
MARK="# vigil-test-fleet"
die() { echo "fleet: $*" >&2; exit 1; }

install_tools() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  [ ${#missing[@]} = 0 ] && return 0
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

certs() {
  [ -s "$CERTS/leaf.pem" ] && [ -s "$CERTS/ca.pem" ] && return 0
  install_tools
  mkdir -p "$CERTS"
  local tmp
  tmp="$(mktemp -d)"
  (
    cd "$tmp"
    openssl req -x509 -new -newkey rsa:2048 -nodes -days 3650 -subj "/O=vigil-test/CN=Vigil fleet CA" \
      -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/O=vigil-test/CN=*.fleet.test" -keyout leaf.key -out leaf.csr 2>/dev/null
    printf 'subjectAltName=DNS:*.fleet.test\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >ext.cnf
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
      -extfile ext.cnf -out leaf.crt 2>/dev/null
    cat leaf.crt ca.pem >leaf.pem
    cp ca.pem leaf.pem leaf.key "$CERTS/"
  )
  rm -rf "$tmp"
}

names() { local n="$1" i; for ((i = 1; i <= n; i++)); do printf 'i%04d.fleet.test\n' "$i"; done; }

hosts() {
  [ "$(id -u)" = 0 ] || die "run me as root: I edit /etc/hosts"
  local n="${1:-400}" tmp
  tmp="$(mktemp)"
  grep -vF "$MARK" /etc/hosts >"$tmp" || true
  echo "127.0.0.1 optout.fleet.test gone.fleet.test moved.fleet.test target.fleet.test peers.fleet.test canary.fleet.test plain.fleet.test $MARK" >>"$tmp"
  echo "127.0.0.2 down.fleet.test $MARK" >>"$tmp"
  # Public-looking names that lead to addresses the public scan must refuse (never connected).
  echo "127.0.0.1 loopback.vigil-test.net $MARK" >>"$tmp"
  echo "169.254.169.254 metadata.vigil-test.net $MARK" >>"$tmp"
  echo "10.11.12.13 private.vigil-test.net $MARK" >>"$tmp"
  # Twenty names a line keeps the file short; glibc reads every alias of a line.
  names "$n" | xargs -n 20 echo | sed "s/^/127.0.0.1 /; s/\$/ $MARK/" >>"$tmp"
  cat "$tmp" >/etc/hosts
  rm -f "$tmp"
}

conf() { # dir http https
  local dir="$1" http="$2" https="$3"
  cat <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  keepalive_timeout 5;
  map \$host \$robots {
    default "User-agent: *\nDisallow: /admin\n";
    optout.fleet.test "User-agent: GPTBot\nDisallow: /\n\nUser-agent: Vigil\nDisallow: /\n";
  }
  map \$host \$peers {
    default "";
    peers.fleet.test '["fosstodon.org", "Mastodon.Social", "mastodon.social.", "*.hidden.org", "127.0.0.1", "localhost", "peer.test", "bad_name.org", "i0001.fleet.test", "social.vigil-example.net", "loopback.vigil-test.net"]';
  }
  server {
    listen 127.0.0.1:$http default_server;
    server_name _;
    return 301 https://\$host:$https\$request_uri;
  }
  server {
    listen 127.0.0.1:$https ssl default_server;
    server_name _;
    ssl_certificate $CERTS/leaf.pem;
    ssl_certificate_key $CERTS/leaf.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
    ssl_session_cache shared:fleet:10m;
    add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
    add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" always;
    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Referrer-Policy no-referrer always;
    add_header Cross-Origin-Resource-Policy same-origin always;
    if (\$host = gone.fleet.test) { return 410; }
    if (\$host = moved.fleet.test) { return 301 https://target.fleet.test:$https\$request_uri; }
    location = /robots.txt { default_type text/plain; return 200 \$robots; }
    location = /.well-known/nodeinfo {
      default_type application/json;
      if (\$host = plain.fleet.test) { return 404; }
      return 200 '{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"https://\$host:$https/nodeinfo/2.0"}]}';
    }
    location = /nodeinfo/2.0 {
      default_type application/json;
      if (\$host = plain.fleet.test) { return 404; }
      return 200 '{"version":"2.0","software":{"name":"mastodon","version":"4.5.3"},"protocols":["activitypub"],"services":{"inbound":[],"outbound":[]},"usage":{"users":{"total":42,"activeMonth":7}},"openRegistrations":true,"metadata":{}}';
    }
    location = /api/v1/instance {
      default_type application/json;
      if (\$host = plain.fleet.test) { return 404; }
      return 200 '{"uri":"\$host","title":"\$host","version":"4.5.3","registrations":true}';
    }
    location = /api/v1/instance/peers {
      default_type application/json;
      if (\$peers = "") { return 404; }
      return 200 \$peers;
    }
    location / {
      default_type text/html;
      return 200 '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>\$host</title></head><body><h1>\$host</h1></body></html>';
    }
  }
}
CONF
}

our_pid() { local pid; pid="$(cat "$1/nginx.pid" 2>/dev/null)" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"; }

start() {
  local dir="$1" http="$2" https="$3"
  install_tools
  certs
  mkdir -p "$dir/tmp"
  conf "$dir" "$http" "$https" >"$dir/nginx.conf"
  if our_pid "$dir" >/dev/null; then stop "$dir"; fi
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || die "nginx did not start; see $dir/error.log"
  local i
  for i in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$https") 2>/dev/null && return 0
    sleep 0.1
  done
  die "nginx does not answer on 127.0.0.1:$https"
}

stop() {
  local dir="$1" pid i
  pid="$(our_pid "$dir")" || return 0
  kill -QUIT "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  hosts) hosts "${2:-400}" ;;
  start) [ $# = 4 ] || die "usage: serve.sh start DIR HTTP HTTPS"; start "$2" "$3" "$4" ;;
  stop) [ $# = 2 ] || die "usage: serve.sh stop DIR"; stop "$2" ;;
  ca) certs; echo "$CERTS/ca.pem" ;;
  names) names "${2:-400}" ;;
  *) die "usage: serve.sh hosts [N] | start DIR HTTP HTTPS | stop DIR | ca | names N" ;;
esac
