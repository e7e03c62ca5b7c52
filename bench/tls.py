#!/usr/bin/env python3
"""Times `vigil tls` against sslyze, testssl.sh and sslscan on the TLS conformance servers.

Every tool runs as a whole process (interpreter and start-up included), one server at a time,
against tls-oracle.test:PORT on loopback. Per server the tools take turns, and the order of the
turn rotates from one repetition to the next so that machine noise is shared out. For each
server the script prints the median wall time of each tool, the ratio peer / vigil, and how much
of the case's facts.json each tool found:

  P  protocol versions supported (SSL 2.0 .. TLS 1.3)
  S  accepted cipher suites per version, as sets of IANA names
  G  key-exchange groups (TLS 1.2 curves and TLS 1.3 key shares, ffdhe included), as a set

A cell reads `ok`, or `-N` (N facts the tool did not report), `+N` (N items it reported that the
facts do not have), or both. Suites of a version the tool did not see count as missed. The facts
are taken from the tool's last run on that server; if another run of the same tool said
something else, the server is listed as unstable.

Usage: tls.py VIGIL_BIN SSLYZE_BIN CA_PEM CASES_DIR
Knobs (environment):
  REPS=3              runs of vigil, sslyze and sslscan per server (median is reported)
  TESTSSL=1           0 leaves testssl.sh out
  TESTSSL_REPS=1      runs of testssl.sh per server
  TESTSSL_TIMEOUT=600 seconds one testssl.sh run may take before it is killed
  TESTSSL_CASES=      words; when set, testssl.sh runs only on the cases they select (a word
                      selects a case whose name starts with it or has it after a dash: "08")
  TESTSSL_ARGS=-9     testssl.sh scan options (default: its full run, i.e. the default checks
                      plus the accepted suites per protocol; "-p -E -f" runs only the checks
                      behind the facts compared here)
  TOOL_TIMEOUT=300    seconds one run of vigil, sslyze or sslscan may take
  BENCH_CASES=        words; when set, only the cases they select (same rule)
  BENCH_KEEP=DIR      keep every tool's raw output there (default: a temporary directory)
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HOST = "tls-oracle.test"
VERSIONS = ("SSL2.0", "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3")
TOOLS = ("vigil", "sslyze", "testssl", "sslscan")
PEERS = ("sslyze", "testssl", "sslscan")

# --- names -------------------------------------------------------------------------------

# TLS 1.3 suites (OpenSSL lists only the three it enables by default) and the legacy suites that
# Debian's OpenSSL 3 no longer knows at all, so that IDs and OpenSSL names still map.
EXTRA_SUITES = [
    (0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256"),
    (0x1304, "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RC4-MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "DES-CBC-SHA"),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "EDH-DSS-DES-CBC3-SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "EDH-RSA-DES-CBC3-SHA"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "ADH-RC4-MD5"),
    (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA"),
    (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-ECDSA-DES-CBC3-SHA"),
    (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA"),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"),
]
SUITE_BY_ID, SUITE_BY_OPENSSL = {}, {}

GROUP_BY_ID = {
    0x0017: "secp256r1", 0x0018: "secp384r1", 0x0019: "secp521r1", 0x001A: "brainpoolp256r1",
    0x001B: "brainpoolp384r1", 0x001C: "brainpoolp512r1", 0x001D: "x25519", 0x001E: "x448",
    0x0100: "ffdhe2048", 0x0101: "ffdhe3072", 0x0102: "ffdhe4096", 0x0103: "ffdhe6144",
    0x0104: "ffdhe8192",
}
GROUP_ALIASES = {
    "prime256v1": "secp256r1", "p256": "secp256r1", "nistp256": "secp256r1",
    "secp384r1": "secp384r1", "p384": "secp384r1", "nistp384": "secp384r1",
    "p521": "secp521r1", "nistp521": "secp521r1",
    "curve25519": "x25519", "curve448": "x448",
}


def load_suite_names():
    """IANA names by code point and by OpenSSL name, from the local `openssl ciphers`."""
    for code, iana, ossl in EXTRA_SUITES:
        SUITE_BY_ID[code] = iana
        SUITE_BY_OPENSSL[ossl.upper()] = iana
    tls13 = ":".join(iana for code, iana, _ in EXTRA_SUITES if code >> 8 == 0x13)
    try:
        out = subprocess.run(
            ["openssl", "ciphers", "-stdname", "-V", "-ciphersuites", tls13,
             "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
            capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        sys.exit(f"cannot list OpenSSL's cipher suites: {err}")
    for line in out.splitlines():
        m = re.match(r"\s*0x([0-9A-F]{2}),0x([0-9A-F]{2})\s+-\s+(\S+)\s+-\s+(\S+)", line, re.I)
        if m:
            code = int(m.group(1) + m.group(2), 16)
            SUITE_BY_ID[code] = m.group(3).upper()
            SUITE_BY_OPENSSL[m.group(4).upper()] = m.group(3).upper()


def suite_name(name=None, code=None):
    """IANA name of a suite given as an IANA name, an OpenSSL name, or a code point."""
    if name:
        upper = name.strip().upper()
        if upper.startswith(("TLS_", "SSL_")):
            return "TLS_" + upper[4:]
        if upper in SUITE_BY_OPENSSL:
            return SUITE_BY_OPENSSL[upper]
    if code is not None and code in SUITE_BY_ID:
        return SUITE_BY_ID[code]
    return f"?{name or ''}({code if code is None else hex(code)})"


def group_name(name=None, code=None):
    if code is not None and code in GROUP_BY_ID:
        return GROUP_BY_ID[code]
    first = str(name or "").split("(")[0].strip()
    squashed = re.sub(r"[^a-z0-9]", "", first.lower())
    return GROUP_ALIASES.get(squashed, squashed)


def version_name(text):
    """'TLSv1.2', 'tls1_2', 'TLS1', 'SSLv3', 'ssl_3_0' -> 'TLS1.2', 'TLS1.0', 'SSL3.0'."""
    s = re.sub(r"[^a-z0-9]", "", str(text).lower())
    m = re.fullmatch(r"(ssl|tls)v?(\d)(\d?)", s)
    if not m:
        return None
    key = f"{m.group(1).upper()}{m.group(2)}.{m.group(3) or '0'}"
    return key if key in VERSIONS else None


# --- what each tool found ------------------------------------------------------------------
# Each reader returns {"protocols": {version: bool}, "suites": {version: set}, "groups": set}
# or raises ValueError with a short reason.


def read_vigil(path):
    with open(path, "rb") as f:
        doc = json.loads(f.read() or b"null")
    if not isinstance(doc, dict) or not isinstance(doc.get("protocols"), dict):
        raise ValueError("no protocols in the output")
    found = {"protocols": {}, "suites": {}, "groups": set()}
    for key, value in doc["protocols"].items():
        version = version_name(key)
        if version and isinstance(value, dict):
            found["protocols"][version] = bool(value.get("supported"))
            found["suites"][version] = {suite_name(s) for s in value.get("ciphers") or []}
    found["groups"] = {group_name(g) for g in doc.get("groups") or []}
    return found


def read_sslyze(path):
    with open(path) as f:
        doc = json.load(f)
    results = doc.get("server_scan_results") or []
    if not results or results[0].get("scan_result") is None:
        raise ValueError("no scan result (connectivity: %s)" %
                         (results[0].get("connectivity_status") if results else "?"))
    scan = results[0]["scan_result"]
    found = {"protocols": {}, "suites": {}, "groups": set()}
    for version in VERSIONS:
        key = version.lower().replace("ssl", "ssl_").replace("tls", "tls_").replace(".", "_")
        attempt = scan.get(key + "_cipher_suites") or {}
        result = attempt.get("result")
        if attempt.get("status") != "COMPLETED" or result is None:
            continue
        found["protocols"][version] = bool(result.get("is_tls_version_supported"))
        found["suites"][version] = {
            suite_name(c["cipher_suite"]["name"]) for c in result.get("accepted_cipher_suites") or []}
    curves = (scan.get("elliptic_curves") or {}).get("result") or {}
    found["groups"] = {group_name(c["name"]) for c in curves.get("supported_curves") or []}
    return found


TESTSSL_PROTOCOL_IDS = {"SSLv2": "SSL2.0", "SSLv3": "SSL3.0", "TLS1": "TLS1.0",
                        "TLS1_1": "TLS1.1", "TLS1_2": "TLS1.2", "TLS1_3": "TLS1.3"}
TESTSSL_CIPHER_PREFIX = {"ssl2": "SSL2.0", "ssl3": "SSL3.0", "tls1": "TLS1.0",
                         "tls1_1": "TLS1.1", "tls1_2": "TLS1.2", "tls1_3": "TLS1.3"}


def read_testssl(path):
    with open(path) as f:
        doc = json.load(f)
    if isinstance(doc, dict):  # --jsonfile-pretty nests the findings
        doc = [f for scan in doc.get("scanResult", []) for section in scan.values()
               if isinstance(section, list) for f in section]
    found = {"protocols": {}, "suites": {}, "groups": set()}
    for entry in doc:
        ident, finding = entry.get("id", ""), str(entry.get("finding", ""))
        low = finding.lower()
        if ident in TESTSSL_PROTOCOL_IDS:
            found["protocols"][TESTSSL_PROTOCOL_IDS[ident]] = (
                ("offered" in low and not low.startswith("not offered")) or "supported but" in low)
            continue
        m = re.fullmatch(r"cipher-(ssl2|ssl3|tls1|tls1_1|tls1_2|tls1_3)_x([0-9a-f]+)", ident, re.I)
        if m:
            version = TESTSSL_CIPHER_PREFIX[m.group(1).lower()]
            code = int(m.group(2), 16)
            # the finding holds the IANA name next to the OpenSSL one; the code point is the
            # fallback
            name = next((w for w in finding.split() if re.fullmatch(r"(TLS|SSL)_\w+", w)), None)
            if version == "SSL2.0":
                name = name or f"SSLv2-{m.group(2)}"
                found["suites"].setdefault(version, set()).add(name.upper())
            else:
                found["suites"].setdefault(version, set()).add(suite_name(name, code))
            continue
        # "PFS_ECDHE_curves" (3.0) / "FS_ECDHE_curves" (3.1), and "DH_groups": the ffdhe groups
        # accepted as TLS 1.3 key shares, but also the RFC 7919 prime it recognises in TLS 1.2
        # DHE parameters, which facts.json does not count as a negotiated group.
        if re.fullmatch(r"P?FS_ECDHE_curves|(P?FS_)?DH_groups", ident):
            for word in finding.replace(",", " ").split():
                if re.fullmatch(r"[A-Za-z][\w-]*\d[\w-]*", word):
                    found["groups"].add(group_name(word))
    if not found["protocols"]:
        raise ValueError("no protocol findings")
    return found


def read_sslscan(path):
    root = ET.parse(path).getroot()
    test = root.find("ssltest")
    if test is None:
        raise ValueError("no <ssltest> element")
    found = {"protocols": {}, "suites": {}, "groups": set()}
    for proto in test.findall("protocol"):
        version = version_name(proto.get("type", "") + proto.get("version", ""))
        if version:
            found["protocols"][version] = proto.get("enabled") == "1"
    for cipher in test.findall("cipher"):
        if cipher.get("status") not in ("accepted", "preferred"):
            continue
        version = version_name(cipher.get("sslversion", ""))
        code = int(cipher.get("id"), 16) if cipher.get("id") else None
        found["suites"].setdefault(version, set()).add(suite_name(cipher.get("cipher"), code))
    for group in test.findall("group"):
        code = int(group.get("id"), 16) if group.get("id") else None
        found["groups"].add(group_name(group.get("name"), code))
    if not found["protocols"]:
        raise ValueError("no protocol elements")
    return found


READERS = {"vigil": read_vigil, "sslyze": read_sslyze, "testssl": read_testssl,
           "sslscan": read_sslscan}


def score(facts, found):
    """Differences between a tool's findings and the facts: {"P"|"S"|"G": (missed, extra)}."""
    want_p = {v for v in VERSIONS if facts["protocols"][v]["supported"]}
    got_p = {v for v in VERSIONS if found["protocols"].get(v)}
    missed_s, extra_s = [], []
    for v in VERSIONS:
        want = {suite_name(s) for s in facts["protocols"][v]["ciphers"]} if v in want_p else set()
        got = found["suites"].get(v, set()) if v in got_p or v in want_p else set()
        missed_s += [f"{v} {s}" for s in sorted(want - got)]
        extra_s += [f"{v} {s}" for s in sorted(got - want)]
    want_g = {group_name(g) for g in facts["groups"]}
    got_g = found["groups"]
    return {
        "P": (sorted(want_p - got_p), sorted(got_p - want_p)),
        "S": (missed_s, extra_s),
        "G": (sorted(want_g - got_g), sorted(got_g - want_g)),
    }


def cell(diff):
    missed, extra = diff
    if not missed and not extra:
        return "ok"
    return (f"-{len(missed)}" if missed else "") + (f"+{len(extra)}" if extra else "")


# --- running -------------------------------------------------------------------------------


def run(cmd, env, timeout, stdout_path, stderr_path):
    """Runs cmd in its own process group; returns (seconds, timed_out)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            p.wait(timeout=timeout)
            return time.perf_counter() - t0, False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # the group we created above, nothing else
            p.wait()
            return time.perf_counter() - t0, True
        except BaseException:  # Ctrl-C: leave no scanner behind
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise


def command(tool, cfg, port, out):
    """(argv, env, the file holding the tool's report) for one run. Files start with `out`."""
    target = f"{HOST}:{port}"
    env = dict(os.environ)
    if tool == "vigil":
        env["SSL_CERT_FILE"] = cfg["ca"]
        return [cfg["vigil"], "tls", "--format", "json", target], env, out + ".stdout"
    if tool == "sslyze":
        report = out + ".json"
        return [cfg["sslyze"], f"--json_out={report}", f"--certinfo_ca_file={cfg['ca']}",
                target], env, report
    if tool == "testssl":
        report = out + ".json"
        # --ip skips name resolution, --nodns none keeps it from any DNS query (CAA, MX)
        return (["testssl", *cfg["testssl_args"], "--jsonfile", report, "--mapping", "iana",
                 "--add-ca", cfg["ca"], "--warnings", "off", "--color", "0", "--quiet",
                 "--ip", "127.0.0.1", "--nodns", "none", "--openssl-timeout", "10", target],
                env, report)
    if tool == "sslscan":
        report = out + ".xml"
        return (["sslscan", f"--xml={report}", "--show-certificate", "--ocsp", "--no-colour",
                 target], env, report)
    raise KeyError(tool)


def selected(name, words):
    """True when no word is given, or the case name starts with one or has it after a dash
    ("08", "legacy", "ssl3" select 08-legacy-ssl3-rc4-3des; "25" does not select 09-x25519)."""
    return not words or any(name.startswith(w) or f"-{w}" in name for w in words)


def fmt_ms(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    vigil, sslyze, ca, cases_dir = sys.argv[1:5]
    env = os.environ.get
    reps = int(env("REPS", "3"))
    tool_reps = {"vigil": reps, "sslyze": reps, "sslscan": reps,
                 "testssl": int(env("TESTSSL_REPS", "1")) if env("TESTSSL", "1") != "0" else 0}
    timeouts = {t: float(env("TOOL_TIMEOUT", "300")) for t in TOOLS}
    timeouts["testssl"] = float(env("TESTSSL_TIMEOUT", "600"))
    case_words = env("BENCH_CASES", "").split()
    testssl_words = env("TESTSSL_CASES", "").split()
    keep = env("BENCH_KEEP")
    cfg = {"vigil": vigil, "sslyze": sslyze, "ca": ca,
           "testssl_args": env("TESTSSL_ARGS", "-9").split()}
    load_suite_names()

    cases = []
    for name in sorted(os.listdir(cases_dir)):
        facts_path = os.path.join(cases_dir, name, "facts.json")
        if not selected(name, case_words) or not os.path.isfile(facts_path):
            continue
        with open(facts_path) as f:
            facts = json.load(f)
        cases.append((name, int(facts["target"].rsplit(":", 1)[1]), facts))
    if not cases:
        sys.exit("no case selected")

    workdir = keep or tempfile.mkdtemp(prefix="vigil-bench-tls-")
    os.makedirs(workdir, exist_ok=True)
    try:
        rows, details, unstable = measure(cases, cfg, tool_reps, timeouts, testssl_words, workdir)
        print_report(rows, details, unstable, tool_reps)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if keep:
        print(f"\nraw outputs kept in {workdir}")


def measure(cases, cfg, tool_reps, timeouts, testssl_words, workdir):
    """Runs every tool on every case; returns (rows, details, unstable)."""
    rows, details, unstable = [], [], []
    started = time.perf_counter()
    for index, (name, port, facts) in enumerate(cases):
        times = {t: [] for t in TOOLS}
        verdicts = {t: [] for t in TOOLS}  # per run: score dict, or an error string
        runs = {t: tool_reps[t] if t != "testssl" or selected(name, testssl_words) else 0
                for t in TOOLS}
        for rep in range(max(runs.values())):
            turn = [t for t in TOOLS if rep < runs[t]]
            shift = (index + rep) % len(turn)
            for tool in turn[shift:] + turn[:shift]:
                out = os.path.join(workdir, f"{name}.{tool}.{rep}")
                argv, tool_env, report = command(tool, cfg, port, out)
                if os.path.exists(report):
                    os.remove(report)  # testssl.sh refuses to write over an old file
                # vigil's report is its stdout; the peers write theirs to a file
                stdout = report if tool == "vigil" else out + ".log"
                seconds, timed_out = run(argv, tool_env, timeouts[tool], stdout, out + ".err")
                if timed_out:
                    verdicts[tool].append(f"killed after {timeouts[tool]:.0f} s")
                    continue
                times[tool].append(seconds)
                try:
                    verdicts[tool].append(score(facts, READERS[tool](report)))
                except (OSError, ValueError, KeyError, TypeError, ET.ParseError) as err:
                    verdicts[tool].append(f"unreadable report ({type(err).__name__}: {err})")
        med = {t: statistics.median(times[t]) if times[t] else None for t in TOOLS}
        row = {"case": name, "ms": med, "facts": {},
               "timed_out": {t: timeouts[t] for t in TOOLS if verdicts[t] and not times[t]}}
        for tool in TOOLS:
            if not verdicts[tool]:
                continue
            last = verdicts[tool][-1]
            if any(v != last for v in verdicts[tool]):
                unstable.append(f"{name}: {tool} answered differently across runs")
            row["facts"][tool] = last
            if isinstance(last, str):
                details.append(f"{name}: {tool}: {last}")
                continue
            for part, label in (("P", "protocols"), ("S", "suites"), ("G", "groups")):
                missed, extra = last[part]
                if missed:
                    details.append(f"{name}: {tool} missed {label}: {', '.join(missed)}")
                if extra:
                    details.append(f"{name}: {tool} reported extra {label}: {', '.join(extra)}")
        rows.append(row)
        print(f"[{time.perf_counter() - started:6.0f} s] {name}: "
              + ", ".join(f"{t} {fmt_ms(med[t])} ms" for t in TOOLS if med[t] is not None),
              file=sys.stderr, flush=True)

    return rows, details, unstable


def facts_cell(row, tool):
    v = row["facts"].get(tool)
    if v is None:
        return "-"
    if isinstance(v, str):
        return "timeout" if v.startswith("killed") else "fail"
    return "/".join(cell(v[p]) for p in "PSG")


def fully_right(v):
    return isinstance(v, dict) and all(not v[p][0] and not v[p][1] for p in "PSG")


def print_report(rows, details, unstable, tool_reps):
    active = [t for t in TOOLS if tool_reps[t] and any(r["facts"].get(t) is not None for r in rows)]
    peers = [t for t in PEERS if t in active]
    print()
    print("Wall time: median ms per server (peer / vigil in brackets). Facts found: "
          "protocols/suites/groups, `ok` or -missed/+extra.")
    print()
    head = ["server", "vigil ms"] + [f"{t} ms (x)" for t in peers] + [f"{t} P/S/G" for t in active]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (1 + len(peers)) + [":---:"] * len(active)) + "|")
    ratios = {t: [] for t in peers}
    for row in rows:
        v = row["ms"]["vigil"]
        cells = [row["case"], fmt_ms(v)]
        for t in peers:
            p = row["ms"][t]
            if t in row["timed_out"]:
                cells.append(f">{row['timed_out'][t] * 1000:.0f} (killed)")
            elif p is None or not v:
                cells.append(fmt_ms(p))
            else:
                ratios[t].append(p / v)
                cells.append(f"{fmt_ms(p)} ({p / v:.1f}x)")
        cells += [facts_cell(row, t) for t in active]
        print("| " + " | ".join(cells) + " |")

    print()
    print("| tool | servers timed | total s | median ratio peer/vigil (min-max) | "
          "servers with all facts right |")
    print("|---|---:|---:|---|---:|")
    for t in active:
        timed = [r["ms"][t] for r in rows if r["ms"][t] is not None]
        ran = [r for r in rows if r["facts"].get(t) is not None]
        right = sum(fully_right(r["facts"][t]) for r in ran)
        if t in ratios and ratios[t]:
            rs = ratios[t]
            ratio = f"**{statistics.median(rs):.1f}x** ({min(rs):.1f}-{max(rs):.1f})"
        else:
            ratio = ""
        print(f"| {t} | {len(timed)} | {sum(timed):.1f} | {ratio} | {right}/{len(ran)} |")

    # a fact Vigil got wrong while some peer got it right is a Vigil bug worth a look
    vigil_behind = []
    for row in rows:
        mine = row["facts"].get("vigil")
        if isinstance(mine, str):
            vigil_behind.append(f"{row['case']}: vigil gave no usable report: {mine}")
            continue
        for p, label in (("P", "protocols"), ("S", "suites"), ("G", "groups")):
            for k, kind in ((0, "missed"), (1, "extra")):
                items = set(mine[p][k]) if isinstance(mine, dict) else set()
                for t in peers:
                    theirs = row["facts"].get(t)
                    if isinstance(theirs, dict):
                        better = items - set(theirs[p][k])
                        if better:
                            vigil_behind.append(f"{row['case']}: vigil {kind} {label} "
                                                f"{', '.join(sorted(better))}; {t} did not")
    print()
    print("Differences from facts.json:" if details else "Differences from facts.json: none")
    for line in details:
        print("  " + line)
    if unstable:
        print("Unstable answers:")
        for line in unstable:
            print("  " + line)
    # the targets: >= 5x sslyze, >= 50x testssl.sh, nothing missed
    vigil_missed = sum(len(r["facts"]["vigil"][p][0]) if isinstance(r["facts"].get("vigil"), dict)
                       else 1 for r in rows if "vigil" in r["facts"] for p in "PSG")
    targets = [f"no fact missed by vigil: {'met' if vigil_missed == 0 else f'NOT met ({vigil_missed})'}"]
    for t, goal in (("sslyze", 5), ("testssl", 50)):
        if ratios.get(t):
            m = statistics.median(ratios[t])
            targets.append(f"{goal}x faster than {t}: {'met' if m >= goal else 'NOT met'} "
                           f"(median {m:.1f}x, {sum(r >= goal for r in ratios[t])}/{len(ratios[t])} "
                           f"servers at or above)")
    print("Targets: " + "; ".join(targets))
    print("Facts Vigil got wrong that a peer got right:" if vigil_behind
          else "Facts Vigil got wrong that a peer got right: none")
    for line in vigil_behind:
        print("  " + line)


if __name__ == "__main__":
    main()
