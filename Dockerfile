# One image for every minereg process: docker-compose.yml runs it as web (gunicorn), worker and beat
# (celery) and the one-shot migrate job. Build: docker build -t minereg .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEPLOYMENT=production \
    MINEREG_DATA_DIR=/var/lib/minereg \
    DOCUMENTS_ROOT=/var/lib/minereg/documents \
    MEDIA_ROOT=/var/lib/minereg/media

# Every wheel minereg needs is binary (psycopg bundles libpq), so the image needs no compiler and no
# apt packages; the compiled translation catalogues (.mo) are committed, so no gettext either.
# requirements.txt is the project's only requirements file, and it is installed whole: the test, load-test
# and audit tools come along (a larger image, but one set of pins for CI and production).
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Hashed, compressed static files (whitenoise's manifest storage) are part of the image: collecting them
# takes about 40 s of brotli compression, which every start of web would otherwise repeat. The key and
# database below only let the settings load; collectstatic uses neither.
RUN SECRET_KEY=collectstatic-at-build-time-only-this-key-signs-nothing-ever DATABASE_URL=postgres://unused@localhost/unused \
        python manage.py collectstatic --noinput \
    && python -m compileall -q config registry

# The code belongs to root and is read-only for the processes; they write only under /var/lib/minereg
# (licence documents and beat's schedule, each a named volume in docker-compose.yml).
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/minereg --shell /usr/sbin/nologin minereg \
    && install -d -o minereg -g minereg -m 0750 \
        /var/lib/minereg /var/lib/minereg/documents /var/lib/minereg/media /var/lib/minereg/beat
USER minereg

EXPOSE 8000
# The web server; docker-compose.yml gives worker, beat and migrate their own commands.
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
