"""Liveness, readiness (database reachable, schema at head) and Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from app.db import schema_heads

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    try:
        current, heads = schema_heads(request.app.state.engine)
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__}, status_code=503
        )
    if current != heads:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "ok",
                "schema": "behind",
                "current": sorted(current),
                "head": sorted(heads),
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "schema": sorted(current)})


@router.get("/metrics")
def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
