"""Issued certificates: one per learner and course; unlinked (not deleted) on erasure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime


class Certificate(SQLModel, table=True):
    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("learner_key", "course_slug"),)

    code: str = Field(primary_key=True, max_length=32)
    learner_key: str | None = Field(default=None, foreign_key="learner.key", max_length=64)
    course_slug: str = Field(max_length=64)
    course_title: str = Field(max_length=300)
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    token: str = Field(sa_column=Column(Text, nullable=False))  # compact JWS (ES256)
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    revoked_reason: str | None = Field(default=None, max_length=100)
