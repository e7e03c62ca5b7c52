#!/usr/bin/env python3
"""ocsp_responder.py: the OCSP responder of the TLS fixtures (the AIA of pki/out/leaf-ocsp.crt
names http://127.0.0.1:8499/). serve.sh starts it.

    ocsp_responder.py --port 8499 --index INDEX.txt --ca INT.crt --signer SIGNER.crt
                      --signer-key SIGNER.key [--bind 127.0.0.1] [--days 1]

`openssl ocsp -port` listens on every address, so this HTTP front end binds one address and hands
each request (RFC 6960 appendix A: a POST body, or base64 in the GET path) to a one-shot
`openssl ocsp` run against the issuing CA's database. A request openssl cannot parse gets the
OCSP "malformedRequest" answer. Only a temporary directory is written."""
import argparse
import base64
import binascii
import http.server
import os
import subprocess
import tempfile
import urllib.parse

# OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED malformedRequest(1) }
MALFORMED = bytes([0x30, 0x03, 0x0A, 0x01, 0x01])
MAX_REQUEST = 64 * 1024


def answer(args, request):
    if not request:
        return MALFORMED
    with tempfile.TemporaryDirectory(prefix="vigil-ocsp-") as tmp:
        req = os.path.join(tmp, "request.der")
        resp = os.path.join(tmp, "response.der")
        with open(req, "wb") as f:
            f.write(request)
        done = subprocess.run(
            ["openssl", "ocsp", "-index", args.index, "-CA", args.ca, "-rsigner", args.signer,
             "-rkey", args.signer_key, "-ndays", str(args.days), "-reqin", req, "-respout", resp],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30, check=False)
        if done.returncode != 0 or not os.path.exists(resp):
            return MALFORMED
        with open(resp, "rb") as f:
            return f.read() or MALFORMED


def make_handler(args):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def send_ocsp(self, body):
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            if length <= 0 or length > MAX_REQUEST:
                self.send_ocsp(MALFORMED)
                return
            self.send_ocsp(answer(args, self.rfile.read(length)))

        def do_GET(self):
            encoded = urllib.parse.unquote(self.path.lstrip("/"))
            try:
                request = base64.b64decode(encoded, validate=False)
            except (binascii.Error, ValueError):
                request = b""
            self.send_ocsp(answer(args, request))

        def log_message(self, fmt, *a):
            print(f"{self.address_string()} {fmt % a}", flush=True)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--index", required=True, help="openssl ca database (index.txt) of the issuer")
    ap.add_argument("--ca", required=True, help="certificate of the issuing CA")
    ap.add_argument("--signer", required=True, help="certificate of the OCSP signer")
    ap.add_argument("--signer-key", required=True, help="private key of the OCSP signer")
    ap.add_argument("--days", type=int, default=1, help="validity of each answer (nextUpdate)")
    args = ap.parse_args()
    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 64

    server = Server((args.bind, args.port), make_handler(args))
    print(f"ocsp_responder.py: listening on {args.bind}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
