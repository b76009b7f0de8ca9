"""The key attempt forms are signed and option ids are keyed with, derived once from the pepper (label "quiz-forms")."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings


def form_secret(settings: Settings) -> bytes:
    return hmac.new(settings.pepper_bytes(), b"quiz-forms", hashlib.sha256).digest()


async def get_form_secret(request: Request) -> bytes:
    return request.app.state.form_secret


FormSecretDep = Annotated[bytes, Depends(get_form_secret)]
