#!/usr/bin/env bash
# Sprout's fresh-machine set-up. Idempotent: run it as often as you like.
# Installs: pnpm 10.34.9 (via npm), the workspace's packages (frozen lockfile), and, when apt
# is usable, the optional native pieces: a C++ toolchain and X/GL headers to build gpu.js's
# headless-gl (`gl`), Xvfb (a virtual display for it) and Chromium (browser tests).
# If an optional piece cannot be had, Sprout still works on its CPU backend; this script says so.
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf 'sprout-setup: %s\n' "$*"; }
PNPM_VERSION=10.34.9
APT_PACKAGES=(build-essential python3 python-is-python3 pkg-config libx11-dev libxext-dev libxi-dev
  libglu1-mesa-dev libgl1-mesa-dri xvfb xauth chromium redis-server)

missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${missing[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}") >/tmp/sprout-apt.log 2>&1 \
      || say "apt-get failed (see /tmp/sprout-apt.log); the GPU backend and browser tests may be unavailable, CPU still works"
  else
    say "cannot install ${missing[*]} (needs root and apt); the CPU backend still works"
  fi
else
  say "system packages present"
fi

if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION with npm"
  npm install -g --silent "pnpm@$PNPM_VERSION" || { say "could not install pnpm"; exit 1; }
fi

# node-gyp builds gl against the local Node headers instead of downloading them.
export npm_config_nodedir=${npm_config_nodedir:-/usr}
say "installing workspace packages (frozen lockfile)"
pnpm install --frozen-lockfile --reporter=append-only >/tmp/sprout-install.log 2>&1 \
  || { tail -20 /tmp/sprout-install.log; say "pnpm install failed"; exit 1; }

# A failed gl build does not fail pnpm install, so check it explicitly.
if (cd packages/tensor && node -e "require(require.resolve('gl', {paths: [require.resolve('gpu.js')]}))") >/dev/null 2>&1; then
  say "headless-gl: built and loadable (gpu backend available under a display / xvfb-run)"
else
  say "headless-gl: NOT available (build failed or skipped); the gpu backend will fall back to cpu"
fi
command -v xvfb-run >/dev/null && say "xvfb-run: present" || say "xvfb-run: missing (gpu backend needs a display)"
command -v chromium >/dev/null && say "chromium: present" || say "chromium: missing (browser tests will be skipped)"
