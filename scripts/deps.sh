#!/usr/bin/env bash
# scripts/deps.sh — install the Debian packages pgcommerce needs, and only the
# missing ones. Used by both `make run` and `make test`. Run as root it runs
# `apt-get update` and `apt-get install`; run as anyone else it prints exactly
# what root has to install and fails.
set -euo pipefail

packages=(
  make gcc perl curl
  postgresql-15 postgresql-server-dev-15 libpq-dev
  libmicrohttpd-dev libjansson-dev libssl-dev
  postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
  libfaketime
)
# issue 16: test/t/580 runs the gateway behind pgbouncer in transaction mode.
packages+=(pgbouncer)
# issue 18: libFuzzer harnesses (fuzz/, scripts/fuzz.sh) need clang and its
# sanitizer and fuzzer runtimes (not a Recommends we can count on).
packages+=(clang libclang-rt-14-dev)
# The gateway's OpenAPI check runs a validator from npm.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi
# Optional extras: wrk for bench/gateway, libclang-rt for sanitizer builds.
if [ "${PGCOMMERCE_WITH_BENCH:-0}" = 1 ]; then
  packages+=(wrk)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "pgcommerce: missing Debian packages. As root, run:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "pgcommerce: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
