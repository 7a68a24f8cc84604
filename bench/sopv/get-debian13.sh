#!/usr/bin/env bash
# Fetch Debian 13 (trixie) devscripts (uscan 2.25, which calls sopv) and sopv-doc (the sopv
# reference tests) without touching the system's apt sources: a private apt configuration
# under $DEB13 (default: target/debian13), packages extracted into $DEB13/root.
#
#   bash bench/sopv/get-debian13.sh            # then: ls target/debian13/root/usr/bin/uscan
set -euo pipefail
DEB13=${DEB13:-target/debian13}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
mkdir -p "$DEB13"/{lists/partial,cache/archives/partial,etc,root,debs}
DEB13=$(cd "$DEB13" && pwd)
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" \
    >"$DEB13/etc/sources.list"
: >"$DEB13/etc/status"
APT=(-o "Dir::Etc::SourceList=$DEB13/etc/sources.list" -o Dir::Etc::SourceParts=/nonexistent
     -o "Dir::State::Lists=$DEB13/lists" -o "Dir::Cache=$DEB13/cache"
     -o "Dir::State::status=$DEB13/etc/status")
apt-get "${APT[@]}" update
(cd "$DEB13/debs" && apt-get "${APT[@]}" download devscripts sopv-doc)
for deb in "$DEB13"/debs/*.deb; do dpkg-deb -x "$deb" "$DEB13/root"; done
ls "$DEB13"/debs
