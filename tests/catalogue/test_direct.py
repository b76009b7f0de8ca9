"""The catalogue's prebuilt replies answered before routing (app/catalogue/direct.py): the same status, bytes and
headers as the routes give, for every reply the snapshot holds; everything else still reaches the router."""

from __future__ import annotations

import pytest

from app.catalogue import router as catalogue_routes
from app.catalogue.direct import TEMPLATES, PrebuiltReads, snapshot_key
from app.config import API_PREFIX


def _path(key: tuple[str, ...]) -> str:
    kind, *names = key
    return {
        "course": "{API}/courses/{0}",
        "glossary": "{API}/courses/{0}/glossary",
        "lesson": "{API}/courses/{0}/lessons/{1}",
        "asset": "{API}/assets/{0}",
    }[kind].format(*names, API=API_PREFIX)


def _variants(etag: str) -> list[tuple[str, dict[str, str]]]:
    return [
        ("GET", {"accept-encoding": "identity"}),
        ("GET", {"accept-encoding": "gzip, deflate"}),
        ("GET", {"accept-encoding": "identity", "if-none-match": etag}),
        ("GET", {"accept-encoding": "gzip", "if-none-match": f'"other", W/{etag}'}),
        ("GET", {"accept-encoding": "gzip", "if-none-match": "*"}),
        ("GET", {"accept-encoding": "gzip", "if-none-match": '"not-this-one"'}),
        ("GET", {"accept-encoding": "gzip", "origin": "https://app.example"}),
        ("HEAD", {"accept-encoding": "gzip"}),
    ]


def _seen(response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]
    return response.status_code, response.content, headers


def _without_direct_path(app) -> None:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not PrebuiltReads]
    app.middleware_stack = None  # rebuilt on the next request


def test_every_prebuilt_reply_is_the_routes_reply_byte_for_byte(app, client, content):
    keys = sorted(k for k in app.state.catalogue.current().responses if k[0] in TEMPLATES)
    assert {k[0] for k in keys} == set(TEMPLATES), "the fixture content has every kind: course, glossary, lesson, asset"
    requests = []
    for key in keys:
        etag = app.state.catalogue.current().responses[key].etag
        requests += [(method, _path(key), headers) for method, headers in _variants(etag)]
        requests.append(("GET", _path(key) + "?v=2&lang=vi", {"accept-encoding": "gzip"}))  # a query changes nothing
        requests.append(("GET", _path(key) + "/", {}))  # a trailing slash is the router's to answer
    direct = [_seen(client.request(method, path, headers=headers)) for method, path, headers in requests]
    _without_direct_path(app)
    routed = [_seen(client.request(method, path, headers=headers)) for method, path, headers in requests]
    assert direct == routed
    assert {200, 304, 405} <= {status for status, _, _ in direct}  # 405: HEAD, the routes take GET only


def test_a_hit_never_reaches_the_route_and_is_counted_under_the_routes_template(client, content, monkeypatch):
    def refuse(request):
        raise AssertionError("the route was called")

    monkeypatch.setattr(catalogue_routes, "current_snapshot", refuse)
    lesson = f"{API_PREFIX}/courses/an-toan/lessons/xac-thuc-hai-lop"
    assert client.get(lesson).status_code == 200
    assert client.get(f"{API_PREFIX}/courses/an-toan").status_code == 200
    metrics = client.get("/metrics").text
    assert f'route="{TEMPLATES["lesson"]}",status="200"' in metrics
    assert f'route="{TEMPLATES["course"]}",status="200"' in metrics


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/courses/an-toan/lessons/khong-co", 404, "lesson_not_found"),
        ("GET", "/api/v1/courses/khong-co", 404, "course_not_found"),
        ("GET", "/api/v1/courses/khong-co/glossary", 404, "course_not_found"),
        ("GET", "/api/v1/assets/" + "0" * 64 + ".png", 404, "asset_not_found"),
        ("POST", "/api/v1/courses/an-toan/lessons/xac-thuc-hai-lop", 405, None),
    ],
)
def test_a_miss_goes_on_to_the_router(client, content, method, path, status, code):
    response = client.request(method, path)
    assert response.status_code == status
    if code:
        assert response.json()["error"]["code"] == code


def test_while_the_catalogue_loads_the_router_answers_503(app, client):
    app.state.catalogue._snapshot = None
    response = client.get(f"{API_PREFIX}/courses/an-toan/lessons/xac-thuc-hai-lop")
    assert response.status_code == 503 and response.json()["error"]["code"] == "catalogue_unavailable"


def test_only_the_four_shapes_have_a_key():
    assert snapshot_key("/api/v1/courses/c/lessons/l") == ("lesson", "c", "l")
    assert snapshot_key("/api/v1/courses/c") == ("course", "c")
    assert snapshot_key("/api/v1/courses/c/glossary") == ("glossary", "c")
    assert snapshot_key("/api/v1/assets/a.png") == ("asset", "a.png")
    for other in (
        "/api/v1/courses",
        "/api/v1/courses/c/lessons/l/",
        "/api/v1/courses/c/lessons",
        "/api/v1/courses/c/quizzes/q",
        "/api/v1/courses/c/rating",
        "/api/v1/assets/a/b.png",
        "/api/v1/me/progress",
    ):
        assert snapshot_key(other) is None, other


def test_each_key_kind_is_served_by_the_route_the_router_would_choose(app, content):
    """No route earlier in the app's list claims a path the direct path answers."""
    from starlette.routing import Match

    for key in app.state.catalogue.current().responses:
        if key[0] not in TEMPLATES:
            continue
        scope = {"type": "http", "method": "GET", "path": _path(key), "root_path": ""}
        chosen = next(route for route in app.router.routes if route.matches(scope)[0] == Match.FULL)
        assert chosen.path == TEMPLATES[key[0]], key
