# Sourced by scripts/test.sh: makes sure a PostgreSQL answers at TEST_DATABASE_URL.
#
# Uses TEST_DATABASE_URL when it is set, else the server on 127.0.0.1:5432 (trust auth as
# user postgres), else starts a throwaway cluster from the installed PostgreSQL binaries on
# port 55432 and stops it when the calling shell exits. initdb refuses to run as root, so the
# cluster belongs to the postgres user then.

elsa_pg_ok() { psql "$1" -qtAc 'SELECT 1' >/dev/null 2>&1; }

if ! command -v psql >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing PostgreSQL (server and psql) ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null
  else
    echo "PostgreSQL binaries (initdb, psql) are needed: apt-get install postgresql" >&2
    return 1
  fi
fi

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  elsa_pg_ok "$TEST_DATABASE_URL" || { echo "TEST_DATABASE_URL does not answer: $TEST_DATABASE_URL" >&2; return 1; }
elif elsa_pg_ok "postgres://postgres@127.0.0.1:5432/postgres"; then
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
else
  ELSA_PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  ELSA_PG_DIR=$(mktemp -d /tmp/elsa-pg.XXXXXX)
  ELSA_PG_PORT=55432
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres "$ELSA_PG_DIR"
  echo "Starting a throwaway PostgreSQL in $ELSA_PG_DIR on port $ELSA_PG_PORT ..."
  as_pg "$ELSA_PG_BIN/initdb" -D "$ELSA_PG_DIR/data" -A trust -U postgres >/dev/null
  as_pg "$ELSA_PG_BIN/pg_ctl" -D "$ELSA_PG_DIR/data" -l "$ELSA_PG_DIR/log" -w \
    -o "-p $ELSA_PG_PORT -k $ELSA_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
  trap 'as_pg "$ELSA_PG_BIN/pg_ctl" -D "$ELSA_PG_DIR/data" -m fast stop >/dev/null 2>&1; rm -rf "$ELSA_PG_DIR"' EXIT
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$ELSA_PG_PORT/postgres"
fi
echo "PostgreSQL for tests: $TEST_DATABASE_URL"
