"""Prebuilt catalogue replies answered before routing: a lesson, a course, a glossary or a picture.

The catalogue's public reads are bytes made once per content version (app/catalogue/published.py); their
routes (app/catalogue/router.py) look one up and return it. For the hottest read, a lesson GET, the walk to
that lookup (FastAPI's exception and exit-stack layers, matching the route list, building a `Request`,
validating two path parameters) cost more than the rest of the service's work on the request: the lesson
route answered in 69 µs in-process where a bare FastAPI app returning the same bytes took 41 (issue #24,
docs/SCALING.md). This middleware, the innermost of the app's own, reads the path itself and answers from the
same `Prebuilt.reply` the routes use, so a reply is the same bytes and headers either way.

Only a hit is answered here. Anything else goes on to the router unchanged: a method other than GET, a path of another
shape, a slug the snapshot has no reply for (the route gives the right 404), a snapshot still loading (503).
The middleware names the route it stands for in `scope["route"]`, so the metrics and the access log label
the request with the route's template, as the router would; CORS, the client limit and the metrics wrap it
as they wrap the routes. tests/catalogue/test_direct.py checks each reply against the route's own.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from app.catalogue.cache import CatalogueCache, CatalogueUnavailable
from app.config import API_PREFIX

COURSES = f"{API_PREFIX}/courses/"
ASSETS = f"{API_PREFIX}/assets/"
# The snapshot's key kind (app/catalogue/published.py) -> the template of the route that serves it.
TEMPLATES = {
    "course": f"{API_PREFIX}/courses/{{course}}",
    "glossary": f"{API_PREFIX}/courses/{{course}}/glossary",
    "lesson": f"{API_PREFIX}/courses/{{course}}/lessons/{{lesson}}",
    "asset": f"{API_PREFIX}/assets/{{name}}",
}


def snapshot_key(path: str) -> tuple[str, ...] | None:
    """The snapshot's key for a catalogue path, or None when the path has none of the four shapes."""
    if path.startswith(COURSES):
        parts = path[len(COURSES) :].split("/")
        if len(parts) == 3 and parts[1] == "lessons":
            return "lesson", parts[0], parts[2]
        if len(parts) == 1:
            return "course", parts[0]
        if len(parts) == 2 and parts[1] == "glossary":
            return "glossary", parts[0]
        return None
    if path.startswith(ASSETS):
        name = path[len(ASSETS) :]
        return ("asset", name) if "/" not in name else None
    return None


class PrebuiltReads:
    """Pure ASGI: a GET of a prebuilt catalogue reply, answered from the app's current snapshot (the routes
    take GET only: a HEAD goes on to the router, which answers it as it always has)."""

    def __init__(self, app: ASGIApp, *, catalogue: CatalogueCache, routes: list[Any]) -> None:
        self.app = app
        self.catalogue = catalogue
        by_template = {route.path: route for route in routes if isinstance(route, APIRoute)}
        self.routes = {kind: by_template[template] for kind, template in TEMPLATES.items()}
        if any(route.methods != {"GET"} for route in self.routes.values()):
            raise ValueError("the catalogue's prebuilt reads are GET routes; answer other methods there first")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            return await self.app(scope, receive, send)
        key = snapshot_key(scope["path"])
        if key is None:
            return await self.app(scope, receive, send)
        try:
            prebuilt = self.catalogue.current().responses.get(key)
        except CatalogueUnavailable:
            prebuilt = None
        if prebuilt is None:
            return await self.app(scope, receive, send)
        if_none_match = accept_encoding = None
        for name, value in scope["headers"]:  # the first of each, as Starlette's `Headers.get` reads them
            if name == b"if-none-match" and if_none_match is None:
                if_none_match = value.decode("latin-1")
            elif name == b"accept-encoding" and accept_encoding is None:
                accept_encoding = value.decode("latin-1")
        status, body, headers = prebuilt.reply(if_none_match, accept_encoding)
        scope["route"] = self.routes[key[0]]
        # A copy of the headers: the middleware outside appends its own to the list it is given.
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body})
