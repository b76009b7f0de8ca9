"""Fixtures of the statistics tests."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.stats.seeding import LAUNCH, enrol, new_key


@pytest.fixture
def seed(session):
    """seed("00070", started=5, completed=3, course="an-toan") -> the new learner keys."""

    def make(
        commune: str, *, started: int, completed: int = 0, course: str = "an-toan", completed_at: datetime = LAUNCH
    ) -> list[str]:
        keys = []
        for i in range(started):
            key = new_key()
            enrol(
                session,
                learner_key=key,
                commune=commune,
                course=course,
                completed_at=completed_at if i < completed else None,
            )
            keys.append(key)
        return keys

    return make


@pytest.fixture
def release(client, auth):
    """release() -> publish the statistics now (admin), the release id."""

    def publish() -> int:
        response = client.post("/api/v1/admin/stats/releases", headers=auth("admin"))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return publish
