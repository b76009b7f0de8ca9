"""Official localities: 34 provinces, 3,321 communes, zero-padded codes, 404 for unknown."""

from __future__ import annotations


def test_provinces(client):
    body = client.get("/api/v1/localities").json()
    provinces = body["provinces"]
    assert len(provinces) == 34
    assert provinces[0] == {
        "code": "01",
        "name": "Thành phố Hà Nội",
        "division_type": "thành phố trung ương",
        "communes_count": 126,
    }
    assert {"79", "01", "96"} <= {p["code"] for p in provinces}
    assert sum(p["communes_count"] for p in provinces) == 3321
    assert all(len(p["code"]) == 2 for p in provinces)


def test_communes_of_a_province(client):
    body = client.get("/api/v1/localities/01").json()
    assert body["name"] == "Thành phố Hà Nội" and len(body["communes"]) == 126
    assert {"code": "00070", "name": "Phường Hoàn Kiếm", "division_type": "phường"} in body["communes"]
    assert all(len(c["code"]) == 5 for c in body["communes"])


def test_unknown_province_is_404(client):
    for code in ("99", "1", "abc", "00070"):
        response = client.get(f"/api/v1/localities/{code}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "province_not_found"


def test_one_commune_by_code_with_its_province(client):
    response = client.get("/api/v1/localities/communes/00070")
    assert response.status_code == 200 and "max-age" in response.headers["cache-control"]
    body = response.json()
    assert body["code"] == "00070" and body["province_code"] == "01" and body["province_name"] == "Thành phố Hà Nội"
    assert body["name"] == "Phường Hoàn Kiếm" and body["division_type"] == "phường"
    missing = client.get("/api/v1/localities/communes/99999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "commune_not_found"
