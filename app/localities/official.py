"""The official 2025 two-level units (34 provinces, 3,321 communes) from `vietnam-provinces`.

Codes are the official ones as zero-padded strings (provinces 2 digits, communes 5 digits);
they are never renumbered.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from vietnam_provinces import Province, Ward
from vietnam_provinces import __data_version__ as DATA_VERSION  # noqa: N812

from app.errors import NotFound


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    division_type: str
    province: str | None  # the province code of a commune


def _load():
    provinces = {
        f"{int(p.code):02d}": Unit(f"{int(p.code):02d}", p.name, p.division_type.value, None)
        for p in sorted(Province.iter_all(), key=lambda p: int(p.code))
    }
    communes = {
        f"{int(w.code):05d}": Unit(f"{int(w.code):05d}", w.name, w.division_type.value, f"{int(w.province_code):02d}")
        for w in sorted(Ward.iter_all(), key=lambda w: int(w.code))
    }
    by_province: dict[str, list[Unit]] = {code: [] for code in provinces}
    for unit in communes.values():
        assert unit.province is not None  # every commune is built with its province just above
        by_province[unit.province].append(unit)
    return (
        MappingProxyType(provinces),
        MappingProxyType(communes),
        MappingProxyType({code: tuple(units) for code, units in by_province.items()}),
    )


PROVINCES, COMMUNES, COMMUNES_BY_PROVINCE = _load()
__all__ = ["COMMUNES", "COMMUNES_BY_PROVINCE", "DATA_VERSION", "PROVINCES", "Unit", "is_commune", "province"]


def is_commune(code: object) -> bool:
    return isinstance(code, str) and code in COMMUNES


def province(code: str) -> Unit:
    """The province with this official code, or a 404 that says what a code looks like."""
    unit = PROVINCES.get(code)
    if unit is None:
        raise NotFound(f"no province with code '{code}' (codes are 2 digits, e.g. '01')", code="province_not_found")
    return unit
