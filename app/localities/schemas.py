"""Replies of the localities endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from typing_extensions import TypeAliasType

# The official kinds of unit (vietnam_provinces.VietNamDivisionType), as the official data spells them.
ProvinceType = TypeAliasType("ProvinceType", Literal["tỉnh", "thành phố trung ương"])
CommuneType = TypeAliasType("CommuneType", Literal["xã", "phường", "đặc khu"])


class ProvinceOut(BaseModel):
    code: str
    name: str
    division_type: ProvinceType
    communes_count: int


class ProvinceList(BaseModel):
    data_version: str
    provinces: list[ProvinceOut]


class CommuneOut(BaseModel):
    code: str
    name: str
    division_type: CommuneType


class ProvinceDetail(ProvinceOut):
    data_version: str
    communes: list[CommuneOut]


class CommuneDetail(CommuneOut):
    """One commune with the province it belongs to (apps show a learner's commune by name from its code)."""

    province_code: str
    province_name: str
    data_version: str
