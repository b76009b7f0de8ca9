"""Does a learner's write or read cost more when the progress tables are full? (issue #24 item 2)

Two services (2 workers each) run side by side: one on the run's fresh database ("empty": the bundled content
and the rows of the earlier turns), one on a database seeded by `bench.progress_seed` with millions of events
("full"). The same cohort of learners is copied into both with the same rows (their keys come from the run's
own tokens), so every request does the same work on both sides and only the size of the tables differs. Turns
alternate (empty, full, full, empty, ...): progress batches of the cohort, then GET /me/progress of the cohort,
after one uncounted warm-up turn on each side.
With PgBouncer (`python -m bench --pgbouncer`), two more services reach the same two databases through a
PgBouncer each ("pgbouncer_empty", "pgbouncer_full"), in the same rotation.
"""

from __future__ import annotations

import secrets
import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg

from bench import cpu, load, progress_seed

COHORT = 4000  # learners copied into both databases, who send the batches and read their progress
SIDES = ("empty", "full")
BOUNCED = ("pgbouncer_empty", "pgbouncer_full")


def cohort(env: dict, py: str, root: Path, n: int) -> list[tuple[str, str]]:
    """(token, learner key) of n learners, with the run's development secret and pepper."""
    code = (
        "import sys\nfrom app.auth.tokens import learner_key, mint_dev_token\nfrom app.config import get_settings\n"
        "from app.localities.official import COMMUNES\ns = get_settings()\ncommunes = sorted(COMMUNES)\n"
        "for i in range(int(sys.argv[1])):\n"
        "    sub = f'cohort-{sys.argv[2]}-{i}'\n"
        "    token = mint_dev_token(s, scopes=['learner'], subject=sub, locality=communes[i % len(communes)],"
        " expires_in=7200)\n"
        "    print(token, learner_key(s.pepper_bytes(), s.jwt_issuer, sub))\n"
    )
    done = subprocess.run(
        [py, "-c", code, str(n), secrets.token_hex(3)], env=env, cwd=root, check=True, capture_output=True, text=True
    )
    return [(line.split()[0], line.split()[1]) for line in done.stdout.splitlines()]


def table_rows(url: str) -> dict[str, int]:
    """Rows per progress table: the planner's estimate past a million (counting 20 million rows takes long)."""
    with psycopg.connect(url) as conn:
        found = dict(
            conn.execute(
                "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
                (list(progress_seed.TABLES),),
            ).fetchall()
        )
        for table, estimate in found.items():
            if estimate < 1_000_000:
                found[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    return found


def measure(
    *,
    work: Path,
    urls: dict[str, str],
    bases: dict[str, str],
    tokens: list[str],
    batch_script: Callable[[Path, Path], Path],
    rounds: int,
    seconds: int,
    server_pids: dict[str, int],
    sides: tuple[str, ...] = SIDES,
) -> dict:
    """Alternating turns on every side (SIDES, and BOUNCED if given); throughput and p95 of each, and full / empty
    (`growth_*_ratio`, and `growth_pgbouncer_*_ratio` through PgBouncer)."""
    token_file = work / "tokens-cohort.txt"
    token_file.write_text("\n".join(tokens) + "\n")
    reads = load.get_script(work / "me-progress.lua", tokens=token_file, url_path="/api/v1/me/progress", threads=2)
    runs: dict[str, dict[str, list[dict]]] = {side: {"batch": [], "read": []} for side in sides}
    warm: dict[str, dict[str, dict]] = {side: {} for side in sides}
    # One uncounted turn per side first: a side's first turn after its services started and its cohort was
    # copied in ran at half the throughput of the later ones on both sides (round 5), its p95 weighing on the
    # mean as the steady cost never does. Its figures are reported apart (growth_*_warmup_*).
    for n in range(-1, rounds):
        for side in sides if n % 2 == 0 else tuple(reversed(sides)):
            database = urls[side].rsplit("/", 1)[1]
            for kind, path, script in (
                ("batch", "/api/v1/progress/events", batch_script(work / f"batch-{side}-{n}.lua", token_file)),
                ("read", "/api/v1/me/progress", reads),
            ):
                url = f"{bases[side]}{path}"
                run = cpu.measured(
                    lambda url=url, script=script: load.run(
                        url, threads=2, connections=16, seconds=seconds, script=script
                    ),
                    server_pid=server_pids[side],
                    database=database,
                )
                if n < 0:
                    warm[side][kind] = run
                else:
                    runs[side][kind].append(run)
    out: dict = {}
    for side in sides:
        for kind in ("batch", "read"):
            taken = runs[side][kind]
            out[f"growth_{side}_{kind}_per_s"] = round(statistics.fmean(r["rps"] for r in taken), 1)
            out[f"growth_{side}_{kind}_p95_ms"] = round(statistics.fmean(r["p95_ms"] for r in taken), 2)
            out[f"growth_{side}_{kind}_turns"] = [round(r["rps"]) for r in taken]
            out[f"growth_{side}_{kind}_p95_turns"] = [round(r["p95_ms"], 1) for r in taken]
            out[f"growth_{side}_{kind}_warmup_per_s"] = round(warm[side][kind]["rps"], 1)
            out[f"growth_{side}_{kind}_warmup_p95_ms"] = round(warm[side][kind]["p95_ms"], 2)
            out[f"growth_{side}_{kind}_errors"] = sum(r["errors"] for r in taken)
            out[f"growth_{side}_{kind}_cpu_ms"] = round(statistics.fmean(r["cpu_ms_per_request"] for r in taken), 3)
            out[f"growth_{side}_{kind}_db_cpu_ms"] = round(
                statistics.fmean(r["db_cpu_ms_per_request"] for r in taken), 3
            )
        out[f"growth_{side}_rows"] = table_rows(urls[side])
    for prefix in ("", "pgbouncer_") if BOUNCED[0] in sides else ("",):
        for kind in ("batch", "read"):
            full, empty = f"growth_{prefix}full_{kind}", f"growth_{prefix}empty_{kind}"
            out[f"growth_{prefix}{kind}_throughput_ratio"] = round(out[f"{full}_per_s"] / out[f"{empty}_per_s"], 3)
            out[f"growth_{prefix}{kind}_db_cpu_ratio"] = round(out[f"{full}_db_cpu_ms"] / out[f"{empty}_db_cpu_ms"], 3)
            out[f"growth_{prefix}{kind}_p95_ratio"] = round(out[f"{full}_p95_ms"] / out[f"{empty}_p95_ms"], 3)
    out["growth_errors"] = sum(out[f"growth_{side}_{kind}_errors"] for side in sides for kind in ("batch", "read"))
    return out
