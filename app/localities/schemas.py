"""Replies of the localities endpoints."""

from __future__ import annotations

from pydantic import BaseModel


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
