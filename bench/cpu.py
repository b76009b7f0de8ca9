"""CPU time actually spent, from /proc: a server's processes, and the PostgreSQL backends of one database.

Throughput on a shared machine moves with whatever else runs; the CPU seconds a process spent per request
move much less, so the bench reports both (`*_cpu_ms_per_batch`).
"""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and its children (a uvicorn parent and its workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    try:
        for child in children.read_text().split():
            found += tree(int(child))
    except OSError:
        pass
    return found


def backends(database: str) -> list[int]:
    """PostgreSQL backends serving `database` (their process title names it)."""
    title = f" {database} ".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres: ") and title in cmdline:
            found.append(int(entry.name))
    return found


def seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still alive."""
    spent = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        spent[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of stat)
    return spent


def spent_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds the processes `pids` spent since `before` (a process new since then counts from zero)."""
    now = seconds(pids)
    return sum(total - before.get(pid, 0.0) for pid, total in now.items())


def measured(run, *, server_pid: int, database: str) -> dict:
    """`run()` (a wrk run's figures) with the CPU milliseconds per request spent by the server's processes
    (`cpu_ms_per_request`) and by the database's backends (`db_cpu_ms_per_request`) during it."""
    workers = tree(server_pid)
    server_before = seconds(workers)
    database_before = seconds(backends(database))
    result = run()
    server_spent = spent_since(server_before, workers)
    database_spent = spent_since(database_before, backends(database))
    requests = max(1, result["requests"])
    result["cpu_ms_per_request"] = 1000 * server_spent / requests
    result["db_cpu_ms_per_request"] = 1000 * database_spent / requests
    return result
