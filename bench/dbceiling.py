"""The database's ceiling for a progress batch: the same writes straight through psycopg.

Per transaction: 7 `progress_event` rows, 7 `lesson_completion` rows and 1 counter upsert into
`completion_rollup`, for a fresh learner each time, from many threads at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import psycopg

EVENTS = 7


def run(
    url: str,
    *,
    threads: int,
    seconds: float,
    course: str,
    lessons: list[str],
    commune: str,
    prepare_threshold: int | None = 5,
) -> dict:
    """Batches per second over `seconds` of `threads` writers; each writer has its own connection.
    `prepare_threshold=None` behind PgBouncer in transaction pooling (psycopg's default is 5)."""
    url = url.replace("postgresql+psycopg://", "postgresql://")
    done = [0] * threads
    errors = [0] * threads
    stop = threading.Event()
    first_error: list[str] = []

    def writer(n: int) -> None:
        with psycopg.connect(url, autocommit=False, prepare_threshold=prepare_threshold) as conn:
            while not stop.is_set():
                key = f"ceiling-{n}-{uuid.uuid4().hex}"
                now = datetime.now(UTC)
                try:
                    with conn.cursor() as cur:
                        cur.execute(
                            "INSERT INTO learner (key, commune, created_at) VALUES (%s, %s, %s)", (key, commune, now)
                        )
                        cur.executemany(
                            "INSERT INTO progress_event (learner_key, event_id, received_at) VALUES (%s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            [(key, uuid.uuid4(), now) for _ in range(EVENTS)],
                        )
                        cur.executemany(
                            "INSERT INTO lesson_completion (learner_key, course_slug, lesson_slug, completed_at)"
                            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            [(key, course, lesson, now) for lesson in lessons[:EVENTS]],
                        )
                        cur.execute(
                            "INSERT INTO completion_rollup"
                            " (course_slug, commune, shard, learners, completed, ratings, stars)"
                            " VALUES (%s, %s, %s, 1, 0, 0, 0) ON CONFLICT (course_slug, commune, shard)"
                            " DO UPDATE SET learners = completion_rollup.learners + 1",
                            (course, commune, n % 8),
                        )
                    conn.commit()
                    done[n] += 1
                except psycopg.Error as exc:
                    conn.rollback()
                    errors[n] += 1
                    first_error[:] = first_error or [str(exc)]

    pool = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(threads)]
    began = time.perf_counter()
    for thread in pool:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    return {
        "batches_per_s": sum(done) / elapsed,
        "batches": sum(done),
        "errors": sum(errors),
        "first_error": first_error[0] if first_error else None,
    }
