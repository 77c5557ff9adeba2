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
