"""`python -m bench`: the service's hot paths beside their ceilings, measured in one run (issue #11).

    .venv/bin/python -m bench [--quick] [--pgbouncer] [--url postgresql://postgres@127.0.0.1:5432/postgres]

Starts, in this run: a bare FastAPI app on the same uvicorn returning the same lesson bytes (the
framework's ceiling); a psycopg-only write loop doing a progress batch's writes from 16 threads (the
database's ceiling); the real service (uvicorn subprocess on a fresh PostgreSQL database with the
bundled content). wrk drives the load. The progress batches and their ceiling take turns
(PROGRESS_ROUNDS each), so that on a shared machine a busy spell weighs on both sides of the ratio. A year
of national statistics counters is seeded with COPY, a release is published, and the statistics calls are
timed; then lesson GETs on one worker while that worker publishes a release (POST /admin/stats/releases) beside
the same load without one (`lesson_*_during_release`, `lesson_*_baseline`, `release_via_worker_seconds`).
Beside the wrk figures, the same lesson GET and progress batches are called in-process (bench/asgi.py: no
sockets, no load generator), which is steadier on a shared machine: `asgi_*` in the JSON, and with
--baseline-tree `compare_asgi_*` for the code before.
The last line printed is one JSON object.
With --pgbouncer, each turn also sends progress batches to a second service (2 workers) that reaches the same
database through a PgBouncer in transaction pooling (Debian's pgbouncer, started here: tests/pgbouncer.py) with
DATABASE_PGBOUNCER=true, and runs the psycopg-only loop through it without prepared statements (`pgbouncer_*`),
and straight to the server without them (`unprepared_db_ceiling_*`: what planning every statement costs alone).
Rate limits are raised for the run (the bench measures the hot paths, not the limiter); the access log is
off, as in production by default (metrics stay on). The wrk turns count limits in memory; the in-process progress
figures are also taken with the limiter on a Redis of the run's own (`asgi_progress_redis_*`), as production's
workers share one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psycopg

from bench import cpu, dbceiling, growth, load, profile, progress_seed, seed
from tests import pgbouncer

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
COURSE = "ky-nang-so-co-ban"
COMMUNE = "00070"
PROGRESS_ROUNDS = 2  # turns of the service and of its database ceiling, taken alternately
PGBOUNCER_POOL = 16  # PgBouncer's server connections: as many as the ceiling's writers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bounced_service(
    stack: contextlib.ExitStack, url: str, env: dict, log: Path, procs: list[subprocess.Popen]
) -> tuple[str, str, subprocess.Popen]:
    """A service (2 workers) on the database `url` through a PgBouncer in transaction pooling started for the run
    (closed with `stack`): PgBouncer's URL, the service's base URL and its process."""
    through = stack.enter_context(pgbouncer.running(url, pool_size=PGBOUNCER_POOL))
    base, server = serve({**env, "DATABASE_URL": through, "DATABASE_PGBOUNCER": "true"}, log, procs, workers=2)
    return through, base, server


def serve(
    env: dict, log: Path, procs: list[subprocess.Popen], *, workers: int, cwd: Path = ROOT
) -> tuple[str, subprocess.Popen]:
    """`app serve` from the source tree `cwd` on a free port, ready, and in `procs` (stopped at the end of the
    run): its base URL and process."""
    port = free_port()
    server = start(
        [PY, "-m", "app", "serve", "--no-import", "--port", str(port), "--workers", str(workers)], env, log, cwd=cwd
    )
    procs.append(server)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, server)
    return base, server


@contextlib.contextmanager
def private_redis(work: Path):
    """A redis-server of the run's own on a free port (no shared Redis is touched), without persistence: its URL."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # `stop` signals its process group
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(server)


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{base} not ready in {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def start(cmd: list[str], env: dict, log: Path, cwd: Path = ROOT) -> subprocess.Popen:
    """A server from the source tree `cwd` (another tree: the same venv runs that tree's `app`)."""
    return subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def worker_rss_mb(proc: subprocess.Popen) -> list[float]:
    """Resident memory of each uvicorn worker (the children of a multi-worker parent, or the process itself)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    pids = [int(p) for p in children] or [proc.pid]
    sizes = []
    for pid in pids:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"multiprocessing.resource_tracker" in cmdline:
            continue
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024)
    return sizes


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))]


def timed_gets(client: httpx.Client, url: str, headers: dict, n: int) -> list[float]:
    timings = []
    for _ in range(n):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (finishes within 10 minutes)")
    parser.add_argument(
        "--url", default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--days", type=int, default=365, help="days of seeded statistics counters")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work directory")
    parser.add_argument("--pgbouncer", action="store_true", help="progress batches through PgBouncer as well")
    parser.add_argument("--no-stats", action="store_true", help="leave out the statistics (seeding and release)")
    parser.add_argument(
        "--full-db", help="a database seeded by `python -m bench.progress_seed`: costs at empty and at full (kept)"
    )
    parser.add_argument(
        "--progress-events", type=int, help="seed a database with this many progress events for this run instead"
    )
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="a source tree of the code before a change (e.g. `git archive` of the last commit): its service runs"
        " beside this one, turns alternating, and `compare_*` gives this ÷ that from the same run",
    )
    parser.add_argument("--profile", type=Path, help="profile the workers in extra, uncounted turns (py-spy) into DIR")
    args = parser.parse_args()
    load.ensure_wrk()
    seconds = 10 if args.quick else 30
    stat_calls = 15 if args.quick else 60
    work = Path(tempfile.mkdtemp(prefix="bdhvs-bench-"))
    name = f"bdhvs_bench_{secrets.token_hex(3)}"
    admin_url = args.url.replace("postgresql+psycopg://", "postgresql://")
    db_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = bool(
        subprocess.run(["git", "status", "--porcelain", "app"], cwd=ROOT, capture_output=True, text=True).stdout
    )
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "APP_ENV": "development",
        "DEV_TOKENS": "true",
        "DEV_SECRETS_FILE": str(work / "dev-secrets.json"),
        "STATS_RELEASE_AUTO": "false",
        "RATE_LIMIT_CLIENT": "100000000/minute",
        "RATE_LIMIT_LEARNER_WRITES": "100000000/minute;1000000000/day",
        "RATE_LIMIT_STATS_READS": "100000000/minute",
        "MAX_EVENTS_PER_LEARNER": "1000000",
        "ACCESS_LOG": "false",  # the figures in docs/SCALING.md leave out writing access lines (metrics stay on)
        # 16 wrk connections over 2 workers, 8 requests per worker at once. A worker has two pools of this size
        # (learners' writes on async connections, the rest: app/db.py), so 6 each keep the four services the
        # growth turns hold open (direct and through PgBouncer, empty and full tables), and the two PgBouncers'
        # 16 server connections each, under PostgreSQL's 100 connections. A request that finds its pool busy
        # waits for a connection; the workers are CPU-bound, so their throughput does not move.
        "DATABASE_POOL_SIZE": "6",
        "DATABASE_MAX_OVERFLOW": "0",
    }
    env.pop("REDIS_URL", None)
    rows: list[tuple[str, str, str, str]] = []
    out: dict = {"commit": commit.strip() + ("+dirty" if dirty else ""), "quick": args.quick}
    errors = 0
    procs: list[subprocess.Popen] = []
    log = work / "server.log"
    stack = contextlib.ExitStack()  # the PgBouncer, with --pgbouncer
    try:
        subprocess.run(
            [PY, "-m", "app", "content", "import", "content"], env=env, cwd=ROOT, check=True, capture_output=True
        )

        # Lesson GET and /healthz: the service (1 worker) beside the bare app (1 worker), same uvicorn.
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        service = start([PY, "-m", "app", "serve", "--no-import", "--port", str(port), "--workers", "1"], env, log)
        procs.append(service)
        wait_ready(base, service)
        outline = httpx.get(f"{base}/api/v1/courses/{COURSE}").json()["outline"]
        lessons = [lesson["slug"] for module in outline for lesson in module["lessons"]]
        lesson_url = f"{base}/api/v1/courses/{COURSE}/lessons/{lessons[0]}"
        body = httpx.get(lesson_url).content
        (work / "lesson.json").write_bytes(body)
        load.run(lesson_url, threads=2, connections=32, seconds=2)  # warm-up
        lesson = cpu.measured(
            lambda: load.run(lesson_url, threads=2, connections=32, seconds=seconds),
            server_pid=service.pid,
            database=name,
        )
        health = load.run(f"{base}/healthz", threads=2, connections=32, seconds=seconds)
        if args.profile:
            profiled(
                service,
                args.profile / "lesson.txt",
                seconds,
                lambda: load.run(lesson_url, threads=2, connections=32, seconds=seconds),
            )
        if args.baseline_tree:
            old_base, old = serve(env, log, procs, workers=1, cwd=args.baseline_tree)
            old_lesson_url = lesson_url.replace(base, old_base)
            load.run(old_lesson_url, threads=2, connections=32, seconds=2)  # warm-up
            taken: dict[str, list[float]] = {"new": [], "old": []}
            spent: dict[str, list[float]] = {"new": [], "old": []}  # CPU ms per request
            for n in range(2 * PROGRESS_ROUNDS):
                for side in ("new", "old") if n % 2 == 0 else ("old", "new"):
                    url = lesson_url if side == "new" else old_lesson_url
                    run = cpu.measured(
                        lambda url=url: load.run(url, threads=2, connections=32, seconds=max(1, seconds // 2)),
                        server_pid=(service if side == "new" else old).pid,
                        database=name,
                    )
                    taken[side].append(run["rps"])
                    spent[side].append(run["cpu_ms_per_request"])
                    errors += run["errors"]
            stop(old)
            procs.remove(old)
            out.update(
                compare_lesson_rps=round(statistics.fmean(taken["new"])),
                compare_lesson_old_rps=round(statistics.fmean(taken["old"])),
                compare_lesson_turns={side: [round(r) for r in rps] for side, rps in taken.items()},
                compare_lesson_ratio=round(statistics.fmean(taken["new"]) / statistics.fmean(taken["old"]), 3),
                compare_lesson_cpu_ms=round(statistics.fmean(spent["new"]), 4),
                compare_lesson_old_cpu_ms=round(statistics.fmean(spent["old"]), 4),
            )
            rows.append(
                (
                    "lesson GET ÷ code before",
                    f"{out['compare_lesson_rps']} req/s",
                    f"{out['compare_lesson_old_rps']} req/s",
                    f"{out['compare_lesson_ratio']:.2f}",
                )
            )
        stop(service)
        procs.remove(service)

        bare_port = free_port()
        bare = start(
            [
                PY,
                "-m",
                "uvicorn",
                "bench.bare:app",
                "--port",
                str(bare_port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            {**env, "BENCH_BODY_FILE": str(work / "lesson.json")},
            log,
        )
        procs.append(bare)
        wait_ready(f"http://127.0.0.1:{bare_port}", bare)
        load.run(f"http://127.0.0.1:{bare_port}/x", threads=2, connections=32, seconds=2)
        bare_run = cpu.measured(
            lambda: load.run(f"http://127.0.0.1:{bare_port}/lesson", threads=2, connections=32, seconds=seconds),
            server_pid=bare.pid,
            database=name,
        )
        stop(bare)
        procs.remove(bare)
        errors += lesson["errors"] + health["errors"] + bare_run["errors"]
        # The same GET called in-process, beside the bare app: no sockets, no wrk (bench/asgi.py).
        lesson_path = lesson_url.removeprefix(base)
        out.update(in_process(env, work, lesson_path, ROOT))
        rows.append(
            (
                "lesson GET in-process (ASGI)",
                f"{out['asgi_lesson_us']} µs",
                f"{out['asgi_bare_us']} µs",
                f"{out['asgi_lesson_ratio']:.2f}",
            )
        )
        if args.baseline_tree:
            old_asgi = in_process(env, work, lesson_path, args.baseline_tree)
            out["compare_asgi_lesson_old_us"] = old_asgi["asgi_lesson_us"]
            rows.append(
                (
                    "lesson GET in-process, code before",
                    f"{old_asgi['asgi_lesson_us']} µs",
                    f"{old_asgi['asgi_bare_us']} µs",
                    f"{old_asgi['asgi_lesson_ratio']:.2f}",
                )
            )
        out.update(
            lesson_rps=round(lesson["rps"]),
            health_rps=round(health["rps"]),
            bare_rps=round(bare_run["rps"]),
            lesson_bytes=len(body),
        )
        out["lesson_ratio"] = round(lesson["rps"] / bare_run["rps"], 3)
        out["lesson_cpu_ms"] = round(lesson["cpu_ms_per_request"], 4)  # the worker's CPU per request
        out["bare_cpu_ms"] = round(bare_run["cpu_ms_per_request"], 4)
        out["lesson_cpu_ratio"] = round(bare_run["cpu_ms_per_request"] / lesson["cpu_ms_per_request"], 3)
        out["health_ratio"] = round(health["rps"] / bare_run["rps"], 3)
        rows += [
            ("lesson GET", f"{lesson['rps']:.0f} req/s", f"{bare_run['rps']:.0f} req/s", f"{out['lesson_ratio']:.2f}"),
            ("/healthz", f"{health['rps']:.0f} req/s", f"{bare_run['rps']:.0f} req/s", f"{out['health_ratio']:.2f}"),
        ]

        # Progress batches: 2 workers, 16 connections; beside them the psycopg-only write loop. The two take
        # turns (service, ceiling, service, ceiling, ...) and the ratio is of their means: on a shared machine
        # a quiet or a busy spell then falls on both, not on one of them.
        service = start([PY, "-m", "app", "serve", "--no-import", "--port", str(port), "--workers", "2"], env, log)
        procs.append(service)
        wait_ready(base, service)
        if args.pgbouncer:
            bounced_db_url, bounced_base, bounced = bounced_service(stack, db_url, env, log, procs)
        if args.baseline_tree:
            old_base, old = serve(env, log, procs, workers=2, cwd=args.baseline_tree)
        batch_lessons = lessons[:7]
        at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        rounds = PROGRESS_ROUNDS
        turn = max(1, seconds // rounds)
        before = count(db_url, "progress_event")

        def progress_turn(service_base: str, label: str, server: subprocess.Popen) -> dict:
            tokens = work / f"tokens-{label}.txt"  # fresh learners each turn, as in one long run
            tokens.write_text("\n".join(mint_tokens(env, 4000 if args.quick else 20000)) + "\n")
            script = load.batch_script(
                work / f"batch-{label}.lua",
                tokens=tokens,
                salt=secrets.randbits(31),
                course=COURSE,
                lessons=batch_lessons,
                at=at,
                threads=2,
            )
            url = f"{service_base}/api/v1/progress/events"
            return cpu.measured(
                lambda: load.run(url, threads=2, connections=16, seconds=turn, script=script),
                server_pid=server.pid,
                database=name,
            )

        runs, ceilings, bounced_runs, bounced_ceilings, unprepared_ceilings = [], [], [], [], []
        old_runs = []  # --baseline-tree
        for n in range(rounds):
            if args.baseline_tree and n % 2:  # the code before goes first in every other round
                old_runs.append(progress_turn(old_base, f"old-{n}", old))
            runs.append(progress_turn(base, str(n), service))
            ceilings.append(
                dbceiling.run(db_url, threads=16, seconds=turn, course=COURSE, lessons=batch_lessons, commune=COMMUNE)
            )
            if args.baseline_tree and not n % 2:
                old_runs.append(progress_turn(old_base, f"old-{n}", old))
            if args.pgbouncer:
                bounced_runs.append(progress_turn(bounced_base, f"pgbouncer-{n}", bounced))
                bounced_ceilings.append(
                    dbceiling.run(
                        bounced_db_url,
                        threads=16,
                        seconds=turn,
                        course=COURSE,
                        lessons=batch_lessons,
                        commune=COMMUNE,
                        prepare_threshold=None,
                    )
                )
                unprepared_ceilings.append(
                    dbceiling.run(
                        db_url,
                        threads=16,
                        seconds=turn,
                        course=COURSE,
                        lessons=batch_lessons,
                        commune=COMMUNE,
                        prepare_threshold=None,
                    )
                )
        profiled_runs = []  # counted for the events only
        if args.profile:
            profiled_runs.append(
                profiled(service, args.profile / "progress.txt", turn, lambda: progress_turn(base, "profile", service))
            )
        if args.baseline_tree:  # not needed after the progress turns; its connections are
            stop(old)
            procs.remove(old)
        # Every progress_event row since `before` is the services', but the ceiling's 7 per batch.
        every_ceiling = ceilings + bounced_ceilings + unprepared_ceilings
        stored = count(db_url, "progress_event") - before - dbceiling.EVENTS * sum(c["batches"] for c in every_ceiling)
        services = runs + bounced_runs + profiled_runs + old_runs
        acked = sum(r["batches"]["accepted"] for r in services)
        rejected = sum(r["batches"]["rejected"] for r in services)
        errors += sum(r["errors"] for r in services) + rejected + sum(c["errors"] for c in every_ceiling)
        rss = worker_rss_mb(service)
        progress_rps = statistics.fmean(r["rps"] for r in runs)
        ceiling_rps = statistics.fmean(c["batches_per_s"] for c in ceilings)
        out.update(
            progress_batches_per_s=round(progress_rps, 1),
            progress_p50_ms=statistics.median(r["p50_ms"] for r in runs),
            progress_p99_ms=max(r["p99_ms"] for r in runs),
            progress_turns=[round(r["rps"]) for r in runs],
            events_acknowledged=acked,
            events_stored=stored,
            events_lost=max(0, acked - stored),
            events_rejected=rejected,
            db_ceiling_batches_per_s=round(ceiling_rps, 1),
            db_ceiling_turns=[round(c["batches_per_s"]) for c in ceilings],
            progress_ratio=round(progress_rps / ceiling_rps, 3),
            progress_cpu_ms_per_batch=round(statistics.fmean(r["cpu_ms_per_request"] for r in runs), 3),
            progress_db_cpu_ms_per_batch=round(statistics.fmean(r["db_cpu_ms_per_request"] for r in runs), 3),
        )
        if old_runs:
            old_rps = statistics.fmean(r["rps"] for r in old_runs)
            out.update(
                compare_progress_old_batches_per_s=round(old_rps, 1),
                compare_progress_old_turns=[round(r["rps"]) for r in old_runs],
                compare_progress_old_ratio=round(old_rps / ceiling_rps, 3),
                compare_progress_ratio=round(progress_rps / old_rps, 3),
                compare_progress_old_cpu_ms_per_batch=round(
                    statistics.fmean(r["cpu_ms_per_request"] for r in old_runs), 3
                ),
                compare_progress_old_db_cpu_ms_per_batch=round(
                    statistics.fmean(r["db_cpu_ms_per_request"] for r in old_runs), 3
                ),
            )
            rows.append(
                (
                    "progress batch, code before",
                    f"{old_rps:.0f} batches/s",
                    f"{ceiling_rps:.0f} batches/s",
                    f"{out['compare_progress_old_ratio']:.2f}",
                )
            )
        rows.append(
            (
                "progress batch (7 events)",
                f"{progress_rps:.0f} batches/s",
                f"{ceiling_rps:.0f} batches/s",
                f"{out['progress_ratio']:.2f}",
            )
        )
        if args.pgbouncer:
            bounced_rps = statistics.fmean(r["rps"] for r in bounced_runs)
            bounced_ceiling_rps = statistics.fmean(c["batches_per_s"] for c in bounced_ceilings)
            out.update(
                pgbouncer_progress_batches_per_s=round(bounced_rps, 1),
                pgbouncer_progress_p50_ms=statistics.median(r["p50_ms"] for r in bounced_runs),
                pgbouncer_progress_p99_ms=max(r["p99_ms"] for r in bounced_runs),
                pgbouncer_progress_turns=[round(r["rps"]) for r in bounced_runs],
                pgbouncer_db_ceiling_batches_per_s=round(bounced_ceiling_rps, 1),
                pgbouncer_db_ceiling_turns=[round(c["batches_per_s"]) for c in bounced_ceilings],
                pgbouncer_progress_ratio=round(bounced_rps / bounced_ceiling_rps, 3),
                pgbouncer_vs_direct=round(bounced_rps / progress_rps, 3),
                unprepared_db_ceiling_batches_per_s=round(
                    statistics.fmean(c["batches_per_s"] for c in unprepared_ceilings), 1
                ),
                unprepared_db_ceiling_turns=[round(c["batches_per_s"]) for c in unprepared_ceilings],
            )
            rows.append(
                (
                    "progress batch through PgBouncer",
                    f"{bounced_rps:.0f} batches/s",
                    f"{bounced_ceiling_rps:.0f} batches/s",
                    f"{out['pgbouncer_progress_ratio']:.2f}",
                )
            )

        # Progress batches posted in-process, 16 at a time: the worker's CPU per batch without sockets or wrk,
        # this code and (with --baseline-tree) the code before, taking turns (bench/asgi.py --progress). The
        # limiter counts in memory as in the turns above, then (when redis-server is installed) in a Redis of the
        # run's own, as production's workers share one (`asgi_progress_redis_*`).
        trees = {"new": ROOT, "old": args.baseline_tree} if args.baseline_tree else {"new": ROOT}
        limiters = {"": {}}
        if shutil.which("redis-server"):
            limiters["redis_"] = {"REDIS_URL": stack.enter_context(private_redis(work))}
        for label, store in limiters.items():
            spent_us: dict[str, list[float]] = {side: [] for side in trees}
            for n in range(2):
                for side in trees if n % 2 == 0 else reversed(list(trees)):
                    figures = in_process_progress(
                        {**env, **store}, trees[side], batches=1000 if args.quick else 3000, lessons=batch_lessons
                    )
                    spent_us[side].append(figures["asgi_progress_cpu_us"])
            mine = out[f"asgi_progress_{label}cpu_us"] = round(statistics.fmean(spent_us["new"]))
            title = f"progress batch in-process (CPU{', limiter on Redis' if store else ''})"
            row = (title, f"{mine} µs", "—", "—")
            if args.baseline_tree:
                old = out[f"compare_asgi_progress_{label}old_cpu_us"] = round(statistics.fmean(spent_us["old"]))
                ratio = out[f"compare_asgi_progress_{label}ratio"] = round(old / mine, 3)
                row = (title, f"{mine} µs", f"code before {old} µs", f"{ratio:.2f}")
            rows.append(row)

        if args.full_db or args.progress_events:
            full_name = args.full_db or f"{name}_full"
            if not args.full_db:
                out["growth_seed"] = progress_seed.create(admin_url, full_name, args.progress_events)
                print(f"seeded {full_name}: {out['growth_seed']}", flush=True)
            full_url = admin_url.rsplit("/", 1)[0] + f"/{full_name}"
            full_base, full = serve({**env, "DATABASE_URL": full_url}, log, procs, workers=2)
            urls = {"empty": db_url, "full": full_url}
            bases = {"empty": base, "full": full_base}
            server_pids = {"empty": service.pid, "full": full.pid}
            sides = growth.SIDES
            if args.pgbouncer:  # the same two databases through a PgBouncer each
                _, bounced_full_base, bounced_full = bounced_service(stack, full_url, env, log, procs)
                urls |= {"pgbouncer_empty": db_url, "pgbouncer_full": full_url}  # the databases whose CPU counts
                bases |= {"pgbouncer_empty": bounced_base, "pgbouncer_full": bounced_full_base}
                server_pids |= {"pgbouncer_empty": bounced.pid, "pgbouncer_full": bounced_full.pid}
                sides = growth.SIDES + growth.BOUNCED
            members = growth.cohort(env, PY, ROOT, growth.COHORT)
            for url in (db_url, full_url):  # the same rows on both sides
                progress_seed.seed(url, keys=[key for _, key in members], seed_value=7)
            out.update(
                growth.measure(
                    work=work,
                    urls=urls,
                    bases=bases,
                    tokens=[token for token, _ in members],
                    batch_script=lambda path, tokens: load.batch_script(
                        path,
                        tokens=tokens,
                        salt=secrets.randbits(31),
                        course=COURSE,
                        lessons=batch_lessons,
                        at=at,
                        threads=2,
                    ),
                    rounds=2 * rounds,  # the effect sought is small beside the machine's noise
                    seconds=turn,
                    server_pids=server_pids,
                    sides=sides,
                )
            )
            errors += out["growth_errors"]
            if not args.no_stats:  # the same year of counters and release over the full tables (item 4)
                reset_statistics(full_url)
                figures = statistics_figures(
                    {**env, "DATABASE_URL": full_url},
                    full_url,
                    full_base,
                    days=args.days,
                    calls=stat_calls,
                    rows=rows,
                    tables="full tables",
                )
                out.update({f"full_{name}": value for name, value in figures.items()})
            for prefix in ("", "pgbouncer_") if args.pgbouncer else ("",):
                for kind, label in (("batch", "progress batch"), ("read", "GET /me/progress")):
                    full_rps, empty_rps = (
                        out[f"growth_{prefix}full_{kind}_per_s"],
                        out[f"growth_{prefix}empty_{kind}_per_s"],
                    )
                    full_p95 = out[f"growth_{prefix}full_{kind}_p95_ms"]
                    empty_p95 = out[f"growth_{prefix}empty_{kind}_p95_ms"]
                    rows.append(
                        (
                            f"{label}: full ÷ empty{' (PgBouncer)' if prefix else ''}",
                            f"{full_rps:.0f}/s, p95 {full_p95:.1f} ms",
                            f"{empty_rps:.0f}/s, p95 {empty_p95:.1f} ms",
                            f"{out[f'growth_{prefix}{kind}_throughput_ratio']:.2f}",
                        )
                    )
            for server in [p for p in procs if p is not service and p.pid in server_pids.values()]:
                stop(server)
                procs.remove(server)
            if not args.full_db and not args.keep:
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{full_name}" WITH (FORCE)')
        if not args.no_stats:
            out.update(statistics_figures(env, db_url, base, days=args.days, calls=stat_calls, rows=rows))
            # The window is as long as the release the CLI just took (at least 2 s): all of it falls inside one.
            window = max(2, math.ceil(out["release_seconds"]))
            during = release_under_load(env, log, lesson_url.removeprefix(base), seconds=window, rows=rows)
            errors += during.pop("errors")
            out.update(during)
        rss = [*rss, *worker_rss_mb(service)]
        out["rss_mb_per_worker"] = round(max(rss), 1)
        out["errors"] = errors + out["events_lost"]
    finally:
        for proc in procs:
            stop(proc)
        stack.close()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"\n{'path':34} {'this service':34} {'ceiling beside it':20} ratio")
    for row in rows:
        print(f"{row[0]:34} {row[1]:34} {row[2]:20} {row[3]}")
    print(
        f"events acknowledged {out['events_acknowledged']}, stored {out['events_stored']}, lost {out['events_lost']};"
        f" RSS per worker {out['rss_mb_per_worker']} MB; errors {out['errors']}; commit {out['commit']}; work {work}"
    )
    print(json.dumps(out))
    return 0


def in_process(env: dict, work: Path, lesson_path: str, tree: Path) -> dict:
    """bench/asgi.py (this tree's) on the `app` of the source tree `tree`; the bare app answers with the lesson's
    bytes."""
    done = subprocess.run(
        [PY, str(ROOT / "bench" / "asgi.py"), lesson_path],
        env={**env, "BENCH_BODY_FILE": str(work / "lesson.json"), "PYTHONPATH": str(tree)},
        cwd=tree,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"bench.asgi failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def in_process_progress(env: dict, tree: Path, *, batches: int, lessons: list[str]) -> dict:
    """bench/asgi.py --progress on the `app` of the source tree `tree`, on the run's database."""
    done = subprocess.run(
        [PY, str(ROOT / "bench" / "asgi.py"), "--progress", str(batches), COURSE, ",".join(lessons)],
        env={**env, "PYTHONPATH": str(tree)},
        cwd=tree,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"bench.asgi --progress failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def profiled(server: subprocess.Popen, raw: Path, seconds: float, turn) -> dict:
    """An extra turn (not counted) while py-spy samples the server's workers; prints where their CPU went."""
    raw.parent.mkdir(parents=True, exist_ok=True)
    sampler = profile.record(server.pid, seconds, raw)
    time.sleep(1)  # py-spy attaches
    result = turn()
    _, problem = sampler.communicate(timeout=seconds + 60)
    if sampler.returncode:
        raise RuntimeError(f"py-spy failed: {problem.decode()[-2000:]}")
    print(f"profile of {raw.stem} ({raw}):\n{profile.table(profile.summarise(raw))}", flush=True)
    return result


def statistics_figures(
    env: dict, db_url: str, base: str, *, days: int, calls: int, rows: list, tables: str = "empty tables"
) -> dict:
    """A year of national counters, one release, then the calls a statistician makes (p95 and series scaling).

    A release reads only the counters (`completion_rollup`), never the progress tables, so over the full
    progress tables (`tables` "full tables") it should take what it takes over empty ones: measured, not assumed."""
    out: dict = {}
    began = time.perf_counter()
    # The scale: 3 course keys (two courses and the all-courses key), whatever is bundled.
    seeded = seed.seed(db_url, courses=course_slugs(db_url)[:2], days=days, shards=8, last_day=date.today())
    out["seed_seconds"] = round(time.perf_counter() - began, 1)
    out["seeded_rows"] = seeded
    release(env)  # the first step of every stream; then a year of published days behind it
    out["history_days"] = seed.series_history(db_url, days=365)
    began = time.perf_counter()
    out["release_peak_rss_mb"] = release(env)
    out["release_seconds"] = round(time.perf_counter() - began, 1)
    stats_token = mint_tokens(env, 1, scope="stats")[0]
    headers = {"Authorization": f"Bearer {stats_token}"}
    api = f"{base}/api/v1/stats"
    with httpx.Client(timeout=120) as client:
        last = date.fromisoformat(client.get(f"{api}/timeseries", headers=headers).json()["rows"][-1]["day"])
        urls = {
            "province table": f"{api}/completion",
            "commune table": f"{api}/completion?province=01",
            "all-courses CSV": f"{api}/completion?format=csv",
            "national series 30 d": f"{api}/timeseries?from={date.fromordinal(last.toordinal() - 29)}&to={last}",
            "national series 365 d": f"{api}/timeseries?from={date.fromordinal(last.toordinal() - 364)}&to={last}",
        }
        timings = {label: timed_gets(client, url, headers, calls) for label, url in urls.items()}
    p95 = {label: percentile(t, 95) for label, t in timings.items()}
    for label, t in timings.items():
        timing = f"p50 {statistics.median(t):.1f} ms, p95 {p95[label]:.1f} ms"
        rows.append((f"stats ({tables}): {label}", timing, "—", "—"))
    released = f"{out['release_seconds']} s, peak {out['release_peak_rss_mb']} MB"
    rows.append((f"stats ({tables}): release", released, "—", "—"))
    out["stats_p95_ms"] = round(max(p95.values()), 1)
    out["series_scaling"] = round(
        statistics.median(timings["national series 365 d"]) / statistics.median(timings["national series 30 d"]), 2
    )
    return out


def release_under_load(env: dict, log: Path, lesson_path: str, *, seconds: int, rows: list) -> dict:
    """Lesson GETs on one worker while that worker computes a release (POST /admin/stats/releases, in a child
    process of the worker's, at STATS_RELEASE_NICENESS), beside a window of the same length and load with no
    release: p50/p95 and throughput of both, and the release's own duration. The release is sent at the start
    of the window, which is sized to the release; `release_window_overlap` is the share of the window the
    release was running (1: all of it)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    worker = start([PY, "-m", "app", "serve", "--no-import", "--port", str(port), "--workers", "1"], env, log)
    try:
        wait_ready(base, worker)
        url = f"{base}{lesson_path}"
        script = load.p95_script(log.parent / "p95.lua")
        load.run(url, threads=2, connections=32, seconds=2)  # warm-up
        baseline = load.run(url, threads=2, connections=32, seconds=seconds, script=script)
        headers = {"Authorization": f"Bearer {mint_tokens(env, 1, scope='admin')[0]}"}
        released: dict = {}

        def post_release() -> None:
            began = time.perf_counter()
            try:
                released["status"] = httpx.post(
                    f"{base}/api/v1/admin/stats/releases", headers=headers, timeout=600
                ).status_code
            finally:
                released["seconds"] = time.perf_counter() - began

        poster = threading.Thread(target=post_release)
        poster.start()
        during = load.run(url, threads=2, connections=32, seconds=seconds, script=script)
        poster.join()
    finally:
        stop(worker)
    if released.get("status") != 201:
        raise RuntimeError(f"release through the worker: {released.get('status')}")
    out = {
        "lesson_window_seconds": seconds,
        "lesson_p50_ms_baseline": round(baseline["p50_ms"], 2),
        "lesson_p95_ms_baseline": round(baseline["p95_ms"], 2),
        "lesson_rps_baseline": round(baseline["rps"]),
        "lesson_p50_ms_during_release": round(during["p50_ms"], 2),
        "lesson_p95_ms_during_release": round(during["p95_ms"], 2),
        "lesson_rps_during_release": round(during["rps"]),
        "release_via_worker_seconds": round(released["seconds"], 1),
        "release_window_overlap": round(min(1.0, released["seconds"] / seconds), 2),
        "errors": baseline["errors"] + during["errors"],
    }
    rows.append(
        (
            "lesson GET, 1 worker, in a release",
            f"p50 {during['p50_ms']:.1f} ms, p95 {during['p95_ms']:.1f} ms",
            f"p50 {baseline['p50_ms']:.1f}, p95 {baseline['p95_ms']:.1f}",
            f"{during['p95_ms'] / baseline['p95_ms']:.2f}",
        )
    )
    rows.append(("stats: release via the worker", f"{released['seconds']:.1f} s", "—", "—"))
    return out


def reset_statistics(url: str) -> None:
    """No releases and no streams: a kept database (--full-db) starts every run's statistics from the first step."""
    with psycopg.connect(url) as conn:
        conn.execute("TRUNCATE stats_release_day, stats_release_cell, stats_release, stats_stream")


def release(env: dict) -> float:
    """`python -m app stats release` in its own process; its peak memory (MB)."""
    code = """
import resource, runpy, sys
sys.argv = ["app", "stats", "release"]
try:
    runpy.run_module("app", run_name="__main__")
except SystemExit as exit:
    assert not exit.code, exit.code
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
    done = subprocess.run([PY, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"stats release failed: {done.stderr[-3000:]}")
    return round(float(done.stdout.split()[-1]), 1)


def mint_tokens(env: dict, n: int, scope: str = "learner") -> list[str]:
    """Development tokens signed with the run's secret (one process, not one per token)."""
    code = (
        "import sys\nfrom app.auth.tokens import mint_dev_token\nfrom app.config import get_settings\n"
        "from app.localities.official import COMMUNES\ns = get_settings()\ncommunes = sorted(COMMUNES)\n"
        "for i in range(int(sys.argv[1])):\n"
        "    print(mint_dev_token(s, scopes=[sys.argv[2]], subject=f'bench-{sys.argv[3]}-{i}',"
        " locality=communes[i % len(communes)], expires_in=7200))\n"
    )
    done = subprocess.run(
        [PY, "-c", code, str(n), scope, secrets.token_hex(3)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.split()


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def course_slugs(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT slug FROM course ORDER BY slug").fetchall()]


if __name__ == "__main__":
    raise SystemExit(main())
