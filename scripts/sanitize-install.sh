#!/usr/bin/env bash
# scripts/sanitize-install.sh — the extension built with ASan and UBSan
# (Makefile SANITIZE=1) in a copy of the sources (tmp_build_asan/, so the
# normal objects are never mixed with instrumented ones) and installed in
# its own private installation, tmp_install_asan/ (the system's PostgreSQL
# plus this build). Its bin/postgres is a wrapper that runs the real server
# with gcc's libasan preloaded (the server itself is not instrumented) and
# ASAN_OPTIONS=detect_leaks=0 (PostgreSQL leaves its memory to exit by
# design); any ASan or UBSan report aborts the backend, which the suites see
# as a crash, and the report stays in the server log. Prints the bin dir,
# like tmp-install.sh. Used by `SANITIZE=1 scripts/test.sh` (docs/reliability.md).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

dest=$REPO_ROOT/tmp_install_asan
build=$REPO_ROOT/tmp_build_asan
bindir=$($PG_CONFIG --bindir)
pkglibdir=$($PG_CONFIG --pkglibdir)
sharedir=$($PG_CONFIG --sharedir)

if [ ! -x "$dest$bindir/postgres.real" ]; then
  mkdir -p "$dest$bindir" "$dest$pkglibdir" "$dest$sharedir"
  cp -a "$bindir/." "$dest$bindir/"
  cp -a "$pkglibdir/." "$dest$pkglibdir/"
  cp -a "$sharedir/." "$dest$sharedir/"
  mv "$dest$bindir/postgres" "$dest$bindir/postgres.real"
  cat > "$dest$bindir/postgres" <<WRAP
#!/bin/sh
# The server with libasan preloaded for the instrumented pgcommerce.so.
LD_PRELOAD=$(gcc -print-file-name=libasan.so) \\
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1:verify_asan_link_order=0 \\
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \\
exec "\$(dirname "\$0")/postgres.real" "\$@"
WRAP
  chmod 755 "$dest$bindir/postgres"
fi
mkdir -p "$build"
tar -cf - --exclude=./tmp_install --exclude=./tmp_install_asan --exclude=./tmp_build_asan \
  --exclude=./tmp_check --exclude=./.git --exclude=./fuzz --exclude=./test --exclude='*.o' \
  --exclude='*.so' --exclude='*.bc' . | tar -xf - -C "$build" --keep-newer-files 2>/dev/null || true
make -s -C "$build" -j2 SANITIZE=1 >/dev/null
make -s -C "$build" install SANITIZE=1 DESTDIR="$dest" >/dev/null
# The preloaded runtime must let the server start (docs/reliability.md: on
# some machines libasan preloaded into an uninstrumented postgres hangs at
# start); fail clearly rather than hang the suites.
if ! timeout 20 "$dest$bindir/postgres" -V >/dev/null 2>&1; then
  echo "pgcommerce: postgres with libasan preloaded does not start here (see docs/reliability.md)" >&2
  exit 1
fi
echo "$dest$bindir"
