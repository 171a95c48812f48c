#!/usr/bin/env bash
# Make sure uv is available and the locked environment is installed. Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null 2>&1; then
    if [ ! -x .tools/bin/uv ]; then
        echo "bootstrap: installing uv into .tools/ (one time)" >&2
        python3 -m venv .tools
        .tools/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"
    fi
    export PATH="$PWD/.tools/bin:$PATH"
fi
uv sync --frozen --quiet
