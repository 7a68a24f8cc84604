#!/usr/bin/env bash
# Debian 13's uscan (devscripts 2.25) with sigwatch as its sopv, against a loopback server.
#
#   bash bench/sopv/get-debian13.sh               # once: devscripts into target/debian13/root
#   SIGWATCH=target/debug/sigwatch bash bench/sopv/uscan.sh
#
# A package tree (debian/changelog at 1.0, a version=4 debian/watch with pgpsigurlmangle, and
# debian/upstream/signing-key.asc holding two upstream keys glued with prose, as upstream KEYS
# files are) is checked against a python3 http.server on 127.0.0.1 serving foo-1.1.tar.gz and
# its .asc (or, for pgpmode=self, foo-1.1.tar.gz.gpg) in several scenarios. uscan runs once with a `sopv` link to sigwatch first on PATH,
# once with no sopv (it then falls back to gpgv). Prints one Markdown row per scenario.
set -euo pipefail
export LC_ALL=C TZ=UTC

SIGWATCH=$(realpath "${SIGWATCH:-$(command -v sigwatch)}")
DEB13=$(realpath "${DEB13:-target/debian13}")
[ -x "$DEB13/root/usr/bin/uscan" ] || { echo "no uscan under $DEB13/root; run bench/sopv/get-debian13.sh" >&2; exit 2; }

WORK=$(mktemp -d)
GNUPGHOME="$WORK/gnupg"
export GNUPGHOME
mkdir -m 700 "$GNUPGHOME"
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    gpgconf --homedir "$GNUPGHOME" --kill all >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

G() { gpg --batch --no-tty --pinentry-mode loopback --passphrase '' --yes "$@" 2>>"$WORK/gpg.log"; }
fpr() { G --with-colons --list-keys "$1" | awk -F: '/^fpr:/ {print $10; exit}'; }
G --quick-gen-key "Upstream Old <old@upstream.invalid>" ed25519 sign never
G --quick-gen-key "Upstream New <new@upstream.invalid>" ed25519 sign never
G --quick-gen-key "Intruder <intruder@elsewhere.invalid>" ed25519 sign never
NEW=$(fpr new@upstream.invalid)

# The package tree.
PKG="$WORK/pkg/foo-1.0"
mkdir -p "$PKG/debian/upstream" "$PKG/debian/source"
echo "3.0 (quilt)" >"$PKG/debian/source/format"
cat >"$PKG/debian/changelog" <<'CHANGELOG'
foo (1.0-1) unstable; urgency=medium

  * Initial release.

 -- Packager <packager@example.org>  Mon, 01 Jan 2024 00:00:00 +0000
CHANGELOG
{
    echo "Upstream's KEYS: the old key, then the new one that signs releases now."
    echo
    G --armor --export old@upstream.invalid
    echo
    echo "New key:"
    G --armor --export new@upstream.invalid
} >"$PKG/debian/upstream/signing-key.asc"

# The release and its signature, per scenario.
make_release() { # DIR
    mkdir -p "$1/src"
    echo "foo 1.1 source" >"$1/src/README"
    tar -C "$1/src" -czf "$1/foo-1.1.tar.gz" README
    rm -r "$1/src"
    echo "<html><body><a href=\"foo-1.1.tar.gz\">foo-1.1.tar.gz</a> <a href=\"foo-1.1.tar.gz.asc\">sig</a></body></html>" >"$1/index.html"
}
WWW="$WORK/www"
for s in good tampered unpinned sha1-data; do make_release "$WWW/$s"; done
G --armor --detach-sign -u new@upstream.invalid -o "$WWW/good/foo-1.1.tar.gz.asc" "$WWW/good/foo-1.1.tar.gz"
G --armor --detach-sign -u new@upstream.invalid -o "$WWW/tampered/foo-1.1.tar.gz.asc" "$WWW/tampered/foo-1.1.tar.gz"
echo "appended after signing" >>"$WWW/tampered/foo-1.1.tar.gz"
G --armor --detach-sign -u intruder@elsewhere.invalid -o "$WWW/unpinned/foo-1.1.tar.gz.asc" "$WWW/unpinned/foo-1.1.tar.gz"
G --armor --detach-sign --digest-algo SHA1 -u new@upstream.invalid -o "$WWW/sha1-data/foo-1.1.tar.gz.asc" "$WWW/sha1-data/foo-1.1.tar.gz"

# pgpmode=self: the release is a signed message (gpg --sign), uscan extracts it with inline-verify.
for s in self-good self-unpinned; do make_release "$WWW/$s"; sed -i 's/foo-1.1.tar.gz"/foo-1.1.tar.gz.gpg"/' "$WWW/$s/index.html"; done
G --sign -u new@upstream.invalid -o "$WWW/self-good/foo-1.1.tar.gz.gpg" "$WWW/self-good/foo-1.1.tar.gz"
G --sign -u intruder@elsewhere.invalid -o "$WWW/self-unpinned/foo-1.1.tar.gz.gpg" "$WWW/self-unpinned/foo-1.1.tar.gz"
rm "$WWW"/self-*/foo-1.1.tar.gz

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$WWW" "$PORT" >"$WORK/http.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done

# `sopv` is sigwatch, found first on PATH; devscripts' own tools (mk-origtargz) after it.
mkdir -p "$WORK/bin-sopv"
ln -s "$SIGWATCH" "$WORK/bin-sopv/sopv"
export PERL5LIB="$DEB13/root/usr/share/perl5"
USCAN="$DEB13/root/usr/bin/uscan"

run() { # SCENARIO VERIFIER(sigwatch|gpgv)
    local s=$1 v=$2 out="$WORK/out-$1-$2" path
    mkdir -p "$out"
    case $s in
        self-*) printf 'version=4\nopts="pgpmode=self" http://127.0.0.1:%s/%s/ foo-(\\d[\\d.]*)\\.tar\\.gz\\.gpg\n' "$PORT" "$s" ;;
        *) printf 'version=4\nopts="pgpsigurlmangle=s/$/.asc/" http://127.0.0.1:%s/%s/ foo-(\\d[\\d.]*)\\.tar\\.gz\n' "$PORT" "$s" ;;
    esac >"$PKG/debian/watch"
    if [ "$v" = sigwatch ]; then path="$WORK/bin-sopv:$DEB13/root/usr/bin:/usr/bin:/bin"; else path="$DEB13/root/usr/bin:/usr/bin:/bin"; fi
    local rc=0
    (cd "$PKG" && PATH="$path" perl "$USCAN" --no-conf --download --destdir "$out" --verbose) \
        >"$WORK/log-$s-$v" 2>&1 || rc=$?
    local placed why
    placed=$(cd "$out" && for f in *; do [ -e "$f" ] && printf '%s (%s B) ' "$f" "$(stat -Lc %s "$f")"; done || true)
    why=$( (grep -E "^sopv: |^gpgv: (Good|BAD|Can't)|uscan die|^uscan: error" "$WORK/log-$s-$v" | sed -e 's/ at \/.*//' -e "s# $WORK/[^ ]*# …#g" | head -3 | tr '\n' ' ' | sed 's/|/\\|/g') || true)
    printf '| %s | uscan + %s | %s | %s | %s |\n' "$s" "$v" "$rc" "${placed:-nothing}" "$why"
}

echo "signing key file: two glued blocks; releases signed by the second ($NEW)"
echo
echo "| scenario | verifier | uscan exit | left in --destdir (bytes) | what the verifier and uscan said |"
echo "|---|---|---|---|---|"
for s in good tampered unpinned sha1-data self-good self-unpinned; do
    run "$s" sigwatch
    run "$s" gpgv
done
