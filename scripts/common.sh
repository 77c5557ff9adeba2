# scripts/common.sh — shared shell helpers for the cluster, run and test
# scripts: where PostgreSQL lives, which OS user runs the server (initdb
# refuses root, so root hands the server to the `postgres` user), and a free
# TCP port finder.

PG_CONFIG=${PG_CONFIG:-pg_config}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# run_as_server_user CMD... — run a server-side command as a non-root user.
run_as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# own_for_server DIR... — make directories writable by the server user.
own_for_server() {
  mkdir -p "$@"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$@"
  fi
}

# free_port [START] — print the first TCP port on 127.0.0.1 nobody listens on.
free_port() {
  perl -MIO::Socket::INET -e '
    for my $p ($ARGV[0] .. 65000) {
      my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $p,
                                    Proto => "tcp", ReuseAddr => 0, Listen => 1);
      if ($s) { close $s; print "$p\n"; exit 0 }
    }
    exit 1' "${1:-54320}"
}

# ensure_server_user_access — as root, the server and the TAP suites run as
# the `postgres` user, which must be able to reach this checkout. When a
# parent directory is closed to others (a clone under /root, say), open it
# for traversal only (o+x), and say so.
ensure_server_user_access() {
  [ "$(id -u)" -eq 0 ] || return 0
  if runuser -u postgres -- test -r "$REPO_ROOT/Makefile"; then
    return 0
  fi
  local dir=$REPO_ROOT
  while [ "$dir" != "/" ]; do
    if ! runuser -u postgres -- test -x "$dir"; then
      echo "pgcommerce: allowing the postgres user to traverse $dir (chmod o+x)" >&2
      chmod o+x "$dir"
    fi
    dir=$(dirname "$dir")
  done
  chmod -R o+rX "$REPO_ROOT" 2>/dev/null || true
}

# bench_cluster DIR [SETTINGS] — a benchmark's own cluster under DIR
# (tmp_check/bench-...): builds, installs into tmp_install/, creates the
# cluster afresh (unless KEEP=1 reuses it) with SETTINGS appended to its
# postgresql.conf, starts it, stops it when the script exits, and exports
# its connection environment. Sets pgbin and puts it first on PATH.
bench_cluster() {
  local dir=$1 settings=${2:-}
  make -s all >/dev/null
  pgbin=$(./scripts/tmp-install.sh)
  export PATH="$pgbin:$PATH"
  export PGCOMMERCE_PGDATA=$dir/cluster PGCOMMERCE_PGBIN=$pgbin
  ./scripts/cluster.sh stop 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ] || [ ! -d "$PGCOMMERCE_PGDATA" ]; then
    rm -rf "$dir"
    own_for_server "$dir"
    ./scripts/cluster.sh init
    [ -z "$settings" ] || printf '%s\n' "$settings" >>"$PGCOMMERCE_PGDATA/data/postgresql.conf"
  fi
  ./scripts/cluster.sh start
  trap './scripts/cluster.sh stop' EXIT
  eval "$(./scripts/cluster.sh env)"
}
