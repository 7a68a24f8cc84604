#!/usr/bin/env bash
# Verification benchmark for `sigwatch verify` against sqv, gpgv and `openssl dgst`.
#
# Usage: bash bench/verify.sh            (from anywhere; see bench/README.md for the knobs)
#
# It builds sigwatch in release mode (the repository's target/ dir), makes a SIZE-byte file
# (1 GiB by default) in a temp dir, makes an RSA-4096 and an Ed25519 key with GnuPG in a
# throwaway GNUPGHOME, signs the file (RSA-4096/SHA-256 and Ed25519/SHA-512), then times every
# verifier side by side with hyperfine and measures peak RSS and CPU with /usr/bin/time. It
# also times whole-process verification of a small file (startup cost, for scripts that call
# sigwatch in a loop) in interleaved rounds beside sqv and gpgv. The load average is printed
# with every table. It prints Markdown tables and keeps the raw results.
#
# Nothing is installed: missing tools are named, with the Debian package to install.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

SIZE=${SIZE:-1G}                 # size of the large file (anything `head -c` takes)
RUNS=${RUNS:-5}                  # hyperfine runs per command, large file (after 1 warmup)
TIME_RUNS=${TIME_RUNS:-3}        # /usr/bin/time runs per command (peak RSS, user+sys)
SMALL_SIZE=${SMALL_SIZE:-4096}   # size of the small file, bytes
SMALL_PAIRS=${SMALL_PAIRS:-60}   # small file: rounds; each times sigwatch, sqv and gpgv once, in turn
NATIVE=${NATIVE:-0}              # 1: also time a `-C target-cpu=native` build of sigwatch
NATIVE_TARGET_DIR=${NATIVE_TARGET_DIR:-/tmp/sigwatch-native-target}
LARGE=${LARGE:-1}                # 0: skip the large-file cases (only the small-file rounds)
KEEP=${KEEP:-0}                  # 1: keep the data files and GNUPGHOME after the run
SIGWATCH=${SIGWATCH:-}           # a prebuilt sigwatch binary (skips the build)

[[ $LARGE == 1 ]] || SIZE=$SMALL_SIZE # no large file to make and sign

# --- tools -----------------------------------------------------------------------------

missing=()
need() { # need COMMAND DEBIAN-PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then missing+=("$1 (apt-get install -y $2)"); fi
}
need cargo "cargo, or rustup from https://rustup.rs"
need gpg gnupg
need gpgv gpgv
need sqv sqv
need hyperfine hyperfine
need openssl openssl
need jq jq
need awk gawk
[[ -x /usr/bin/time ]] || missing+=("/usr/bin/time (apt-get install -y time)")
if ((${#missing[@]})); then
    echo "bench/verify.sh: missing tools; nothing was installed:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 2
fi

# A user's default: no backtraces (sqv, also Rust, would capture one for every internal error
# with RUST_BACKTRACE=1 inherited from a developer's shell; sigwatch turns library backtraces
# off itself).
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

# --- build -----------------------------------------------------------------------------

log() { printf '\n== %s\n' "$*" >&2; }

if [[ -z $SIGWATCH ]]; then
    log "building sigwatch (release) in $ROOT/target"
    (cd "$ROOT" && cargo build --release --bin sigwatch)
    SIGWATCH=$ROOT/target/release/sigwatch
fi
[[ -x $SIGWATCH ]] || { echo "no sigwatch binary at $SIGWATCH" >&2; exit 2; }
SIGWATCH_NATIVE=
if [[ $NATIVE == 1 ]]; then
    log "building sigwatch with RUSTFLAGS='-C target-cpu=native' in $NATIVE_TARGET_DIR"
    (cd "$ROOT" && RUSTFLAGS='-C target-cpu=native' CARGO_TARGET_DIR=$NATIVE_TARGET_DIR \
        cargo build --release --bin sigwatch)
    SIGWATCH_NATIVE=$NATIVE_TARGET_DIR/release/sigwatch
fi

# --- data, keys, signatures ------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sigwatch-bench.XXXXXX")
DATA=$WORK/data
RESULTS=${RESULTS_DIR:-$WORK/results}
mkdir -p "$DATA" "$RESULTS"
for p in "$WORK" "$RESULTS" "$SIGWATCH" "$SIGWATCH_NATIVE"; do
    if [[ $p =~ [[:space:]] ]]; then echo "paths with whitespace are not supported: $p" >&2; exit 2; fi
done
export GNUPGHOME=$DATA/gnupg
mkdir -m 700 "$GNUPGHOME"
cleanup() {
    gpgconf --kill gpg-agent >/dev/null 2>&1 || true # the agent of our throwaway GNUPGHOME
    if [[ $KEEP != 1 ]]; then rm -rf "$DATA" && rmdir "$WORK" 2>/dev/null || true; fi
}
trap cleanup EXIT

# Time an installed copy, as users run it (`cargo install`, a package) and as sqv and gpgv are
# installed: the binary the linker just wrote sits in the page cache in small pieces, and
# faulting it in took about 45 more page faults per run (400 against 355, the same bytes)
# and 7 % more wall time than a copy of it (2026-12-07, BENCHMARKS.md).
mkdir -p "$DATA/bin"
SIGWATCH_BUILT=$SIGWATCH
install -m 755 "$SIGWATCH" "$DATA/bin/sigwatch"
SIGWATCH=$DATA/bin/sigwatch
if [[ -n $SIGWATCH_NATIVE ]]; then
    install -m 755 "$SIGWATCH_NATIVE" "$DATA/bin/sigwatch-native"
    SIGWATCH_NATIVE=$DATA/bin/sigwatch-native
fi

log "machine"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -srm)"
    echo "nproc: $(nproc)"
    echo "cpu: $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
    echo "cpu flags (hashing): $(grep -ow 'sha_ni\|avx2\|avx512f\|sha512\|bmi2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
    echo "load at start: $(uptime)"
    echo "sigwatch: an installed copy of $SIGWATCH_BUILT ($(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'))"
    echo "sqv: $(sqv --version 2>&1 | head -1)"
    echo "gpgv: $(gpgv --version 2>&1 | head -1), $(gpg --version | grep -i libgcrypt)"
    echo "openssl: $(openssl version)"
    echo "hyperfine: $(hyperfine --version)"
    echo "file size: $SIZE; runs: $RUNS (+1 warmup) hyperfine, $TIME_RUNS /usr/bin/time; small: $SMALL_SIZE bytes, $SMALL_PAIRS interleaved rounds"
} | tee "$RESULTS/machine.txt" >&2

log "making the $SIZE file (AES-128-CTR keystream: deterministic and fast)"
BIG=$DATA/big.bin
SMALL=$DATA/small.bin
head -c "$SIZE" /dev/zero |
    openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:sigwatch-bench >"$BIG"
head -c "$SMALL_SIZE" "$BIG" >"$SMALL"
ls -l "$BIG" "$SMALL" >&2

log "making keys and signatures in $GNUPGHOME"
gpgq() { gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
gpgq --quick-gen-key 'sigwatch bench RSA-4096 <rsa4096@bench.invalid>' rsa4096 sign never
gpgq --quick-gen-key 'sigwatch bench Ed25519 <ed25519@bench.invalid>' ed25519 sign never
fpr_of() { gpg --batch --with-colons --list-keys "$1" | awk -F: '/^fpr:/{print $10; exit}'; }
FPR_RSA=$(fpr_of rsa4096@bench.invalid)
FPR_ED=$(fpr_of ed25519@bench.invalid)
KEYRING=$DATA/keyring.asc     # both certificates, armored (sigwatch, sqv)
KEYRING_GPG=$DATA/keyring.gpg # the same, binary (gpgv)
gpg --batch --armor --export >"$KEYRING"
gpg --batch --export >"$KEYRING_GPG"
for f in "$BIG" "$SMALL"; do
    gpgq --local-user "$FPR_RSA!" --digest-algo SHA256 --detach-sign --output "$f.rsa4096-sha256.sig" "$f"
    gpgq --local-user "$FPR_ED!" --digest-algo SHA512 --detach-sign --output "$f.ed25519-sha512.sig" "$f"
done
echo "RSA-4096 $FPR_RSA, Ed25519 $FPR_ED" >&2

# --- measuring -------------------------------------------------------------------------

# Commands of one case, as parallel arrays (names, command lines without whitespace in paths).
NAMES=()
CMDS=()
add() { NAMES+=("$1"); CMDS+=("$2"); }
set_case() { # set_case FILE SIG FPR HASH(sha256|sha512) WITH_OPENSSL(0|1)
    local file=$1 sig=$2 fpr=$3 hash=$4
    NAMES=() CMDS=()
    add sigwatch "$SIGWATCH verify $file --signature $sig --keyring $KEYRING --fingerprint $fpr"
    if [[ -n $SIGWATCH_NATIVE ]]; then
        add "sigwatch (target-cpu=native)" \
            "$SIGWATCH_NATIVE verify $file --signature $sig --keyring $KEYRING --fingerprint $fpr"
    fi
    add sqv "sqv --keyring $KEYRING $sig $file"
    add gpgv "gpgv --keyring $KEYRING_GPG $sig $file"
    if [[ $5 == 1 ]]; then add "openssl dgst -$hash" "openssl dgst -$hash $file"; fi
}

check_case() { # every command must succeed, or its timing means nothing
    local i
    for i in "${!CMDS[@]}"; do
        # shellcheck disable=SC2086 # deliberate word splitting of the command line
        if ! ${CMDS[$i]} >"$RESULTS/check.out" 2>&1; then
            echo "FAILED: ${CMDS[$i]}" >&2
            cat "$RESULTS/check.out" >&2
            exit 1
        fi
    done
}

median() { sort -g | awk '{a[NR] = $1} END {
    if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

run_hyperfine() { # run_hyperfine JSON hyperfine-options...
    local json=$1 i args=()
    shift
    for i in "${!CMDS[@]}"; do args+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
    hyperfine -N --style basic "$@" --export-json "$json" "${args[@]}" >&2
}

run_time() { # run_time TSV RUNS: interleaved /usr/bin/time runs -> "name<TAB>wall<TAB>user+sys<TAB>maxrss_kib"
    local tsv=$1 runs=$2 r i out=$RESULTS/time.out
    : >"$tsv"
    for ((r = 1; r <= runs; r++)); do
        for i in "${!CMDS[@]}"; do
            # shellcheck disable=SC2086
            /usr/bin/time -f '%e %U %S %M' -o "$out" ${CMDS[$i]} >/dev/null 2>&1
            awk -v n="${NAMES[$i]}" '{printf "%s\t%s\t%.2f\t%s\n", n, $1, $2 + $3, $4}' "$out" >>"$tsv"
        done
    done
}

field_median() { # field_median TSV NAME COLUMN
    awk -F'\t' -v n="$2" -v c="$3" '$1 == n {print $c}' "$1" | median
}

hf() { # hf JSON NAME FIELD: a field of one hyperfine result
    jq -r --arg n "$2" ".results[] | select(.command == \$n) | .$3" "$1"
}

TABLES=$RESULTS/results.md
: >"$TABLES"
emit() { printf '%s\n' "$*" | tee -a "$TABLES"; }

bytes=$(stat -c %s "$BIG")
mib=$(awk -v b="$bytes" 'BEGIN {printf "%.0f", b / 1048576}')

large_case() { # large_case LABEL SIG FPR HASH
    local label=$1 sig=$2 fpr=$3 hash=$4 json tsv i n floor floor_cpu
    set_case "$BIG" "$sig" "$fpr" "$hash" 1
    check_case
    json=$RESULTS/large-$label.json
    tsv=$RESULTS/large-$label.time.tsv
    log "$label, $mib MiB: hyperfine (warmup 1, $RUNS runs; load $(cut -d' ' -f1-3 /proc/loadavg))"
    run_hyperfine "$json" --warmup 1 --runs "$RUNS"
    log "$label, $mib MiB: /usr/bin/time ($TIME_RUNS interleaved runs)"
    run_time "$tsv" "$TIME_RUNS"
    floor=$(hf "$json" "openssl dgst -$hash" median)
    floor_cpu=$(field_median "$tsv" "openssl dgst -$hash" 3)
    emit ""
    emit "### $label, $mib MiB file (load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
    emit ""
    emit "| command | wall median (s) | wall × openssl | MiB/s | user+sys (s) | CPU × openssl | peak RSS (MiB) |"
    emit "|---|---:|---:|---:|---:|---:|---:|"
    for n in "${NAMES[@]}"; do
        local wall cpu rss
        wall=$(hf "$json" "$n" median)
        cpu=$(field_median "$tsv" "$n" 3)
        rss=$(field_median "$tsv" "$n" 4)
        emit "$(awk -v n="$n" -v w="$wall" -v f="$floor" -v m="$mib" -v c="$cpu" -v fc="$floor_cpu" -v r="$rss" 'BEGIN {
            printf "| `%s` | %.3f | %.2f× | %.0f | %.2f | %.2f× | %.1f |", n, w, w / f, m / w, c, (fc > 0 ? c / fc : 0), r / 1024 }')"
    done
}

small_case() { # small_case LABEL SIG FPR HASH
    # Whole-process time of a small file, as scripts call a verifier in a loop. Every round runs
    # each verifier once (after one untimed warmup run) with hyperfine, one after the other, so
    # neighbouring samples share the machine's load; the ratio to sqv is the median of the
    # per-round ratios (pairs), and each command's time the median of its rounds.
    local label=$1 sig=$2 fpr=$3 hash=$4 tsv json r i n args=()
    set_case "$SMALL" "$sig" "$fpr" "$hash" 0
    check_case
    tsv=$RESULTS/small-$label.rounds.tsv
    json=$RESULTS/small-$label.round.json
    for i in "${!CMDS[@]}"; do args+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
    local load0 load1
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    log "$label, $SMALL_SIZE-byte file: $SMALL_PAIRS interleaved rounds (load $load0)"
    : >"$tsv"
    for ((r = 1; r <= SMALL_PAIRS; r++)); do
        hyperfine -N --style none --warmup 1 --runs 1 --export-json "$json" "${args[@]}" >/dev/null 2>&1
        jq -r --arg r "$r" '.results[] | [$r, .command, .mean, .user, .system] | @tsv' "$json" >>"$tsv"
    done
    load1=$(cut -d' ' -f1-3 /proc/loadavg)
    run_time "$RESULTS/small-$label.time.tsv" "$TIME_RUNS"
    emit ""
    emit "### $label, $SMALL_SIZE-byte file (whole process, $SMALL_PAIRS interleaved rounds; load $load0 → $load1)"
    emit ""
    emit "| command | wall median (ms) | wall p25–p75 (ms) | × sqv (median of pairs) | user+sys median (ms) | peak RSS (MiB) |"
    emit "|---|---:|---:|---:|---:|---:|"
    for n in "${NAMES[@]}"; do
        local q
        q=$(awk -F'\t' -v n="$n" '$2 == n {print $3 * 1000}' "$tsv" | sort -g | awk '{a[NR] = $1} END {
            printf "%.2f %.2f %.2f", a[int((NR + 1) / 2)], a[int(NR / 4) + 1], a[int(3 * NR / 4) + 1] }')
        local pair
        pair=$(awk -F'\t' -v n="$n" '$2 == n {w[$1] = $3} $2 == "sqv" {s[$1] = $3}
            END {for (r in w) if (s[r] > 0) print w[r] / s[r]}' "$tsv" | median)
        local cpu
        cpu=$(awk -F'\t' -v n="$n" '$2 == n {print ($4 + $5) * 1000}' "$tsv" | median)
        emit "$(awk -v n="$n" -v q="$q" -v p="$pair" -v c="$cpu" -v r="$(field_median "$RESULTS/small-$label.time.tsv" "$n" 4)" 'BEGIN {
            split(q, a, " "); printf "| `%s` | %.2f | %.2f–%.2f | %.2f× | %.2f | %.1f |", n, a[1], a[2], a[3], p, c, r / 1024 }')"
    done
}

emit "## sigwatch verify benchmark"
emit ""
emit "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, sigwatch $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')."
emit "Load at start: $(uptime | sed 's/.*load average/load average/')"
if [[ $LARGE == 1 ]]; then
    large_case rsa4096-sha256 "$BIG.rsa4096-sha256.sig" "$FPR_RSA" sha256
    large_case ed25519-sha512 "$BIG.ed25519-sha512.sig" "$FPR_ED" sha512
fi
small_case rsa4096-sha256 "$SMALL.rsa4096-sha256.sig" "$FPR_RSA" sha256
small_case ed25519-sha512 "$SMALL.ed25519-sha512.sig" "$FPR_ED" sha512
emit ""
emit "Load at end: $(uptime | sed 's/.*load average/load average/')"
emit ""
emit "Targets: sigwatch wall ≤ 1.10× \`openssl dgst\` with the same hash; peak RSS < 32 MiB;"
emit "small file: sigwatch no slower than sqv."
rm -f "$RESULTS/check.out" "$RESULTS/time.out"

log "raw results (hyperfine JSON, /usr/bin/time TSV, results.md) in $RESULTS"
