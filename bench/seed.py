"""A year of national statistics counters, written in bulk with PostgreSQL COPY.

Every official commune x `shards` x each course key (the courses and the all-courses key) x `days`
days into `completion_daily`, and the matching `completion_rollup` rows.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import psycopg

from app.localities.official import COMMUNES
from app.stats.models import ALL_COURSES


def seed(url: str, *, courses: list[str], days: int, shards: int, last_day: date) -> dict:
    """Rows written per table; the day counters end on `last_day`."""
    url = url.replace("postgresql+psycopg://", "postgresql://")
    keys = [*courses, ALL_COURSES]
    rng = random.Random(11)
    first = last_day - timedelta(days=days - 1)
    day_list = [first + timedelta(days=d) for d in range(days)]
    daily = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE completion_daily, completion_rollup")
        with cur.copy(
            "COPY completion_daily (course_slug, commune, day, shard, completed, completed_key) FROM STDIN"
        ) as copy:
            for course in keys:
                for commune in COMMUNES:
                    for shard in range(shards):
                        for day in day_list:
                            copy.write_row((course, commune, day, shard, rng.randint(0, 3), rng.getrandbits(31)))
                            daily += 1
        with cur.copy(
            "COPY completion_rollup (course_slug, commune, shard, learners, completed, flagged, ratings, stars,"
            " learners_key, completed_key, flagged_key) FROM STDIN"
        ) as copy:
            for course in keys:
                for commune in COMMUNES:
                    for shard in range(shards):
                        completed = rng.randint(0, 400)
                        copy.write_row(
                            (course, commune, shard, completed + rng.randint(0, 300), completed, rng.randint(0, 5))
                            + (rng.randint(0, 50), rng.randint(0, 250))
                            + tuple(rng.getrandbits(31) for _ in range(3))
                        )
        conn.commit()
        cur.execute("ANALYZE completion_daily")
        cur.execute("ANALYZE completion_rollup")
    return {"completion_daily": daily, "completion_rollup": len(keys) * len(COMMUNES) * shards}
