"""HTTP helpers written once: conditional responses (ETag, If-None-Match → 304) and prebuilt responses.

A prebuilt response holds its bytes, their gzip form and its headers, made once per content version,
so serving it is a dictionary lookup and a header comparison.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

from fastapi import Request, Response

GZIP_MIN_BYTES = 1024  # smaller bodies gain little from compression
BINARY = {"type": "string", "format": "binary"}  # OpenAPI schema of a body that is bytes (pictures, QR codes)


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
    common = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding", **(headers or {})}
    if matches(request, etag):
        return Response(status_code=304, headers={k: v for k, v in common.items() if k != "Content-Disposition"})
    if len(body) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gzip.compress(body, 6), media_type=media_type, headers={**common, "Content-Encoding": "gzip"})
    return Response(body, media_type=media_type, headers=common)


@dataclass(frozen=True)
class Prebuilt:
    """A response made once: body, gzip body (if worth it), ETag and headers."""

    body: bytes
    gzipped: bytes | None
    etag: str
    headers: dict[str, str]
    media_type: str

    @classmethod
    def of(cls, body: bytes, *, media_type: str, cache_control: str, etag: str | None = None, **extra: str) -> Prebuilt:
        etag = etag or etag_for(body)
        gzipped = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
        headers = {"ETag": etag, "Cache-Control": cache_control, **extra}
        if gzipped is not None:
            headers["Vary"] = "Accept-Encoding"
        return cls(body, gzipped, etag, headers, media_type)

    def respond(self, request: Request) -> Response:
        if matches(request, self.etag):
            return Response(status_code=304, headers=self.headers)
        if self.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            return Response(
                self.gzipped, media_type=self.media_type, headers={**self.headers, "Content-Encoding": "gzip"}
            )
        return Response(self.body, media_type=self.media_type, headers=self.headers)
