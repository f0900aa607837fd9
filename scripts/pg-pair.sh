#!/usr/bin/env bash
# A PostgreSQL primary and a streaming standby on 127.0.0.1, for the failover test
# (crates/elsa-server/tests/cluster.rs). The standby is synchronous: a commit the primary
# acknowledged is on the standby too, so promoting it loses nothing acknowledged.
#
#   pg-pair.sh start DIR PRIMARY_PORT STANDBY_PORT   both running, database `elsa` created
#   pg-pair.sh fail DIR                              the primary dies (immediate stop)
#   pg-pair.sh promote DIR                           the standby becomes the primary
#   pg-pair.sh stop DIR                              both stopped, DIR removed
#
# initdb refuses root: as root, the clusters belong to the postgres user.
set -euo pipefail
bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
dir=$2

case $1 in
start)
  primary_port=$3 standby_port=$4
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/primary" -A trust -U postgres >/dev/null
  as_pg "$bin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -o "-p $primary_port -k $dir \
    -c listen_addresses=127.0.0.1 -c max_connections=200 -c wal_level=replica \
    -c synchronous_standby_names=* -c synchronous_commit=on" start >/dev/null
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/standby" -R -X stream
  as_pg "$bin/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -o "-p $standby_port -k $dir \
    -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  for _ in $(seq 100); do
    sync=$(psql -h 127.0.0.1 -p "$primary_port" -U postgres -qtAc \
      "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")
    [ "$sync" = 1 ] && break
    sleep 0.1
  done
  [ "$sync" = 1 ] || { echo "the standby never became synchronous" >&2; exit 1; }
  psql -h 127.0.0.1 -p "$primary_port" -U postgres -qc "CREATE DATABASE elsa"
  ;;
fail)
  as_pg "$bin/pg_ctl" -D "$dir/primary" -m immediate stop >/dev/null
  ;;
promote)
  as_pg "$bin/pg_ctl" -D "$dir/standby" -w promote >/dev/null
  ;;
stop)
  for node in primary standby; do
    as_pg "$bin/pg_ctl" -D "$dir/$node" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start DIR PRIMARY_PORT STANDBY_PORT | fail DIR | promote DIR | stop DIR" >&2
  exit 2
  ;;
esac
