"""Progress tables of a large campaign, written with PostgreSQL COPY (issue #24 item 2).

    .venv/bin/python -m bench.progress_seed --db bench24 --events 20000000   # create, migrate, import, seed

Learners get random 64-hex keys (as the HMAC keys are), so their rows spread over the whole key space of
every index, as the real tables' do. Each learner starts one course (a third of them a second one too), goes
through a prefix of its lessons (most stop early: an exponential share, at least one lesson), and sends one
event per lesson plus a resend from another device now and then (an event with a new id that changes no
completion). Rows are copied in key order on four connections at once (learner, enrolment,
lesson_completion, progress_event), with the foreign-key triggers off for the copy only
(session_replication_role = replica): every key is written to `learner` too.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from app.localities.official import COMMUNES

ROOT = Path(__file__).resolve().parent.parent
TABLES = {
    "learner": "learner (key, commune, created_at)",
    "enrolment": "enrolment (learner_key, course_slug, started_at, completed_at, flagged, witnessed_at)",
    "lesson_completion": "lesson_completion (learner_key, course_slug, lesson_slug, completed_at)",
    "progress_event": "progress_event (learner_key, event_id, received_at)",
}
RESEND_SHARE = 0.1  # events that repeat a completion from another device (a new id, no new completion)
SECOND_COURSE_SHARE = 0.33
COMMUNES_LIST = sorted(COMMUNES)


@dataclass(frozen=True)
class Catalogue:
    """Lesson slugs in order, per course slug (read from the database the content was imported into)."""

    lessons: dict[str, list[str]]

    @classmethod
    def read(cls, conn: psycopg.Connection) -> Catalogue:
        rows = conn.execute(
            "SELECT c.slug, l.slug FROM course c JOIN lesson l ON l.version_id = c.version_id"
            " ORDER BY c.slug, l.position"
        ).fetchall()
        lessons: dict[str, list[str]] = {}
        for course, lesson in rows:
            lessons.setdefault(course, []).append(lesson)
        return cls(lessons)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def learner_rows(key: str, rng: random.Random, catalogue: Catalogue, now: datetime) -> dict[str, list[str]]:
    """One learner's rows per table, as COPY text lines."""
    courses = list(catalogue.lessons)
    taken = [rng.choice(courses)]
    if rng.random() < SECOND_COURSE_SHARE:
        taken.append(rng.choice([c for c in courses if c != taken[0]] or courses))
    started = now - timedelta(seconds=rng.randrange(365 * 86400))
    rows: dict[str, list[str]] = {table: [] for table in TABLES}
    rows["learner"].append(f"{key}\t{rng.choice(COMMUNES_LIST)}\t{_stamp(started)}\n")
    for course in taken:
        lessons = catalogue.lessons[course]
        done = min(len(lessons), 1 + int(rng.expovariate(1 / (0.5 * len(lessons)))))
        at = started
        for lesson in lessons[:done]:
            at += timedelta(seconds=rng.randrange(120, 3 * 86400))
            moment = _stamp(min(at, now))
            rows["lesson_completion"].append(f"{key}\t{course}\t{lesson}\t{moment}\n")
            rows["progress_event"].append(f"{key}\t{rng.getrandbits(128):032x}\t{moment}\n")
            if rng.random() < RESEND_SHARE:
                rows["progress_event"].append(f"{key}\t{rng.getrandbits(128):032x}\t{moment}\n")
        rows["enrolment"].append(f"{key}\t{course}\t{_stamp(started)}\t\\N\tf\t{_stamp(started)}\n")
    return rows


def random_keys(n: int, rng: random.Random) -> list[str]:
    """n distinct random 64-hex learner keys, sorted (copied in index order: appends, not page splits)."""
    return sorted({f"{rng.getrandbits(256):064x}" for _ in range(n)})


def seed(url: str, *, events: int | None = None, keys: list[str] | None = None, seed_value: int = 24) -> dict:
    """Copy learners until `events` progress events are written (random keys), or the learners `keys`;
    returns the rows written per table."""
    url = url.replace("postgresql+psycopg://", "postgresql://")
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        catalogue = Catalogue.read(conn)
    mean_lessons = sum(len(ls) for ls in catalogue.lessons.values()) / len(catalogue.lessons)
    if keys is None:
        assert events is not None
        per_learner = (1 + RESEND_SHARE) * (1 + SECOND_COURSE_SHARE) * min(mean_lessons, 0.5 * mean_lessons + 1)
        keys = random_keys(int(events / per_learner * 1.3) + 100, rng)
    written = dict.fromkeys(TABLES, 0)
    with ExitStack() as stack:
        connections = {table: stack.enter_context(psycopg.connect(url)) for table in TABLES}
        copies = {}
        for table, conn in connections.items():
            conn.execute("SET session_replication_role = replica")  # no FK triggers: every key goes to `learner`
            conn.execute("SET synchronous_commit = off")
            copies[table] = stack.enter_context(conn.cursor().copy(f"COPY {TABLES[table]} FROM STDIN"))
        buffers: dict[str, list[str]] = {table: [] for table in TABLES}
        for key in keys:
            if events is not None and written["progress_event"] >= events:
                break
            for table, lines in learner_rows(key, rng, catalogue, now).items():
                buffers[table].extend(lines)
                written[table] += len(lines)
            if len(buffers["progress_event"]) >= 20_000:
                for table, lines in buffers.items():
                    copies[table].write("".join(lines))
                    lines.clear()
        for table, lines in buffers.items():
            copies[table].write("".join(lines))
    # Leaving the stack ends each COPY, then commits and closes its connection.
    if events is not None and written["progress_event"] < events:
        raise RuntimeError(f"ran out of keys at {written['progress_event']} events")
    return written


def create(admin_url: str, name: str, events: int) -> dict:
    """A new database `name`: migrated, the bundled content imported, `events` progress events seeded."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "DEV_TOKENS": "true"}
    env["DEV_SECRETS_FILE"] = str(Path("/tmp") / f"{name}-secrets.json")
    command = [sys.executable, "-m", "app", "content", "import", "content"]
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    began = time.perf_counter()
    written = seed(url, events=events)
    copied = time.perf_counter() - began
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
        sizes = dict(
            conn.execute(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)", (list(TABLES),)
            ).fetchall()
        )
    return {
        "rows": written,
        "copy_seconds": round(copied, 1),
        "total_seconds": round(time.perf_counter() - began, 1),
        "bytes": sizes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres", help="an admin database")
    parser.add_argument("--db", required=True, help="the database to create (must not exist)")
    parser.add_argument("--events", type=int, default=20_000_000)
    args = parser.parse_args()
    print(create(args.url, args.db, args.events))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
