#!/usr/bin/env bash
# `sigwatch uscan --dehs` beside Debian 13's `uscan --dehs` (devscripts 2.25), field by field.
#
#   DEB13_ROOT=/path/to/extracted/devscripts SIGWATCH=target/debug/sigwatch bash bench/uscan/dehs-compare.sh
#
# DEB13_ROOT is devscripts 2.25 unpacked with `dpkg-deb -x` (uscan in usr/bin, its Perl
# modules in usr/share/perl5). For each package tree written here (a v4 watch with an .asc,
# a v5 watch with a component and binary .sig files) and a python3 http.server on
# 127.0.0.1, both tools run in report mode and in download mode (each into its own copy of
# the tree); the DEHS elements are compared and one Markdown row per element is printed.
set -euo pipefail
export LC_ALL=C TZ=UTC

SIGWATCH=$(realpath "${SIGWATCH:-$(command -v sigwatch)}")
ROOT=$(realpath "${DEB13_ROOT:?set DEB13_ROOT to the extracted devscripts 2.25}")
export PERL5LIB="$ROOT/usr/share/perl5${PERL5LIB:+:$PERL5LIB}"
export PATH="$ROOT/usr/bin:$PATH"

WORK=$(mktemp -d)
export GNUPGHOME="$WORK/gnupg"
mkdir -m 700 "$GNUPGHOME"
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    gpgconf --homedir "$GNUPGHOME" --kill all >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
G() { gpg --batch --no-tty --pinentry-mode loopback --passphrase '' --yes "$@" 2>>"$WORK/gpg.log"; }
G --quick-gen-key "Upstream <up@upstream.invalid>" ed25519 sign never

# Releases.
WWW="$WORK/www/releases"
mkdir -p "$WWW"
tarball() { # NAME DIR-INSIDE
    mkdir -p "$WORK/src/$2" && echo "$2" >"$WORK/src/$2/README"
    tar -C "$WORK/src" -cf - "$2" | gzip -n >"$WWW/$1"
}
tarball hello-1.0.tar.gz hello-1.0
tarball hello-1.1.tar.gz hello-1.1
G --armor --detach-sign -o "$WWW/hello-1.1.tar.gz.asc" "$WWW/hello-1.1.tar.gz"
tarball tool-3.1.tar.gz tool-3.1
tarball tool-docs-0.7.tar.gz tool-docs-0.7
G --detach-sign -o "$WWW/tool-3.1.tar.gz.sig" "$WWW/tool-3.1.tar.gz"
G --detach-sign -o "$WWW/tool-docs-0.7.tar.gz.sig" "$WWW/tool-docs-0.7.tar.gz"
(cd "$WWW" && { echo "<html><body>"; for f in *; do echo "<a href=\"$f\">$f</a>"; done; echo "</body></html>"; } >index.html)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server -b 127.0.0.1 -d "$WORK/www" "$PORT" >/dev/null 2>&1 &
SERVER_PID=$!
sleep 1
URL="http://127.0.0.1:$PORT/releases/"

package() { # DIR NAME VERSION WATCH-TEXT
    mkdir -p "$1/debian/upstream" "$1/debian/source"
    echo "3.0 (quilt)" >"$1/debian/source/format"
    printf 'Source: %s\nMaintainer: T <t@example.org>\n\nPackage: %s\nArchitecture: all\n' "$2" "$2" >"$1/debian/control"
    printf '%s (%s) unstable; urgency=medium\n\n  * Test.\n\n -- T <t@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n' "$2" "$3" >"$1/debian/changelog"
    printf '%s' "$4" >"$1/debian/watch"
    G --armor --export up@upstream.invalid >"$1/debian/upstream/signing-key.asc"
}

V4="version=4
opts=\"pgpsigurlmangle=s/\$/.asc/,dversionmangle=s/\\+dfsg//\" $URL .*/hello-(\\d[\\d.]*)\\.tar\\.gz
"
# Debian 13's uscan reads watch versions 1-4 only (a version 5 file is taken as version 1),
# so the component case is written as version 4; tests/uscan.rs covers version 5.
COMPONENT="version=4
opts=\"pgpsigurlmangle=s/\$/.sig/\" $URL .*/tool-(\\d[\\d.]*)\\.tar\\.gz
opts=\"component=docs,pgpsigurlmangle=s/\$/.sig/\" $URL .*/tool-docs-(\\d[\\d.]*)\\.tar\\.gz ignore
"

compare() { # LABEL uscan.xml sigwatch.xml
    python3 - "$1" "$2" "$3" <<'PY'
import sys, xml.etree.ElementTree as ET
label, a, b = sys.argv[1:]
def fields(path):
    root = ET.parse(path).getroot()
    out = {}
    for e in root:
        if e.tag == "component":
            for c in e:
                out[f"component[{e.get('id')}]/{c.tag}"] = (c.text or "").strip()
        elif e.tag in ("messages", "warnings"):
            out.setdefault(e.tag, []).append((e.text or "").strip())
        else:
            out[e.tag] = (e.text or "").strip()
    return out
u, s = fields(a), fields(b)
for k in sorted(set(u) | set(s)):
    uv, sv = u.get(k, "—"), s.get(k, "—")
    if isinstance(uv, list): uv = f"{len(uv)} element(s)"
    if isinstance(sv, list): sv = f"{len(sv)} element(s)"
    same = "same" if uv == sv else ("sigwatch only" if uv == "—" else ("uscan only" if sv == "—" else "differs"))
    shorten = lambda v: v if len(v) < 60 else v[:57] + "…"
    print(f"| {label} | `{k}` | {shorten(str(uv))} | {shorten(str(sv))} | {same} |")
PY
}

run_case() { # LABEL NAME VERSION WATCH MODE
    local label=$1 name=$2 version=$3 watch=$4 mode=$5
    for tool in uscan sigwatch; do
        local top="$WORK/$label/$tool"
        package "$top/$name" "$name" "$version" "$watch"
        if [ "$tool" = uscan ]; then
            rc=0; (cd "$top/$name" && uscan --no-conf --dehs "--$mode" >"$top/dehs.xml" 2>"$top/stderr") || rc=$?
        else
            rc=0; (cd "$top/$name" && "$SIGWATCH" uscan --dehs "--$mode" --no-cache >"$top/dehs.xml" 2>"$top/stderr") || rc=$?
        fi
        echo "$rc" >"$WORK/$label/$tool.rc"
        ls "$top" | grep -v "^$name\$\|dehs.xml\|stderr" | sort >"$WORK/$label/$tool.placed" || true
    done
    compare "$label" "$WORK/$label/uscan/dehs.xml" "$WORK/$label/sigwatch/dehs.xml"
    echo "| $label | exit code | $(cat "$WORK/$label/uscan.rc") | $(cat "$WORK/$label/sigwatch.rc") | |"
    if [ "$mode" = download ]; then
        local same=0 differ=0 f
        for f in $(comm -12 "$WORK/$label/uscan.placed" "$WORK/$label/sigwatch.placed"); do
            if cmp -s "$WORK/$label/uscan/$f" "$WORK/$label/sigwatch/$f"; then same=$((same + 1)); else differ=$((differ + 1)); fi
        done
        echo "| $label | bytes of the files both placed | | | $same identical, $differ differ |"
        echo "| $label | files placed | $(tr '\n' ' ' <"$WORK/$label/uscan.placed") | $(tr '\n' ' ' <"$WORK/$label/sigwatch.placed") | $(cmp -s "$WORK/$label/uscan.placed" "$WORK/$label/sigwatch.placed" && echo same || echo differs) |"
    fi
}

echo "| case | element | uscan 2.25 | sigwatch uscan | |"
echo "| --- | --- | --- | --- | --- |"
run_case v4-report hello "1.0+dfsg-1" "$V4" report
run_case v4-download hello "1.0+dfsg-1" "$V4" download
run_case v4-component-download tool "3.0-1" "$COMPONENT" download
run_case v4-up-to-date hello "1.1-1" "$V4" report
# A release whose bytes no longer match its signature.
cp "$WWW/hello-1.1.tar.gz" "$WORK/good.tar.gz"
printf 'x' >>"$WWW/hello-1.1.tar.gz"
run_case v4-tampered-download hello "1.0+dfsg-1" "$V4" download
cp "$WORK/good.tar.gz" "$WWW/hello-1.1.tar.gz"
