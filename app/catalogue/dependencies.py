"""Named dependencies for handlers that read the catalogue (no database: the served snapshot)."""

from app.catalogue.cache import CatalogueDep, SnapshotDep

__all__ = ["CatalogueDep", "SnapshotDep"]
