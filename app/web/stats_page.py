"""The statistics dashboard at `/thong-ke` (scope `stats`).

The page is plain files in `stats/` (no build step), served as the learner app's are (strong ETag,
`no-cache`, gzip) under `/thong-ke/`, outside `/web/` so the learner app's service worker never keeps
them; its sign-in is `/web/pages.js`, shared with the authors' page (in development, `POST /api/v1/dev/token`
with scope `stats`). The page reads the statistics endpoints with the reader's token and computes no figure.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response

from app.errors import NotFound
from app.routes import add_routes
from app.web.router import CSP, _respond, load, trusted_origins

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


def include_stats_page(app: FastAPI) -> None:
    """The dashboard at `/thong-ke` (its development sign-in is `POST /api/v1/dev/token`, in app.web.router)."""
    add_routes(app, page_router)
