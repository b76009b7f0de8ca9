"""datapackage.json: a Frictionless Data Package (https://specs.frictionlessdata.io/data-package/) describing
the CSV downloads from the data dictionary, so that tools load them with the right types (codes as text)."""

from __future__ import annotations

from pydantic_core import to_json

from app.stats.dictionary import COMPLETION, SERIES, Column


def _schema(columns: tuple[Column, ...], key: list[str]) -> dict:
    fields = []
    for column in columns:
        field: dict = {"name": column.name, "type": column.type, "description": column.description}
        if column.name == "code":
            field["constraints"] = {"pattern": "[0-9]{2}|[0-9]{5}|national"}
        if column.name == "level":
            field["constraints"] = {"enum": ["commune", "province", "national"]}
        if column.type == "datetime":
            field["format"] = "any"  # ISO 8601 with the +07:00 offset
        fields.append(field)
    return {"fields": fields, "missingValues": [""], "primaryKey": key}


def describe(base_url: str) -> bytes:
    """The package: one resource per table, its path the CSV download (a stats token is needed to read it)."""
    csv_dialect = {"delimiter": ",", "header": True, "lineTerminator": "\r\n"}
    package = {
        "profile": "tabular-data-package",
        "name": "binh-dan-hoc-vu-so-completion",
        "title": "Bình dân học vụ số: completion statistics",
        "description": (
            "Noisy counts under differential privacy, each with its 95% margin; see docs/statistics.md. "
            "Reading a resource needs a bearer token with the stats scope."
        ),
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {
                "name": "completion-by-province",
                "path": f"{base_url}/stats/completion?format=csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "dialect": csv_dialect,
                "schema": _schema(COMPLETION, ["level", "code", "course", "release"]),
            },
            {
                "name": "completion-timeseries",
                "path": f"{base_url}/stats/timeseries?format=csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "dialect": csv_dialect,
                "schema": _schema(SERIES, ["day", "code", "course", "release"]),
            },
        ],
    }
    return to_json(package)
