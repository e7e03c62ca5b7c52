#!/usr/bin/env python3
"""compare.py: check a TLS scanner against the facts of Vigil's TLS conformance fixtures.

    tests/conformance/tls/compare.py CMD [ARGS...]

For every case in cases/ it runs `CMD ARGS... tls-oracle.test:PORT`, reads stdout as one JSON
object and compares it with cases/<case>/facts.json (rules below). The scanner's environment has
SSL_CERT_FILE and TLS_ORACLE_CA_FILE set to <state>/pki/out/trusted-roots.pem, the only root the
scanner may trust. Its exit status is ignored; its stderr is shown when stdout is not JSON.
The servers must already run: `serve.sh start` (as root the first time).

Output: `PASS`/`FAIL` per case with the scanner's wall time, `! ...` mismatches under a failure,
`~ ...` warnings, the total scanner time, and last `tls-conformance: M/N cases match`.
Exit status: 0 when every selected case matches, 1 when some do not, 2 when the servers are down.

Environment: CASES="01 16" (case-name prefixes, default all), CASE_TIMEOUT (seconds per case,
default 120), JOBS (cases run in parallel, default 1), STRICT_ORDER=1 (a server preference order
listed in another sequence fails instead of warning), VERBOSE=1 (warnings of failing cases too),
VIGIL_TEST_STATE (default /tmp/vigil-test; the PKI is in $VIGIL_TEST_STATE/tls/pki/out).

Rules (the scanner's JSON is described in README.md):
  protocols        keys normalised (TLSv1.2, "TLS 1.2", tls1_2, TLS1.2; TLS1 = TLS1.0; SSLv3 ...);
                   a missing version is "not supported"; `supported` must match for all six.
  .ciphers         set of IANA names, case-insensitive, per supported version.
  .server_order    compared when the fact is not null; null or missing is a mismatch. When the
                   server imposes its order, ciphers listed in another sequence give a warning.
  groups           set of named groups, names normalised (X25519, P-256, prime256v1, ...).
  certificate      trusted, hostname_match, expired, not_yet_valid, self_signed: required booleans;
                   key_type (RSA, EC/ECDSA, Ed25519), key_bits, chain_complete: checked if present.
  ocsp_stapled, hsts.present   checked if present.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
HOST = "tls-oracle.test"
VERSIONS = ("SSL2.0", "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3")
VERDICTS = ("trusted", "hostname_match", "expired", "not_yet_valid", "self_signed")

# spelled-out names of the same group; anything else compares lower-cased without punctuation
GROUP_SYNONYMS = {
    "x25519": ["curve25519", "ecdhx25519"],
    "x448": ["curve448", "ecdhx448"],
    "secp256r1": ["p256", "prime256v1", "nistp256", "secp256", "ansix962prime256v1"],
    "secp384r1": ["p384", "nistp384", "secp384", "prime384v1"],
    "secp521r1": ["p521", "nistp521", "secp521", "prime521v1"],
}
GROUP_CANON = {alias: canon for canon, aliases in GROUP_SYNONYMS.items() for alias in aliases + [canon]}
KEY_TYPES = {"rsa": "RSA", "ec": "EC", "ecdsa": "EC", "ecc": "EC", "ed25519": "Ed25519"}


def squash(text):
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def version_key(name):
    """'TLSv1.2', 'TLS 1.2', 'tls1_2', 'TLS1' -> 'TLS1.2' / 'TLS1.0'; None when unknown."""
    m = re.fullmatch(r"(ssl|tls)v?(\d)(\d?)", squash(name))
    if not m:
        return None
    family, major, minor = m.group(1).upper(), m.group(2), m.group(3) or "0"
    key = f"{family}{major}.{minor}"
    return key if key in VERSIONS else None


def group_key(name):
    s = squash(name)
    return GROUP_CANON.get(s, s)


def suite_key(name):
    return str(name).strip().upper()


def check_bool(errors, label, got, want):
    if not isinstance(got, bool):
        errors.append(f"{label} is {json.dumps(got)}, not a boolean (expected {json.dumps(want)})")
    elif got != want:
        errors.append(f"{label}={json.dumps(got)}, expected {json.dumps(want)}")


def compare(facts, report):
    """Returns (mismatches, warnings) of one scanner report against one case's facts."""
    errors, warnings = [], []

    seen = {}
    protocols = report.get("protocols")
    if protocols is not None and not isinstance(protocols, dict):
        errors.append("protocols is not an object")
        protocols = {}
    for raw, value in (protocols or {}).items():
        key = version_key(raw)
        if key is None:
            warnings.append(f"protocol key {raw!r} not understood, ignored")
            continue
        if isinstance(value, bool):
            value = {"supported": value}
        elif not isinstance(value, dict):
            errors.append(f"protocols[{raw!r}] is neither an object nor a boolean")
            continue
        if key in seen and seen[key][1] != value:
            errors.append(f"{key} reported twice, differently (as {seen[key][0]!r} and {raw!r})")
        seen[key] = (raw, value)

    for version in VERSIONS:
        want = facts["protocols"][version]
        got = seen.get(version, (None, {"supported": False}))[1]
        supported = got.get("supported", False)
        if supported is None:
            supported = False
        if not isinstance(supported, bool):
            errors.append(f"{version}: supported is {json.dumps(supported)}, not a boolean")
            continue
        if supported != want["supported"]:
            errors.append(f"{version}: supported={json.dumps(supported)}, expected {json.dumps(want['supported'])}")
            continue
        if not supported:
            continue
        got_list = [suite_key(s) for s in (got.get("ciphers") or [])]
        want_list = [suite_key(s) for s in want["ciphers"]]
        missing = sorted(set(want_list) - set(got_list))
        extra = sorted(set(got_list) - set(want_list))
        if missing or extra:
            msg = f"{version}: cipher suites differ"
            if missing:
                msg += f"; missing {', '.join(missing)}"
            if extra:
                msg += f"; unexpected {', '.join(extra)}"
            errors.append(msg)
        if want["server_order"] is not None:
            order = got.get("server_order")
            if not isinstance(order, bool):
                errors.append(f"{version}: server_order is {json.dumps(order)}, expected {json.dumps(want['server_order'])}")
            elif order != want["server_order"]:
                errors.append(f"{version}: server_order={json.dumps(order)}, expected {json.dumps(want['server_order'])}")
            elif order and not missing and not extra:
                # compare the sequence of first appearances (duplicates would not change a set)
                got_seq = list(dict.fromkeys(got_list))
                if got_seq != want_list:
                    i = next(i for i, (g, w) in enumerate(zip(got_seq, want_list)) if g != w)
                    msg = (f"{version}: ciphers not in the server's preference order: #{i + 1} is "
                           f"{got_seq[i]}, the server prefers {want_list[i]} there")
                    (errors if os.environ.get("STRICT_ORDER") == "1" else warnings).append(msg)

    got_groups = report.get("groups")
    if got_groups is None:
        got_groups = []
    if not isinstance(got_groups, list):
        errors.append("groups is not a list")
    else:
        want_set = {group_key(g) for g in facts["groups"]}
        got_set = {group_key(g) for g in got_groups}
        if want_set != got_set:
            msg = "groups differ"
            if want_set - got_set:
                msg += f"; missing {', '.join(sorted(want_set - got_set))}"
            if got_set - want_set:
                msg += f"; unexpected {', '.join(sorted(got_set - want_set))}"
            errors.append(msg)

    want_cert = facts["certificate"]
    cert = report.get("certificate")
    if not isinstance(cert, dict):
        errors.append("certificate is missing or not an object")
        cert = {}
    for verdict in VERDICTS:
        if cert.get(verdict) is None:
            errors.append(f"certificate.{verdict} not reported")
        else:
            check_bool(errors, f"certificate.{verdict}", cert[verdict], want_cert[verdict])
    if cert.get("key_type") is not None:
        got_type = KEY_TYPES.get(squash(cert["key_type"]), str(cert["key_type"]))
        if got_type != want_cert["key_type"]:
            errors.append(f"certificate.key_type={cert['key_type']!r}, expected {want_cert['key_type']!r}")
    if cert.get("key_bits") is not None:
        bits = cert["key_bits"]
        if isinstance(bits, bool) or not isinstance(bits, (int, float)) or bits != want_cert["key_bits"]:
            errors.append(f"certificate.key_bits={json.dumps(bits)}, expected {want_cert['key_bits']}")
    if cert.get("chain_complete") is not None:
        check_bool(errors, "certificate.chain_complete", cert["chain_complete"], want_cert["chain_complete"])

    if report.get("ocsp_stapled") is not None:
        check_bool(errors, "ocsp_stapled", report["ocsp_stapled"], facts["ocsp_stapled"])
    hsts = report.get("hsts")
    if isinstance(hsts, dict) and hsts.get("present") is not None:
        check_bool(errors, "hsts.present", hsts["present"], facts["hsts"]["present"])
    return errors, warnings


def load_cases(prefixes):
    cases = []
    for name in sorted(os.listdir(CASES_DIR)):
        d = os.path.join(CASES_DIR, name)
        if not os.path.isfile(os.path.join(d, "facts.json")):
            continue
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        with open(os.path.join(d, "case.json")) as f:
            port = json.load(f)["port"]
        with open(os.path.join(d, "facts.json")) as f:
            facts = json.load(f)
        cases.append((name, port, facts))
    return cases


def port_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return True
    except OSError:
        return False


def run_case(cmd, env, timeout, case):
    name, port, facts = case
    target = f"{HOST}:{port}"
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd + [target], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, start_new_session=True)
    except OSError as e:
        return name, time.monotonic() - start, [f"cannot run {cmd[0]}: {e}"], []
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the scanner and anything it started
        except OSError:
            pass
        proc.communicate()
        return name, time.monotonic() - start, [f"no answer within CASE_TIMEOUT={timeout:g}s, killed"], []
    elapsed = time.monotonic() - start
    text = out.decode("utf-8", "replace")
    try:
        report = json.loads(text)
    except json.JSONDecodeError as e:
        tail = err.decode("utf-8", "replace").strip()[-400:]
        return name, elapsed, [f"stdout is not JSON ({e}); exit status {proc.returncode}; stderr: {tail or '(empty)'}"], []
    if not isinstance(report, dict):
        return name, elapsed, [f"stdout is JSON but a {type(report).__name__}, not an object"], []
    errors, warnings = compare(facts, report)
    return name, elapsed, errors, warnings


def main():
    cmd = sys.argv[1:]
    if not cmd or cmd[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    cases = load_cases(os.environ.get("CASES", "").split())
    timeout = float(os.environ.get("CASE_TIMEOUT") or 120)
    jobs = max(1, int(os.environ.get("JOBS") or 1))
    verbose = os.environ.get("VERBOSE") == "1"
    state = os.path.join(os.environ.get("VIGIL_TEST_STATE") or "/tmp/vigil-test", "tls")
    roots = os.path.join(state, "pki", "out", "trusted-roots.pem")
    total = len(cases)

    down = [f"{name} (:{port})" for name, port, _ in cases if not port_answers(port)]
    if not os.path.isfile(roots) or down:
        if not os.path.isfile(roots):
            print(f"no trust anchor at {roots}")
        if down:
            print(f"not answering: {', '.join(down)}")
        print(f"start the servers first: sudo {os.path.join(HERE, 'serve.sh')} start")
        print(f"tls-conformance: 0/{total} cases match")
        sys.exit(2)

    env = dict(os.environ, SSL_CERT_FILE=roots, TLS_ORACLE_CA_FILE=roots)
    width = max([len(name) for name, _, _ in cases] + [10])
    passed, scanner_time = 0, 0.0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # map() yields in case order, each as soon as it (and the ones before it) finished
        for name, elapsed, errors, warnings in pool.map(lambda c: run_case(cmd, env, timeout, c), cases):
            scanner_time += elapsed
            passed += not errors
            print(f"{'PASS' if not errors else 'FAIL'} {name:<{width}} {elapsed:8.2f}s", flush=True)
            for e in errors:
                print(f"     ! {e}")
            if warnings and (verbose or not errors):
                for w in warnings:
                    print(f"     ~ {w}")
            sys.stdout.flush()
    print(f"total scanner wall time: {scanner_time:.2f}s over {total} cases (JOBS={jobs})")
    print(f"tls-conformance: {passed}/{total} cases match")
    sys.exit(0 if total and passed == total else 1)


if __name__ == "__main__":
    main()
