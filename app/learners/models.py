"""The learner: a pseudonymous key and the commune of their latest token; every learner change locks this row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime


class Learner(SQLModel, table=True):
    __tablename__ = "learner"

    # HMAC-SHA256(pepper, iss + "\n" + sub), hex: the only identity the service stores.
    key: str = Field(primary_key=True, max_length=64)
    commune: str = Field(max_length=5, index=True)  # from the latest token's `locality`
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
