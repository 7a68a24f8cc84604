#!/usr/bin/env bash
# Scale benchmark: `sigwatch check` over 1000 watch files with a fresh page cache, the same cache
# warm and --no-cache, beside nvchecker and uscan, and `fetch` of 100 signed releases beside uscan.
#
# Usage: bash bench/scale.sh        (from anywhere; prints Markdown tables on stdout, progress
#                                    on stderr; BENCHMARKS.md ("Scale") has a recorded run, explained)
#
# Everything runs against bench/index_server.py on 127.0.0.1 (a single Python process,
# ThreadingHTTPServer, HTTP/1.1 keep-alive) holding PROJECTS deterministic projects with 12
# releases each (1.0 … 1.9, 1.10, 2.0rc1). Every tool must report 1.10 for every project
# (newest final release, PEP 440 order); the notes column says how many did.
#
# Knobs (environment):
#   PROJECTS=1000        projects on the index and watched by check / nvchecker
#   FETCH=100            projects whose newest sdist is signed, for the fetch comparison
#   USCAN_PROJECTS=100   projects uscan --report is given (timed, then extrapolated)
#   USCAN_TIMEOUT=600    seconds after which one uscan run is stopped (then marked)
#   RUNS=5               runs (rounds) of every measurement; medians are reported
#   JOBS= PER_HOST=      extra sigwatch flags (default: sigwatch's own defaults)
#   SWEEP=1              also time check with other --jobs/--per-host values (diagnosis)
#   SIGWATCH=path        a prebuilt sigwatch (skips `cargo build --release`)
#   NVCHECKER=path       an nvchecker binary (default: a venv in /tmp, made with pip)
#   KEEP=1               keep the work directory
#
# Measured with /usr/bin/time -f '%e %U %S %M': wall s, user s, sys s, peak RSS KiB of the
# client process (the index server runs in its own process and is not counted). The load
# average (uptime) is printed with every run. Exits non-zero only on setup errors.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench

PROJECTS=${PROJECTS:-1000}
FETCH=${FETCH:-100}
USCAN_PROJECTS=${USCAN_PROJECTS:-100}
USCAN_TIMEOUT=${USCAN_TIMEOUT:-600}
RUNS=${RUNS:-5}
SWEEP=${SWEEP:-0}
KEEP=${KEEP:-0}
SIGWATCH=${SIGWATCH:-}
NVCHECKER=${NVCHECKER:-}
NVC_VENV=${NVC_VENV:-/tmp/sigwatch-scale-nvchecker-venv}
SW_FLAGS=()
[[ -n ${JOBS:-} ]] && SW_FLAGS+=(--jobs "$JOBS")
[[ -n ${PER_HOST:-} ]] && SW_FLAGS+=(--per-host "$PER_HOST")

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench/scale.sh: %s\n' "$*" >&2; exit 2; }

# --- tools -------------------------------------------------------------------------------
missing=()
for t in python3 gpg gpgv curl jq awk timeout; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
[[ -x /usr/bin/time ]] || missing+=("/usr/bin/time (apt-get install -y time)")
command -v uscan >/dev/null 2>&1 || missing+=("uscan (apt-get install -y devscripts)")
((${#missing[@]} == 0)) || die "missing tools: ${missing[*]}"

if [[ -z $SIGWATCH ]]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release --bin sigwatch >&2) || die "cargo build failed"
    SIGWATCH=$ROOT/target/release/sigwatch
fi
[[ -x $SIGWATCH ]] || die "no sigwatch binary at $SIGWATCH"

if [[ -z $NVCHECKER ]]; then
    if [[ ! -x $NVC_VENV/bin/nvchecker ]]; then
        log "pip install nvchecker packaging into $NVC_VENV"
        python3 -m venv "$NVC_VENV" && "$NVC_VENV/bin/pip" install -q nvchecker packaging >&2 \
            || die "cannot install nvchecker into $NVC_VENV"
    fi
    NVCHECKER=$NVC_VENV/bin/nvchecker
fi
NVC_PY=$(dirname "$NVCHECKER")/python
NVC_PYPI=$("$NVC_PY" -c 'import nvchecker_source.pypi as m; print(m.__file__)') \
    || die "nvchecker's pypi source not found (pip install nvchecker packaging)"

# --- work dir, key, server ---------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sigwatch-scale.XXXXXX")
export GNUPGHOME=$WORK/gnupg
mkdir -m 700 "$GNUPGHOME"
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    gpgconf --kill gpg-agent >/dev/null 2>&1 || true
    if [[ $KEEP != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Run an installed copy, as users do (and as the peers are installed): the file the linker
# just wrote faults in with more page faults than a copy of it (bench/verify.sh says more).
install -m 755 "$SIGWATCH" "$WORK/sigwatch"
SIGWATCH=$WORK/sigwatch
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY PIP_INDEX_URL
# A user's default: no backtraces. (RUST_BACKTRACE=1 makes every anyhow error capture one,
# and Sequoia makes such errors while parsing keyrings; measured separately below.)
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

log "machine: $(nproc) cores, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
log "load at start: $(uptime)"

log "one signing key (Ed25519) in a throwaway GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key 'Bench Release Key <bench@example.invalid>' ed25519 sign never 2>/dev/null \
    || die "gpg key generation failed"
FPR=$(gpg --with-colons --list-keys | awk -F: '/^fpr/{print $10; exit}')
gpg --armor --export "$FPR" >"$WORK/key.asc"

log "signing the newest sdist of the first $FETCH projects"
python3 "$BENCH/index_server.py" dump --count "$FETCH" --out "$WORK/sigs" || die "dump failed"
for f in "$WORK"/sigs/*.tar.gz; do
    gpg --batch --quiet --yes --armor --detach-sign -o "$f.asc" "$f" || die "signing $f failed"
done

log "starting the index server ($PROJECTS projects)"
python3 "$BENCH/index_server.py" serve --projects "$PROJECTS" --port-file "$WORK/port" \
    --sig-dir "$WORK/sigs" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 600); do
    [[ -s $WORK/port ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "index server died: $(cat "$WORK/server.log")"
    sleep 0.1
done
[[ -s $WORK/port ]] || die "index server did not start within 60 s"
PORT=$(cat "$WORK/port")
BASE=http://127.0.0.1:$PORT
curl -sf "$BASE/simple/proj-0001/" >/dev/null || die "index server does not answer"

log "writing watch files, nvchecker config and uscan trees"
python3 "$BENCH/scale/gen.py" --work "$WORK/w" --port "$PORT" --projects "$PROJECTS" \
    --fetch "$FETCH" --keyring "$WORK/key.asc" --fingerprint "$FPR" || die "gen.py failed"
# nvchecker's own pypi source, with only its URL pointed at the loopback server.
mkdir -p "$WORK/nvplug/nvchecker_source"
sed "s#'https://pypi.org/pypi/{}/json'#'$BASE/pypi/{}/json'#" "$NVC_PYPI" \
    >"$WORK/nvplug/nvchecker_source/pypi_loopback.py"
grep -q "$BASE/pypi/" "$WORK/nvplug/nvchecker_source/pypi_loopback.py" \
    || die "could not repoint $NVC_PYPI (its URL line changed?)"
# uscan gets the first USCAN_PROJECTS trees (it scans every debian/ below its directory).
mkdir -p "$WORK/w/uscan-sub"
for ((i = 1; i <= USCAN_PROJECTS && i <= PROJECTS; i++)); do
    n=$(printf 'proj-%04d' "$i")
    mv "$WORK/w/uscan/$n" "$WORK/w/uscan-sub/$n"
done

# --- measuring ---------------------------------------------------------------------------
RES=$WORK/results
mkdir -p "$RES"
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
load1() { awk '{print $1}' /proc/loadavg; }
stats_reset() { curl -sf "$BASE/stats/reset" >/dev/null; }
stats_get() { curl -sf "$BASE/stats"; }
CLK_TCK=$(getconf CLK_TCK)
server_cpu() { awk -v t="$CLK_TCK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$SERVER_PID/stat"; }

# measure_once ID PREPARE CHECK -- COMMAND…: one run; PREPARE runs before it (untimed),
# CHECK after it prints a short correctness note. RES/ID.runs gets a line
# "wall user sys rss_kib load1 server_requests server_body_bytes connections server_cpu note".
measure_once() {
    local id=$1 prepare=$2 check=$3
    shift 4
    $prepare
    stats_reset
    local l rc=0 c0 c1 s note scpu wall user sys rss
    l=$(load1)
    c0=$(server_cpu)
    (cd "$RUN_DIR" && /usr/bin/time -f '%e %U %S %M' -o "$RES/$id.time" "$@" \
        >"$RES/$id.out" 2>"$RES/$id.err") || rc=$?
    c1=$(server_cpu)
    s=$(stats_get)
    note=$($check "$rc")
    read -r wall user sys rss < <(tail -1 "$RES/$id.time") || true
    scpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.2f", b-a}')
    echo "$wall $user $sys $rss $l $(jq -r '"\(.requests) \(.bytes) \(.connections)"' <<<"$s") $scpu $note" \
        >>"$RES/$id.runs"
    log "$id: wall ${wall}s user ${user}s sys ${sys}s rss ${rss}KiB load1 $l server $(jq -c '{requests,bytes,connections,not_modified}' <<<"$s") server-cpu ${scpu}s $note"
}
# measure ID PREPARE CHECK -- COMMAND…: RUNS runs of measure_once.
measure() {
    : >"$RES/$1.runs"
    for ((r = 1; r <= RUNS; r++)); do measure_once "$@"; done
}
# row ID TOOL PROJECTS NOTE [TO]: a table row from medians; with TO (> PROJECTS), wall and CPU
# are multiplied by TO/PROJECTS (extrapolation), and the note says so.
ROWS=()
row() {
    local id=$1 tool=$2 n=$3 note=$4 to=${5:-$3}
    local scale
    scale=$(awk -v a="$to" -v b="$n" 'BEGIN{f=a/b; if (f==int(f)) printf "%d", f; else printf "%.2f", f}')
    local f=$RES/$id.runs
    local wall cpu rss ld req
    wall=$(awk '{print $1}' "$f" | median)
    cpu=$(awk '{print $2+$3}' "$f" | median)
    rss=$(awk '{print $4}' "$f" | median)
    ld=$(awk '{print $5}' "$f" | median)
    req=$(awk '{print $6}' "$f" | median)
    local conn scpu
    conn=$(awk '{print $8}' "$f" | median)
    scpu=$(awk '{print $9}' "$f" | median)
    local ok
    ok=$(awk '{ $1=$2=$3=$4=$5=$6=$7=$8=$9=""; sub(/^ +/, ""); print }' "$f" | sort | uniq -c | awk '{c=$1; $1=""; printf "%s%s×%s", (NR>1?"; ":""), c, $0}')
    if [[ $scale != 1 ]]; then
        wall=$(awk -v w="$wall" -v s="$scale" 'BEGIN{printf "%.1f", w*s}')
        cpu=$(awk -v w="$cpu" -v s="$scale" 'BEGIN{printf "%.1f", w*s}')
        note="**extrapolated ×$scale** from $n measured; $note"
        n=$to
    else
        wall=$(awk -v w="$wall" 'BEGIN{printf "%.2f", w}')
        cpu=$(awk -v w="$cpu" 'BEGIN{printf "%.2f", w}')
    fi
    rss=$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')
    local body
    body=$(awk '{print $7}' "$f" | median)
    ROWS+=("| $tool | $n | $wall | $cpu | $rss | $note; $req requests, $body body bytes, $conn connections, server CPU ${scpu} s; load $ld; $ok |")
    printf '%s\n' "${ROWS[-1]}" >&2
}

nothing() { :; }
RUN_DIR=$WORK/w

check_sigwatch() { # rc
    local out=$RES/$CUR.out
    local n
    n=$(jq '[.projects[] | select(.newest == "1.10")] | length' "$out" 2>/dev/null || echo 0)
    echo "rc=$1 1.10:$n/$CUR_N"
}
check_nvchecker() {
    local n
    n=$(jq '[.data[] | select(.version == "1.10")] | length' "$WORK/w/nvchecker/new_ver.json" 2>/dev/null || echo 0)
    echo "rc=$1 1.10:$n/$PROJECTS"
}
check_uscan_report() {
    local n
    n=$(grep -c 'Newest version of proj-[0-9]* on remote site is 1.10,' "$RES/$CUR.out" "$RES/$CUR.err" | awk -F: '{s+=$2} END {print s+0}')
    echo "rc=$1 1.10:$n/$CUR_N"
}
check_sigwatch_fetch() {
    local n files
    n=$(jq '[.projects[] | select(.error == null) | .files[] | select(.verdict == "verified")] | length' "$RES/$CUR.out" 2>/dev/null || echo 0)
    files=$(find "$WORK/dl-sw" -name '*.tar.gz' 2>/dev/null | wc -l)
    echo "rc=$1 verified:$n/$FETCH files:$files"
}
check_uscan_fetch() {
    local files good
    files=$(find "$WORK/dl-uscan" -name '*.tar.gz' 2>/dev/null | wc -l)
    good=$(grep -c '^gpgv: Good signature' "$RES/$CUR.err" || true)
    echo "rc=$1 files:$files good-signatures:$good/$FETCH"
}

nv_prepare() { rm -f "$WORK/w/nvchecker/new_ver.json"; }

log "load before the runs: $(uptime)"

# 0. Reference: the same pages over 20 keep-alive connections, nothing else done with them.
log "reference: $PROJECTS simple pages, 20 reused connections (bench/scale/floor.py)"
CUR=floor CUR_N=$PROJECTS
check_floor() { echo "rc=$1 $(awk '{print "pages:" $2}' "$RES/floor.out")"; }
measure floor nothing check_floor -- python3 "$BENCH/scale/floor.py" "$PORT" --projects "$PROJECTS" --connections 20
row floor "reference: Python http.client, 20 keep-alive connections" "$PROJECTS" "the same pages, no parsing, no files"

# 1. check, in rounds: sigwatch with a fresh (empty) cache directory, the same cache again
# (warm), --no-cache, and nvchecker, one after the other in every round, so the four share the
# machine's load; then uscan --report.
check_sigwatch_cache() { # rc: the report's own http counters beside the 1.10 check
    local h
    h=$(jq -r '"sigwatch-http-bytes:\(.http.bytes) 304s:\(.http.not_modified)"' "$RES/$CUR.out" 2>/dev/null || echo '?')
    echo "$(check_sigwatch "$1") $h"
}
CACHE_DIR=
fresh_cache() { CACHE_DIR=$(mktemp -d "$WORK/cache.XXXXXX"); }
SW_CHECK=("$SIGWATCH" check --json ${SW_FLAGS[@]+"${SW_FLAGS[@]}"} "$WORK/w/sigwatch")
for id in sw-fresh sw-warm sw-nocache nvchecker; do : >"$RES/$id.runs"; done
log "check of $PROJECTS projects, $RUNS rounds of: sigwatch fresh cache, warm cache, --no-cache; nvchecker"
for ((r = 1; r <= RUNS; r++)); do
    CUR=sw-fresh CUR_N=$PROJECTS
    fresh_cache
    measure_once sw-fresh nothing check_sigwatch_cache -- env SIGWATCH_CACHE_DIR="$CACHE_DIR" "${SW_CHECK[@]}"
    CUR=sw-warm
    measure_once sw-warm nothing check_sigwatch_cache -- env SIGWATCH_CACHE_DIR="$CACHE_DIR" "${SW_CHECK[@]}"
    CUR=sw-nocache
    measure_once sw-nocache nothing check_sigwatch_cache -- "${SW_CHECK[@]}" --no-cache
    CUR=nvchecker
    RUN_DIR=$WORK/w/nvchecker
    measure_once nvchecker nv_prepare check_nvchecker -- env PYTHONPATH="$WORK/nvplug" "$NVCHECKER" -c nvchecker.toml
    RUN_DIR=$WORK/w
done
CACHE_FILES=$(find "$CACHE_DIR" -type f | wc -l)
CACHE_BYTES=$(du -sb "$CACHE_DIR" | cut -f1)
row sw-fresh "**sigwatch check**, fresh cache${SW_FLAGS[*]:+ (${SW_FLAGS[*]})}" "$PROJECTS" "empty SIGWATCH_CACHE_DIR; PEP 691 JSON pages"
row sw-warm "**sigwatch check**, warm cache" "$PROJECTS" "the same cache directory, second run; every page 304"
row sw-nocache "**sigwatch check** --no-cache" "$PROJECTS" "no cache read or written"
row nvchecker "**nvchecker** $("$NVCHECKER" --version 2>/dev/null | awk '{print $2}') (pypi source, JSON API)" "$PROJECTS" "/pypi/<name>/json, default concurrency"

log "sigwatch check --no-cache with RUST_BACKTRACE=1 (diagnosis)"
CUR=sw-check-bt CUR_N=$PROJECTS
measure sw-check-bt nothing check_sigwatch -- env RUST_BACKTRACE=1 "${SW_CHECK[@]}" --no-cache
row sw-check-bt "sigwatch check --no-cache, RUST_BACKTRACE=1" "$PROJECTS" "diagnosis: backtrace capture on Sequoia's internal errors"

if [[ $SWEEP == 1 ]]; then
    for flags in "--jobs 1 --per-host 1" "--jobs 64 --per-host 8" "--jobs 64 --per-host 20" "--jobs 128 --per-host 32"; do
        id=sw-check-$(tr -d ' -' <<<"$flags")
        CUR=$id
        # shellcheck disable=SC2086
        measure "$id" nothing check_sigwatch -- "$SIGWATCH" check --json --no-cache $flags "$WORK/w/sigwatch"
        row "$id" "sigwatch check --no-cache $flags" "$PROJECTS" "sweep"
    done
fi

log "uscan --report over the first $USCAN_PROJECTS trees (timeout ${USCAN_TIMEOUT}s per run)"
CUR=uscan-report CUR_N=$USCAN_PROJECTS
RUN_DIR=$WORK/w/uscan-sub
measure uscan-report nothing check_uscan_report -- timeout "$USCAN_TIMEOUT" uscan --no-conf --report --bare
UVER=$(dpkg-query -W -f '${Version}' devscripts 2>/dev/null || echo '?')
row uscan-report "**uscan --report** (devscripts $UVER)" "$USCAN_PROJECTS" "PEP 503 HTML pages, one process, sequential" "$PROJECTS"
RUN_DIR=$WORK/w

# 3. fetch of FETCH signed releases: sigwatch vs uscan --download with gpgv.
log "sigwatch fetch --no-cache of $FETCH signed releases"
sw_fetch_prepare() { rm -rf "$WORK/dl-sw"; rm -f "$WORK"/w/sigwatch-fetch/*.lock; }
CUR=sw-fetch CUR_N=$FETCH
measure sw-fetch sw_fetch_prepare check_sigwatch_fetch -- "$SIGWATCH" fetch --json --no-cache ${SW_FLAGS[@]+"${SW_FLAGS[@]}"} --dest "$WORK/dl-sw" "$WORK/w/sigwatch-fetch"
row sw-fetch "sigwatch fetch (--no-cache)" "$FETCH" "page + sdist + .asc, sha256 and signature verified"

log "uscan --download of $FETCH signed releases (pgpsigurlmangle, signing-key.asc)"
uscan_fetch_prepare() { rm -rf "$WORK/dl-uscan"; mkdir -p "$WORK/dl-uscan"; }
CUR=uscan-fetch CUR_N=$FETCH
RUN_DIR=$WORK/w/uscan-fetch
measure uscan-fetch uscan_fetch_prepare check_uscan_fetch -- timeout "$USCAN_TIMEOUT" uscan --no-conf --bare --download --no-symlink --destdir "$WORK/dl-uscan"
row uscan-fetch "uscan --download --no-symlink (gpgv)" "$FETCH" "page + sdist + .asc, signature verified"
RUN_DIR=$WORK/w

# --- results -----------------------------------------------------------------------------
{
    echo "## Scale benchmark (bench/scale.sh)"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo);"
    echo "sigwatch $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'); $PROJECTS projects × 12 releases;"
    echo "medians of $RUNS runs; load = 1-minute load average when each run started (median); load at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| tool | projects | wall s | user+sys s | peak RSS MiB | notes |"
    echo "|---|---:|---:|---:|---:|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    wall_of() { awk '{print $1}' "$RES/$1.runs" | median; }
    ratio() { awk -v a="$(wall_of "$1")" -v b="$(wall_of "$2")" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}'; }
    echo "Ratios of median wall times, this run: nvchecker / sigwatch fresh cache = **$(ratio nvchecker sw-fresh)×**;"
    echo "nvchecker / sigwatch warm = $(ratio nvchecker sw-warm)×; nvchecker / sigwatch --no-cache = $(ratio nvchecker sw-nocache)×;"
    echo "sigwatch warm / fresh = $(ratio sw-warm sw-fresh)×; fresh / --no-cache = $(ratio sw-fresh sw-nocache)×;"
    echo "uscan (extrapolated) / sigwatch fresh = $(awk -v a="$(wall_of uscan-report)" -v b="$(wall_of sw-fresh)" -v s="$(awk -v a="$PROJECTS" -v b="$USCAN_PROJECTS" 'BEGIN{print a/b}')" 'BEGIN{printf "%.0f", a * s / b}')×."
    echo "The cache after the last round: $CACHE_FILES files, $CACHE_BYTES bytes."
} | tee "$RES/table.md"
