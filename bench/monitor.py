"""The monitor benchmark's work (see bench/monitor.sh, which sets the fleet up and the
environment). Runs `vigil serve` against the local fleet and reads /healthz, /proc and the
SQLite file; prints a summary table and writes every figure to $WORK/results.json."""

import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import threading
import time
import urllib.request

ENV = os.environ
VIGIL, CA, RESOLVER, WORK = ENV["VIGIL"], ENV["CA"], ENV["RESOLVER"], ENV["WORK"]
N_SCAN, N_LIST = int(ENV.get("N_SCAN", 10000)), int(ENV.get("N_LIST", 30000))
SCAN_SECONDS = float(ENV.get("SCAN_SECONDS", 300))
SCAN_CONCURRENCIES = [int(c) for c in ENV.get("SCAN_CONCURRENCIES", "8 32").split()]
CHECK_SECONDS = float(ENV.get("CHECK_SECONDS", 120))
CHECK_INTERVAL = ENV.get("CHECK_INTERVAL", "60s")
CHECK_CONCURRENCIES = [int(c) for c in ENV.get("CHECK_CONCURRENCIES", "64 256").split()]
API_SECONDS = int(ENV.get("API_SECONDS", 10))
API_CONNECTIONS = int(ENV.get("API_CONNECTIONS", 8))
API_REQUESTS = int(ENV.get("API_REQUESTS", 3000))
API_CLIENT = ENV.get("API_CLIENT", "wrk" if shutil.which("wrk") else "python")
PHASES = ENV.get("PHASES", "scan check api").split()
HTTP_PORT, HTTPS_PORT = ENV["FLEET_HTTP_PORT"], ENV["FLEET_HTTPS_PORT"]
API_PORT = int(ENV["API_PORT"])
NGINX_PID_FILE = os.path.join(WORK, "nginx", "nginx.pid")
TICK = os.sysconf("SC_CLK_TCK")

# Loopback only: the resolver Vigil asks must be on 127.0.0.0/8.
assert ipaddress.ip_address(RESOLVER.rsplit(":", 1)[0]).is_loopback, RESOLVER

results = {"machine": {}, "imports": {}, "scan": [], "check": [], "api": {}}


# ---- processes -------------------------------------------------------------------------------

def cpu_seconds(pid):
    """utime + stime of one process, in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def nginx_pids():
    try:
        master = int(open(NGINX_PID_FILE).read().strip())
    except (OSError, ValueError):
        return []
    pids = [master]
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == master:
                pids.append(int(d))
    return pids


def nginx_cpu():
    return sum(cpu_seconds(p) for p in nginx_pids())


def machine_busy():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def timed_import(names_file, db):
    t0 = time.perf_counter()
    out = subprocess.run([VIGIL, "instances", "import", names_file, "--database", db],
                         capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, out.stdout.strip()


def sql(db, query, *args):
    con = sqlite3.connect(db, timeout=30)
    try:
        rows = con.execute(query, args).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def checkpointed_size(db):
    # The sqlite3 CLI, as the brief of the figure asks; the file then holds everything.
    subprocess.run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE)"], check=True,
                   capture_output=True)
    size = os.path.getsize(db)
    wal = db + "-wal"
    return size + (os.path.getsize(wal) if os.path.exists(wal) else 0)


class HostsGuard(threading.Thread):
    """Kills the monitor the moment /etc/hosts loses the fleet names (another program may put
    the test set back while this runs): a name missing there would go to the system resolver,
    which is not on loopback."""

    def __init__(self, proc, names):
        super().__init__(daemon=True)
        self.proc, self.names, self.tripped, self.done = proc, names, None, threading.Event()

    def intact(self):
        with open("/etc/hosts") as f:
            text = f.read()
        return all(n in text for n in self.names)

    def run(self):
        seen = None
        while not self.done.is_set() and self.proc.poll() is None:
            st = os.stat("/etc/hosts")
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
            if key != seen:
                seen = key
                if not self.intact():
                    self.proc.kill()
                    self.tripped = time.strftime("%H:%M:%S")
                    return
            time.sleep(0.02)


class Serve:
    """One `vigil serve` process, its log, and its /healthz."""

    def __init__(self, name, db, extra):
        self.log_path = os.path.join(WORK, f"serve-{name}.log")
        self.args = [VIGIL, "serve", "--database", db, "--listen", f"127.0.0.1:{API_PORT}",
                     "--ca-file", CA, "--resolver", RESOLVER, "--http-port", HTTP_PORT,
                     "--https-port", HTTPS_PORT] + extra
        assert "--discover" not in self.args
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**ENV, "VIGIL_LOG": "info,sqlx=warn"})
        self.guard = None
        if "--no-monitor" not in extra:
            self.guard = HostsGuard(self.proc, [f"i{1:04d}.fleet.test", f"i{N_SCAN:04d}.fleet.test"])
            if not self.guard.intact():
                self.proc.kill()
                raise SystemExit("/etc/hosts lacks the fleet names; not monitoring")
            self.guard.start()
        with open(os.path.join(WORK, "vigil.pid"), "w") as f:
            f.write(str(self.proc.pid))
        self.peak_rss = 0
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"vigil serve exited with {self.proc.returncode}; see {self.log_path}")
            try:
                self.health()
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit(f"vigil serve does not answer; see {self.log_path}")
                time.sleep(0.05)

    def health(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{API_PORT}/healthz", timeout=10) as r:
            return json.load(r)

    def sample(self):
        self.peak_rss = max(self.peak_rss, status_kib(self.proc.pid, "VmRSS"))
        return status_kib(self.proc.pid, "VmHWM")

    def stop(self):
        hwm = self.sample()
        cpu = cpu_seconds(self.proc.pid)
        if self.guard:
            self.guard.done.set()
            if self.guard.tripped:
                raise SystemExit(f"/etc/hosts lost the fleet names at {self.guard.tripped}: "
                                 "vigil was killed; run again when nothing else edits it")
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        os.remove(os.path.join(WORK, "vigil.pid"))
        return hwm, cpu

    def log_findings(self):
        """Counts of WARN/ERROR lines, and their distinct messages (host names folded)."""
        warn = err = 0
        kinds = {}
        with open(self.log_path, errors="replace") as f:
            for line in f:
                level = " WARN " in line and "WARN" or " ERROR " in line and "ERROR" or None
                if not level:
                    if "panicked" in line:
                        key = "panic: " + line.strip()[:160]
                        kinds[key] = kinds.get(key, 0) + 1
                    continue
                warn += level == "WARN"
                err += level == "ERROR"
                msg = re.sub(r"i\d{4,5}\.fleet\.test", "HOST", line.split(level, 1)[1].strip())
                msg = re.sub(r"\d+", "N", msg)[:200]
                kinds[msg] = kinds.get(msg, 0) + 1
        return {"warn": warn, "error": err,
                "kinds": sorted(kinds.items(), key=lambda kv: -kv[1])[:8]}


def watch(serve, counter, target, seconds):
    """Polls /healthz once a second until `counter` reaches `target` or `seconds` pass.
    Returns the samples [(t, value)], the first when the API first answered."""
    samples = []
    t_start = time.perf_counter()
    while True:
        try:
            h = serve.health()
        except OSError:
            if serve.guard and serve.guard.tripped:
                serve.stop()  # says why and stops the bench
            raise
        if serve.guard and serve.guard.tripped:
            serve.stop()
        now = time.perf_counter()
        samples.append((now - t_start, h[counter], h))
        serve.sample()
        if h[counter] >= target or now - t_start >= seconds or serve.proc.poll() is not None:
            return samples
        time.sleep(1.0)


def rate_between(samples, lo, hi):
    """Per-second rate between the first samples at or over lo and hi counts."""
    a = next((s for s in samples if s[1] >= lo), None)
    b = next((s for s in samples if s[1] >= hi), None)
    if not a or not b or b[0] <= a[0]:
        return None
    return (b[1] - a[1]) / (b[0] - a[0])


# ---- 1 and 3: full scans ---------------------------------------------------------------------

def scan_phase():
    names = os.path.join(WORK, "names-scan.txt")
    for conc in SCAN_CONCURRENCIES:
        db = os.path.join(WORK, f"scan-c{conc}.db")
        remove_db(db)
        t_import, msg = timed_import(names, db)
        results["imports"].setdefault(f"{N_SCAN} names, fresh file", round(t_import, 2))
        # Import spreads the first checks over 5 minutes; push them past the run so that only
        # scans are measured here (below the 24 h interval, so serve does not respread them).
        now = int(time.time())
        sql(db, "UPDATE instances SET next_check_at = ?", now + 86_000)
        base = checkpointed_size(db)
        serve = Serve(f"scan-c{conc}", db, ["--check-interval", "24h", "--scan-interval", "24h",
                                           "--scan-concurrency", str(conc)])
        busy0, total0 = machine_busy()
        ng0, t0 = nginx_cpu(), time.perf_counter()
        samples = watch(serve, "scans", N_SCAN, SCAN_SECONDS)
        elapsed = time.perf_counter() - t0
        ng1 = nginx_cpu()
        busy1, total1 = machine_busy()
        last = samples[-1][2]
        hwm, vcpu = serve.stop()
        findings = serve.log_findings()
        stored = sql(db, "SELECT COUNT(*) FROM scans")[0][0]
        size = checkpointed_size(db)
        avg_report, avg_evidence = sql(
            db, "SELECT AVG(LENGTH(report)), AVG(LENGTH(evidence)) FROM scans")[0]
        grades = sql(db, "SELECT COALESCE(rating_grade, '-'), COUNT(*) FROM instances "
                         "WHERE last_scan_at IS NOT NULL GROUP BY 1 ORDER BY 2 DESC")
        unreachable = sql(db, "SELECT COUNT(*) FROM scans WHERE reachable = 0")[0][0]
        scans = last["scans"]
        rate = scans / elapsed
        # The steady part: from the 5% to the 95% mark of what was done (or the last sample).
        steady = rate_between(samples, max(1, scans // 20), scans * 19 // 20)
        results["scan"].append({
            "concurrency": conc, "elapsed_s": round(elapsed, 1), "scans": scans,
            "stored_scans": stored, "all_done": scans >= N_SCAN,
            "scans_per_s": round(rate, 2), "scans_per_hour": round(rate * 3600),
            "steady_scans_per_hour": round(steady * 3600) if steady else None,
            "peak_rss_mib": round(hwm / 1024, 1), "peak_rss_sampled_mib": round(serve.peak_rss / 1024, 1),
            "vigil_cpu_cores": round(vcpu / elapsed, 2), "nginx_cpu_cores": round((ng1 - ng0) / elapsed, 2),
            "machine_busy": round((busy1 - busy0) / max(1, total1 - total0), 3),
            "health": {k: last.get(k) for k in ("scans", "checks", "void_checks", "errors")},
            "log": findings, "db_bytes": size, "db_bytes_before": base,
            "db_bytes_per_1000_scans": round(size / stored * 1000) if stored else None,
            "db_marginal_bytes_per_1000_scans": round((size - base) / stored * 1000) if stored else None,
            "avg_report_bytes": round(avg_report or 0), "avg_evidence_bytes": round(avg_evidence or 0),
            "grades": grades, "unreachable_scans": unreachable, "db": db,
        })
        print_scan(results["scan"][-1])


def print_scan(r):
    print(f"scan c={r['concurrency']}: {r['scans']} scans in {r['elapsed_s']} s = "
          f"{r['scans_per_hour']}/h (steady {r['steady_scans_per_hour']}/h), "
          f"peak RSS {r['peak_rss_mib']} MiB, vigil {r['vigil_cpu_cores']} cores, "
          f"nginx {r['nginx_cpu_cores']} cores, machine busy {r['machine_busy']:.0%}, "
          f"health {r['health']}, log {r['log']['warn']} WARN / {r['log']['error']} ERROR, "
          f"DB {r['db_bytes_per_1000_scans']} B per 1000 scans, grades {r['grades']}", flush=True)


# ---- 2: uptime checks ------------------------------------------------------------------------

def check_phase():
    names = os.path.join(WORK, "names-scan.txt")
    for conc in CHECK_CONCURRENCIES:
        db = os.path.join(WORK, f"check-c{conc}.db")
        remove_db(db)
        timed_import(names, db)
        now = int(time.time())
        # Scans a month out (so none runs), every check due now (so the first pass is flat out).
        sql(db, "UPDATE instances SET next_scan_at = ?, next_check_at = ?", now + 30 * 86_400, now - 1)
        serve = Serve(f"check-c{conc}", db, ["--check-interval", CHECK_INTERVAL,
                                            "--scan-interval", "30d", "--scan-concurrency", "1",
                                            "--check-concurrency", str(conc)])
        ng0, t0 = nginx_cpu(), time.perf_counter()
        busy0, total0 = machine_busy()
        samples = watch(serve, "checks", 10**12, CHECK_SECONDS)
        elapsed = time.perf_counter() - t0
        ng1 = nginx_cpu()
        busy1, total1 = machine_busy()
        last = samples[-1][2]
        hwm, vcpu = serve.stop()
        stored = sql(db, "SELECT COUNT(*), SUM(up) FROM checks")[0]
        first_pass = next((s for s in samples if s[1] >= N_SCAN), None)
        results["check"].append({
            "concurrency": conc, "interval": CHECK_INTERVAL, "elapsed_s": round(elapsed, 1),
            "checks": last["checks"], "checks_per_s": round(last["checks"] / elapsed, 1),
            "first_pass_s": round(first_pass[0], 1) if first_pass else None,
            "first_pass_checks_per_s": round(N_SCAN / first_pass[0], 1) if first_pass else None,
            "stored_checks": stored[0], "stored_up": stored[1],
            "peak_rss_mib": round(hwm / 1024, 1), "vigil_cpu_cores": round(vcpu / elapsed, 2),
            "nginx_cpu_cores": round((ng1 - ng0) / elapsed, 2),
            "machine_busy": round((busy1 - busy0) / max(1, total1 - total0), 3),
            "health": {k: last.get(k) for k in ("scans", "checks", "void_checks", "errors")},
            "log": serve.log_findings(),
        })
        r = results["check"][-1]
        print(f"check c={conc}: {r['checks']} checks in {r['elapsed_s']} s = {r['checks_per_s']}/s; "
              f"first pass of {N_SCAN} in {r['first_pass_s']} s ({r['first_pass_checks_per_s']}/s); "
              f"up {r['stored_up']}/{r['stored_checks']}; RSS {r['peak_rss_mib']} MiB; "
              f"vigil {r['vigil_cpu_cores']} nginx {r['nginx_cpu_cores']} cores; "
              f"health {r['health']}; log {r['log']['warn']} WARN / {r['log']['error']} ERROR", flush=True)


# ---- 4: the list API -------------------------------------------------------------------------

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(path):
    out = subprocess.run(["wrk", "-t2", f"-c{API_CONNECTIONS}", f"-d{API_SECONDS}s", "--latency",
                          f"http://127.0.0.1:{API_PORT}{path}"],
                         capture_output=True, text=True, check=True).stdout
    pct = {m.group(1): float(m.group(2)) * UNIT[m.group(3)]
           for m in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)}
    n = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"requests": n, "p50_ms": pct.get("50"), "p90_ms": pct.get("90"), "p99_ms": pct.get("99"),
            "non_2xx": int(bad.group(1)) if bad else 0, "socket_errors": sock.group(1) if sock else None,
            "rps": round(n / API_SECONDS)}


def python_client(path):
    """API_REQUESTS requests over API_CONNECTIONS keep-alive connections, one thread each."""
    per = API_REQUESTS // API_CONNECTIONS
    times, bad, lock = [], [0], threading.Lock()

    def worker():
        con = http.client.HTTPConnection("127.0.0.1", API_PORT, timeout=30)
        mine = []
        for _ in range(per):
            t = time.perf_counter()
            con.request("GET", path)
            r = con.getresponse()
            r.read()
            mine.append((time.perf_counter() - t) * 1000)
            if r.status != 200:
                with lock:
                    bad[0] += 1
        with lock:
            times.extend(mine)
        con.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(API_CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    q = statistics.quantiles(times, n=100)
    return {"requests": len(times), "p50_ms": round(q[49], 2), "p90_ms": round(q[89], 2),
            "p99_ms": round(q[98], 2), "non_2xx": bad[0], "rps": round(len(times) / wall)}


def api_phase():
    if not results["scan"]:
        raise SystemExit("the api phase needs the database of the scan phase (PHASES=\"scan api\")")
    src = max(results["scan"], key=lambda r: r["stored_scans"])["db"]
    db = os.path.join(WORK, "list.db")
    remove_db(db)
    checkpointed_size(src)
    shutil.copyfile(src, db)
    t_add, msg = timed_import(os.path.join(WORK, "names-list.txt"), db)
    results["imports"][f"{N_LIST} names into the file holding the {N_SCAN} scanned ({msg})"] = round(t_add, 2)
    scratch = os.path.join(WORK, "import-only.db")
    remove_db(scratch)
    t_fresh, _ = timed_import(os.path.join(WORK, "names-list.txt"), scratch)
    results["imports"][f"{N_LIST} names, fresh file"] = round(t_fresh, 2)
    remove_db(scratch)
    scanned = sql(db, "SELECT COUNT(*) FROM instances WHERE last_scan_at IS NOT NULL")[0][0]
    total = sql(db, "SELECT COUNT(*) FROM instances")[0][0]
    # The API alone: no monitor, so the names outside /etc/hosts are never looked up.
    serve = Serve("api", db, ["--no-monitor"])
    paths = [
        "/api/v1/instances?sort=rating&limit=50",
        f"/api/v1/instances?sort=rating&limit=50&offset={scanned // 2}",
        f"/api/v1/instances?sort=rating&limit=50&offset={total - 50}",
        "/api/v1/instances?sort=uptime&limit=50",
        "/api/v1/instances?sort=tls&limit=50&offset=1000",
        "/api/v1/instances?sort=host&order=desc&limit=50",
        "/api/v1/instances?sort=last_scan&limit=50&offset=5000",
        "/api/v1/instances?sort=software&limit=500",
        "/api/v1/instances?sort=rating&limit=50&min_grade=B&include_down=false",
        "/api/v1/instances/i0001.fleet.test",
    ]
    rows = []
    for p in paths:
        with urllib.request.urlopen(f"http://127.0.0.1:{API_PORT}{p}", timeout=30) as r:
            body = r.read()
            doc = json.loads(body)
        r = wrk(p) if API_CLIENT == "wrk" else python_client(p)
        serve.sample()
        r.update(path=p, bytes=len(body),
                 total=doc.get("total") if isinstance(doc, dict) and "instances" in doc else None)
        rows.append(r)
        print(f"api {p}: {r['requests']} requests, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
              f"{r['rps']} req/s, {r['non_2xx']} non-2xx, {len(body)} bytes, total {r['total']}",
              flush=True)
    hwm, _ = serve.stop()
    results["api"] = {"client": API_CLIENT, "connections": API_CONNECTIONS,
                      "seconds_per_url": API_SECONDS if API_CLIENT == "wrk" else None,
                      "instances": total, "scanned": scanned, "rows": rows,
                      "peak_rss_mib": round(hwm / 1024, 1), "log": serve.log_findings(),
                      "db_bytes": checkpointed_size(db)}


# ---- the summary -----------------------------------------------------------------------------

def summary():
    print("\n| figure | value |\n|---|---|")
    for k, v in results["imports"].items():
        print(f"| `vigil instances import`, {k} | {v:.2f} s |")
    for r in results["scan"]:
        done = "all" if r["all_done"] else "window"
        print(f"| full scans, --scan-concurrency {r['concurrency']} ({r['scans']} in {r['elapsed_s']} s, {done}) | "
              f"**{r['scans_per_hour']:,}/h** ({r['scans_per_s']}/s; steady {r['steady_scans_per_hour']:,}/h), "
              f"peak RSS {r['peak_rss_mib']} MiB, CPU vigil {r['vigil_cpu_cores']} + nginx {r['nginx_cpu_cores']} cores |")
    for r in results["scan"]:
        print(f"| SQLite per 1,000 scans (c={r['concurrency']}, {r['stored_scans']} scans) | "
              f"{r['db_bytes_per_1000_scans'] / 1e6:.1f} MB gross, {r['db_marginal_bytes_per_1000_scans'] / 1e6:.1f} MB "
              f"over the imported list (report {r['avg_report_bytes']} B + evidence {r['avg_evidence_bytes']} B a scan) |")
    for r in results["check"]:
        print(f"| uptime checks, --check-concurrency {r['concurrency']}, interval {r['interval']} | "
              f"**{r['checks_per_s']}/s** over {r['elapsed_s']} s; first {N_SCAN} in {r['first_pass_s']} s "
              f"({r['first_pass_checks_per_s']}/s); CPU vigil {r['vigil_cpu_cores']} + nginx {r['nginx_cpu_cores']} |")
    a = results["api"]
    for r in a.get("rows", []):
        print(f"| `GET {r['path']}` ({a['instances']} instances) | p50 {r['p50_ms']:.2f} ms, "
              f"**p99 {r['p99_ms']:.2f} ms**, {r['rps']} req/s, {r['requests']} requests |")
    out = os.path.join(WORK, "results.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
    print(f"\nall figures: {out}")


results["machine"] = {"nproc": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3]}
if "scan" in PHASES:
    scan_phase()
if "check" in PHASES:
    check_phase()
if "api" in PHASES:
    api_phase()
summary()
