"""App-wide named dependencies: the settings `create_app` was given."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
