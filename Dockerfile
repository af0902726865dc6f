FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    AI_MUSIC_DATA_DIR=/data \
    PORT=8000

WORKDIR /app
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY src ./src
RUN pip install . && useradd --create-home --uid 10001 app && mkdir -p /data && chown app /data && chmod 700 /data
USER app
# The SQLite file, the audio folder and the secret, unless DATABASE_URL, AI_MUSIC_AUDIO_STORE
# and AI_MUSIC_SECRET_KEY put them elsewhere (docs/deploy.md).
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health')"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "ai_music.main:app"]
