#!/usr/bin/env python3
"""Verdict table: the same detached signatures through `sigwatch sopv`, other sopvs and gpgv.

    verdicts.py MATERIAL_DIR FIXTURES_DIR [OTHER_SOPV...]

MATERIAL_DIR is a directory made by sopv-doc's setup-sopv-test; FIXTURES_DIR is sigwatch's
tests/fixtures (cases from manifest.toml). gpgv gets a keyring imported with gpg into a
throwaway GNUPGHOME. Prints a Markdown table: one row per case, one column per verifier,
each cell the exit code and accepted/refused.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib

material, fixtures = sys.argv[1], sys.argv[2]
others = sys.argv[3:]
sigwatch = os.environ.get("SIGWATCH") or shutil.which("sigwatch")

cases = []  # (name, description, sig, [certs], data)
for form in ("binary", "text"):
    for signer in ("alice", "bob", "both"):
        for cert in ("alice", "bob"):
            cases.append((
                f"sopv-test {form}.{signer} / {cert}.cert",
                f"{form} signature by {signer}, CERTS {cert}",
                f"{material}/msg.{form}.{signer}.sig",
                [f"{material}/{cert}.cert"],
                f"{material}/msg.{form}",
            ))
for name, desc in (
    ("valid-from-expired", "made before the cert expired"),
    ("invalid-from-expired", "made after the cert expired"),
    ("timetravel-from-expired", "dated before the key existed"),
):
    cases.append((f"sopv-test {name}", desc, f"{material}/{name}.sig",
                  [f"{material}/expired.cert"], f"{material}/msg.binary"))
cases.append(("sopv-test baseline", "baseline", f"{material}/baseline.sig",
              [f"{material}/baseline.cert"], f"{material}/msg.binary"))
cases.append(("sopv-test baseline-revoked", "cert revoked (no reason: hard)", f"{material}/baseline.sig",
              [f"{material}/baseline-revoked.cert"], f"{material}/msg.binary"))

with open(f"{fixtures}/manifest.toml", "rb") as f:
    manifest = tomllib.load(f)
for name, s in manifest.get("sigs", {}).items():
    keys = s.get("keyring") or []
    if not keys:
        continue
    certs = [f"{fixtures}/{manifest['keys'][k]['file']}" for k in keys]
    cases.append((f"fixture {name}", s.get("note", ""), f"{fixtures}/{s['file']}",
                  certs, f"{fixtures}/{s['data']}"))


def run(cmd, data):
    with open(data, "rb") as stdin:
        p = subprocess.run(cmd, stdin=stdin, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def sopv(cmd, sig, certs, data):
    rc, out, _ = run(cmd + ["verify", sig] + certs, data)
    return rc


def gpgv(sig, certs, data):
    home = tempfile.mkdtemp()
    try:
        ring = f"{home}/ring.gpg"
        for c in certs:
            subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet", "--no-default-keyring",
                            "--keyring", ring, "--import", c], capture_output=True)
        rc, _, _ = run(["gpgv", "--homedir", home, "--keyring", ring, sig, data], data)
        return rc
    finally:
        shutil.rmtree(home, ignore_errors=True)


verifiers = [("sigwatch sopv", lambda s, c, d: sopv([sigwatch, "sopv"], s, c, d))]
for o in others:
    verifiers.append((o, lambda s, c, d, o=o: sopv([shutil.which(o) or o], s, c, d)))
verifiers.append(("gpgv", gpgv))


def cell(rc):
    return f"{rc} accepted" if rc == 0 else f"{rc} refused"


print("| case | what | " + " | ".join(v for v, _ in verifiers) + " |")
print("|---|---|" + "---|" * len(verifiers))
agree = ran = 0
same = [0] * len(verifiers)
for name, desc, sig, certs, data in cases:
    if not (os.path.exists(sig) and os.path.exists(data)):
        continue
    ran += 1
    rcs = [f(sig, certs, data) for _, f in verifiers]
    verdicts = {rc == 0 for rc in rcs}
    for i, rc in enumerate(rcs):
        same[i] += (rc == 0) == (rcs[0] == 0)
    mark = "" if len(verdicts) == 1 else " **≠**"
    agree += len(verdicts) == 1
    print(f"| {name}{mark} | {desc} | " + " | ".join(cell(rc) for rc in rcs) + " |")
print()
print(f"{agree} of {ran} cases: every verifier agrees on accept/refuse; **≠** marks the others.")
for (name, _), n in list(zip(verifiers, same))[1:]:
    print(f"{name} agrees with sigwatch sopv on {n} of {ran}.")
