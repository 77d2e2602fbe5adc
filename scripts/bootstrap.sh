#!/usr/bin/env bash
# Install everything envforce needs on a fresh Debian/Ubuntu machine with Python 3.11+:
# system packages (where root), uv (from PyPI if absent), and the locked Python environment.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ENVFORCE_SYSTEM_PACKAGES=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
if [ "${1:-}" = "--with-browser" ]; then
  ENVFORCE_SYSTEM_PACKAGES+=(chromium)
fi

# Node.js only installs the locked front-end libraries (ECharts) at set-up; nothing runs on it.
command -v npm >/dev/null 2>&1 || ENVFORCE_SYSTEM_PACKAGES+=(nodejs npm)

missing=()
for pkg in "${ENVFORCE_SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "envforce: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "envforce: WARNING: missing system packages (install them as root): ${missing[*]}" >&2
  fi
fi

if ! command -v uv >/dev/null 2>&1; then
  if [ ! -x .tools/bin/uv ]; then
    echo "envforce: installing uv from PyPI into .tools/"
    if ! python3 -m venv .tools 2>/dev/null; then
      if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv .tools
      else
        echo "envforce: python3 -m venv failed; install python3-venv" >&2; exit 1
      fi
    fi
    .tools/bin/pip install -q uv
  fi
  export PATH="$PWD/.tools/bin:$PATH"
fi

uv sync --frozen --quiet

# Front-end libraries from the npm registry, exactly as locked in package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --silent
fi
