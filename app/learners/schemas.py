"""Replies of the learner layer that no single domain owns."""

from __future__ import annotations

from pydantic import BaseModel


class ErasureOut(BaseModel):
    erased: bool
    certificates_revoked: int
