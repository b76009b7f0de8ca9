"""Statistics endpoints (being built: see issue 4)."""

from fastapi import APIRouter

from app.config import API_PREFIX

router = APIRouter(prefix=API_PREFIX, tags=["statistics"])
