"""The statistics dashboard at `/thong-ke` (scope `stats`) and, in development only, its demo sign-in.

The page is plain files in `stats/` (no build step), served as the learner app's are (strong ETag,
`no-cache`, gzip) under `/thong-ke/`, outside `/web/` so the learner app's service worker never keeps
them. The page reads the statistics endpoints with the reader's token and computes no figure itself.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, Field

from app.auth.tokens import mint_dev_token
from app.config import API_PREFIX, Settings
from app.errors import NotFound, error_responses
from app.web.router import CSP, DEV_TOKEN_SECONDS, DevTokenOut, _respond, dev_tokens_enabled, load, trusted_origins

DASHBOARD = Path(__file__).parent / "stats"

page_router = APIRouter(include_in_schema=False)


@page_router.get("/thong-ke")
def dashboard(request: Request) -> Response:
    page = load("index.html", DASHBOARD)
    csp = " ".join([CSP, *trusted_origins(page.body)])  # the hosts listed in the page may frame it
    return _respond(request, page, **{"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer"})


@page_router.get("/thong-ke/{name:path}")
def dashboard_file(name: str, request: Request) -> Response:
    if name in ("", "index.html"):
        raise NotFound("the dashboard is at /thong-ke", code="not_found")
    return _respond(request, load(name, DASHBOARD))


class DevStatsTokenIn(BaseModel):
    sub: str | None = Field(default=None, min_length=1, max_length=64, description="optional; 'demo-stats' if absent")


dev_router = APIRouter(prefix=API_PREFIX, tags=["development"], responses=error_responses(413, 422, 429))


@dev_router.post("/dev/stats-token", response_model=DevTokenOut)
def dev_stats_token(body: DevStatsTokenIn, request: Request) -> DevTokenOut:
    """Development only: a `stats` token for the dashboard's demo sign-in (this route does not exist in production)."""
    token = mint_dev_token(
        request.app.state.settings,
        scopes=["stats"],
        subject=body.sub or "demo-stats",
        locality=None,
        expires_in=DEV_TOKEN_SECONDS,
    )
    return DevTokenOut(token=token, expires_in=DEV_TOKEN_SECONDS)


def include_stats_page(app: FastAPI, settings: Settings) -> None:
    """The dashboard at `/thong-ke`, and `POST /api/v1/dev/stats-token` only when DEV_TOKENS is on."""
    app.include_router(page_router)
    if dev_tokens_enabled(settings):
        app.include_router(dev_router)
