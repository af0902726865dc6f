"""Helpers shared by the tests; conftest.py files only declare fixtures built from these, and
no test imports a conftest module.

- app.py: the one way to build the app under test, in process through ASGI (``running_app``,
  ``started_app``, ``app_settings``, ``loopback_upstream``)
- servers.py: an ASGI app (a fake upstream, a receiver) or a folder on a loopback port, in a thread
- tests/server_process.py: ``ai-music`` (``server``, ``served``) or a helper service
  (``helper_process``) as a real process
- databases.py: the PostgreSQL and Redis the tests may use, and their cleaning
- tests/factories.py: accounts and request bodies made through the API

Fixtures: ``settings``, ``app`` and ``api`` (a client of the app under test) on each
``database_url`` (tests/conftest.py); ``outbound`` (the server's own outbound client, for
upstream adapter tests, tests/generation/conftest.py).
"""
