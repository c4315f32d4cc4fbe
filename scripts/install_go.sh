#!/usr/bin/env bash
# Installs the Go oracle's toolchain (Go 1.23 and the YAML libraries) into one folder,
# without touching the system's apt setup: apt-get download with a private sources list,
# then dpkg-deb -x. Idempotent: a second run checks the stamp and returns at once.
# Usage: scripts/install_go.sh [DEST]   (default: $PYFANTASY_GO_HOME or ~/.cache/pyfantasy-go)
# The Go tests (tests/go_oracle.py) look in the same place.
set -euo pipefail

DEST="${1:-${PYFANTASY_GO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pyfantasy-go}}"
# Packages and the suite each comes from (the stamp records this list: change it, reinstall).
PACKAGES=(
  golang-1.23-go/bookworm-backports
  golang-1.23-src/bookworm-backports
  golang-gopkg-yaml.v3-dev/bookworm
  golang-go.yaml-yaml-v4-dev/unstable
)
STAMP="$DEST/installed"
WANT="${PACKAGES[*]}"

if [[ -f "$STAMP" && "$(head -n1 "$STAMP")" == "$WANT" && -x "$DEST/root/usr/lib/go-1.23/bin/go" ]]; then
  exit 0
fi

MIRROR="${PYFANTASY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
APT="$DEST/apt"
rm -rf "$DEST/root" "$DEST/debs" "$STAMP"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/parts" "$DEST/debs" "$DEST/root"
cat > "$APT/sources.list" <<SOURCES
deb [signed-by=$KEYRING] $MIRROR bookworm main
deb [signed-by=$KEYRING] $MIRROR bookworm-backports main
deb [signed-by=$KEYRING] $MIRROR unstable main
SOURCES
OPTS=(
  -o "Dir::Etc::sourcelist=$APT/sources.list"
  -o "Dir::Etc::sourceparts=$APT/parts"
  -o "Dir::State::Lists=$APT/lists"
  -o "Dir::Cache=$APT/cache"
  -o "Dir::Cache::archives=$APT/cache/archives"
  -o "APT::Get::List-Cleanup=0"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none"
  -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
)
echo "install_go: fetching package lists into $APT" >&2
apt-get -qq "${OPTS[@]}" update >&2
(cd "$DEST/debs" && apt-get -qq "${OPTS[@]}" download "${PACKAGES[@]}" >&2)
for deb in "$DEST"/debs/*.deb; do
  dpkg-deb -x "$deb" "$DEST/root"
done
"$DEST/root/usr/lib/go-1.23/bin/go" version >&2
{
  echo "$WANT"
  for deb in "$DEST"/debs/*.deb; do basename "$deb"; done
} > "$STAMP.tmp"
mv "$STAMP.tmp" "$STAMP"
rm -rf "$APT/lists" "$APT/cache"
echo "install_go: installed in $DEST" >&2
