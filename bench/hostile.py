#!/usr/bin/env python3
"""Hostile pages on loopback: how long `vigil scan` and the reference CLI take on each, and how
much memory they use. Run by bench/hostile.sh (which sets up the host names).

usage: hostile.py VIGIL REF_SCAN_JS BASE_IP   (e.g. 127.0.0.20; one address per page from there)
Each page is served over http on BASE_IP+i:80 under the name hostile-<shape>.test; https is
closed. Knobs: REF_TIMEOUT (s, default 180), SHAPES (space-separated subset).
"""
import gzip
import ipaddress
import os
import socket
import subprocess
import sys
import threading
import time

FOREIGN = b"<script src=http://cdn.other.example/a.js></script>"
META = b"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'\">"


def pages():
    return {
        "divs": b"<!doctype html>" + b"<div>" * 1_000_000 + FOREIGN,
        "metas": b"<!doctype html><head>" + META * 100_000,
        "attributes": b"<!doctype html><meta http-equiv=content-security-policy content=\"default-src 'none'\""
        + b"".join(b" a%d=x" % i for i in range(500_000)) + b">",
        "templates": b"<!doctype html>" + FOREIGN + b"<template>" * 300_000 + META,
        "scripts": b"<!doctype html>"
        + b"".join(b"<script src=http://cdn%d.other.example/a.js></script>" % i for i in range(100_000)),
        "formatting": b"<!doctype html>"
        + b"".join(b"<p><b class=c%d></p>x" % i for i in range(200_000)) + FOREIGN,
        "svg": b"<!doctype html><svg>" + b"<g>" * 500_000 + b"</x>" * 500_000 + b"</svg>" + FOREIGN,
        "trickle": None,
    }


def read_head(c):
    c.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(8192)
        if not d:
            return False
        data += d
    return True


def serve(addr, body):
    gz = gzip.compress(body, 6) if body is not None else None
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 80))
    s.listen(64)

    def handle(c):
        try:
            if not read_head(c):
                return
            if gz is None:  # one small chunk every half second, 16 of them (8 s per answer)
                c.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n")
                for _ in range(16):
                    c.sendall(b"4\r\n<p>\n\r\n")
                    time.sleep(0.5)
                c.sendall(b"0\r\n\r\n")
            else:
                c.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-encoding: gzip\r\n"
                          b"content-length: %d\r\nconnection: close\r\n\r\n" % len(gz) + gz)
        except OSError:
            pass
        finally:
            c.close()

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=handle, args=(c,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def run(cmd, env, timeout):
    """(seconds, peak RSS MiB, timed out?) of one command."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed = False
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - t0 > timeout:
            p.kill()
            killed = True
            _, status, usage = os.wait4(p.pid, 0)
            break
        time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, killed


def main():
    vigil, ref_js, base = sys.argv[1:4]
    ref_timeout = float(os.environ.get("REF_TIMEOUT", "180"))
    wanted = os.environ.get("SHAPES", "").split()
    everything = pages()
    shapes = [k for k in everything if not wanted or k in wanted]
    ip = ipaddress.ip_address(base)
    for i, (name, body) in enumerate(everything.items()):
        serve(str(ip + i), body)
    env = dict(os.environ)
    fmt = lambda t, m, k: (f">{t:.0f} s (stopped)" if k else f"{t:.2f} s") + f", {m:.0f} MiB"
    print("| page | `vigil scan --no-tls` | `vigil scan` | reference 1.4.8 |")
    print("|---|---|---|---|")
    for name in shapes:
        host = f"hostile-{name}.test"
        a = run([vigil, "scan", "--no-tls", host], env, 120)
        b = run([vigil, "scan", "--resolver", "127.0.0.1:9", host], env, 120)
        c = run(["node", ref_js, host], env, ref_timeout)
        print(f"| {name} | {fmt(*a)} | {fmt(*b)} | {fmt(*c)} |", flush=True)


if __name__ == "__main__":
    main()
