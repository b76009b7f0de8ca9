"""The service's own cost per request without sockets: the ASGI app called in-process, beside the bare app.

    DATABASE_URL=... .venv/bin/python -m bench.asgi /api/v1/courses/<course>/lessons/<lesson>

uvicorn's HTTP parsing and socket writes are the same for both apps, and on a shared machine they and the load
generator move wrk's figures by a factor of 2 between runs. Called in-process, one request after another on one
core, the two apps' costs are steady to a few per cent: the service's lesson GET (its middleware, routing,
handler and prebuilt reply) against the bare FastAPI app returning the same bytes. The two take turns, and each
figure is the fastest of its turns (the least disturbed by the rest of the machine). It runs on uvloop, as
uvicorn's workers do.

It also measures what FastAPI 0.16x charges per dependency: the same empty handler with 0 and with 10 trivial
`async def` dependencies (each taking the request, as the service's do), µs per dependency.

With `--progress N`, instead: N progress batches (7 `lesson_completed` events of a new learner each, 16 at a
time, as wrk's 16 connections send them) posted in-process to the service on DATABASE_URL, and the CPU time this
process spent per batch (the worker's side: HTTP framework, token, limiter, handler, SQLAlchemy and psycopg;
not PostgreSQL's). The first tenth warms up and is not counted. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

import uvloop
from fastapi import Depends, FastAPI, Request, Response

TURNS = 9
CALLS = 2000
DEPENDENCIES = 10


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _turn(app, path: str, calls: int) -> float:
    """µs per request over `calls` sequential requests; every reply must be a 200."""

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"{path}: status {message['status']}")

    began = time.perf_counter()
    for _ in range(calls):
        await app(_scope(path), _receive, send)
    return (time.perf_counter() - began) / calls * 1e6


async def _started(app) -> None:
    """Run the app's lifespan start-up (the service loads its catalogue snapshot there)."""
    queue: asyncio.Queue = asyncio.Queue()
    ready: asyncio.Future = asyncio.get_running_loop().create_future()
    await queue.put({"type": "lifespan.startup"})

    async def send(message: dict[str, Any]) -> None:
        if not ready.done():
            ready.set_result(message)

    asyncio.get_running_loop().create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, queue.get, send))
    message = await ready
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {message}")


def with_dependencies(n: int) -> FastAPI:
    """An app whose one route has `n` trivial async dependencies, each reading the request."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    dependencies = []
    for i in range(n):

        async def dependency(request: Request, i: int = i) -> int:
            return i

        dependencies.append(Depends(dependency))
    app.add_api_route("/x", lambda: Response(b"{}"), dependencies=dependencies)
    return app


async def _measure(path: str) -> dict[str, float]:
    from app.main import create_app
    from bench.bare import app as bare

    service = create_app()
    await _started(service)
    apps: dict[str, tuple[Any, str]] = {
        "service": (service, path),
        "bare": (bare, "/lesson"),
        "deps_0": (with_dependencies(0), "/x"),
        f"deps_{DEPENDENCIES}": (with_dependencies(DEPENDENCIES), "/x"),
    }
    for app, url in apps.values():  # warm-up
        await _turn(app, url, CALLS // 10)
    best = {name: float("inf") for name in apps}
    for _ in range(TURNS):
        for name, (app, url) in apps.items():
            best[name] = min(best[name], await _turn(app, url, CALLS))
    return {
        "asgi_lesson_us": round(best["service"], 1),
        "asgi_bare_us": round(best["bare"], 1),
        "asgi_lesson_ratio": round(best["bare"] / best["service"], 3),
        "fastapi_us_per_dependency": round((best[f"deps_{DEPENDENCIES}"] - best["deps_0"]) / DEPENDENCIES, 1),
    }


async def _progress(n: int, course: str, lessons: list[str]) -> dict[str, float]:
    import uuid

    from app.auth.tokens import mint_dev_token
    from app.config import get_settings
    from app.localities.official import COMMUNES
    from app.main import create_app

    service = create_app()
    await _started(service)
    settings, communes = get_settings(), sorted(COMMUNES)
    tag = uuid.uuid4().hex[:8]
    tokens = [
        mint_dev_token(settings, scopes=["learner"], subject=f"asgi-{tag}-{i}", locality=communes[i % len(communes)])
        for i in range(n)
    ]
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    gate = asyncio.Semaphore(16)

    async def post(token: str) -> None:
        events = [
            {"id": str(uuid.uuid4()), "type": "lesson_completed", "course": course, "lesson": lesson, "at": at}
            for lesson in lessons
        ]
        body = json.dumps({"events": events}).encode()
        scope = _scope("/api/v1/progress/events") | {
            "method": "POST",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"content-type", b"application/json"),
                (b"authorization", f"Bearer {token}".encode()),
            ],
        }
        sent = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if sent.is_set():
                await asyncio.Event().wait()  # the request has no more body: wait like a quiet client
            sent.set()
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] != 200:
                raise RuntimeError(f"progress batch: status {message['status']}")

        async with gate:
            await service(scope, receive, send)

    warm = max(1, n // 10)
    await asyncio.gather(*(post(token) for token in tokens[:warm]))
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(post(token) for token in tokens[warm:]))
    counted = n - warm
    return {
        "asgi_progress_cpu_us": round((time.process_time() - cpu) / counted * 1e6),
        "asgi_progress_wall_us": round((time.perf_counter() - wall) / counted * 1e6),
    }


def main() -> int:
    os.environ.setdefault("BENCH_BODY_FILE", "/dev/null")
    # uvloop, as a served worker runs: uvicorn's `loop="auto"` picks it (installed with uvicorn[standard]).
    if sys.argv[1] == "--progress":  # --progress N COURSE LESSON,LESSON,...
        figures = uvloop.run(_progress(int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")))
    else:
        figures = uvloop.run(_measure(sys.argv[1]))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
