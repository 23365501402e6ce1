#!/usr/bin/env bash
# Fetches one file out of one npm package's own tarball (`npm pack`, no install, no
# dependencies) into .cache/, for the tests that need third-party data:
#   caniemail 2.0.2  data/caniemail.json -> .cache/caniemail/caniemail-2.0.2.json
#       (MIT, caniemail.com support data; tests/test_email_caniemail.py)
#   axe-core 4.10.3  axe.min.js          -> .cache/axe-core/axe-4.10.3.min.js
#       (MPL-2.0, Deque Systems; the studio's accessibility scan, tests/test_studio_browser.py)
# Usage: fetch-npm-file.sh PACKAGE VERSION PATH-IN-PACKAGE DESTINATION
set -euo pipefail
if [ "$#" -ne 4 ]; then
  echo "usage: $0 PACKAGE VERSION PATH-IN-PACKAGE DESTINATION" >&2
  exit 2
fi
package="$1" version="$2" member="$3" dest="$4"
if [ -f "$dest" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian npm to fetch $package..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm not found; the tests that need $package will fail" >&2
  exit 0
fi
mkdir -p "$(dirname "$dest")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "$package@$version" --silent >/dev/null && tar xzf ./*.tgz)
cp "$tmp/package/$member" "$dest"
echo "$package $version: $dest"
