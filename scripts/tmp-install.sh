#!/usr/bin/env bash
# scripts/tmp-install.sh — build a private PostgreSQL installation under
# ./tmp_install (a copy of the system's PostgreSQL 15 binaries, libraries and
# share files, plus this extension installed with DESTDIR). PostgreSQL finds
# its share and lib directories relative to its own binary, so test clusters
# started from tmp_install/…/bin load this checkout's pgcommerce.so without
# touching the system installation, and several checkouts can test at once.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

dest=${TMP_INSTALL:-$REPO_ROOT/tmp_install}
bindir=$($PG_CONFIG --bindir)
pkglibdir=$($PG_CONFIG --pkglibdir)
sharedir=$($PG_CONFIG --sharedir)

if [ ! -x "$dest$bindir/postgres" ]; then
  mkdir -p "$dest$bindir" "$dest$pkglibdir" "$dest$sharedir"
  cp -a "$bindir/." "$dest$bindir/"
  cp -a "$pkglibdir/." "$dest$pkglibdir/"
  cp -a "$sharedir/." "$dest$sharedir/"
fi
make -s install DESTDIR="$dest" >/dev/null
echo "$dest$bindir"
