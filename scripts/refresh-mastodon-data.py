#!/usr/bin/env python3
"""Regenerates crates/fedi/data/mastodon-releases.csv and mastodon-branches.csv from GitHub.

    python3 scripts/refresh-mastodon-data.py            # online: GitHub's REST API
    GITHUB_TOKEN=... python3 scripts/refresh-mastodon-data.py   # same, with a higher rate limit
    python3 scripts/refresh-mastodon-data.py --from-dir DIR     # offline: saved API answers

Sources (the same ones the bundled files were first written from):
  * releases:   GET /repos/mastodon/mastodon/releases (all pages; drafts and pre-releases skipped)
  * advisories: GET /repos/mastodon/mastodon/security-advisories (Mastodon's own advisories)
  * branches:   SECURITY.md on the main branch (its "Supported Versions" table)

--from-dir reads releases.json, advisories.json (each a JSON list, pages concatenated) and
SECURITY.md from DIR, so the transformation can be checked without a network.

Per release the notes' "Security" section decides the columns: `security_fix` is yes when the
section exists; `advisories` lists the GHSA/CVE ids found in it plus every Mastodon advisory whose
patched versions name the release; ids that are not Mastodon's own advisories are marked `[dep]`;
`kind` is `vuln` with any own advisory, `deps` when the section only updates dependencies,
`vuln-noid` for other security sections, `-` without one. Rows already in the CSV for releases the
API no longer returns are kept, so a partial answer never shrinks the data. Tests never run this
script: the Rust crate only reads the files it writes, and its tests check their shape.
"""
import argparse
import csv
import io
import json
import os
import re
import sys
import urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "crates", "fedi", "data")
RELEASES_CSV = os.path.join(DATA, "mastodon-releases.csv")
BRANCHES_CSV = os.path.join(DATA, "mastodon-branches.csv")
API = "https://api.github.com/repos/mastodon/mastodon"
SECURITY_MD = "https://raw.githubusercontent.com/mastodon/mastodon/main/SECURITY.md"

# The data starts where Mastodon's release notes started to carry security sections reliably.
OLDEST = (2, 5, 1)

ID_RE = re.compile(r"\b(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,})\b", re.I)
VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
DEPS_RE = re.compile(r"\b(update|upgrade|bump)\w*\b.*\b(dependenc|gem|package|library|libraries|rails|rack|nokogiri|node|ruby)", re.I)


def fetch(url):
    req = urllib.request.Request(url, headers={
        "Accept": "application/vnd.github+json",
        "User-Agent": "vigil-refresh-mastodon-data",
        "X-GitHub-Api-Version": "2022-11-28",
    })
    token = os.environ.get("GITHUB_TOKEN")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read().decode("utf-8")


def fetch_all(path):
    out, page = [], 1
    while True:
        batch = json.loads(fetch("%s/%s?per_page=100&page=%d" % (API, path, page)))
        if not batch:
            return out
        out.extend(batch)
        page += 1
        if page > 50:
            raise SystemExit("refusing to read more than 50 pages of " + path)


def norm_id(found):
    """GHSA ids are written with a lower-case body, CVE ids in upper case."""
    if found.upper().startswith("GHSA-"):
        return "GHSA-" + found[5:].lower()
    return found.upper()


def parse_version(tag):
    m = VERSION_RE.match(tag.strip())
    return tuple(int(x) for x in m.groups()) if m else None


def vstr(v):
    return "%d.%d.%d" % v


def security_section(body):
    """The text under a '## Security' / '### Security' heading, or None."""
    lines = (body or "").splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(#+)\s*Security\s*$", line.strip(), re.I)
        if m:
            level = len(m.group(1))
            section = []
            for nxt in lines[i + 1:]:
                h = re.match(r"^(#+)\s", nxt.strip())
                if h and len(h.group(1)) <= level:
                    break
                section.append(nxt)
            return "\n".join(section).strip()
    return None


def advisory_index(advisories):
    """GHSA id -> (cve or None, set of patched versions)."""
    index = {}
    for adv in advisories:
        ghsa = adv.get("ghsa_id")
        if not ghsa:
            continue
        patched = set()
        for vuln in adv.get("vulnerabilities") or []:
            for token in re.split(r"[,\s]+", vuln.get("patched_versions") or ""):
                v = parse_version(token)
                if v:
                    patched.add(v)
        index[norm_id(ghsa)] = (adv.get("cve_id"), patched)
    return index


def release_row(version, date, body, index):
    section = security_section(body)
    own, other = [], []
    if section is not None:
        for found in ID_RE.findall(section):
            found = norm_id(found)
            (own if found in index else other).append(found)
    for ghsa, (_, patched) in index.items():
        if version in patched:
            own.append(ghsa)
    own = sorted(set(own))
    cves_of_own = {index[g][0] for g in own if index[g][0]}
    other = sorted({x for x in other if x not in cves_of_own})
    if section is None and not own:
        return [vstr(version), date, "no", "-", ""]
    tokens = []
    for ghsa in own:
        cve = index[ghsa][0]
        tokens.append("%s(%s)" % (ghsa, cve) if cve else ghsa)
    for third in other:
        tokens.append(third + "[dep]")
    if own:
        kind = "vuln"
    elif section and all(DEPS_RE.search(l) for l in section.splitlines() if l.strip().startswith(("-", "*"))):
        kind = "deps"
    else:
        kind = "vuln-noid"
    return [vstr(version), date, "yes", kind, ";".join(tokens)]


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.reader(f))[1:]


def releases_csv(releases, advisories):
    index = advisory_index(advisories)
    rows = {}
    for row in read_csv(RELEASES_CSV):
        v = parse_version(row[0])
        if v:
            rows[v] = row
    fresh = 0
    for rel in releases:
        if rel.get("draft") or rel.get("prerelease"):
            continue
        v = parse_version(rel.get("tag_name", ""))
        if not v or v < OLDEST:
            continue
        date = (rel.get("published_at") or "")[:10]
        rows[v] = release_row(v, date, rel.get("body"), index)
        fresh += 1
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["version", "date", "security_fix", "kind", "advisories"])
    for v in sorted(rows):
        w.writerow(rows[v])
    return out.getvalue(), fresh, rows


def branches_csv(security_md, rows):
    """Rows of SECURITY.md's table: '| 4.5.x | Yes |', '| 4.4.x | Until 2026-12-17 |', '| < 4.3 | No |'."""
    old = {r[0]: r for r in read_csv(BRANCHES_CSV)}
    last_release = {}
    for v, row in rows.items():
        b = "%d.%d" % v[:2]
        last_release[b] = max(last_release.get(b, ("", "")), (row[1], vstr(v)))
    listed = {}
    for line in security_md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        m = re.match(r"^(\d+)\.(\d+)(\.x)?$", cells[0])
        if not m:
            continue
        branch = "%s.%s" % (m.group(1), m.group(2))
        status = cells[1]
        until = re.search(r"\d{4}-\d{2}-\d{2}", status)
        if until:
            listed[branch] = [branch, until.group(0), "supported until the date"]
        elif re.match(r"^(yes|supported)", status, re.I):
            listed[branch] = [branch, "", "supported"]
        else:
            date, last = last_release.get(branch, ("", ""))
            prev = old.get(branch)
            listed[branch] = prev if prev and prev[1] else [branch, date, "end of life (last release %s)" % last]
    # Branches that fell off the table keep their old row: they are end of life.
    for branch, row in old.items():
        listed.setdefault(branch, row)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["branch", "supported_until", "note"])
    for branch in sorted(listed, key=lambda b: tuple(int(x) for x in b.split(".")), reverse=True):
        w.writerow(listed[branch])
    return out.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--from-dir", help="read releases.json, advisories.json and SECURITY.md from here")
    ap.add_argument("--dry-run", action="store_true", help="print instead of writing the files")
    args = ap.parse_args()
    if args.from_dir:
        with open(os.path.join(args.from_dir, "releases.json")) as f:
            releases = json.load(f)
        with open(os.path.join(args.from_dir, "advisories.json")) as f:
            advisories = json.load(f)
        with open(os.path.join(args.from_dir, "SECURITY.md")) as f:
            security_md = f.read()
    else:
        releases = fetch_all("releases")
        advisories = fetch_all("security-advisories")
        security_md = fetch(SECURITY_MD)
    text, fresh, rows = releases_csv(releases, advisories)
    branches = branches_csv(security_md, rows)
    if args.dry_run:
        sys.stdout.write(text + "\n" + branches)
    else:
        with open(RELEASES_CSV, "w") as f:
            f.write(text)
        with open(BRANCHES_CSV, "w") as f:
            f.write(branches)
    print("%d releases from the API, %d rows, %d advisories" % (fresh, len(rows), len(advisories)), file=sys.stderr)
    print("now run: cargo test --release -p vigil-fedi (and review the diff)", file=sys.stderr)


if __name__ == "__main__":
    main()
