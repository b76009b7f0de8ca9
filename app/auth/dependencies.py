"""Named dependencies: `Learner`, `MaybeLearner`, `StatsReader`, `Admin` (the token's scope decides)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from app.auth.tokens import Identity
from app.errors import Forbidden, Unauthorized


def get_identity(request: Request) -> Identity:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing 'Authorization: Bearer <token>' header", code="missing_token")
    return request.app.state.verifier.verify(token.strip())


# Declares the bearer scheme in the OpenAPI (so clients and fuzzers know which calls need a token); the
# token itself is read and verified by get_identity.
BEARER = HTTPBearer(
    auto_error=False, scheme_name="identity_token", description="JWT from the national identity provider"
)


async def identity_dependency(request: Request) -> Identity:
    """get_identity as a dependency: async, so it costs no thread-pool hop (verifying is CPU work of microseconds)."""
    return get_identity(request)


def require_scope(scope: str):
    async def dependency(
        identity: Annotated[Identity, Depends(identity_dependency)],
        _scheme: Annotated[object, Depends(BEARER)] = None,
    ) -> Identity:
        if scope not in identity.scopes:
            raise Forbidden(f"this needs the '{scope}' scope", code="insufficient_scope")
        return identity

    dependency.__name__ = f"require_{scope}"
    return dependency


async def optional_learner(request: Request) -> Identity | None:
    """The learner if the request carries a token (it must then be a valid learner token), else None."""
    if not request.headers.get("authorization"):
        return None
    identity = get_identity(request)
    if "learner" not in identity.scopes:
        raise Forbidden("this needs the 'learner' scope", code="insufficient_scope")
    return identity


Learner = Annotated[Identity, Depends(require_scope("learner"))]
MaybeLearner = Annotated[Identity | None, Depends(optional_learner)]
StatsReader = Annotated[Identity, Depends(require_scope("stats"))]
Admin = Annotated[Identity, Depends(require_scope("admin"))]
