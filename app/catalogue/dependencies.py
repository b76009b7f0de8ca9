"""Named dependencies for handlers that read the catalogue."""

from typing import Annotated

from fastapi import Depends, Request

from app.catalogue.service import Catalogue
from app.db import SessionDep


def get_catalogue(request: Request, session: SessionDep) -> Catalogue:
    return request.app.state.catalogue.get(session)


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
