"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from app.catalogue import models as catalogue_models  # noqa: F401

metadata = SQLModel.metadata
