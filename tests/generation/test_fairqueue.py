"""FairQueue: users take turns, each user's jobs keep their order, positions tell the truth."""

from __future__ import annotations

import random

from ai_music.generation.fairqueue import FairQueue


def drain(queue: FairQueue) -> list[str]:
    order = []
    while (job_id := queue.pop()) is not None:
        order.append(job_id)
    return order


def test_an_empty_queue_pops_nothing() -> None:
    queue = FairQueue()
    assert queue.pop() is None
    assert len(queue) == 0
    assert queue.position(1, "x") is None


def test_users_take_turns_and_keep_their_own_order() -> None:
    queue = FairQueue()
    for n in range(5):
        queue.push(1, f"a{n}")
    queue.push(2, "b0")
    queue.push(3, "c0")
    queue.push(2, "b1")
    assert len(queue) == 8
    assert drain(queue) == ["a0", "b0", "c0", "a1", "b1", "a2", "a3", "a4"]
    assert len(queue) == 0


def test_a_late_single_job_waits_for_one_turn_only() -> None:
    queue = FairQueue()
    for n in range(50):
        queue.push(1, f"a{n}")
    assert queue.pop() == "a0"
    queue.push(2, "b0")
    assert queue.position(2, "b0") == 1
    assert drain(queue)[:2] == ["a1", "b0"]


def test_a_user_who_comes_back_joins_the_end_of_the_turns() -> None:
    queue = FairQueue()
    queue.push(1, "a0")
    queue.push(2, "b0")
    queue.push(2, "b1")
    assert queue.pop() == "a0"  # user 1 has nothing left and leaves the turns
    queue.push(1, "a1")
    assert drain(queue) == ["b0", "a1", "b1"]


def test_removing_jobs_keeps_everyone_elses_order() -> None:
    queue = FairQueue()
    for job in ("a0", "a1", "a2"):
        queue.push(1, job)
    queue.push(2, "b0")
    assert queue.remove(1, "a1")
    assert queue.remove(2, "b0")  # user 2's last job: user 2 leaves the turns
    assert not queue.remove(2, "b0")
    assert not queue.remove(1, "zz")
    assert not queue.remove(3, "a0")
    assert queue.position(2, "b0") is None
    assert len(queue) == 2
    assert drain(queue) == ["a0", "a2"]


def test_position_is_the_number_of_jobs_popped_before_it() -> None:
    rng = random.Random(5)
    for _ in range(200):
        queue = FairQueue()
        pushed = []
        for n in range(rng.randint(1, 30)):
            user = rng.randint(1, 5)
            queue.push(user, f"j{n}")
            pushed.append((user, f"j{n}"))
            if rng.random() < 0.2:
                queue.pop()
        for user, job_id in rng.sample(pushed, k=len(pushed) // 4):
            queue.remove(user, job_id)
        positions = {job_id: queue.position(user, job_id) for user, job_id in pushed}
        order = drain(queue)
        assert {job_id: order.index(job_id) for job_id in order} == {
            job_id: position for job_id, position in positions.items() if position is not None
        }
