"""Per client address: every request counts against RATE_LIMIT_CLIENT (pure ASGI, before any routing)."""

from __future__ import annotations

import json

from app.errors import error_body
from app.limits.limiter import Limiter

EXEMPT = {"/healthz", "/readyz", "/metrics"}  # probes and scrapers
# Public reads answered from prebuilt bytes in memory: cheaper to serve than to count (a CDN may sit in front).
CHEAP_READS = ("/api/v1/courses", "/api/v1/assets/", "/api/v1/localities", "/web/")


def cheap_read(scope) -> bool:
    path = scope["path"]
    if scope["method"] not in ("GET", "HEAD") or "/quizzes/" in path:  # quiz forms touch the database
        return False
    return path == "/" or path.startswith(CHEAP_READS)


class ClientRateLimitMiddleware:
    def __init__(self, app, limiter: Limiter, trusted_proxy_header: str | None = None) -> None:
        self.app = app
        self.limiter = limiter
        self.header = trusted_proxy_header.lower().encode() if trusted_proxy_header else None

    def _client(self, scope) -> str:
        if self.header is not None:  # behind a trusted proxy: the first address it recorded
            for name, value in scope["headers"]:
                if name == self.header:
                    return value.decode("latin-1").split(",")[0].strip()
        client = scope.get("client")
        return client[0] if client else "unknown"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in EXEMPT or cheap_read(scope):
            return await self.app(scope, receive, send)
        decision = await self.limiter.atake("client", self._client(scope))
        if decision is None:
            return await self.app(scope, receive, send)
        body = json.dumps(
            error_body("rate_limited", f"too many requests from this address; try again in {decision.reset_after} s")
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in decision.headers().items()]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
