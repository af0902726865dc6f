"""Production server settings (gunicorn managing uvicorn workers), shared by Procfile,
render.yaml and the Dockerfile. Each value can be overridden by the environment."""

import os

# Files this server writes (database, secrets, audio) are its own: 0600 files, 0700 folders.
os.umask(0o077)

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# uvicorn's worker with the request head size limit and head/body timeouts (ai_music/web/serving.py).
worker_class = "ai_music.web.serving.Worker"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Each worker learns how many there are: without Redis, limits count per process (limits/).
raw_env = [f"AI_MUSIC_WEB_PROCESSES={workers}"]
# The original guide's values: a generation may hold a request for minutes, and workers are
# recycled after 1,000 requests (jitter so they do not all restart at once).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
keepalive = int(os.environ.get("AI_MUSIC_KEEP_ALIVE_S", "5"))
# The one setting that says which peers are proxies, read by the app too (docs/security.md).
# Empty, the default, trusts no peer's X-Forwarded-For: a client cannot choose its address.
forwarded_allow_ips = os.environ.get("AI_MUSIC_TRUSTED_PROXIES", "")
accesslog = None
