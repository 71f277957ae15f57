#!/usr/bin/env bash
# Reproduces the loaded case: `pnpm test`, uncached (turbo --force), while a busy loop holds one of
# the cores the whole time. Extra arguments go to `pnpm test`. Exit code: pnpm test's.
set -uo pipefail
cd "$(dirname "$0")/.."
sh -c 'while :; do :; done' &
busy=$!
trap 'kill "$busy" 2>/dev/null' EXIT
start=$(date +%s)
pnpm test --force "$@"
rc=$?
echo "test-under-load: rc $rc, $(($(date +%s) - start)) s with one core held by a busy loop"
exit "$rc"
