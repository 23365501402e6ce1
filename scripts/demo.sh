#!/usr/bin/env bash
# `make demo`: run the main job on the bundled sample project, with no credentials:
# every channel runs on the embedded default and writes to outbox/.
set -euo pipefail
tp="${1:-trustpublish}"
case "$tp" in */*) tp="$(cd "$(dirname "$tp")" && pwd)/$(basename "$tp")" ;; esac
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "trustpublish check"
"$tp" check
step "trustpublish split posts/the-importance-of-building-trust-in-therapy-relationships.md"
"$tp" split posts/the-importance-of-building-trust-in-therapy-relationships.md
step "trustpublish publish (no credentials: each social channel writes to outbox/)"
# The top-level schedule.yaml is a symlink into the package's sample folder, whose outbox
# would land inside the package; publish from a fresh copy of the sample project instead.
site="build/demo-site"
rm -rf "$site"
"$tp" init "$site" >/dev/null
excerpt="the-importance-of-building-trust-in-therapy-relationships/impact-of-trust-on-client-openness"
for channel in mastodon bluesky; do
  (cd "$site" && "$tp" publish "$excerpt" --channel "$channel")
done
ls -l "$site"/outbox/*/
