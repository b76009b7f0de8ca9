# Production image: slim Python, dependencies from the hash-pinned lock, code owned by root and only readable
# by the non-root user that runs it; `python -m app serve` migrates, imports the content, then starts uvicorn.
FROM python:3.11-slim

# WEB_CONCURRENCY: uvicorn workers (`serve --workers` defaults to it). Production with more than one worker
# needs REDIS_URL so that every worker shares one rate limiter; set WEB_CONCURRENCY=1 to run without Redis.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production CONTENT_DIR=/srv/app/content PYTHONPATH=/srv/app WEB_CONCURRENCY=4

WORKDIR /srv/app
# Every file pip fetches must match a hash in the lock (regenerate it with `make lock`, docs/operations.md).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock \
 && groupadd --gid 10001 learnsvc \
 && useradd --no-create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin learnsvc

# The code stays root's (COPY writes root-owned files): the app user reads it and cannot change it. It runs
# from here rather than installed, as app/db.py finds alembic.ini and migrations/ beside the app package.
# Nothing under /srv/app is writable at run time: point DATABASE_URL at PostgreSQL (or a mounted volume).
COPY alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY content ./content
RUN python -m compileall -q app migrations

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]

# `serve` migrates to head (advisory-locked), imports CONTENT_DIR (idempotent), then starts WEB_CONCURRENCY workers.
CMD ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8000"]
