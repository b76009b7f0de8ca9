"""Serve the learner app at `/` and, in development only, mint demo tokens for the app and the pages.

The app is plain files in `static/` (no build step). Each file is served with a strong ETag and
`Cache-Control: no-cache`, so browsers revalidate cheaply and never run stale code; the service worker
(`/sw.js`) gets a version derived from the hashes of every file it precaches, so a changed file installs
a new worker and refreshes the offline copy. `pages.js` is what the dashboard (/thong-ke) and the authors'
page (/soan-bai) share: the DOM helper and the sign-in. `POST /api/v1/dev/token` is the one development
sign-in of all three (learner, stats and author tokens).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, Field

from app.auth.tokens import mint_dev_token
from app.config import API_PREFIX, Settings
from app.errors import NotFound, Unprocessable, error_responses
from app.http import GZIP_MIN_BYTES, matches
from app.localities.official import is_commune
from app.routes import add_routes

STATIC = Path(__file__).parent / "static"
DEV_TOKEN_SECONDS = 86400
# The app shell: what the first visit loads and the service worker keeps for offline starts.
SHELL = (
    "index.html",
    "app.css",
    "app.js",
    "views.js",
    "outbox.js",
    "manifest.webmanifest",
    "vendor/idb/umd.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
MEDIA_TYPES = {".js": "text/javascript", ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    etag: str
    media_type: str
    gzipped: bytes | None = None  # text files of 1 KiB or more, compressed once (the app's JS and CSS halve)

    @classmethod
    def of(cls, body: bytes, media_type: str) -> StaticFile:
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        compressible = media_type.startswith(("text/", "application/manifest+json", "image/svg+xml"))
        gzipped = (
            gzip.compress(body, compresslevel=9, mtime=0) if compressible and len(body) >= GZIP_MIN_BYTES else None
        )
        return cls(body=body, etag=etag, media_type=media_type, gzipped=gzipped)


_cache: dict[Path, tuple[tuple[int, int], StaticFile]] = {}


def load(name: str, root: Path = STATIC) -> StaticFile:
    """A file under static/ (or `root`), re-read when it changes on disk, so `make run` picks up edits."""
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise NotFound(f"no such file: {name}", code="not_found")
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached and cached[0] == key:
        return cached[1]
    body = path.read_bytes()
    media_type = MEDIA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type in ("application/manifest+json", "image/svg+xml"):
        media_type += "; charset=utf-8"
    item = StaticFile.of(body, media_type)
    _cache[path] = (key, item)
    return item


def _respond(request: Request, item: StaticFile, **headers: str) -> Response:
    headers = {"ETag": item.etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", **headers}
    if item.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    if matches(request, item.etag):
        return Response(status_code=304, headers=headers)
    if item.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(item.gzipped, media_type=item.media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(item.body, media_type=item.media_type, headers=headers)


def shell_urls() -> list[str]:
    """The addresses the service worker precaches (the page itself is `/`)."""
    special = {"index.html": "/", "manifest.webmanifest": "/manifest.webmanifest"}
    return [special.get(name, f"/web/{name}") for name in SHELL]


def shell_version() -> str:
    """One hash over every precached file: a new value makes browsers install the new service worker."""
    digest = hashlib.sha256()
    for name in SHELL:
        digest.update(load(name).etag.encode())
    return digest.hexdigest()[:16]


static_router = APIRouter(include_in_schema=False)

# The page is HTML we write; lesson HTML comes sanitised from the API. No inline scripts, no third parties.
CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'self'"
)
TRUSTED_ORIGINS = re.compile(r'<meta name="bdhvs-trusted-origins" content="([^"]*)">')
ORIGIN = re.compile(r"^https://[a-z0-9.-]+(:[0-9]+)?$|^http://(localhost|127\.0\.0\.1)(:[0-9]+)?$")


def trusted_origins(page: bytes) -> list[str]:
    """The host origins listed in index.html: the only ones that may frame the app or hand it a token."""
    match = TRUSTED_ORIGINS.search(page.decode())
    return [o for o in (match.group(1).split() if match else []) if ORIGIN.match(o)]


@static_router.get("/")
def index(request: Request) -> Response:
    page = load("index.html")
    csp = " ".join([CSP, *trusted_origins(page.body)])  # frame-ancestors is last: hosts may embed the app
    return _respond(request, page, **{"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer"})


@static_router.get("/manifest.webmanifest")
def manifest(request: Request) -> Response:
    return _respond(request, load("manifest.webmanifest"))


@static_router.get("/sw.js")
def service_worker(request: Request) -> Response:
    source = load("sw.js")
    version = shell_version()
    body = source.body.replace(b"__SHELL_VERSION__", version.encode())
    body = body.replace(b"__SHELL_FILES__", json.dumps(shell_urls()).encode())
    item = StaticFile(body=body, etag=f'"{version}-{source.etag.strip(chr(34))[:8]}"', media_type=source.media_type)
    return _respond(request, item, **{"Service-Worker-Allowed": "/"})


@static_router.get("/web/{name:path}")
def static_file(name: str, request: Request) -> Response:
    if name in ("sw.js", "index.html", "manifest.webmanifest", "author/index.html"):  # served with their own headers
        raise NotFound(f"no such file: {name}", code="not_found")
    return _respond(request, load(name))


class DevTokenIn(BaseModel):
    scope: Literal["learner", "stats", "author"] = Field(
        default="learner", description="learner (the app), stats (/thong-ke) or author (/soan-bai)"
    )
    locality: str | None = Field(
        default=None, description="learner tokens only, and required there: official 5-digit commune code, e.g. 00070"
    )
    sub: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="optional; when absent a random demo-… for learners, demo-stats or demo-author otherwise",
    )


class DevTokenOut(BaseModel):
    token: str
    expires_in: int


dev_router = APIRouter(prefix=API_PREFIX, tags=["development"], responses=error_responses(413, 422, 429))


@dev_router.post("/dev/token", response_model=DevTokenOut)
def dev_token(body: DevTokenIn, request: Request) -> DevTokenOut:
    """Development only: a demo token of one scope: a learner of a chosen commune, a statistics reader or an author.

    This route does not exist in production, nor without DEV_TOKENS.
    """
    if body.scope == "learner":
        if body.locality is None:
            raise Unprocessable("a learner token needs 'locality', e.g. 00070", code="invalid_locality")
        if not is_commune(body.locality):
            message = "'locality' must be an official 5-digit commune code, e.g. 00070"
            raise Unprocessable(message, code="invalid_locality")
        subject = body.sub or f"demo-{secrets.token_hex(6)}"
    else:
        if body.locality is not None:
            message = f"a {body.scope} token has no 'locality' (learner tokens only)"
            raise Unprocessable(message, code="invalid_locality")
        subject = body.sub or f"demo-{body.scope}"
    token = mint_dev_token(
        request.app.state.settings,
        scopes=[body.scope],
        subject=subject,
        locality=body.locality,
        expires_in=DEV_TOKEN_SECONDS,
    )
    return DevTokenOut(token=token, expires_in=DEV_TOKEN_SECONDS)


def dev_tokens_enabled(settings: Settings) -> bool:
    """DEV_TOKENS on, and never in production."""
    return settings.dev_tokens and not settings.is_production


def include_web(app: FastAPI, settings: Settings) -> None:
    """The app's files at `/`, and `POST /api/v1/dev/token` (every page's dev sign-in) only when DEV_TOKENS is on
    (never in production)."""
    add_routes(app, static_router)
    if dev_tokens_enabled(settings):
        add_routes(app, dev_router)
