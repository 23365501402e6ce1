#!/usr/bin/env bash
# Installs the system tools the test suite drives for real: headless Chromium (browser
# tests) and Dovecot (the IMAP server the bounce-mailbox tests start on loopback).
# These tests never skip in CI: if a tool cannot be installed, they fail there.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
if [ "${#need[@]}" -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian ${need[*]} for the tests..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  # the package may start a system-wide dovecot; the tests run their own on a free port
  if command -v dovecot >/dev/null 2>&1; then dovecot stop >/dev/null 2>&1 || true; fi
else
  echo "warning: ${need[*]} missing and cannot be installed here (not root);" \
       "the tests that need them will fail. Install the Debian packages." >&2
fi
