"""Helpers shared by the tests; conftest.py files only declare fixtures built from these.

- app.py: the one way to build the app under test (in process, through ASGI)
- servers.py: an ASGI app (a fake upstream, a receiver) on a loopback port, in a thread
- tests/server_process.py: ``ai-music`` (or another command) as a real process
- databases.py: the PostgreSQL and Redis the tests may use, and their cleaning
"""
