#!/usr/bin/env bash
# Installs the system tools the test suite drives for real (headless Chromium).
# Browser tests never skip in CI: if Chromium cannot be installed, they fail there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian chromium for the browser tests..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "warning: chromium not found and cannot be installed here (not root);" \
       "browser tests will fail. Install the 'chromium' package." >&2
fi
