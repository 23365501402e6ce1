#!/usr/bin/env bash
# Fetches axe-core (npm package `axe-core`, MPL-2.0, Deque Systems) into .cache/axe-core/ for
# the studio's accessibility scan (tests/test_studio_browser.py injects axe.min.js into each
# page). Only the package's own tarball is fetched, with npm.
set -euo pipefail
VERSION="4.10.3"
dest=".cache/axe-core"
if [ -f "$dest/axe-$VERSION.min.js" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian npm to fetch axe-core..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm not found; the studio accessibility scan will fail in CI" >&2
  exit 0
fi
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "axe-core@$VERSION" --silent >/dev/null && tar xzf "axe-core-$VERSION.tgz")
cp "$tmp/package/axe.min.js" "$dest/axe-$VERSION.min.js"
echo "axe-core $VERSION in $dest"
