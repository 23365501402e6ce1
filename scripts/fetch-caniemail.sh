#!/usr/bin/env bash
# Fetches the caniemail.com support data (npm package `caniemail`, MIT, data from
# caniemail.com) into .cache/caniemail/ for the email feature check
# (tests/test_email_caniemail.py). Only the package's own tarball is fetched, with npm.
set -euo pipefail
VERSION="2.0.2"
dest=".cache/caniemail"
if [ -f "$dest/caniemail-$VERSION.json" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian npm to fetch the caniemail data..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm not found; the caniemail feature check will fail in CI" >&2
  exit 0
fi
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "caniemail@$VERSION" --silent >/dev/null && tar xzf "caniemail-$VERSION.tgz")
cp "$tmp/package/data/caniemail.json" "$dest/caniemail-$VERSION.json"
echo "caniemail data $VERSION in $dest"
