#!/usr/bin/env bash
# The sopv reference tests from Debian 13's sopv-doc, against `sigwatch sopv` and other sopvs,
# then the verdict table (bench/sopv/verdicts.py) over the same material and sigwatch's fixtures.
#
#   bash bench/sopv/get-debian13.sh                     # once: sopv-doc into target/debian13
#   cargo install rsop                                  # a signing SOP to make the material
#   SIGWATCH=target/debug/sigwatch bash bench/sopv/conformance.sh
#
# SOP (default rsop) makes the material with setup-sopv-test; OTHERS (default: rsopv and sqopv
# when on PATH) are run through sopv-test beside sigwatch. Prints each tally and the table.
# DEFAULT_PROFILE=1 makes both keys with the default profile (v4); otherwise Bob gets the
# second profile (with rsop: a v6 RFC 9580 key).
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIGWATCH=$(realpath "${SIGWATCH:-$(command -v sigwatch)}")
DEB13=$(realpath "${DEB13:-target/debian13}")
EXAMPLES="$DEB13/root/usr/share/doc/sopv-doc/examples"
[ -r "$EXAMPLES/sopv-test" ] || { echo "no sopv-doc under $DEB13/root; run bench/sopv/get-debian13.sh" >&2; exit 2; }
SOP=${SOP:-rsop}
command -v "$SOP" >/dev/null || { echo "$SOP not found: cargo install rsop (or set SOP)" >&2; exit 2; }
if [ -z "${OTHERS+x}" ]; then
    OTHERS=""
    for o in rsopv sqopv; do command -v "$o" >/dev/null && OTHERS="$OTHERS $o"; done
fi

WORK=${WORK:-$(mktemp -d)}
cd "$WORK"
sh "$EXAMPLES/setup-sopv-test" ${DEFAULT_PROFILE:+--default-profile} "$SOP" >setup.log 2>&1
echo "material: $SOP ($("$SOP" version)), profiles: $("$SOP" list-profiles generate-key | tr '\n' ' ')"

tally() { # NAME COMMAND...
    local name=$1
    shift
    local rc=0 t0 t1
    t0=$(date +%s.%N)
    sh "$EXAMPLES/sopv-test" "$*" >"sopv-test.$name.log" 2>&1 || rc=$?
    t1=$(date +%s.%N)
    printf '%s: exit %s; %s(%.1f s, load average %s)\n' "$name" "$rc" \
        "$(grep -E '^No errors|tests passed|Errors:' "sopv-test.$name.log" | tr '\n' ' ')" \
        "$(echo "$t1 - $t0" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
}
tally "sigwatch sopv" "$SIGWATCH sopv"
mkdir -p link && ln -sf "$SIGWATCH" link/sopv
tally "sopv (a link to sigwatch)" "$WORK/link/sopv"
for o in $OTHERS; do tally "$o" "$(command -v "$o")"; done

echo
SIGWATCH="$SIGWATCH" python3 "$HERE/verdicts.py" "$WORK" "$HERE/../../tests/fixtures" $OTHERS
echo
echo "(material and logs kept in $WORK)"
