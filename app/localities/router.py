"""Public reads of the official localities: fixed for the life of the process, so prebuilt once."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.config import API_PREFIX
from app.errors import NotFound, error_responses
from app.http import Prebuilt
from app.localities import official
from app.localities.official import COMMUNES_BY_PROVINCE, DATA_VERSION, PROVINCES
from app.localities.schemas import CommuneDetail, CommuneOut, ProvinceDetail, ProvinceList, ProvinceOut

router = APIRouter(prefix=API_PREFIX, tags=["localities"], responses=error_responses(404, 422))
CACHE = "public, max-age=86400"
JSON = "application/json"


def _province(code: str) -> ProvinceOut:
    unit = PROVINCES[code]
    return ProvinceOut(
        code=unit.code, name=unit.name, division_type=unit.division_type, communes_count=len(COMMUNES_BY_PROVINCE[code])
    )


def _detail(code: str) -> ProvinceDetail:
    communes = [CommuneOut(code=c.code, name=c.name, division_type=c.division_type) for c in COMMUNES_BY_PROVINCE[code]]
    return ProvinceDetail(**_province(code).model_dump(), data_version=DATA_VERSION, communes=communes)


def _prebuilt(model) -> Prebuilt:
    return Prebuilt.of(model.model_dump_json().encode(), media_type=JSON, cache_control=CACHE)


PROVINCE_LIST = _prebuilt(ProvinceList(data_version=DATA_VERSION, provinces=[_province(code) for code in PROVINCES]))
PROVINCE_DETAILS = {code: _prebuilt(_detail(code)) for code in PROVINCES}
COMMUNE_DETAILS = {
    commune.code: _prebuilt(
        CommuneDetail(
            code=commune.code,
            name=commune.name,
            division_type=commune.division_type,
            province_code=province,
            province_name=PROVINCES[province].name,
            data_version=DATA_VERSION,
        )
    )
    for province, communes in COMMUNES_BY_PROVINCE.items()
    for commune in communes
}


@router.get("/localities", response_model=ProvinceList)
async def list_provinces(request: Request) -> Response:
    return PROVINCE_LIST.respond(request)


@router.get("/localities/{province}", response_model=ProvinceDetail)
async def get_province(province: str, request: Request) -> Response:
    official.province(province)  # 404 for an unknown code
    return PROVINCE_DETAILS[province].respond(request)


@router.get("/localities/communes/{commune}", response_model=CommuneDetail)
async def get_commune(commune: str, request: Request) -> Response:
    """One commune by its official 5-digit code, with its province."""
    prebuilt = COMMUNE_DETAILS.get(commune)
    if prebuilt is None:
        raise NotFound(f"no commune has the code {commune!r}", code="commune_not_found")
    return prebuilt.respond(request)
