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
"$tp" preview --site --no-open

# --- timetable and delivery engine -------------------------------------------------
# A clean ledger each time, so the demo always has something due. `--now` picks a
# Tuesday 09:05 in the clinic's timezone, when the sample timetable's slots are due.
rm -rf state outbox
demo_now="2026-12-01T09:05"
step "trustpublish subscribers import (three sample subscribers)"
subs="$(mktemp --suffix=.csv)"
printf 'email,name\nana@example.org,Ana\nben@example.org,Ben\ncho@example.org,\n' > "$subs"
"$tp" subscribers import "$subs"
rm -f "$subs"
step "trustpublish subscribers add visitor@example.org --confirm (double opt-in)"
"$tp" subscribers add visitor@example.org --name Vera --confirm
echo "The sign-up page: run \`trustpublish serve\` and open http://127.0.0.1:8025/subscribe"
echo "(\`trustpublish snippet\` prints the form to paste into the clinic's website)."
step "trustpublish plan --days 14 (as of $demo_now)"
"$tp" --now "$demo_now" plan --days 14
step "trustpublish run --once --now $demo_now"
"$tp" --now "$demo_now" run --once
step "trustpublish history"
"$tp" history
step "outbox/ (what would have been sent; no credentials are set)"
find outbox -type f | sort
