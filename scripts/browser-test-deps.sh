#!/usr/bin/env bash
# What the browser tests need (the map, the design sheet and the residents' page in headless
# Chromium, the accessibility check with axe-core): Debian's chromium + chromium-driver, and
# Leaflet 1.9.4 and axe-core 4.14.1 from npm into .ci-assets/. Prints the two variables the
# tests read; `eval "$(bash scripts/browser-test-deps.sh)"` sets them in your shell.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >&2
fi
mkdir -p .ci-assets
if [ ! -f .ci-assets/package/dist/leaflet.js ]; then
    (cd .ci-assets && npm pack --silent leaflet@1.9.4 >/dev/null && tar -xzf leaflet-1.9.4.tgz)
fi
if [ ! -f .ci-assets/axe/package/axe.min.js ]; then
    (cd .ci-assets && npm pack --silent axe-core@4.14.1 >/dev/null && mkdir -p axe \
        && tar -xzf axe-core-4.14.1.tgz -C axe)
fi
echo "export WARMTEGIS_LEAFLET_DIST=$PWD/.ci-assets/package/dist"
echo "export WARMTEGIS_AXE_JS=$PWD/.ci-assets/axe/package/axe.min.js"
