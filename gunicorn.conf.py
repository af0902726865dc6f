"""Production server settings (gunicorn managing uvicorn workers), shared by Procfile,
render.yaml and the Dockerfile. Each value can be overridden by the environment."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "uvicorn_worker.UvicornWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# The original guide's values: a generation may hold a request for minutes, and workers are
# recycled after 1,000 requests (jitter so they do not all restart at once).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
keepalive = int(os.environ.get("AI_MUSIC_KEEP_ALIVE_S", "5"))
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = None
