# Production image: slim Python, non-root user, migrations then uvicorn (via `python -m app serve`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    APP_ENV=production CONTENT_DIR=/srv/app/content

WORKDIR /srv/app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY content ./content
RUN pip install . && useradd --create-home --uid 10001 learnsvc && chown -R learnsvc /srv/app

USER learnsvc
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"

# `serve` migrates to head (advisory-locked), imports CONTENT_DIR (idempotent), then starts uvicorn.
CMD ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
