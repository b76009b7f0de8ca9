"""A year of national statistics counters, written in bulk with PostgreSQL COPY.

Every official commune x `shards` x each course key (the courses and the all-courses key) x `days`
days into `completion_daily`, and the matching `completion_rollup` rows.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import psycopg
from psycopg.types.json import Json

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


def series_history(url: str, *, days: int) -> int:
    """Give the latest release `days` days of published series behind its own day (what a year of daily
    releases leaves), so that the next release copies a year of frozen days; returns the rows added."""
    url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        release_id, method = conn.execute("SELECT id, method FROM stats_release ORDER BY id DESC LIMIT 1").fetchone()
        added = conn.execute(
            """
            INSERT INTO stats_release_day (release_id, course_slug, area, day, completed, running_total,
                                           completed_margin, running_total_margin, step)
            SELECT d.release_id, d.course_slug, d.area, d.day - back, 1000, greatest(d.running_total - 1000 * back, 0),
                   300, 400, 0
            FROM stats_release_day d, generate_series(1, %s) AS back
            WHERE d.release_id = %s
            """,
            (days - 1, release_id),
        ).rowcount
        first = date.fromisoformat(method["series_start"]) - timedelta(days=days - 1)
        conn.execute(
            "UPDATE stats_release SET method = %s WHERE id = %s",
            (Json({**method, "series_start": first.isoformat()}), release_id),
        )
        conn.commit()
    return added
