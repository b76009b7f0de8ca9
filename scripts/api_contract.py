"""Fuzz the live API against its own OpenAPI with schemathesis, with a token of each scope; exit 1 on any finding.

Run from the repository root (CI does): `python scripts/api_contract.py [--seconds 60]`. It starts the
service on a fresh SQLite database with the test fixture courses and development tokens, publishes a
statistics release, then runs schemathesis once per caller: anonymous, learner, stats, admin, author, each bounded
in time, with the checks the contract promises.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
    "negative_data_rejection,ignored_auth"
)
CONFIG = """
[parameters]
course = "an-toan"
lesson = "mat-khau-manh"
quiz = "mat-khau"
province = "01"

[checks.negative_data_rejection]
# 413: a generated body over the size limit is refused before its schema is read
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
"""
# Which operations each caller exercises (regular expressions on the path).
CALLERS = {
    "anonymous": (None, None),
    "learner": ("learner", r"^/api/v1/(progress|me|courses/.*/(attempts|rating|quizzes/[^/]+$))"),
    "stats": ("stats", r"^/api/v1/stats/"),
    "admin": ("admin", r"^/api/v1/admin/|^/metrics$"),
    "author": ("author", r"^/api/v1/author/(?!audit)"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the service did not become ready at {url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60, help="time budget per caller")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="api-contract-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'contract.db'}",
        "DEV_SECRETS_FILE": str(work / "dev-secrets.json"),
        "CONTENT_DIR": str(ROOT / "tests/fixtures/content"),
        "DEV_TOKENS": "true",
        "STATS_RELEASE_AUTO": "false",
        # The fuzzer is one address and one subject per caller; limits have their own tests. Left on, they
        # answer most cases with 429 and which ones reach the logic depends on the clock: a stats id over
        # INTEGER's range (a 500) was found in one CI run of two that way.
        "RATE_LIMIT_CLIENT": "1000000/minute",
        "RATE_LIMIT_LEARNER_WRITES": "1000000/minute",
        "RATE_LIMIT_STATS_READS": "1000000/minute",
        "RATE_LIMIT_AUTHOR_UPLOADS": "1000000/minute",
        "QUIZ_ATTEMPT_LIMITS": "1000000/minute",
    }
    (work / "schemathesis.toml").write_text(CONFIG)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [PYTHON, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env, start_new_session=True
    )
    failed = []
    try:
        wait_ready(f"{base}/readyz")
        subprocess.run([PYTHON, "-m", "app", "stats", "release"], cwd=ROOT, env=env, check=True)  # noqa: S603
        for caller, (scope, paths) in CALLERS.items():
            command = [
                PYTHON, "-m", "schemathesis.cli", "--config-file", str(work / "schemathesis.toml"), "run",
                f"{base}/openapi.json", "--checks", CHECKS, "--max-time", str(args.seconds),
                "--generation-deterministic", "--no-color",
            ]  # fmt: skip
            if scope:
                token = subprocess.run(  # noqa: S603
                    [PYTHON, "-m", "app", "token", "--scope", scope, "--sub", f"contract-{scope}",
                     "--locality", "00070", "--expires-in", "7200"],
                    cwd=ROOT, env=env, check=True, capture_output=True, text=True,
                ).stdout.strip()  # fmt: skip
                command += ["--header", f"Authorization: Bearer {token}", "--include-path-regex", paths]
            print(f"== schemathesis as {caller}", flush=True)
            if subprocess.run(command, cwd=work, env=env).returncode != 0:  # noqa: S603
                failed.append(caller)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    if failed:
        print(f"schemathesis found problems as: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("schemathesis found nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
