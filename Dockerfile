# One image for every role of Strikem: web (Gunicorn), asgi (Daphne), worker, beat, migrate.
# Build: docker build -t strikem .   Run: docker run --env-file .env strikem web
# No secret is baked in: settings come from the environment at run time.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libmariadb-dev \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN pip wheel --wheel-dir /wheels -r /tmp/requirements.txt

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=strikem.settings.prod PORT=8000
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 mariadb-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system strikem && useradd --system --gid strikem --home-dir /app --shell /usr/sbin/nologin strikem
COPY --from=build /wheels /wheels
RUN pip install /wheels/* && rm -rf /wheels
WORKDIR /app
COPY --chown=strikem:strikem . /app
# Static files are collected at build time with development settings (no secret involved).
RUN DJANGO_SETTINGS_MODULE=strikem.settings.base STATIC_ROOT=/app/static python manage.py collectstatic --noinput \
 && mkdir -p /app/var && chown -R strikem:strikem /app/var /app/static
ENV STATIC_ROOT=/app/static
USER strikem
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["python", "deploy/healthcheck.py"]
ENTRYPOINT ["deploy/entrypoint.sh"]
CMD ["web"]
