"""Pure ASGI middleware: request body limit and Prometheus request metrics."""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Histogram

from app.errors import PayloadTooLarge, error_body

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@dataclass(frozen=True)
class RouteBodyLimit:
    """A route's own body limit, and what its refusal says (`{limit}` is filled in)."""

    max_bytes: int
    code: str = "payload_too_large"
    message: str = "request body is larger than the limit of {limit} bytes"


class BodyLimitMiddleware:
    """Refuses bodies over max_bytes with 413, by Content-Length or while streaming.

    `routes` gives a few (method, path) their own limit and message instead: an author's zip
    (POST /api/v1/author/drafts) may be as large as AUTHOR_ZIP_MAX_BYTES, every other body MAX_BODY_BYTES."""

    def __init__(self, app, max_bytes: int, routes: Mapping[tuple[str, str], RouteBodyLimit] | None = None) -> None:
        self.app = app
        self.default = RouteBodyLimit(max_bytes)
        self.routes = dict(routes or {})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.routes.get((scope.get("method", ""), scope.get("path", "")), self.default)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit.max_bytes):
            return await self._refuse(send, limit)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise PayloadTooLarge(limit.message.format(limit=limit.max_bytes), code=limit.code)
            return message

        return await self.app(scope, limited_receive, send)

    @staticmethod
    async def _refuse(send, limit: RouteBodyLimit) -> None:
        body = json.dumps(error_body(limit.code, limit.message.format(limit=limit.max_bytes))).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
access = logging.getLogger("app.access")
_PREFIX = os.urandom(6).hex()  # per process: ids are unique across workers without a uuid per request
_serial = itertools.count()


def next_request_id() -> bytes:
    return f"{_PREFIX}{next(_serial):010x}".encode()


class MetricsMiddleware:
    """Counts requests and latencies per route template (not per raw path, to bound cardinality), gives each
    request an id (X-Request-ID, echoed), and writes one JSON access line: never tokens, learner keys, or
    (unless LOG_CLIENT_ADDRESS) client addresses."""

    def __init__(self, app, *, access_log: bool = True, log_client_address: bool = False) -> None:
        self.app = app
        self.access_log = access_log
        self.log_client_address = log_client_address
        # (method, route, status) -> its counter and latency series: `labels()` validates and locks on every
        # call, so each series is looked up once per worker (bounded: routes × methods × statuses).
        self.series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        request_id = given if REQUEST_ID.fullmatch(given) else next_request_id()

        async def record_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            elapsed = time.perf_counter() - started
            series = self.series.get((method, template, status))
            if series is None:
                series = REQUESTS.labels(method, template, str(status)), LATENCY.labels(method, template)
                self.series[method, template, status] = series
            series[0].inc()
            series[1].observe(elapsed)
            if self.access_log:
                fields = {
                    "request_id": request_id.decode(),
                    "method": method,
                    "route": template,
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                }
                if self.log_client_address and scope.get("client"):
                    fields["client"] = scope["client"][0]
                access.info("request", extra={"fields": fields})
