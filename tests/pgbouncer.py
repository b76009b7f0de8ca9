"""A private PgBouncer (Debian's `pgbouncer`, 1.18) in transaction pooling in front of a PostgreSQL server.

Used by the tests (TEST_PGBOUNCER=1, tests/test_pgbouncer.py) and by `python -m bench --pgbouncer`. Every
database of the server is reachable through it under its own name; server connections are handed out round
robin (`server_round_robin`), so consecutive transactions of one client land on different server connections,
as under load: whatever outlives a transaction (a prepared statement, a session-level lock, a SET) then shows.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


def binary() -> str | None:
    """The pgbouncer executable (Debian puts it in /usr/sbin, which a user's PATH may lack), or None."""
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    return found if os.access(found, os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(server, port: int, directory: Path, pool_size: int) -> str:
    password = f" password={server.password}" if server.password else ""
    return (
        "[databases]\n"
        f"* = host={server.host or '127.0.0.1'} port={server.port or 5432}{password}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir = {directory}\n"
        f"auth_type = trust\nauth_file = {directory / 'userlist.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 2000\n"
        "server_round_robin = 1\nignore_startup_parameters = extra_float_digits\n"
        f"logfile = {directory / 'pgbouncer.log'}\npidfile = {directory / 'pgbouncer.pid'}\n"
    )


def _wait_until_accepting(url: str, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    """Poll with real connections (through PgBouncer to the server) until one succeeds."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {_tail(log)}")
        try:
            with psycopg.connect(url, connect_timeout=2, prepare_threshold=None) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"pgbouncer did not accept connections in {timeout} s ({exc}): {_tail(log)}"
                ) from exc
            time.sleep(0.05)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@contextmanager
def running(server_url: str, *, pool_size: int = 20) -> Iterator[str]:
    """Start PgBouncer in front of `server_url`'s server; yield `server_url` with its host and port replaced by
    PgBouncer's. Stopped (and its directory removed) on exit."""
    executable = binary()
    if executable is None:
        raise RuntimeError("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    server = make_url(server_url)
    directory = Path(tempfile.mkdtemp(prefix="bdhvs-pgbouncer-"))
    as_root = os.geteuid() == 0  # pgbouncer refuses to run as root: it runs as the postgres OS user then
    port = _free_port()
    (directory / "pgbouncer.ini").write_text(_config(server, port, directory, pool_size))
    user = server.username or "postgres"
    (directory / "userlist.txt").write_text(f'"{user}" "{server.password or ""}"\n')
    (directory / "userlist.txt").chmod(0o600)
    command = [executable, str(directory / "pgbouncer.ini")]
    if as_root:
        owner = pwd.getpwnam("postgres")
        for path in (directory, *directory.iterdir()):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        command.insert(1, "--user=postgres")  # it switches user itself: our direct child, stopped by its pid
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = server.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    try:
        _wait_until_accepting(
            url.replace("postgresql+psycopg://", "postgresql://"), process, directory / "pgbouncer.log"
        )
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # immediate shutdown: clients may still hold transactions
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(directory, ignore_errors=True)
