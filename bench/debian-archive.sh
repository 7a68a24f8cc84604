#!/usr/bin/env bash
# The Debian archive as a test bench (issue 13): `sigwatch import-debian` on the debian/ of every
# source package that ships an upstream signature (`*.orig.tar.*.asc`), then
# `sigwatch verify --watch` on each signed orig tarball beside gpgv (the package's key file
# dearmored into a keyring, as uscan runs it) and sqv. Run on a workstation, never in CI: it
# needs root for apt, the network (the machine's Debian mirror) and a few GiB of cache.
#
# Usage: sudo bash bench/debian-archive.sh            (prints the Markdown tally on stdout)
#
# Steps (each resumable; a package with a result is not redone):
#   1. a deb-src entry for the machine's mirror in /etc/apt/sources.list.d/deb-src.list, only
#      when apt has no deb-src entry at all (no other source is changed); apt-get update
#   2. select: every source package in the Sources index with an upstream signature, shuffled
#      with SEED, without those over MAX_MIB (counted)
#   3. probe: HEAD every file on the mirror (a mirror may not serve every file: skipped, counted;
#      when only the orig tarball or its signature is missing, the packaging alone is fetched,
#      checked against the Sources index's sha256, and measured for the import)
#   4. run: apt-get source --download-only into CACHE, unpack debian/, import, verify, gpgv, sqv
#      (JOBS parallel shards); one JSON result per package in CACHE/results
#   5. table: the tally (bench/debian_archive.py table)
#
# Knobs (environment):
#   CACHE=~/.cache/sigwatch-debian-archive    downloads, results, work directories (outside the repository)
#   COUNT=2000 SEED=13 MAX_MIB=150   the sample: how many, which order, the size limit
#   JOBS=2                  parallel shards for step 4
#   SIGWATCH=path           a prebuilt sigwatch (default: cargo build --release here)
#   SAMPLES=dir             copy debian/watch files that do not import cleanly there
#   FRESH=1                 delete CACHE/results first (re-run every package with a new build)
#   SKIP_UPDATE=1           skip apt-get update
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sigwatch-debian-archive}
COUNT=${COUNT:-2000}
SEED=${SEED:-13}
MAX_MIB=${MAX_MIB:-150}
JOBS=${JOBS:-2}
SAMPLES=${SAMPLES:-}
PY=(python3 "$ROOT/bench/debian_archive.py")

missing=()
for tool in apt-get dpkg-source gpg gpgv sqv python3 tar; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "error: missing tools: ${missing[*]}" >&2
    echo "hint: apt-get install -y dpkg-dev gnupg gpgv sqv python3 xz-utils" >&2
    exit 2
fi

# 1. deb-src, only when there is none.
if ! grep -rqsE '^\s*deb-src\s|^\s*Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' | head -n1)
    suite=$(apt-get indextargets --format '$(RELEASE)' 'Created-By: Packages' | head -n1)
    mirror=${mirror:-http://deb.debian.org/debian/}
    echo "adding: deb-src ${mirror} ${suite} main -> /etc/apt/sources.list.d/deb-src.list" >&2
    echo "deb-src ${mirror} ${suite} main" >/etc/apt/sources.list.d/deb-src.list
fi
[[ ${SKIP_UPDATE:-0} == 1 ]] || apt-get update -q >&2

if [[ -z ${SIGWATCH:-} ]]; then
    (cd "$ROOT" && cargo build --release -q)
    SIGWATCH=$ROOT/target/release/sigwatch
fi
mkdir -p "$CACHE"
[[ ${FRESH:-0} == 1 ]] && rm -rf "$CACHE/results"

# 2.–3. The sample, probed once (delete CACHE/list.json to select again).
if [[ ! -f $CACHE/list.json ]]; then
    "${PY[@]}" select --out "$CACHE/list.json" --count "$COUNT" --seed "$SEED" --max-mib "$MAX_MIB"
    "${PY[@]}" probe --list "$CACHE/list.json"
fi

# 4. JOBS shards in parallel.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
pids=()
for k in $(seq 1 "$JOBS"); do
    "${PY[@]}" run --list "$CACHE/list.json" --cache "$CACHE/src" --results "$CACHE/results" \
        --sigwatch "$SIGWATCH" --shard "$k/$JOBS" ${SAMPLES:+--samples "$SAMPLES"} \
        2>>"$CACHE/run.$k.log" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# 5. The tally.
echo "sigwatch: $("$SIGWATCH" --version); gpgv: $(gpgv --version | head -n1); sqv: $(sqv --version | head -n1); $(date -u +%Y-%m-%dT%H:%MZ)"
"${PY[@]}" table --results "$CACHE/results"
