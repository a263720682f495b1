# The production image, for the web and cron containers (docker-compose.prod.yml).
# Stage 1 builds the web client; stage 2 holds only what runs: the locked Python packages, the
# app's modules, the built client and the crontab. No tests, benchmarks or node_modules.

FROM node:20-bookworm-slim AS client
# The npm registry to use, when the build must not use npm's default (see the README).
ARG NPM_CONFIG_REGISTRY=""
WORKDIR /client
COPY client/package.json client/package-lock.json ./
RUN if [ -z "$NPM_CONFIG_REGISTRY" ]; then unset NPM_CONFIG_REGISTRY; fi \
    && npm ci --no-audit --no-fund
COPY client/ ./
RUN npx vite build --logLevel warn

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/howsmytrack-metrics

# PIP_INDEX_URL is passed in by the build when set; the Pipfile's source reads it, and pip's own
# default fills it otherwise.
ARG PIP_INDEX_URL=""

RUN apt-get update \
    && apt-get install -y --no-install-recommends cron=3.0pl1-* busybox=1:1.35.* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 app

WORKDIR /app

COPY Pipfile Pipfile.lock ./
SHELL ["/bin/sh", "-c"]
RUN PIP_INDEX_URL="${PIP_INDEX_URL:-$(python -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)')}" \
    && export PIP_INDEX_URL \
    && pip install pipenv==2026.10.3 \
    && pipenv install --deploy --system \
    && pip uninstall -y pipenv

# spotify.cronjob twice: cron's copy, and the app's (it tells members when grouping next runs).
COPY --chown=app:app application.py settings.py mail.py error_reporting.py spotify.cronjob ./
COPY --chown=app:app web/ web/
COPY --chown=app:app db/ db/
COPY --chown=app:app jobs/ jobs/
COPY --chown=app:app docker/cron-entrypoint.sh docker/
COPY --from=client --chown=app:app /client/dist client/dist
COPY spotify.cronjob /etc/cron.d/howsmytrack
RUN chmod 0644 /etc/cron.d/howsmytrack && chmod 0755 docker/cron-entrypoint.sh \
    && mkdir -p /app/mail-outbox && chown app:app /app/mail-outbox

# The web container runs as the app user; the cron container's entrypoint starts as root (cron
# needs it), and each crontab line opens the container's output as root, then runs its job as app.
USER 1000:1000
EXPOSE 8000
# The process answers (/healthz); readiness (/readyz, the database) is the proxy's and compose's.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["python", "-m", "web.serve", "--host", "0.0.0.0", "--port", "8000"]
