"""Per client address: every request counts against RATE_LIMIT_CLIENT (pure ASGI, before any routing).

The address is `scope["client"]`, which TrustedProxyMiddleware has already resolved behind trusted proxies.
"""

from __future__ import annotations

import json

from app.errors import error_body
from app.limits.limiter import Limiter, RedisUnavailable

EXEMPT = {"/healthz", "/readyz", "/metrics"}  # probes and scrapers
# Public reads answered from prebuilt bytes in memory: cheaper to serve than to count (a CDN may sit in front).
CHEAP_READS = ("/api/v1/courses", "/api/v1/assets/", "/api/v1/localities", "/web/")


def cheap_read(scope) -> bool:
    path = scope["path"]
    if scope["method"] not in ("GET", "HEAD") or "/quizzes/" in path:  # quiz forms touch the database
        return False
    return path == "/" or path.startswith(CHEAP_READS)


class ClientRateLimitMiddleware:
    def __init__(self, app, limiter: Limiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in EXEMPT or cheap_read(scope):
            return await self.app(scope, receive, send)
        client = scope.get("client")
        try:
            decision = await self.limiter.atake("client", client[0] if client else "unknown")
        except RedisUnavailable as exc:  # only when RATE_LIMIT_FAIL_CLOSED names "client"
            return await _error(send, 503, exc.code, exc.message, exc.headers)
        if decision is None:
            return await self.app(scope, receive, send)
        message = f"too many requests from this address; try again in {decision.reset_after} s"
        await _error(send, 429, "rate_limited", message, decision.headers())


async def _error(send, status: int, code: str, message: str, extra: dict[str, str]) -> None:
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
