"""The ASGI entry point for servers: ``uvicorn ai_music.main:app`` or gunicorn's uvicorn worker."""

from ai_music.app import create_app

app = create_app()
