#!/usr/bin/env bash
# README command 2: install everything and run every test, on SQLite and on PostgreSQL, browser
# tests included. Under CI (CI=true) the PostgreSQL run is mandatory and local services are
# started when they are not running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh --with-browser

PG_URL="${ENVFORCE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/envforce}"
REDIS_URL="${ENVFORCE_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
export ENVFORCE_TEST_REDIS_URL="$REDIS_URL"
WORKERS="${ENVFORCE_TEST_WORKERS:-2}"

pg_up() { uv run python -c "import psycopg,sys; psycopg.connect(sys.argv[1].replace('/envforce','/postgres'), connect_timeout=3).close()" "$PG_URL" >/dev/null 2>&1; }
redis_up() { uv run python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()" "$REDIS_URL" >/dev/null 2>&1; }

if [ "${CI:-}" = "true" ]; then
  if ! pg_up && command -v pg_ctlcluster >/dev/null; then
    echo "envforce: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  if ! redis_up && command -v redis-server >/dev/null; then
    echo "envforce: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  for _ in $(seq 1 30); do pg_up && redis_up && break; sleep 1; done
fi

echo "== lint, types and migrations"
uv run ruff check src tests benchmarks
uv run mypy src
uv run envforce makemigrations --check --dry-run >/dev/null

status=0
started=$(date +%s)
echo "== tests on SQLite"
uv run pytest -n "$WORKERS" -q -p no:cacheprovider "$@" || status=$?

if pg_up; then
  echo "== tests on PostgreSQL ($PG_URL)"
  # tests/hj212 is the pure codec (no database): it ran once above.
  ENVFORCE_DATABASE_URL="$PG_URL" uv run pytest -n "$WORKERS" -q -p no:cacheprovider --ignore=tests/hj212 "$@" || status=$?
elif [ "${CI:-}" = "true" ]; then
  echo "envforce: ERROR: PostgreSQL is not reachable at $PG_URL and CI requires the PostgreSQL run" >&2
  status=1
else
  echo "################################################################################" >&2
  echo "envforce: WARNING: PostgreSQL is not reachable at $PG_URL." >&2
  echo "Only the SQLite part ran. Set ENVFORCE_TEST_POSTGRES_URL to run the PostgreSQL part." >&2
  echo "################################################################################" >&2
fi
echo "== test command took $(( $(date +%s) - started )) s"
exit $status
