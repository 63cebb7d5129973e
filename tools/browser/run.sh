#!/bin/sh
# Runs cockpit-check.mjs (headless Cockpit and Tasklist check with screenshots):
#
#   tools/browser/run.sh BASE_URL USER PASSWORD OUTDIR
#
# Installs what is missing first: the pinned playwright-core (npm ci, package-lock.json; it
# downloads no browser) and Debian's Chromium (apt-get, when run as root; otherwise it prints
# the command and stops). CHROMIUM overrides the browser binary (default /usr/bin/chromium).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

command -v node >/dev/null || { echo "run.sh: node not found (apt-get install nodejs npm)" >&2; exit 1; }

if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "run.sh: installing chromium"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "run.sh: $CHROMIUM is missing; install it with:" >&2
        echo "  apt-get update && apt-get install -y chromium" >&2
        exit 1
    fi
fi

# (re)install when missing or when package-lock.json changed since the last install
if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

exec node "$here/cockpit-check.mjs" "$@"
