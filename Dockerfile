# One image for every role (web = daphne, worker = qcluster); compose.yaml picks the command.
# Not built here: no Docker engine runs on the development machine (see docs/DEPLOYMENT.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=proctoring_site.settings.production \
    OMP_NUM_THREADS=1

# libgl/libglib for OpenCV, libsndfile for soundfile, libpq client for psql checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 libsndfile1 postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt requirements-nodeps.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir --no-deps -r requirements-nodeps.txt

COPY . .
# collectstatic needs a SECRET_KEY at build time only; the real one comes from the environment.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0

RUN useradd --create-home --uid 10001 app && mkdir -p /app/media && chown app /app/media
USER app
EXPOSE 8000
CMD ["python", "-m", "daphne", "-b", "0.0.0.0", "-p", "8000", "--access-log", "/dev/null", \
     "proctoring_site.asgi:application"]
