#!/usr/bin/env bash
# `make demo`: run the main job on the bundled sample project, with no credentials:
# every channel runs on the embedded default and writes to outbox/.
set -euo pipefail
tp="${1:-trustpublish}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "trustpublish check"
"$tp" check
step "trustpublish split posts/the-importance-of-building-trust-in-therapy-relationships.md"
"$tp" split posts/the-importance-of-building-trust-in-therapy-relationships.md
step "trustpublish build"
"$tp" build
step "trustpublish preview --no-open"
"$tp" preview --no-open
step "trustpublish publish (no credentials: each social channel writes to outbox/)"
excerpt="the-importance-of-building-trust-in-therapy-relationships/impact-of-trust-on-client-openness"
for channel in mastodon bluesky; do
  "$tp" publish "$excerpt" --channel "$channel"
done
ls -l outbox/*/
