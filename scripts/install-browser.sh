#!/usr/bin/env bash
# Install Debian's Chromium for the tests that look at a web page as a person would
# (tests/web). Idempotent; needs root and apt (CI machines have both). Browser builds are not
# downloaded from anywhere else.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: need root and apt-get to install chromium; browser tests will skip" >&2
    exit 0
fi
echo "install-browser: installing Debian's chromium (one time)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
