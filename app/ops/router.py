"""Liveness, readiness (database reachable, a schema this release can serve) and Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from app.auth.dependencies import read_identity
from app.db import replica_lag_seconds, schema_status
from app.dependencies import SettingsDep
from app.errors import Forbidden, error_responses

router = APIRouter(tags=["operations"])


HEALTHY = b'{"status":"ok"}'


@router.get("/healthz", responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
async def healthz() -> Response:
    """The process answers (no database, no thread pool: probes are frequent)."""
    return Response(HEALTHY, media_type="application/json")


def replica_report(request: Request, max_lag: float) -> dict | None:
    """The read replica's state, when one is configured: its lag, or that it cannot be reached.

    Readiness does not depend on it: lessons and progress never read from the replica, and a statistics
    read that cannot reach it answers 503 on its own.
    """
    engine = getattr(request.app.state, "replica_engine", None)
    if engine is None:
        return None
    try:
        lag = replica_lag_seconds(engine)
    except Exception as exc:  # noqa: BLE001 - any failure means the replica is not serving
        return {"status": "unreachable", "detail": type(exc).__name__}
    if lag is None:
        return {"status": "not_a_standby"}
    return {"status": "lagging" if lag > max_lag else "ok", "lag_seconds": round(lag, 3)}


@router.get("/readyz")
def readyz(request: Request, settings: SettingsDep) -> JSONResponse:
    """Database reachable and a schema this release can serve (503 otherwise, saying what is wrong); the read
    replica's lag when one is configured.

    A schema ahead of this release is servable when the newer release declared it compatible (an expand
    migration): during a rolling upgrade the previous release's workers stay in the load balancer."""
    replica = replica_report(request, settings.replica_max_lag_seconds)
    extra: dict[str, object] = {"replica": replica} if replica is not None else {}
    redis = request.app.state.limiter.available()
    if redis is not None:  # reported, not required: without Redis the limiter fails safe (docs/operations.md)
        extra["redis"] = "ok" if redis else "unreachable"
    try:
        schema = schema_status(request.app.state.engine)
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__, **extra},
            status_code=503,
        )
    body = {
        "status": "ok" if schema.servable else "unavailable",
        "database": "ok",
        "schema": schema.state,
        "detail": schema.detail,
        "current": list(schema.current),
        "head": list(schema.head),
        **extra,
    }
    return JSONResponse(body, status_code=200 if schema.servable else 503)


async def metrics_reader(request: Request, settings: SettingsDep) -> None:
    """In production /metrics needs an admin token (counts per route can time other people's actions)."""
    if settings.is_production:
        identity = await read_identity(request)
        if "admin" not in identity.scopes:
            raise Forbidden("this needs the 'admin' scope", code="insufficient_scope")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        **error_responses(401, 403),
    },
    dependencies=[Depends(metrics_reader)],
)
def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
