#!/usr/bin/env bash
# Sigstore benchmark: `sigwatch verify FILE --sigstore PROOF` (a real PEP 740 provenance
# object, under the embedded production trust root) beside `sigwatch verify FILE --signature
# SIG` (an Ed25519 OpenPGP signature over the same file, made here with GnuPG) and `sqv` on
# that signature. Issue 16's goal: the Sigstore verify within 2x the OpenPGP verify.
#
# Usage: bash bench/sigstore.sh     (knobs: PAIRS=60 rounds, SIGWATCH=prebuilt binary,
#                                    ASSETS=dir holding the pypi-attestations test assets)
#
# The real proof comes from the `pypi-attestations` sdist (its test/assets/ hold real
# attestations and provenance of real releases); without ASSETS it is fetched with
# `pip download` from the configured index. Whole-process wall time is measured in
# interleaved rounds (sigwatch+sigstore, sigwatch+openpgp, sqv, in turn), medians reported,
# with the load average. Nothing is installed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PAIRS=${PAIRS:-60}
SIGWATCH=${SIGWATCH:-}
ASSETS=${ASSETS:-}

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt-get install -y $2)"); }
need gpg gnupg
need sqv sqv
need python3 python3
[[ -n $ASSETS ]] || need pip "python3-pip"
if ((${#missing[@]})); then
    echo "bench/sigstore.sh: missing tools; nothing was installed:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 2
fi
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

if [[ -z $SIGWATCH ]]; then
    (cd "$ROOT" && cargo build --release --bin sigwatch >&2)
    SIGWATCH=$ROOT/target/release/sigwatch
fi
[[ -x $SIGWATCH ]] || { echo "no sigwatch binary at $SIGWATCH" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sigwatch-sigstore-bench.XXXXXX")
export GNUPGHOME=$WORK/gnupg
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
# Run an installed copy, as users do (and as the peers are installed): the file the linker
# just wrote faults in with more page faults than a copy of it (bench/verify.sh says more).
install -m 755 "$SIGWATCH" "$WORK/sigwatch"
SIGWATCH=$WORK/sigwatch

if [[ -z $ASSETS ]]; then
    (cd "$WORK" && pip download --quiet --no-deps --no-binary :all: 'pypi-attestations==0.0.31' -d . >&2 &&
        tar xzf pypi_attestations-0.0.31.tar.gz)
    ASSETS=$WORK/pypi_attestations-0.0.31/test/assets
fi
FILE=$WORK/pypi_attestations-0.0.19.tar.gz
cp "$ASSETS/pypi_attestations-0.0.19.tar.gz" "$FILE"
cp "$ASSETS/pypi_attestations-0.0.19.tar.gz.provenance" "$FILE.provenance"
PUBLISHER=github:trailofbits/pypi-attestations/release.yml

gpgq() { gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
gpgq --quick-gen-key 'sigwatch bench Ed25519 <ed25519@bench.invalid>' ed25519 sign never
FPR=$(gpg --batch --with-colons --list-keys ed25519@bench.invalid | awk -F: '/^fpr:/{print $10; exit}')
gpg --batch --armor --export >"$WORK/keyring.asc"
gpgq --local-user "$FPR!" --digest-algo SHA512 --detach-sign --output "$FILE.sig" "$FILE"

NAMES=("sigwatch verify --sigstore (PEP 740 provenance)" "sigwatch verify --signature (Ed25519)" "sqv (Ed25519)")
CMDS=(
    "$SIGWATCH verify $FILE --sigstore $FILE.provenance --publisher $PUBLISHER"
    "$SIGWATCH verify $FILE --signature $FILE.sig --keyring $WORK/keyring.asc --fingerprint $FPR"
    "sqv --keyring $WORK/keyring.asc $FILE.sig $FILE"
)
for c in "${CMDS[@]}"; do
    # shellcheck disable=SC2086
    $c >/dev/null 2>&1 || { echo "FAILED: $c" >&2; $c; exit 1; }
done

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores; file $(stat -c %s "$FILE") bytes; $PAIRS interleaved rounds"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A T
for ((r = 0; r < PAIRS; r++)); do
    for i in "${!CMDS[@]}"; do
        s=$(date +%s%N)
        # shellcheck disable=SC2086
        ${CMDS[$i]} >/dev/null 2>&1
        e=$(date +%s%N)
        T[$i]+="$(((e - s) / 1000)) "
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | median wall (ms) | vs. sigwatch OpenPGP |"
echo "|---|---|---|"
base=$(echo "${T[1]}" | median)
for i in "${!CMDS[@]}"; do
    m=$(echo "${T[$i]}" | median)
    awk -v n="${NAMES[$i]}" -v m="$m" -v b="$base" 'BEGIN {printf "| %s | %.2f | %.2fx |\n", n, m / 1000, m / b}'
done
