#!/usr/bin/env python3
"""Writes the equivalent configurations for bench/scale.sh (standard library only).

  gen.py --work DIR --port PORT --projects 1000 --fetch 100 --keyring K.asc --fingerprint FPR

Writes, under DIR:
  sigwatch/proj-NNNN.toml + sigwatch/keyrings/proj-NNNN.asc     check: all projects
  sigwatch-fetch/proj-NNNN.toml + keyrings/                      fetch: the first --fetch
  nvchecker/nvchecker.toml                                       all projects, source pypi_loopback
  uscan/proj-NNNN/debian/{changelog,watch,upstream/signing-key.asc}
                                                                 all projects (report mode)
  uscan-fetch/proj-NNNN/debian/...                               the first --fetch, with
                                                                 pgpsigurlmangle
Every project: newest final release wanted (pre-releases skipped), current version 1.0.
"""

import argparse
import os


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--fetch", type=int, default=100)
    ap.add_argument("--keyring", required=True)
    ap.add_argument("--fingerprint", required=True)
    a = ap.parse_args()
    key = open(a.keyring).read()
    index = f"http://127.0.0.1:{a.port}/simple/"

    def sigwatch_watch(i):
        name = f"proj-{i:04d}"
        return (
            f'name = "{name}"\ncurrent = "1.0"\n\n[source]\npypi = "{name}"\n'
            f'index = "{index}"\nprereleases = false\n\n'
            '[signature]\nurl = "{url}.asc"\n\n'
            f'[keys]\nkeyring = "keyrings/{name}.asc"\nfingerprints = ["{a.fingerprint}"]\n'
        )

    def uscan_tree(base, i, signed):
        name = f"proj-{i:04d}"
        dist = f"proj_{i:04d}"
        write(
            f"{base}/{name}/debian/changelog",
            f"{name} (1.0-1) unstable; urgency=medium\n\n  * Benchmark tree.\n\n"
            " -- Bench <bench@example.invalid>  Tue, 14 Nov 2023 22:13:20 +0000\n",
        )
        # The simple page's hrefs carry #sha256=…: the pattern allows it and
        # downloadurlmangle drops it before downloading (and before pgpsigurlmangle).
        opts = ["searchmode=html", "downloadurlmangle=s/#.*$//"]
        if signed:
            opts.append("pgpsigurlmangle=s/$/.asc/")
        else:
            opts.append("pgpmode=none")
        write(
            f"{base}/{name}/debian/watch",
            "version=4\n"
            f'opts="{",".join(opts)}" \\\n'
            f"  {index}{name}/ \\\n"
            f"  .*/{dist}-(\\d+\\.\\d+)\\.tar\\.gz(?:#.*)?\n",
        )
        if signed:
            write(f"{base}/{name}/debian/upstream/signing-key.asc", key)

    nv = ['[__config__]\noldver = "old_ver.json"\nnewver = "new_ver.json"\n']
    for i in range(1, a.projects + 1):
        name = f"proj-{i:04d}"
        write(f"{a.work}/sigwatch/{name}.toml", sigwatch_watch(i))
        write(f"{a.work}/sigwatch/keyrings/{name}.asc", key)
        if i <= a.fetch:
            write(f"{a.work}/sigwatch-fetch/{name}.toml", sigwatch_watch(i))
            write(f"{a.work}/sigwatch-fetch/keyrings/{name}.asc", key)
            uscan_tree(f"{a.work}/uscan-fetch", i, True)
        uscan_tree(f"{a.work}/uscan", i, False)
        nv.append(f'\n["{name}"]\nsource = "pypi_loopback"\npypi = "{name}"\n')
    write(f"{a.work}/nvchecker/nvchecker.toml", "".join(nv))
    write(f"{a.work}/nvchecker/old_ver.json", '{"version": 2, "data": {}}\n')


if __name__ == "__main__":
    main()
