"""Public reads of the official localities."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from app.config import API_PREFIX
from app.errors import NotFound
from app.localities.official import COMMUNES_BY_PROVINCE, DATA_VERSION, PROVINCES

router = APIRouter(prefix=API_PREFIX, tags=["localities"])
CACHE = "public, max-age=86400"


class ProvinceOut(BaseModel):
    code: str
    name: str
    division_type: str
    communes_count: int


class ProvinceList(BaseModel):
    data_version: str
    provinces: list[ProvinceOut]


class CommuneOut(BaseModel):
    code: str
    name: str
    division_type: str


class ProvinceDetail(ProvinceOut):
    data_version: str
    communes: list[CommuneOut]


_PROVINCE_LIST = ProvinceList(
    data_version=DATA_VERSION,
    provinces=[
        ProvinceOut(
            code=p.code, name=p.name, division_type=p.division_type, communes_count=len(COMMUNES_BY_PROVINCE[p.code])
        )
        for p in PROVINCES.values()
    ],
)


@router.get("/localities", response_model=ProvinceList)
def list_provinces(response: Response) -> ProvinceList:
    response.headers["Cache-Control"] = CACHE
    return _PROVINCE_LIST


@router.get("/localities/{province}", response_model=ProvinceDetail)
def get_province(province: str, response: Response) -> ProvinceDetail:
    unit = PROVINCES.get(province)
    if unit is None:
        raise NotFound(f"no province with code '{province}' (codes are 2 digits, e.g. '01')", code="province_not_found")
    response.headers["Cache-Control"] = CACHE
    communes = COMMUNES_BY_PROVINCE[province]
    return ProvinceDetail(
        code=unit.code,
        name=unit.name,
        division_type=unit.division_type,
        communes_count=len(communes),
        data_version=DATA_VERSION,
        communes=[CommuneOut(code=c.code, name=c.name, division_type=c.division_type) for c in communes],
    )
