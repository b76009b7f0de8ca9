"""DELETE /me: no row anywhere holds the learner key afterwards; certificates are revoked and unlinked."""

from __future__ import annotations

from sqlalchemy import String, select

from app.models import metadata
from tests.certificates.test_certificates import complete_an_toan


def _is_text(column) -> bool:
    return isinstance(getattr(column.type, "impl", column.type), String)


def rows_holding(session, value: str) -> list[str]:
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if _is_text(column):
                if session.execute(select(column).where(column == value).limit(1)).first():
                    found.append(f"{table.name}.{column.name}")
    return found


def test_erasure_removes_every_row_about_the_learner(client, content, auth, session, app):
    headers = auth("learner", sub="to-forget")
    code = complete_an_toan(client, headers)
    assert client.put("/api/v1/courses/an-toan/rating", json={"stars": 5}, headers=headers).status_code == 200
    key = app.state.verifier.verify(headers["Authorization"].split()[1]).learner_key
    assert rows_holding(session, key)

    response = client.delete("/api/v1/me", headers=headers)
    assert response.status_code == 200 and response.json()["certificates_revoked"] == 1
    session.expire_all()
    assert rows_holding(session, key) == []
    verification = client.get(f"/api/v1/certificates/{code}").json()
    assert verification["status"] == "revoked" and verification["valid"] is False
    assert client.get("/api/v1/me/certificates", headers=headers).json()["certificates"] == []
    assert client.delete("/api/v1/me", headers=headers).json()["certificates_revoked"] == 0
