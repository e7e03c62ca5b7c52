#!/usr/bin/env python3
"""Regenerates crates/checks/data/hsts-preload.txt from the PyPI package `hstspreload`.

    pip install --upgrade hstspreload && python3 scripts/refresh-hsts-preload.py

The package stores Chromium's force-https entries in a compact binary table; this walks every
leaf of that table and writes one host per line, with " *" after hosts whose entry covers
subdomains. The output is sorted so diffs between list versions are readable.
"""
import os
import sys

import hstspreload as h

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "checks", "data", "hsts-preload.txt")


def entries():
    path = os.path.join(os.path.dirname(h.__file__), "hstspreload.bin")
    with open(path, "rb") as f:
        data = f.read()
    found = {}
    for layer in h._JUMPTABLE:
        for jump in layer:
            if jump is None:
                continue
            start, size = jump
            for is_leaf, include_subdomains, label in h._iter_entries(data[start:start + size]):
                if is_leaf:
                    name = label.decode("ascii")
                    found[name] = found.get(name, False) or bool(include_subdomains)
    for tld in h._GTLD_INCLUDE_SUBDOMAINS:
        found[tld.decode("ascii")] = True
    return found


def main():
    found = entries()
    with open(OUT, "w") as f:
        f.write("# Chromium HSTS preload list, force-https entries (from PyPI hstspreload %s).\n" % h.__version__)
        f.write("# One host per line; a trailing ' *' marks include_subdomains.\n")
        for name in sorted(found):
            f.write(name + (" *" if found[name] else "") + "\n")
    print("wrote %d entries to %s" % (len(found), OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
