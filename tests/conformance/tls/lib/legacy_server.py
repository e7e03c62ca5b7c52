#!/usr/bin/env python3
"""legacy_server.py: the HTTPS server of the legacy TLS case (SSLv3..TLS 1.2 with RC4, 3DES and
AES-CBC), which Debian's OpenSSL 3.0 cannot serve. Built on tlslite-ng (pure Python), run from the
venv that serve.sh makes; cases/08-*/server.sh starts it.

    legacy_server.py --port PORT --cert CHAIN.pem --key KEY.pem [--settings JSON] [--bind ADDR]

--cert is the chain to send (leaf first), --key the leaf's private key. --settings is a JSON
object of tlslite-ng HandshakeSettings attributes (cipherNames, macNames, keyExchangeNames,
eccCurves, ...); the protocol range is SSL 3.0 to TLS 1.2 unless it sets minVersion/maxVersion.
tlslite-ng picks suites in its own order, so the server's order wins. Every request gets a short
HTTP/1.1 200. Listens on 127.0.0.1 unless --bind says otherwise."""
import argparse
import json
import signal
import socket
import sys
import threading

from tlslite.api import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey

BODY = b"tls-oracle legacy server (tlslite-ng)\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
IO_TIMEOUT = 15  # seconds a client may stall in the handshake or request


def handshake_settings(overrides):
    settings = HandshakeSettings()
    settings.minVersion = (3, 0)
    settings.maxVersion = (3, 3)
    for name, value in overrides.items():
        if not hasattr(settings, name):
            sys.exit(f"legacy_server.py: HandshakeSettings has no attribute {name!r}")
        if name in ("minVersion", "maxVersion"):
            value = tuple(value)
        setattr(settings, name, value)
    return settings.validate()


def serve_one(sock, chain, key, settings):
    sock.settimeout(IO_TIMEOUT)
    tls = TLSConnection(sock)
    try:
        tls.handshakeServer(certChain=chain, privateKey=key, settings=settings)
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 32768:
            data = tls.read(max=4096)
            if not data:
                break
            request += data
        tls.write(RESPONSE)
        tls.close()
    except Exception:
        # scanners abort handshakes on purpose all the time; nothing to report
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True, help="PEM chain to send, leaf first")
    ap.add_argument("--key", required=True, help="PEM private key of the leaf")
    ap.add_argument("--settings", default="{}", help="JSON object of HandshakeSettings attributes")
    ap.add_argument("--bind", default="127.0.0.1")
    args = ap.parse_args()

    with open(args.cert) as f:
        chain = X509CertChain()
        chain.parsePemList(f.read())
    with open(args.key) as f:
        key = parsePEMKey(f.read(), private=True)
    settings = handshake_settings(json.loads(args.settings))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.bind, args.port))
    listener.listen(128)
    print(f"legacy_server.py: listening on {args.bind}:{args.port}", flush=True)
    while True:
        try:
            conn, _ = listener.accept()
        except InterruptedError:
            continue
        threading.Thread(target=serve_one, args=(conn, chain, key, settings), daemon=True).start()


if __name__ == "__main__":
    main()
