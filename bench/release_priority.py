"""The release child's CPU priority, measured: lesson GETs on a worker while it computes a release, with the child
at the worker's priority (STATS_RELEASE_NICENESS=0) and lowered (the default, 10), in alternating turns.

    .venv/bin/python -m bench.release_priority --db bench24 [--turns 3]

The database must have the content imported and statistics counters to release (a database `python -m bench
--full-db` has used, or one seeded by `bench.seed`). Each turn is `bench.__main__.release_under_load`: a window of
lesson GETs without a release, then one of the same length while the worker computes one. Prints per turn and,
last, a JSON object: the p95 during ÷ without of each side (`*_p95_ratios`) and their means.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from bench.__main__ import COURSE, release_under_load

SIDES = ("0", "10")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a database on the server of --url")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--lesson", default="lam-quen-dien-thoai", help=f"a lesson of {COURSE}")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3, help="each window; about one release long")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bdhvs-release-priority-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.url}/{args.db}",
        "APP_ENV": "development",
        "DEV_TOKENS": "true",
        "DEV_SECRETS_FILE": str(work / "dev-secrets.json"),
        "STATS_RELEASE_AUTO": "false",
        "ACCESS_LOG": "false",
        "RATE_LIMIT_CLIENT": "100000000/minute",
        "DATABASE_POOL_SIZE": "6",
        "DATABASE_MAX_OVERFLOW": "0",
    }
    env.pop("REDIS_URL", None)
    path = f"/api/v1/courses/{COURSE}/lessons/{args.lesson}"
    ratios: dict[str, list[float]] = {side: [] for side in SIDES}
    for turn in range(args.turns):
        for side in SIDES if turn % 2 == 0 else reversed(SIDES):
            out = release_under_load(
                {**env, "STATS_RELEASE_NICENESS": side}, work / "server.log", path, seconds=args.seconds, rows=[]
            )
            ratio = out["lesson_p95_ms_during_release"] / out["lesson_p95_ms_baseline"]
            ratios[side].append(round(ratio, 2))
            print(
                f"niceness {side:>2}: p95 {out['lesson_p95_ms_during_release']} ms during a release,"
                f" {out['lesson_p95_ms_baseline']} ms without (x {ratio:.2f});"
                f" the release {out['release_via_worker_seconds']} s",
                flush=True,
            )
    figures = {f"niceness_{side}_p95_ratios": ratios[side] for side in SIDES}
    figures |= {f"niceness_{side}_p95_ratio_mean": round(statistics.fmean(ratios[side]), 2) for side in SIDES}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
