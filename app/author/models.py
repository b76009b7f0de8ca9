"""Drafts authors upload and the audit log of what they did (publications themselves: app.catalogue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime


class AuthorDraft(SQLModel, table=True):
    """An uploaded zip of course folders, kept as sent: every preview and the publish parse these bytes again."""

    __tablename__ = "author_draft"

    id: str = Field(primary_key=True, max_length=32)
    author_key: str = Field(max_length=64)  # pseudonymous key of who uploaded it
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    archive: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # What the upload reply said (problems, courses, diff), so reading a draft back needs no parse.
    report: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class AuthorAudit(SQLModel, table=True):
    """One line per draft, publish, rollback and withdrawal: who (a pseudonymous key), when, what."""

    __tablename__ = "author_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    actor: str = Field(max_length=64)
    action: str = Field(max_length=16)  # draft, publish, rollback, withdraw
    course_slug: str | None = Field(default=None, max_length=64)
    draft_id: str | None = Field(default=None, max_length=32)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
