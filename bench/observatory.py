#!/usr/bin/env python3
"""Times `vigil scan` against the reference Observatory CLI over the conformance sites.

Both tools run as whole processes (start-up included), one site at a time, REPS times each,
in alternating order so machine noise hits both alike. For every site this prints the median
wall time of each tool, their ratio, and whether the two answers agree (score, grade and
every test's pass/result/modifier, or the same error text). Then it scans HOSTS_N sites in one
`vigil scan --hosts-file` call and reports the wall time and peak memory.

Usage: observatory.py VIGIL_BIN REF_SCAN_JS CA_PEM CASES_DIR
Knobs: REPS (default 3), BENCH_CASES (words a case name must contain), HOSTS_N (default 100).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, env):
    """Runs cmd to completion; returns (seconds, peak RSS in KiB, stdout bytes)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait
    return time.perf_counter() - t0, usage.ru_maxrss, out


def digest(raw):
    """What the conformance comparison looks at, from Observatory CLI JSON."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return ("unparseable",)
    if doc.get("error") is not None and "scan" not in doc:
        return ("error", doc["error"])
    scan = doc.get("scan", {})
    tests = doc.get("tests", {})
    return (
        scan.get("score"),
        scan.get("grade"),
        tuple(
            sorted(
                (k, v.get("pass"), v.get("result"), v.get("scoreModifier"))
                for k, v in tests.items()
            )
        ),
    )


def main():
    vigil, ref_js, ca, cases_dir = sys.argv[1:5]
    reps = int(os.environ.get("REPS", "3"))
    words = os.environ.get("BENCH_CASES", "").split()
    hosts_n = int(os.environ.get("HOSTS_N", "100"))

    cases = []
    for name in sorted(os.listdir(cases_dir)):
        if words and not any(w in name for w in words):
            continue
        with open(os.path.join(cases_dir, name, "case.json")) as f:
            cases.append((name, json.load(f)["host"]))
    if not cases:
        sys.exit("no case selected")

    venv = dict(os.environ, SSL_CERT_FILE=ca)
    renv = dict(os.environ, NODE_EXTRA_CA_CERTS=ca)
    ratios, agree, vig_rss, ref_rss = [], 0, 0, 0
    vig_all, ref_all = [], []
    print(f"{'site':<48} {'vigil ms':>9} {'ref ms':>9} {'ratio':>7}  agree")
    for name, host in cases:
        vt, rt, vout, rout = [], [], b"", b""
        for _ in range(reps):
            s, rss, vout = run([vigil, "scan", "--format", "observatory", host], venv)
            vt.append(s)
            vig_rss = max(vig_rss, rss)
            s, rss, rout = run(["node", ref_js, host], renv)
            rt.append(s)
            ref_rss = max(ref_rss, rss)
        v, r = statistics.median(vt), statistics.median(rt)
        vig_all.append(v)
        ref_all.append(r)
        same = digest(vout) == digest(rout)
        agree += same
        ratios.append(r / v)
        print(f"{name:<48} {v*1000:9.1f} {r*1000:9.1f} {r/v:6.1f}x  {'yes' if same else 'NO'}")

    print()
    print(f"sites: {len(cases)}, repetitions: {reps}")
    print(f"answers agree: {agree}/{len(cases)}")
    print(f"median per-site time: vigil {statistics.median(vig_all)*1000:.1f} ms, "
          f"reference {statistics.median(ref_all)*1000:.1f} ms")
    print(f"per-site ratio (reference / vigil): median {statistics.median(ratios):.1f}x, "
          f"min {min(ratios):.1f}x, max {max(ratios):.1f}x")
    print(f"peak RSS of one scan: vigil {vig_rss/1024:.1f} MiB, reference {ref_rss/1024:.1f} MiB")

    # Many sites in one process: the monitor's shape of work.
    hosts = [h for _, h in cases]
    batch = (hosts * (hosts_n // len(hosts) + 1))[:hosts_n]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(batch) + "\n")
        path = f.name
    # DNS questions go to the loopback test server (never the system resolver), so the full
    # report's DNS part costs what it costs on a local network.
    dns = []
    if os.environ.get("RESOLVER") and os.environ.get("ANCHOR"):
        dns = ["--resolver", os.environ["RESOLVER"], "--trust-anchor", os.environ["ANCHOR"]]
    shapes = [("--format observatory (HTTP only)", ["--format", "observatory"])]
    if dns:
        shapes.append(("--format json (full report: TLS, IPv6, DNS, software, rating)",
                       ["--format", "json"] + dns))
    for label, args in shapes:
        walls = []
        rss_max = 0
        lines = 0
        for _ in range(reps):
            s, rss, out = run(
                [vigil, "scan"] + args + ["--concurrency", str(hosts_n), "--hosts-file", path],
                venv,
            )
            walls.append(s)
            rss_max = max(rss_max, rss)
            lines = sum(1 for line in out.splitlines() if line.strip())
        print(f"{hosts_n} sites in one `vigil scan --hosts-file --concurrency {hosts_n}` {label}: "
              f"median wall {statistics.median(walls):.2f} s (runs: "
              + ", ".join(f"{w:.2f}" for w in walls)
              + f"), {lines} reports, peak RSS {rss_max/1024:.1f} MiB")
    os.unlink(path)
    return 0 if agree == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
