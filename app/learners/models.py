"""The learner: a pseudonymous key and the commune of their latest token; every learner change locks this row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime


class Learner(SQLModel, table=True):
    __tablename__ = "learner"

    # HMAC-SHA256(pepper, iss + "\n" + sub), hex: the only identity the service stores.
    key: str = Field(primary_key=True, max_length=64)
    # The commune the statistics count the learner in: their latest token's `locality`, until they have moved
    # STATS_COUNTED_MOVES times; later moves are not counted (app/stats/privacy.py bounds what one learner changes).
    commune: str = Field(max_length=5, index=True)
    moves: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
