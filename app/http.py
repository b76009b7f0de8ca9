"""Conditional responses written once: a strong validator (ETag) and If-None-Match → 304."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(request: Request, etag: str) -> bool:
    """Whether the client's If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag.removeprefix("W/") in candidates


def conditional(
    request: Request, body: bytes, *, media_type: str, cache_control: str, headers: dict[str, str] | None = None
) -> Response:
    """The body with its ETag, or 304 without it when the client already has this version."""
    etag = etag_for(body)
    common = {"ETag": etag, "Cache-Control": cache_control, **(headers or {})}
    if matches(request, etag):
        return Response(status_code=304, headers={k: v for k, v in common.items() if k != "Content-Disposition"})
    return Response(body, media_type=media_type, headers=common)
