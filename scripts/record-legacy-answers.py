#!/usr/bin/env python3
"""Records what the legacy Observatory (PyPI httpobs 0.9.3) answers on every HTTP conformance site.

For each tests/conformance/http/cases/<case>/ this writes expected-legacy.json with the scan's
score and grade and each test's result and score_modifier, as `httpobs.scanner.local.scan`
returns them. Vigil's `--scoring legacy` is checked against these files.

Needs: the sites served (`sudo tests/conformance/http/serve.sh start`) and httpobs installed:
    python3 -m venv /var/tmp/vigil-bench/httpobs
    /var/tmp/vigil-bench/httpobs/bin/pip install --no-deps httpobs==0.9.3
    /var/tmp/vigil-bench/httpobs/bin/pip install requests==2.27.1 publicsuffixlist==0.7.12 beautifulsoup4==4.6.3
httpobs imports two exception classes from celery, which does not install on Python 3.11; a
two-class stand-in module is created in a temporary directory for that import only.
Run with that venv's python:  /var/tmp/vigil-bench/httpobs/bin/python scripts/record-legacy-answers.py
"""
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "tests", "conformance", "http", "cases")

shim = tempfile.mkdtemp()
os.makedirs(os.path.join(shim, "celery"))
open(os.path.join(shim, "celery", "__init__.py"), "w").close()
with open(os.path.join(shim, "celery", "exceptions.py"), "w") as f:
    f.write("class SoftTimeLimitExceeded(Exception):\n    pass\n\n"
            "class TimeLimitExceeded(Exception):\n    pass\n")
sys.path.insert(0, shim)

from httpobs.scanner.local import scan  # noqa: E402


def main():
    words = sys.argv[1:]
    for name in sorted(os.listdir(CASES)):
        if words and not any(w in name for w in words):
            continue
        with open(os.path.join(CASES, name, "case.json")) as f:
            host = json.load(f)["host"]
        try:
            r = scan(host)
        except Exception as e:  # the reference itself failed: record that
            r = {"error": f"{type(e).__name__}: {e}"}
        if "error" in r and "scan" not in r:
            out = {"error": r["error"]}
        else:
            out = {
                "scan": {"score": r["scan"]["score"], "grade": r["scan"]["grade"]},
                "tests": {
                    k: {"result": v["result"], "score_modifier": v["score_modifier"], "pass": v["pass"]}
                    for k, v in sorted(r["tests"].items())
                },
            }
        with open(os.path.join(CASES, name, "expected-legacy.json"), "w") as f:
            json.dump(out, f, indent=2, sort_keys=True)
            f.write("\n")
        print(name, out.get("scan", out.get("error")))


if __name__ == "__main__":
    main()
