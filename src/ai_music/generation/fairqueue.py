"""A queue that serves users in turn: one user's fifty jobs do not starve another's one."""

from __future__ import annotations

from collections import deque


class FairQueue:
    """Each user's jobs in order of arrival; users take turns, one job per turn."""

    def __init__(self) -> None:
        self._jobs_of: dict[int, deque[str]] = {}
        self._turns: deque[int] = deque()

    def __len__(self) -> int:
        return sum(len(jobs) for jobs in self._jobs_of.values())

    def push(self, user_id: int, job_id: str) -> None:
        jobs = self._jobs_of.get(user_id)
        if jobs is None:
            jobs = self._jobs_of[user_id] = deque()
            self._turns.append(user_id)
        jobs.append(job_id)

    def pop(self) -> str | None:
        if not self._turns:
            return None
        user_id = self._turns.popleft()
        jobs = self._jobs_of[user_id]
        job_id = jobs.popleft()
        if jobs:
            self._turns.append(user_id)
        else:
            del self._jobs_of[user_id]
        return job_id

    def remove(self, user_id: int, job_id: str) -> bool:
        jobs = self._jobs_of.get(user_id)
        if jobs is None or job_id not in jobs:
            return False
        jobs.remove(job_id)
        if not jobs:
            del self._jobs_of[user_id]
            self._turns.remove(user_id)
        return True

    def position(self, user_id: int, job_id: str) -> int | None:
        """How many jobs will start before this one (0: it is next)."""
        jobs = self._jobs_of.get(user_id)
        if jobs is None or job_id not in jobs:
            return None
        index = jobs.index(job_id)
        our_turn = self._turns.index(user_id)
        ahead = index
        for turn, other in enumerate(self._turns):
            if other != user_id:
                # Users whose turn comes before ours get one more job in first.
                ahead += min(len(self._jobs_of[other]), index + (1 if turn < our_turn else 0))
        return ahead
