"""`add_routes`: a module's operations registered on the app itself, so a request is matched in one flat list.

FastAPI 0.16x keeps an included router as a branch (`app.include_router`): every request walks each branch,
building a context per route it tries, before it reaches its own. For a lesson GET that walk was about 20 µs of
85 µs in-process, the largest single cost beside the bare framework (issue #24; measured by calling the ASGI
app directly, docs/SCALING.md). Registered on the app with `add_api_route`, as FastAPI itself did before
0.16x, a route is one regular-expression match, and the app's dependency overrides and unique-id function apply
to it as they would through `include_router`.

Each module still declares its operations on its own `APIRouter` (prefix, tags, error responses): those are
already folded into every route when it is declared, so copying the route loses nothing: the OpenAPI document
came out byte for byte the same when this replaced `include_router`. tests/test_openapi.py checks that the app's
routes stay one flat list.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    """Register every operation of `routers`, in order, directly on `app` (a router of plain operations only)."""
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(f"{route!r}: add_routes copies operations only; include other routes as they are")
            app.router.add_api_route(
                route.path,
                route.endpoint,
                response_model=route.response_model,
                status_code=route.status_code,
                tags=route.tags,
                dependencies=route.dependencies,
                summary=route.summary,
                description=route.description,
                response_description=route.response_description,
                responses=route.responses,
                deprecated=route.deprecated,
                methods=route.methods,
                operation_id=route.operation_id,
                response_model_include=route.response_model_include,
                response_model_exclude=route.response_model_exclude,
                response_model_by_alias=route.response_model_by_alias,
                response_model_exclude_unset=route.response_model_exclude_unset,
                response_model_exclude_defaults=route.response_model_exclude_defaults,
                response_model_exclude_none=route.response_model_exclude_none,
                include_in_schema=route.include_in_schema,
                response_class=route.response_class,
                name=route.name,
                callbacks=route.callbacks,
                openapi_extra=route.openapi_extra,
                generate_unique_id_function=route.generate_unique_id_function,
                strict_content_type=route.strict_content_type,
            )
