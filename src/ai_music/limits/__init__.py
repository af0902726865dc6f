"""Abuse limits and quotas: sign-in/sign-up throttling, generation quotas, request body size.

Counters live in the ``limits`` library's storage: in this process's memory by default, in Redis
when ``AI_MUSIC_REDIS_URL`` is set so that several instances share them.
"""
