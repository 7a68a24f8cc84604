#!/usr/bin/env python3
"""The Debian archive as a test bench for `import-debian` and `verify --watch`.

Driven by bench/debian-archive.sh (which sets up deb-src, runs apt-get update and builds
sigwatch); usable alone:

    debian_archive.py select --out LIST [--count N] [--seed S] [--max-mib M]
    debian_archive.py run --list LIST --cache DIR --results DIR --sigwatch BIN [--shard K/N]
    debian_archive.py table --results DIR [--list LIST] [--cache DIR]

`select` reads apt's Sources index and lists source packages whose files include an upstream
signature (`*.orig.tar.*.asc` or `*.orig-COMPONENT.tar.*.asc` beside the tarball), in a random
order fixed by the seed. `run` downloads each (`apt-get source --download-only`, into CACHE,
skipping and counting what the mirror does not serve), unpacks debian/, runs
`sigwatch import-debian`, then checks every signed orig tarball three ways:
`sigwatch verify --watch`, `gpgv` with the package's key file dearmored into a keyring (what
uscan runs) and `sqv`. One JSON file per package goes to RESULTS; a package with a result is
not redone (delete RESULTS to re-run). `table` tallies the results as Markdown.
"""

import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

ORIG_ASC = re.compile(r"^(?P<base>.+\.orig(?:-(?P<comp>[A-Za-z0-9][A-Za-z0-9-]*))?\.tar\.[a-z0-9]+)\.asc$")
KEY_FILES = [
    "debian/upstream/signing-key.asc",
    "debian/upstream/signing-key.pgp",
    "debian/upstream-signing-key.pgp",
]


def sources_text():
    out = subprocess.run(
        ["apt-get", "indextargets", "--format", "$(FILENAME)", "Created-By: Sources"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    if not out:
        sys.exit("no Sources index: add a deb-src line and run apt-get update")
    texts = []
    for f in out:
        texts.append(subprocess.run(
            ["/usr/lib/apt/apt-helper", "cat-file", f], check=True, capture_output=True,
            text=True, errors="replace",
        ).stdout)
    return "\n\n".join(texts)


def stanzas(text):
    for block in re.split(r"\n\s*\n", text):
        fields, key = {}, None
        for line in block.splitlines():
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields:
            yield fields


def cmd_select(a):
    newest = {}
    for s in stanzas(sources_text()):
        files, sha256 = {}, {}
        for line in s.get("Files", "").splitlines():
            parts = line.split()
            if len(parts) == 3:
                files[parts[2]] = int(parts[1])
        for line in s.get("Checksums-Sha256", "").splitlines():
            parts = line.split()
            if len(parts) == 3:
                sha256[parts[2]] = parts[0]
        signed = [n for n in files if ORIG_ASC.match(n) and ORIG_ASC.match(n)["base"] in files]
        if not signed:
            continue
        size = sum(files.values())
        pkg = s["Package"]
        # One version per package (the index may list several); dpkg order is not needed
        # for bookworm main, where a package has one version.
        newest[pkg] = {"package": pkg, "version": s["Version"], "size": size,
                       "signed": sorted(signed), "directory": s.get("Directory", ""),
                       "files": sorted(files), "sha256": sha256}
    pkgs = sorted(newest)
    random.Random(a.seed).shuffle(pkgs)
    chosen, too_large = [], []
    for p in pkgs:
        e = newest[p]
        if e["size"] > a.max_mib * 1024 * 1024:
            too_large.append(p)
            continue
        chosen.append(e)
    with open(a.out, "w") as f:
        json.dump({"seed": a.seed, "max_mib": a.max_mib, "with_signature": len(pkgs),
                   "too_large": too_large, "packages": chosen[: a.count]}, f, indent=1)
    print(f"{len(pkgs)} source packages carry an upstream signature; {len(too_large)} over "
          f"{a.max_mib} MiB; listed {min(a.count, len(chosen))} in {a.out}", file=sys.stderr)


def mirror_base():
    """The first deb-src URI apt knows (the mirror `apt-get source` downloads from)."""
    out = subprocess.run(["apt-get", "indextargets", "--format", "$(REPO_URI)",
                          "Created-By: Sources"], capture_output=True, text=True).stdout.split()
    return out[0].rstrip("/") if out else "http://deb.debian.org/debian"


def probe_one(base, e):
    """HEAD every file of the package: apt-get takes seconds per package even to learn of a
    404, a HEAD request milliseconds. Returns the files the mirror does not serve."""
    import urllib.request
    missing = []
    for name in e["files"]:
        url = f"{base}/{e['directory']}/{name}"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=60):
                pass
        except Exception as ex:  # HTTPError 404 and network errors alike: not served
            missing.append(f"{name} ({getattr(ex, 'code', ex)})")
    return missing


def cmd_probe(a):
    from concurrent.futures import ThreadPoolExecutor
    with open(a.list) as f:
        listing = json.load(f)
    base = mirror_base()
    pkgs = listing["packages"]
    with ThreadPoolExecutor(8) as ex:
        for e, missing in zip(pkgs, ex.map(lambda e: probe_one(base, e), pkgs)):
            e["not_served"] = missing
    served = sum(1 for e in pkgs if not e["not_served"])
    listing["mirror"] = base
    with open(a.list + ".part", "w") as f:
        json.dump(listing, f, indent=1)
    os.replace(a.list + ".part", a.list)
    print(f"{base}: serves every file of {served} of {len(pkgs)} packages", file=sys.stderr)


def run(argv, cwd=None, timeout=600, env=None):
    t = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, errors="replace",
                           timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t
    except subprocess.TimeoutExpired:
        return -1, "", f"timeout after {timeout}s", time.monotonic() - t


def download(e, cache):
    d = os.path.join(cache, f"{e['package']}_{e['version'].split(':')[-1]}")
    if e.get("not_served"):
        return d, "not served: " + ", ".join(e["not_served"])
    return apt_source(e, d)


def debian_only(e, cache, base):
    """When the mirror lacks an orig tarball or its signature but serves the packaging, the
    import can still be measured: fetch the debian tarball alone and check it against the
    sha256 that the (signed) Sources index lists, as apt-get would."""
    import hashlib
    import urllib.request
    d = os.path.join(cache, f"{e['package']}_{e['version'].split(':')[-1]}")
    tars = [n for n in e["files"] if re.search(r"\.debian\.tar\.[a-z0-9]+$", n)]
    if not tars or any(n.startswith(tars[0]) for n in e["not_served"]):
        return None
    path = os.path.join(d, tars[0])
    if not os.path.exists(path):
        os.makedirs(d, exist_ok=True)
        try:
            with urllib.request.urlopen(f"{base}/{e['directory']}/{tars[0]}", timeout=300) as r:
                data = r.read()
        except Exception:
            return None
        if hashlib.sha256(data).hexdigest() != e["sha256"].get(tars[0]):
            return None
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)
    return d


def apt_source(e, d):
    done = os.path.join(d, ".downloaded")
    if os.path.exists(done):
        return d, None
    os.makedirs(d, exist_ok=True)
    rc, out, err, _ = run(["apt-get", "source", "--download-only", "-q",
                           f"{e['package']}={e['version']}"], cwd=d, timeout=1800)
    if rc != 0:
        lines = [l for l in err.splitlines() if l.startswith("E:")] or err.splitlines()[-1:]
        return d, " | ".join(lines)[:500] or f"apt-get exit {rc}"
    missing = [n for n in e["signed"] if not os.path.exists(os.path.join(d, n))]
    if missing:
        return d, "not served: " + ", ".join(missing)
    open(done, "w").close()
    return d, None


def unpack_debian(d, src):
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    tars = [n for n in os.listdir(d) if re.search(r"\.debian\.tar\.[a-z0-9]+$", n)]
    if tars:
        rc, _, err, _ = run(["tar", "-xf", os.path.join(d, tars[0]), "-C", src])
        return None if rc == 0 else f"tar: {err.strip()[:300]}"
    dsc = [n for n in os.listdir(d) if n.endswith(".dsc")]
    shutil.rmtree(src)
    rc, _, err, _ = run(["dpkg-source", "--no-check", "-x", os.path.join(d, dsc[0]), src])
    return None if rc == 0 else f"dpkg-source: {err.strip()[:300]}"


def watch_checks_signatures(text):
    """Whether debian/watch asks uscan to check a signature (as uscan reads it)."""
    t = text.lower()
    if re.search(r"pgpmode\s*[=:]\s*none", t):
        return False
    return bool(re.search(r"pgpsigurlmangle|pgpmode|pgp-mode|pgpsigurl-mangle", t))


def key_file(src):
    for k in KEY_FILES:
        p = os.path.join(src, k)
        if os.path.exists(p):
            return p
    return None


def gpgv_check(keyfile, sig, data, tmp):
    """What uscan does: dearmor the key file into a keyring, then gpgv."""
    if keyfile is None:
        return {"ok": False, "class": "no key file", "detail": ""}
    ring = os.path.join(tmp, "keyring.gpg")
    with open(keyfile, "rb") as f:
        armored = b"-----BEGIN PGP" in f.read(4096)
    if armored:
        rc, _, err, _ = run(["gpg", "--homedir", tmp, "--no-options", "-q", "--batch",
                             "--no-default-keyring", "--output", ring, "--dearmor", keyfile])
        if rc != 0:
            return {"ok": False, "class": "dearmor failed", "detail": err.strip()[:300]}
    else:
        shutil.copy(keyfile, ring)
    rc, out, err, secs = run(["gpgv", "--homedir", "/dev/null", "--keyring", ring, sig, data])
    text = err + out
    notes = []
    if "key has expired" in text or "expired" in text.lower():
        notes.append("expired key")
    if "SHA1" in text or "digest algorithm SHA1" in text:
        notes.append("sha1")
    if rc == 0:
        cls = "good"
    elif "No public key" in text:
        cls = "no public key"
    elif "BAD signature" in text:
        cls = "bad signature"
    else:
        cls = f"exit {rc}"
    return {"ok": rc == 0, "class": cls, "notes": notes,
            "detail": " | ".join(l.strip() for l in text.splitlines())[:600], "secs": secs}


def uscan_decompresses(watch_text):
    """Whether debian/watch gives uscan the `decompress` option."""
    return bool(re.search(r"(?:^|[\s,\"=])decompress\s*(?:[,\"]|$)", watch_text or "", re.M))


def decompressed(data, tmp):
    """The tarball decompressed into TMP (what uscan hands to gpgv with `decompress`)."""
    tool = {".gz": "gzip", ".xz": "xz", ".bz2": "bzip2", ".zst": "zstd"}.get(os.path.splitext(data)[1])
    if tool is None:
        return data
    out = os.path.join(tmp, "decompressed.tar")
    with open(data, "rb") as src, open(out, "wb") as dst:
        subprocess.run([tool, "-dc"], stdin=src, stdout=dst, check=False)
    return out


def sqv_check(keyfile, sig, data):
    if keyfile is None:
        return {"ok": False, "class": "no key file", "detail": ""}
    rc, out, err, secs = run(["sqv", "--keyring", keyfile, sig, data])
    text = " | ".join(l.strip() for l in (err + out).splitlines())
    if rc == 0:
        cls = "good"
    elif "Malformed certificate" in text or "Unsupported Cert" in text:
        cls = "keyring unreadable"
    elif "SHA1" in text and "not bound" in text:
        cls = "sha1 binding"
    elif "SHA1" in text:
        cls = "sha1"
    elif "xpired" in text:
        cls = "expired"
    elif "Missing key" in text:
        cls = "missing key"
    elif "not bound" in text:
        cls = "not bound"
    else:
        cls = "refused"
    return {"ok": rc == 0, "class": cls, "detail": text[:600], "secs": secs}


def pick_watch(tomls, comp):
    if not tomls:
        return None
    if len(tomls) == 1:
        return tomls[0]
    if comp:
        named = [t for t in tomls if comp.lower() in os.path.basename(t).lower()]
        if named:
            return named[0]
    # The main tarball: the watch file not named after another component, shortest name.
    return sorted(tomls, key=lambda t: len(os.path.basename(t)))[0]


def process(e, a):
    pkg = e["package"]
    res = {"package": pkg, "version": e["version"], "signed": e["signed"]}
    d, err = download(e, a.cache)
    if err:
        res["skipped"] = err
        d = debian_only(e, a.cache, a.mirror) if e.get("not_served") else None
        if d is None:
            return res
        res["import_only"] = True
    work = os.path.join(a.cache, ".work", pkg)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    src, outdir = os.path.join(work, "src"), os.path.join(work, "out")
    err = unpack_debian(d, src)
    if err:
        res["skipped"] = "unpack: " + err
        return res
    watch = os.path.join(src, "debian", "watch")
    res["has_watch"] = os.path.exists(watch)
    if res["has_watch"]:
        with open(watch, errors="replace") as f:
            text = f.read()
        res["watch_checks_signatures"] = watch_checks_signatures(text)
        res["debian_watch"] = text[:6000]
        m = re.search(r"version\s*[=:]\s*(\d)", text, re.I)
        res["watch_version"] = int(m.group(1)) if m else None
    kf = key_file(src)
    res["key_file"] = os.path.relpath(kf, src) if kf else None
    os.makedirs(outdir)
    rc, out, errtext, secs = run([a.sigwatch, "import-debian", src, "--out", outdir, "--json"])
    imp = {"exit": rc, "secs": round(secs, 3), "stderr": errtext.strip()[:2000]}
    try:
        imp["json"] = json.loads(out) if out.strip() else None
    except ValueError:
        imp["json"] = None
        imp["stdout"] = out[:2000]
    res["import"] = imp
    if a.samples and res["has_watch"] and import_class(res)[0] != "clean":
        os.makedirs(a.samples, exist_ok=True)
        shutil.copy(watch, os.path.join(a.samples, f"{pkg}.watch"))
    tomls = sorted(os.path.join(outdir, n) for n in os.listdir(outdir) if n.endswith(".toml"))
    res["watch_files"] = [os.path.basename(t) for t in tomls]
    if tomls:
        res["watch_text"] = {os.path.basename(t): open(t, errors="replace").read()[:6000]
                             for t in tomls[:4]}
    checks = []
    for asc in e["signed"]:
        m = ORIG_ASC.match(asc)
        data, comp = os.path.join(d, m["base"]), m["comp"]
        sig = os.path.join(d, asc)
        if not (os.path.exists(data) and os.path.exists(sig)):
            continue
        c = {"file": m["base"], "component": comp}
        w = pick_watch(tomls, comp)
        c["watch"] = os.path.basename(w) if w else None
        if w:
            rc, out, errtext, secs = run([a.sigwatch, "verify", data, "--signature", sig,
                                          "--watch", w, "--json"])
            v = {"exit": rc, "secs": round(secs, 3), "stderr": errtext.strip()[:1500]}
            try:
                v["json"] = json.loads(out) if out.strip() else None
            except ValueError:
                v["json"] = None
            c["sigwatch"] = v
        with tempfile.TemporaryDirectory(prefix="gpgv.") as tmp:
            # uscan's `decompress`: it checks the signature over the decompressed tarball.
            checked = decompressed(data, tmp) if uscan_decompresses(res.get("debian_watch")) else data
            c["gpgv"] = gpgv_check(kf, sig, checked, tmp)
            c["sqv"] = sqv_check(kf, sig, checked)
        checks.append(c)
    res["checks"] = checks
    if not a.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return res


def cmd_run(a):
    with open(a.list) as f:
        listing = json.load(f)
    pkgs = listing["packages"]
    if a.limit:
        pkgs = pkgs[: a.limit]
    k, n = (int(x) for x in a.shard.split("/"))
    os.makedirs(a.results, exist_ok=True)
    os.makedirs(a.cache, exist_ok=True)
    a.mirror = listing.get("mirror") or mirror_base()
    for i, e in enumerate(pkgs):
        if i % n != k - 1:
            continue
        if a.download_only:
            _, err = download(e, a.cache)
            print(f"[{i + 1}/{len(pkgs)}] {e['package']}: {err or 'downloaded'}", file=sys.stderr,
                  flush=True)
            continue
        out = os.path.join(a.results, e["package"] + ".json")
        if os.path.exists(out):
            continue
        t = time.monotonic()
        try:
            res = process(e, a)
        except Exception as ex:  # a bench harness keeps going and records the failure
            res = {"package": e["package"], "version": e["version"], "harness_error": repr(ex)}
        res["secs"] = round(time.monotonic() - t, 2)
        with open(out + ".part", "w") as f:
            json.dump(res, f, indent=1)
        os.replace(out + ".part", out)
        print(f"[{i + 1}/{len(pkgs)}] {e['package']}: {summary_line(res)}", file=sys.stderr,
              flush=True)


# ------------------------------------------------------------------------------------------
# Tally
# ------------------------------------------------------------------------------------------

def import_class(r):
    imp = r.get("import") or {}
    j = imp.get("json")
    notes = []
    if isinstance(j, dict):
        notes = j.get("notes") or []
        for sub in j.get("imports") or j.get("watches") or []:
            if isinstance(sub, dict):
                notes += sub.get("notes") or []
    elif isinstance(j, list):
        for sub in j:
            notes += (sub or {}).get("notes") or []
    if imp.get("exit") == 0:
        review = [n for n in notes if n.get("severity") in ("review", "error")]
        return ("with notes" if review else "clean"), review
    errors = [n for n in notes if n.get("severity") == "error"] or notes
    if not errors:
        first = (imp.get("stderr") or "").splitlines()[:1]
        errors = [{"message": f"exit {imp.get('exit')}: " + (first[0] if first else "no output")}]
    return "refused", errors


def reason_key(message):
    """A refusal message without package-specific parts, to group by cause."""
    m = message or ""
    m = re.sub(r"^watch file \S+: ", "", m)
    m = re.sub(r"translated watch file does not load: watch file \S+: ", "translated watch file does not load: ", m)
    m = re.sub(r"error: \S+/debian/watch: ", "debian/watch: ", m)
    m = re.sub(r"regular expression: .*", "regular expression", m, flags=re.S)
    m = " ".join(m.split())
    m = re.sub(r"\"[^\"]*\"|'[^']*'|`[^`]*`", "…", m)
    m = re.sub(r"https?://\S+", "URL", m)
    m = re.sub(r"[0-9A-F]{16,40}", "FPR", m)
    m = re.sub(r"line \d+", "line N", m)
    return m[:140]


def sigwatch_class(c):
    v = c.get("sigwatch")
    if v is None:
        return "no watch file", []
    if v["exit"] == 0:
        j = v.get("json") or {}
        return ("verified (exception)" if j.get("accepted_by_exception") else "verified"), []
    j = v.get("json") or {}
    if v["exit"] == 1 and j.get("signatures") is not None:
        rules = sorted({s.get("status", "?") for s in j.get("signatures", [])
                        if s.get("status") != "good"}) or ["below threshold"]
        return "refused", rules
    err = j.get("error") if isinstance(j, dict) else None
    msg = err.get("message") if err else v.get("stderr", "").splitlines()[:1]
    return f"error exit {v['exit']}", [reason_key(msg if isinstance(msg, str) else " ".join(msg))]


WAY_FORWARD = {
    "key_expired": "`sigwatch keys refresh` with a `keyserver`/`wkd` source when upstream extended "
                   "the key; else `sigwatch accept` (issue 13 item 1)",
    "weak_hash": "`sigwatch accept` after checking the bytes another way (issue 13 item 1)",
    "weak_key": "none by design: no waiver for keys below 2048 bits",
}


def disagreement(c):
    """Why sigwatch and gpgv (uscan) disagree on one tarball, or None when they agree."""
    sc, rl = sigwatch_class(c)
    s_ok, g = sc.startswith("verified"), c["gpgv"]
    if s_ok == g["ok"]:
        return None
    if s_ok:
        if "Good signature" in g["detail"] and "No public key" in g["detail"]:
            return ("sigwatch accepts, gpgv refuses: two signatures, one by a key the package's "
                    "key file lacks; gpgv fails on any unverifiable signature, sigwatch needs "
                    "one pinned signer (threshold 1)")
        return f"sigwatch accepts, gpgv refuses: gpgv {g['class']}"
    if sc == "refused" and rl and rl != ["below threshold"]:
        return "rule: " + ", ".join(rl)
    j = (c.get("sigwatch") or {}).get("json") or {}
    reason = str(j.get("reason") or "")
    if "Armor" in reason:
        return ("signature file: Debian's `gpg --enarmor` copy of a binary .sig "
                "(`BEGIN PGP ARMORED FILE`), which Sequoia does not read")
    if sc == "no watch file":
        return "import wrote no watch file"
    if sc.startswith("error"):
        return "import: the written watch file does not load: " + (rl[0] if rl else "")
    return f"other: {sc} {rl} {reason[:100]}"


def summary_line(r):
    if "skipped" in r:
        return "skipped: " + r["skipped"][:100]
    if "harness_error" in r:
        return "harness error: " + r["harness_error"][:100]
    ic, _ = import_class(r)
    parts = [f"import {ic}"]
    for c in r.get("checks", []):
        sc, rules = sigwatch_class(c)
        parts.append(f"{c['file']}: sigwatch {sc}{' ' + ','.join(rules) if rules else ''}, "
                     f"gpgv {c['gpgv']['class']}, sqv {c['sqv']['class']}")
    return "; ".join(parts)


def cmd_table(a):
    rs = []
    for n in sorted(os.listdir(a.results)):
        if n.endswith(".json"):
            with open(os.path.join(a.results, n)) as f:
                rs.append(json.load(f))
    C = collections.Counter
    skipped = C()
    imports, refusals, notes_by = C(), collections.defaultdict(list), collections.defaultdict(list)
    no_sig_watch = []
    verdicts, rules = C(), collections.defaultdict(list)
    agree = C()
    disagreements = collections.defaultdict(list)
    gpgv_disagree = collections.defaultdict(list)
    done = [r for r in rs if "import" in r and "harness_error" not in r]
    partial = [r for r in done if r.get("import_only")]
    for r in rs:
        if "skipped" in r and not r.get("import_only"):
            skipped[r["skipped"].split(":")[0]] += 1
    harness = [r["package"] for r in rs if "harness_error" in r]
    checking = [r for r in done if r.get("watch_checks_signatures")]
    for r in done:
        ic, ns = import_class(r)
        imports[ic] += 1
        if r.get("watch_checks_signatures"):
            imports["(checking) " + ic] += 1
        else:
            no_sig_watch.append(r["package"])
        for n in ns:
            key = reason_key(n.get("message"))
            (refusals if ic == "refused" else notes_by)[key].append(r["package"])
        for c in r.get("checks", []):
            sc, rl = sigwatch_class(c)
            verdicts[sc] += 1
            for x in rl:
                rules[x].append(r["package"])
            s_ok = sc.startswith("verified")
            g_ok, q_ok = c["gpgv"]["ok"], c["sqv"]["ok"]
            agree["sigwatch = gpgv"] += s_ok == g_ok
            agree["sigwatch = sqv"] += s_ok == q_ok
            agree["gpgv = sqv"] += g_ok == q_ok
            agree["checks"] += 1
            d = disagreement(c)
            if d:
                gpgv_disagree[d].append(r["package"] + (f" ({c['component']})" if c["component"] else ""))
            if s_ok != q_ok:
                why = f"sigwatch {sc}{' (' + ', '.join(rl) + ')' if rl else ''}; gpgv {c['gpgv']['class']}" \
                      f"{' [' + ', '.join(c['gpgv'].get('notes', [])) + ']' if c['gpgv'].get('notes') else ''}; " \
                      f"sqv {c['sqv']['class']}"
                disagreements[why].append(f"{r['package']}" + (f" ({c['component']})" if c["component"] else ""))
    p = lambda *x: print(*x)
    p(f"Packages attempted: {len(rs)}; skipped (mirror, apt, unpack): {sum(skipped.values())} "
      f"{dict(skipped)}; harness errors: {len(harness)} {harness}")
    p(f"Imported: {len(done)} ({len(done) - len(partial)} with every file, {len(partial)} "
      f"packaging only: the mirror lacks the orig tarball or its signature); "
      f"debian/watch checks signatures: {len(checking)}; "
      f"does not (no pgp option or pgpmode=none, or no watch): {len(no_sig_watch)}")
    p()
    p("| import-debian | all processed | watch checks signatures |")
    p("|---|---:|---:|")
    for k in ("clean", "with notes", "refused"):
        p(f"| {k} | {imports[k]} | {imports['(checking) ' + k]} |")
    ok = imports["(checking) clean"] + imports["(checking) with notes"]
    if checking:
        p(f"| **imported (exit 0)** | {imports['clean'] + imports['with notes']} | "
          f"**{ok} ({100 * ok / len(checking):.1f} %)** |")
    p()
    p("Import refusals by reason:")
    p()
    for k, v in sorted(refusals.items(), key=lambda kv: -len(kv[1])):
        p(f"- {len(v)} × {k} — {', '.join(sorted(set(v))[:12])}{' …' if len(set(v)) > 12 else ''}")
    p()
    p("Notes needing review on imports that succeeded:")
    p()
    for k, v in sorted(notes_by.items(), key=lambda kv: -len(kv[1])):
        p(f"- {len(v)} × {k} — {', '.join(sorted(set(v))[:8])}{' …' if len(set(v)) > 8 else ''}")
    p()
    p("| verify --watch (per signed tarball) | count |")
    p("|---|---:|")
    for k, v in sorted(verdicts.items(), key=lambda kv: -kv[1]):
        p(f"| {k} | {v} |")
    p()
    p("Refused by rule / error:")
    p()
    for k, v in sorted(rules.items(), key=lambda kv: -len(kv[1])):
        p(f"- {len(v)} × {k} — {', '.join(sorted(set(v))[:12])}{' …' if len(set(v)) > 12 else ''}")
    p()
    n = agree["checks"]
    p(f"| agreement ({n} signed tarballs) | same verdict |")
    p("|---|---:|")
    for k in ("sigwatch = gpgv", "sigwatch = sqv", "gpgv = sqv"):
        p(f"| {k} | {agree[k]} ({100 * agree[k] / max(n, 1):.1f} %) |")
    p()
    p("Disagreements with gpgv (what uscan runs), by cause:")
    p()
    p("| cause | tarballs | way forward | packages |")
    p("|---|---:|---|---|")
    for k, v in sorted(gpgv_disagree.items(), key=lambda kv: -len(kv[1])):
        way = WAY_FORWARD.get(k.removeprefix("rule: "), "")
        p(f"| {k} | {len(v)} | {way} | {', '.join(sorted(v))} |")
    p()
    p("Disagreements with sqv, by verdicts (sigwatch; gpgv; sqv):")
    p()
    for k, v in sorted(disagreements.items(), key=lambda kv: -len(kv[1])):
        p(f"- {len(v)} × {k}: {', '.join(sorted(v))}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("select")
    s.add_argument("--out", required=True)
    s.add_argument("--count", type=int, default=2000)
    s.add_argument("--seed", type=int, default=13)
    s.add_argument("--max-mib", type=int, default=150)
    r = sub.add_parser("run")
    r.add_argument("--list", required=True)
    r.add_argument("--cache", required=True)
    r.add_argument("--results", required=True)
    r.add_argument("--sigwatch", required=True)
    r.add_argument("--shard", default="1/1")
    r.add_argument("--limit", type=int, default=0)
    r.add_argument("--keep-work", action="store_true")
    r.add_argument("--download-only", action="store_true", help="only fill the cache")
    r.add_argument("--samples", help="copy debian/watch files that do not import cleanly here")
    pr = sub.add_parser("probe", help="HEAD every file on the mirror; records what is not served")
    pr.add_argument("--list", required=True)
    t = sub.add_parser("table")
    t.add_argument("--results", required=True)
    a = ap.parse_args()
    {"select": cmd_select, "probe": cmd_probe, "run": cmd_run, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
