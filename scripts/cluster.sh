#!/usr/bin/env bash
# scripts/cluster.sh — the embedded local cluster under ./.pgdata.
#   cluster.sh init    create it (once): initdb, pgcommerce preloaded, log
#                      to file, reachable only through its Unix socket
#   cluster.sh start   start it (no-op when running)
#   cluster.sh stop    stop it (fast shutdown)
#   cluster.sh status  exit 0 when running
#   cluster.sh env     print PGHOST/PGPORT exports for psql
# PGCOMMERCE_PGDATA overrides the location; PGCOMMERCE_PGBIN the binaries.
#
# No password-less login for other local users: the cluster has no TCP
# listener (listen_addresses = ''), and its socket lives in a directory of
# mode 0700 (unix_socket_permissions 0700 too) owned by the server's OS
# user, so only that user and root can reach it. pg_hba.conf trusts that
# socket and nothing else, the way pg_regress's temporary instances do.
# Every start re-applies these settings, so a cluster made by an older
# version of this script (TCP on 127.0.0.1, trust) is closed at its next
# start. PGPORT only names the socket file (.s.PGSQL.<port>).
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
  echo "${PGCOMMERCE_PGPORT:-54320}" > "$pgdata/port"
  run_as_server_user "$pgbin/initdb" -D "$datadir" -U postgres \
    --auth-local=trust --auth-host=reject \
    --encoding=UTF8 --locale=C.UTF-8 >"$pgdata/initdb.log" 2>&1 || {
      cat "$pgdata/initdb.log" >&2; exit 1; }
  cat >>"$datadir/postgresql.conf" <<CONF
# pgcommerce embedded cluster
port = $(port)
shared_preload_libraries = 'pgcommerce'
track_commit_timestamp = on
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
max_connections = 200
CONF
  own_for_server "$pgdata"
}

# close_to_others — the settings above, applied as the server's OS user (the
# files are its own). Later lines of postgresql.conf win, so earlier
# listen/socket lines are removed first rather than left to confuse.
close_to_others() {
  chmod 0700 "$sockdir"
  run_as_server_user sed -i -e '/^[[:space:]]*listen_addresses[[:space:]]*=/d' \
    -e '/^[[:space:]]*unix_socket_directories[[:space:]]*=/d' \
    -e '/^[[:space:]]*unix_socket_permissions[[:space:]]*=/d' \
    -e '/^# pgcommerce: socket only/d' "$datadir/postgresql.conf"
  run_as_server_user tee -a "$datadir/postgresql.conf" >/dev/null <<CONF
# pgcommerce: socket only (scripts/cluster.sh close_to_others)
listen_addresses = ''
unix_socket_directories = '$sockdir'
unix_socket_permissions = 0700
CONF
  run_as_server_user tee "$datadir/pg_hba.conf" >/dev/null <<'HBA'
# pgcommerce embedded cluster (scripts/cluster.sh): no TCP listener; the
# Unix socket's directory is mode 0700, so only the server's OS user and
# root reach this line. Nothing else is accepted.
# TYPE  DATABASE  USER  METHOD
local   all       all   trust
HBA
}

cmd_status() {
  [ -f "$datadir/PG_VERSION" ] && run_as_server_user "$pgbin/pg_ctl" -D "$datadir" status >/dev/null 2>&1
}

cmd_start() {
  cmd_init
  if cmd_status; then return 0; fi
  close_to_others
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
