"""Lesson reads: in-memory snapshot vs. checking the database on every request, and payload sizes.

    .venv/bin/python bench/lessons.py [--requests 2000]

Both variants run in the same process on the same SQLite file with the bundled content, so the ratio is
meaningful on a shared, noisy machine even when the absolute figures are not.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="Using `httpx`")
from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.catalogue.importer import import_content  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine, migrate  # noqa: E402
from app.main import create_app  # noqa: E402


def measure(client: TestClient, paths: list[str], requests: int) -> list[float]:
    timings = []
    for i in range(requests):
        started = time.perf_counter()
        response = client.get(paths[i % len(paths)])
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-lessons-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        import_content(session, ROOT / "content")
    results = {}
    for name, refresh in (("snapshot (refresh every 2 s)", 2.0), ("baseline (database check per request)", 0.0)):
        settings = Settings(
            database_url=url, catalogue_refresh_seconds=refresh, dev_secrets_file=workdir / "secrets.json"
        )
        with TestClient(create_app(settings, engine=engine)) as client:
            outline = client.get("/api/v1/courses/ky-nang-so-co-ban").json()["outline"]
            paths = [
                f"/api/v1/courses/ky-nang-so-co-ban/lessons/{lesson['slug']}"
                for module in outline
                for lesson in module["lessons"]
            ]
            measure(client, paths, 200)  # warm up
            results[name] = measure(client, paths, args.requests)
    for name, timings in results.items():
        print(
            f"{name:40} median {statistics.median(timings) * 1e6:8.0f} µs   "
            f"p95 {sorted(timings)[int(len(timings) * 0.95)] * 1e6:8.0f} µs"
        )
    snapshot, baseline = (statistics.median(t) for t in results.values())
    print(f"ratio baseline/snapshot (median): {baseline / snapshot:.2f}x")

    with TestClient(
        create_app(Settings(database_url=url, dev_secrets_file=workdir / "secrets.json"), engine=engine)
    ) as client:
        sizes = [len(client.get(p).content) for p in paths]
        zipped = [len(gzip.compress(client.get(p).content)) for p in paths]
    print(
        f"lesson payloads: {len(sizes)} lessons, median {statistics.median(sizes):.0f} B raw, "
        f"{statistics.median(zipped):.0f} B gzip (served gzip-compressed when the client accepts it)"
    )


if __name__ == "__main__":
    main()
