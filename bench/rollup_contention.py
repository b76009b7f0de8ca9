"""Concurrent completions in ONE commune on PostgreSQL: sharded rollup rows vs a single row, in one run.

Each transaction does what a completing learner's transaction does to the statistics: `rollups.apply`
of a completion (course and all-courses counters, course and all-courses day counters, all in the
same commune), then holds its locks for `--hold-ms` (the rest of a real transaction: the learner's
rows, a certificate, the round trips to the app) and commits. With one shard every transaction
queues behind the same rows; with several, they spread over the shards.

    .venv/bin/python bench/rollup_contention.py [--url postgresql://postgres@127.0.0.1:5432/test]

A fresh database is created on that server for the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.db import migrate  # noqa: E402
from app.stats import rollups  # noqa: E402

COMMUNE = "00070"
COURSE = "ky-nang-so-co-ban"


def completion_delta() -> Counter:
    return rollups.contribution(COMMUNE, [(COURSE, datetime.now(UTC))], [])


def run(engine, *, shards: int, threads: int, per_thread: int, hold_ms: float) -> dict:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE completion_rollup, completion_daily"))
    latencies: list[float] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(threads + 1)

    def worker() -> None:
        own = []
        start_gate.wait()
        for _ in range(per_thread):
            began = time.perf_counter()
            with Session(engine) as session:
                rollups.apply(session, completion_delta(), shards=shards)
                if hold_ms:
                    time.sleep(hold_ms / 1000)
                session.commit()
            own.append(time.perf_counter() - began)
        with lock:
            latencies.extend(own)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    with engine.connect() as conn:
        counted = conn.execute(
            text("SELECT sum(completed) FROM completion_rollup WHERE course_slug = :c AND commune = :m"),
            {"c": COURSE, "m": COMMUNE},
        ).scalar()
    total = threads * per_thread
    assert counted == total, f"lost updates: {counted} != {total}"
    latencies.sort()
    return {
        "tps": total / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "elapsed": elapsed,
        "total": total,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--transactions", type=int, default=100, help="per thread")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--hold-ms", type=float, nargs="+", default=[0, 5])
    args = parser.parse_args()

    admin_url = make_url(args.url).set(drivername="postgresql+psycopg")
    name = f"bdhvs_bench_{secrets.token_hex(3)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(admin_url.set(database=name), pool_size=args.threads, max_overflow=0)
    try:
        migrate(engine)
        print(f"PostgreSQL, {args.threads} threads x {args.transactions} completions, all in commune {COMMUNE}")
        print(f"{'hold ms':>8} {'shards':>6} {'tx/s':>9} {'p50 ms':>8} {'p95 ms':>8}")
        for hold in args.hold_ms:
            results = {}
            for shards in (1, args.shards):
                results[shards] = r = run(
                    engine, shards=shards, threads=args.threads, per_thread=args.transactions, hold_ms=hold
                )
                print(f"{hold:>8g} {shards:>6} {r['tps']:>9.0f} {r['p50']:>8.1f} {r['p95']:>8.1f}")
            ratio = results[args.shards]["tps"] / results[1]["tps"]
            print(f"{'':>8} {'ratio':>6} {ratio:>8.2f}x  ({args.shards} shards vs 1, throughput)")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
