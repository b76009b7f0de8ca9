"""Named dependencies: `Author` (scope author or admin), `AuthorUpload` (and counted by the limiter), `AuditReader`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth.dependencies import BEARER, identity_dependency, require_scope
from app.auth.tokens import Identity
from app.author.service import AuthorLimits
from app.errors import Forbidden
from app.limits.limiter import LimiterDep

UPLOADS = "author_upload"  # the limiter's category for drafts, per author


async def require_author(
    identity: Annotated[Identity, Depends(identity_dependency)], _scheme: Annotated[object, Depends(BEARER)] = None
) -> Identity:
    if not {"author", "admin"} & identity.scopes:
        raise Forbidden("this needs the 'author' (or 'admin') scope", code="insufficient_scope")
    return identity


Author = Annotated[Identity, Depends(require_author)]


async def author_upload(identity: Author, limiter: LimiterDep) -> Identity:
    """Count a draft against RATE_LIMIT_AUTHOR_UPLOADS (the limiter's `author_upload` category)."""
    await limiter.arequire(UPLOADS, identity.learner_key, "Bạn đã gửi quá nhiều bản nháp; hãy thử lại sau")
    return identity


async def author_limits(request: Request) -> AuthorLimits:
    return AuthorLimits.from_settings(request.app.state.settings)


AuthorUpload = Annotated[Identity, Depends(author_upload)]
AuditReader = Annotated[Identity, Depends(require_scope("admin"))]
Limits = Annotated[AuthorLimits, Depends(author_limits)]
