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

# --- the studio ------------------------------------------------------------------------
step "trustpublish studio (the web app for the clinic's staff)"
cat <<'TXT'
Start it with:

    .venv/bin/trustpublish --now 2026-12-01T09:05 studio

(leave out --now to use the real clock). It listens on 127.0.0.1 only and prints a one-time
login link: open that link in your browser. Then click:

  1. Calendar: this week's deliveries, each as it will look; "Month view" for the month.
     "Hold from <channel>" keeps one excerpt out of that channel (the post's `hold:`);
     "Skip this slot" sends nothing then (`skip:` in schedule.yaml); both can be undone.
  2. Posts → a post → "Back to draft": its excerpts leave the calendar; "Approve" brings
     them back (only the `status:` line of the file changes).
  3. Deliveries: the history; "Retry" a failed one, "It arrived"/"Send again" for an
     unknown one, "Send what is due now…" to deliver.
  4. Subscribers: import a CSV (bad rows are listed by line), search, remove, export.
  5. Audit log: every change with who, when, file and line (also `trustpublish audit`).

Ctrl-C stops the studio.
TXT
