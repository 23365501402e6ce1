#!/usr/bin/env bash
# Starts a local PostgreSQL server for the state-database tests (docs/guarantees.md#beyond-one-machine: the ledger
# on PostgreSQL, tested against a real server) and creates the role they use:
#   postgresql+psycopg://trustpublish:trustpublish@127.0.0.1:5432/postgres
# As root on Debian it installs the `postgresql` package when missing. Elsewhere, set
# TRUSTPUBLISH_TEST_POSTGRES_URL to a server you run; without one, those tests skip
# locally and fail in CI.
set -euo pipefail
if [ -n "${TRUSTPUBLISH_TEST_POSTGRES_URL:-}" ]; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not root on Debian; PostgreSQL tests need TRUSTPUBLISH_TEST_POSTGRES_URL" >&2
  exit 0
fi
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "installing Debian postgresql for the state-database tests..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
cluster="$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')"
if [ -z "$cluster" ]; then
  echo "warning: no PostgreSQL cluster found; PostgreSQL tests will fail in CI" >&2
  exit 0
fi
# shellcheck disable=SC2086
pg_ctlcluster $cluster start 2>/dev/null || true
for _ in $(seq 1 30); do
  if su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
su postgres -c "psql -qtAc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trustpublish') THEN CREATE ROLE trustpublish LOGIN SUPERUSER PASSWORD 'trustpublish'; END IF; END \\\$\\\$;\"" >/dev/null
