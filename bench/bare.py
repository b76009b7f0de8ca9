"""The framework's ceiling: a bare FastAPI app returning the same bytes from an `async def`.

BENCH_BODY_FILE=lesson.json uvicorn bench.bare:app
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response

BODY = Path(os.environ.get("BENCH_BODY_FILE", "/dev/null")).read_bytes()
app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/{path:path}")
async def same_bytes(path: str) -> Response:
    return Response(BODY, media_type="application/json")
