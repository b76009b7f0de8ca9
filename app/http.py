"""HTTP helpers written once: conditional responses (ETag, If-None-Match → 304) and prebuilt responses.

A prebuilt response holds its bytes, their gzip form and its headers, made once per content version,
so serving it is a dictionary lookup and a header comparison.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field

from fastapi import Request, Response

GZIP_MIN_BYTES = 1024  # smaller bodies gain little from compression
BINARY = {"type": "string", "format": "binary"}  # OpenAPI schema of a body that is bytes (pictures, QR codes)


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(request: Request, etag: str) -> bool:
    """Whether the client's If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET)."""
    return names(request.headers.get("if-none-match"), etag)


def names(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header's value names this ETag (or is `*`)."""
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
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


class ReadyResponse(Response):
    """A response whose body and raw headers were made in advance: nothing is encoded per request."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]], status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = list(raw_headers)  # a copy: middleware appends its own headers


def raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


@dataclass(frozen=True)
class Prebuilt:
    """A response made once: body, gzip body (if worth it), ETag and headers, and the raw headers of each reply
    (200, 200 gzipped, 304) encoded once too."""

    body: bytes
    gzipped: bytes | None
    etag: str
    headers: dict[str, str]
    media_type: str
    plain_raw: list[tuple[bytes, bytes]] = field(repr=False)
    gzipped_raw: list[tuple[bytes, bytes]] = field(repr=False)
    not_modified_raw: list[tuple[bytes, bytes]] = field(repr=False)

    @classmethod
    def of(cls, body: bytes, *, media_type: str, cache_control: str, etag: str | None = None, **extra: str) -> Prebuilt:
        etag = etag or etag_for(body)
        gzipped = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
        headers = {"ETag": etag, "Cache-Control": cache_control, **extra}
        if gzipped is not None:
            headers["Vary"] = "Accept-Encoding"
        typed = {**headers, "Content-Type": media_type}
        return cls(
            body,
            gzipped,
            etag,
            headers,
            media_type,
            plain_raw=raw({**typed, "Content-Length": str(len(body))}),
            gzipped_raw=raw(
                {**typed, "Content-Encoding": "gzip", "Content-Length": str(len(gzipped))} if gzipped else {}
            ),
            not_modified_raw=raw(headers),
        )

    def respond(self, request: Request) -> Response:
        headers = request.headers
        status, body, raw_headers = self.reply(headers.get("if-none-match"), headers.get("accept-encoding"))
        return ReadyResponse(body, raw_headers, status_code=status)

    def reply(
        self, if_none_match: str | None, accept_encoding: str | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """Status, body and raw headers for a request with these headers: 304 when the client has this version,
        else the gzip form when the client takes it and there is one, else the plain bytes. The route's
        `respond` and the direct path before routing (app/catalogue/direct.py) both answer with this."""
        if names(if_none_match, self.etag):
            return 304, b"", self.not_modified_raw
        if self.gzipped is not None and accept_encoding and "gzip" in accept_encoding:
            return 200, self.gzipped, self.gzipped_raw
        return 200, self.body, self.plain_raw
