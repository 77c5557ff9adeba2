#!/usr/bin/env bash
# scripts/cluster.sh — the embedded local cluster under ./.pgdata.
#   cluster.sh init    create it (once): initdb, pgcommerce preloaded, unix
#                      socket inside the repository, a free port, log to file
#   cluster.sh start   start it (no-op when running)
#   cluster.sh stop    stop it (fast shutdown)
#   cluster.sh status  exit 0 when running
#   cluster.sh env     print PGHOST/PGPORT exports for psql
# PGCOMMERCE_PGDATA overrides the location; PGCOMMERCE_PGBIN the binaries.
set -euo pipefail
source "$(dirname "$0")/common.sh"

pgdata=${PGCOMMERCE_PGDATA:-$REPO_ROOT/.pgdata}
pgbin=${PGCOMMERCE_PGBIN:-$($PG_CONFIG --bindir)}
datadir=$pgdata/data
sockdir=$pgdata/socket
logfile=$pgdata/postgresql.log

port() { cat "$pgdata/port"; }

cmd_init() {
  ensure_server_user_access
  if [ -f "$datadir/PG_VERSION" ]; then
    return 0
  fi
  own_for_server "$pgdata" "$sockdir"
  local p
  p=$(free_port "${PGCOMMERCE_PGPORT:-54320}")
  echo "$p" > "$pgdata/port"
  run_as_server_user "$pgbin/initdb" -D "$datadir" -U postgres -A trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$pgdata/initdb.log" 2>&1 || {
      cat "$pgdata/initdb.log" >&2; exit 1; }
  cat >>"$datadir/postgresql.conf" <<CONF
# pgcommerce embedded cluster
port = $p
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
shared_preload_libraries = 'pgcommerce'
track_commit_timestamp = on
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
max_connections = 200
CONF
  own_for_server "$pgdata"
}

cmd_status() {
  [ -f "$datadir/PG_VERSION" ] && run_as_server_user "$pgbin/pg_ctl" -D "$datadir" status >/dev/null 2>&1
}

cmd_start() {
  cmd_init
  if cmd_status; then return 0; fi
  # The recorded port may have been taken since; move to a free one.
  local p
  p=$(port)
  if [ "$(free_port "$p")" != "$p" ]; then
    p=$(free_port "$p")
    sed -i "s/^port = .*/port = $p/" "$datadir/postgresql.conf"
    echo "$p" > "$pgdata/port"
  fi
  run_as_server_user "$pgbin/pg_ctl" -D "$datadir" -l "$logfile" -w -t 60 start >/dev/null || {
    tail -n 30 "$logfile" >&2; exit 1; }
}

cmd_stop() {
  if cmd_status; then
    run_as_server_user "$pgbin/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null
  fi
}

cmd_env() {
  echo "export PGHOST=$sockdir PGPORT=$(port) PGUSER=postgres"
}

case "${1:-}" in
  init) cmd_init ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 init|start|stop|status|env" >&2; exit 2 ;;
esac
