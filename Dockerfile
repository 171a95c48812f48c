# mlebot image: slim, non-root, dependencies exactly as locked in uv.lock.
# Build and run with docker compose (see README "Operations"): `docker compose up -d --build`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1

# The same uv that scripts/bootstrap.sh installs.
RUN pip install --no-cache-dir "uv==0.13.9"

WORKDIR /app

# Dependencies first (cached while only the code changes), then the project itself: the
# README's `uv sync --frozen`, without the development tools.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
COPY content ./content
RUN uv sync --frozen --no-dev

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home mlebot \
    && mkdir -p /app/data \
    && chown mlebot:mlebot /app/data
USER mlebot

# The SQLite database (DATABASE_URL's default sqlite:///./data/mlebot.db) lives here.
VOLUME ["/app/data"]

ENV PATH="/app/.venv/bin:$PATH" \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HTTP_PORT', '8080') + '/healthz', timeout=4)"]

# `mlebot run` handles SIGTERM (docker stop): in-flight commands finish, then it exits 0.
STOPSIGNAL SIGTERM
CMD ["mlebot", "run"]
