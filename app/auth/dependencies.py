"""Named dependencies: `Learner`, `MaybeLearner`, `StatsReader`, `Admin` (the token's scope decides)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from app.auth.tokens import Identity
from app.errors import Forbidden, Unauthorized


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing 'Authorization: Bearer <token>' header", code="missing_token")
    return token.strip()


def get_identity(request: Request) -> Identity:
    """The token's identity from the keys in memory (never waits on the network; see read_identity)."""
    return request.app.state.verifier.verify(bearer_token(request))


async def read_identity(request: Request) -> Identity:
    """get_identity, except that a token with an unknown key id first refreshes the identity provider's
    published keys (once a minute at most, in a thread): a learner is not refused because the keys rotated."""
    return await request.app.state.verifier.verify_async(bearer_token(request))


# Declares the bearer scheme in the OpenAPI (so clients and fuzzers know which calls need a token); the
# token itself is read and verified by get_identity.
BEARER = HTTPBearer(
    auto_error=False, scheme_name="identity_token", description="JWT from the national identity provider"
)


async def identity_dependency(request: Request) -> Identity:
    """read_identity as a dependency: async, so it costs no thread-pool hop (verifying is CPU work of microseconds)."""
    return await read_identity(request)


def check_scope(identity: Identity, scope: str) -> Identity:
    if scope not in identity.scopes:
        raise Forbidden(f"this needs the '{scope}' scope", code="insufficient_scope")
    return identity


def require_scope(scope: str):
    async def dependency(
        identity: Annotated[Identity, Depends(identity_dependency)],
        _scheme: Annotated[object, Depends(BEARER)] = None,
    ) -> Identity:
        return check_scope(identity, scope)

    dependency.__name__ = f"require_{scope}"
    return dependency


async def optional_learner(request: Request) -> Identity | None:
    """The learner if the request carries a token (it must then be a valid learner token), else None."""
    if not request.headers.get("authorization"):
        return None
    identity = await read_identity(request)
    if "learner" not in identity.scopes:
        raise Forbidden("this needs the 'learner' scope", code="insufficient_scope")
    return identity


# For a route with MaybeLearner: OpenAPI `security` saying a token is optional (none, or the bearer scheme).
OPTIONAL_TOKEN: dict[str, Any] = {"security": [{}, {BEARER.scheme_name: []}]}

Learner = Annotated[Identity, Depends(require_scope("learner"))]
MaybeLearner = Annotated[Identity | None, Depends(optional_learner)]
StatsReader = Annotated[Identity, Depends(require_scope("stats"))]
Admin = Annotated[Identity, Depends(require_scope("admin"))]
