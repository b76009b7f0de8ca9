"""Behind proxies the client is counted from the right: a forged first X-Forwarded-For entry buys nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.limits.proxy import client_address, parse_networks
from app.main import create_app

TRUSTED = parse_networks("127.0.0.1, 10.0.0.0/8")


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),  # one proxy
        ("10.0.0.5", "1.2.3.4, 203.0.113.7", "203.0.113.7"),  # a forged first entry is skipped
        ("10.0.0.5", "1.2.3.4, 203.0.113.7, 10.0.0.9", "203.0.113.7"),  # two trusted hops
        ("198.51.100.1", "1.2.3.4", "198.51.100.1"),  # not sent through a trusted proxy: the header is ignored
        ("10.0.0.5", "10.0.0.7, 10.0.0.9", "10.0.0.7"),  # began inside the trusted network
        ("10.0.0.5", "junk, 203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "203.0.113.7, junk", "junk"),  # garbage from a trusted proxy is its own key, never a bypass
    ],
)
def test_the_client_is_the_rightmost_untrusted_address(peer, header, client):
    assert client_address(peer, header, TRUSTED) == client


def test_a_spoofed_first_entry_does_not_escape_the_limit(settings, engine):
    update = {
        "rate_limit_client": "40/minute",
        "trusted_proxy_header": "X-Forwarded-For",
        "trusted_proxies": "10.0.0.0/8",
    }
    app = create_app(settings.model_copy(update=update), engine=engine)
    with TestClient(app, client=("10.1.2.3", 40000)) as client:  # every request arrives from the proxy
        statuses = [
            client.get("/api/v1/me/progress", headers={"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.7"}).status_code
            for n in range(45)
        ]
        assert statuses.count(429) == 5  # 45 requests, 40 a minute, whatever the forged first entry said
        other = client.get("/api/v1/me/progress", headers={"X-Forwarded-For": "203.0.113.8"})
        assert other.status_code == 401  # another real client has its own window


def test_without_a_trusted_peer_the_header_is_ignored(settings, engine):
    update = {
        "rate_limit_client": "3/minute",
        "trusted_proxy_header": "X-Forwarded-For",
        "trusted_proxies": "10.0.0.0/8",
    }
    app = create_app(settings.model_copy(update=update), engine=engine)
    with TestClient(app, client=("198.51.100.1", 40000)) as client:  # straight from the internet
        statuses = [
            client.get("/api/v1/me/progress", headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]


def test_trusted_proxies_must_be_addresses_or_networks(settings):
    from pydantic import ValidationError

    from app.config import Settings

    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(**{**settings.model_dump(), "trusted_proxies": "10.0.0.0/8, proxy.example"})
