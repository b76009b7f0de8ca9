"""Typed settings from the environment; development secrets from one git-ignored file."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

API_PREFIX = "/api/v1"  # fixed by PRODUCT.md
DEV_SECRETS_FILE = ".dev-secrets.json"
DEV_ISSUER = "https://id.dev.invalid"
DEFAULT_AUDIENCE = "bdhvs-course-service"


class UnsafeConfiguration(RuntimeError):
    """Raised at start-up when production mode would run on development secrets."""


class InvalidConfiguration(ValueError):
    """Raised at start-up when a setting names something unusable (a key file that holds no usable key)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str = "sqlite:///./bdhvs.db"
    # Connections each worker keeps open (PostgreSQL), and how many more it may open for a burst.
    database_pool_size: int = Field(default=20, ge=1, le=1000)
    database_max_overflow: int = Field(default=10, ge=0, le=1000)
    # Test each pooled connection before use (a round trip per request); off: a dead one fails one request (503).
    database_pre_ping: bool = False
    # DATABASE_URL (and DATABASE_REPLICA_URL) lead to PgBouncer in transaction pooling: psycopg then prepares no
    # statements on the server, since PgBouncer 1.18 hands each transaction whichever server connection is free.
    database_pgbouncer: bool = False
    app_env: Literal["development", "test", "production"] = "development"
    content_dir: Path = Path("content")

    # Where development secrets are generated (never used in production).
    dev_secrets_file: Path = Path(DEV_SECRETS_FILE)

    # Identity provider (token contract of PRODUCT.md).
    jwt_issuer: str = DEV_ISSUER
    jwt_audience: str = DEFAULT_AUDIENCE
    jwt_public_keys_file: Path | None = None  # PEM file with one or more public keys (RS256/ES256)
    jwt_jwks_file: Path | None = None  # JWKS JSON file of the identity provider
    # Keys the provider publishes (app/auth/jwks.py): its OpenID Connect issuer URL (keys found through
    # <issuer>/.well-known/openid-configuration; JWT_ISSUER defaults to it) or its JWKS URL. Union with the files.
    jwt_oidc_issuer_url: str | None = None
    jwt_jwks_url: str | None = None
    jwt_jwks_min_cache_seconds: int = Field(default=300, ge=10)  # bounds on the provider's Cache-Control max-age
    jwt_jwks_max_cache_seconds: int = Field(default=86400, ge=10)
    jwt_jwks_timeout_seconds: float = Field(default=3.0, gt=0, le=30)  # per request to the provider
    jwt_dev_secret: str | None = None  # HS256, development only
    # Development tokens (HS256) are accepted only when this is on; never merely because APP_ENV is unset.
    dev_tokens: bool = False
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=60)
    jwt_max_bytes: int = 8192
    # Verified tokens remembered per worker (an app sends many requests with one token): 0 verifies every time.
    token_cache_size: int = Field(default=10_000, ge=0)

    # Learner pseudonymisation key and certificate signing key.
    pepper: str | None = None
    certificate_key_file: Path | None = None  # EC P-256 private key, PEM
    # Public keys of earlier signing keys (PEM blocks or a JWKS): still published, so their certificates verify.
    certificate_retired_keys_file: Path | None = None
    public_base_url: str = "http://127.0.0.1:8000"

    # Explicit limits.
    max_body_bytes: int = 256 * 1024
    max_events_per_batch: int = 500
    catalogue_refresh_seconds: float = 2.0
    event_clock_tolerance_seconds: int = Field(default=300, ge=0)  # events after now + this, or before the
    # course's first publication - this, are rejected (in_future / before_publication)
    completion_min_share: float = Field(default=0.25, ge=0, le=1)  # faster than this share of `minutes`: flagged
    max_events_per_learner: int = Field(default=5000, ge=10)  # stored progress events per learner, then 429

    # Rate limits (the `limits` notation; several windows separated by ';'), shared through Redis if set.
    redis_url: str | None = None
    rate_limit_client: str = "1200/minute"  # per client address: a commune hall shares one address
    rate_limit_learner_writes: str = "60/minute;1000/day"  # progress batches, attempts, ratings, erasure
    rate_limit_stats_reads: str = "120/minute"  # per statistics token subject
    quiz_attempt_limits: str = "3/10 minutes;6/hour;10/day"  # per learner and quiz: a cooldown that grows
    # Redis round trips of the limiter: connect and read timeouts, then this long without trying Redis again.
    redis_timeout_seconds: float = Field(default=0.2, gt=0, le=0.2)
    redis_retry_seconds: float = Field(default=5.0, gt=0)
    # Categories refused (503 + Retry-After) while Redis is unavailable; the others are let through and logged.
    rate_limit_fail_closed: str = "attempt"
    trusted_proxy_header: str | None = None  # e.g. X-Forwarded-For, only behind a proxy that sets it
    # Proxies whose header is believed, as addresses or networks; the client is the rightmost address in the
    # header that is not one of them (entries left of it were written by the client and can be forged).
    trusted_proxies: str = "127.0.0.1,::1"
    # Logs and documentation.
    access_log: bool = True  # one JSON line per request, in production too; metrics are counted either way
    log_client_address: bool = False  # client addresses are personal data: off unless needed
    public_docs: bool = False  # in production /docs and /openapi.json exist only with this on

    # Statistics.
    suppression_k: int = Field(default=10, ge=2)
    rollup_shards: int = Field(default=8, ge=1, le=64)
    # Releases and their protection (docs/statistics-disclosure.md).
    # Noise (standard deviation) of each noised partial sum: commune figures, province and national figures;
    # stars get stats_sigma_area x stats_sigma_stars_factor. 0 (no noise) is refused in production.
    stats_sigma_commune: float = Field(default=6.8, ge=0)  # a commune count's 95% margin ≤ ±40 over 2 years
    stats_sigma_area: float = Field(default=68.0, ge=0)
    stats_sigma_stars_factor: float = Field(default=5.0, ge=1)
    stats_horizon_releases: int = Field(default=1024, ge=2, le=2**20)  # releases the privacy accounting covers
    stats_counted_moves: int = Field(default=1, ge=0, le=10)  # moves to another commune the statistics follow
    stats_counted_rating_changes: int = Field(default=2, ge=0, le=10)  # rating changes the statistics count
    stats_delta: float = Field(default=1e-10, gt=0, lt=1e-6)  # the delta of the stated (epsilon, delta)
    stats_satisfaction_min_ratings: int = Field(default=20, ge=2)  # mean stars published from this many up
    stats_release_time: time = time(0, 0)  # Vietnam time of the daily release
    stats_release_auto: bool = True  # each worker schedules the daily release (only one computes it)
    stats_release_in_child: bool = True  # a worker computes a release in a child process (app/stats/schedule.py)
    # That child's CPU priority below the worker's (an `os.nice` increment): it yields the cores to requests.
    stats_release_niceness: int = Field(default=10, ge=0, le=19)
    stats_releases_kept: int = Field(default=31, ge=1)  # older releases are deleted
    # After an erasure, database files are scrubbed (WAL checkpoint / VACUUM) within this many seconds.
    erasure_scrub_seconds: float = Field(default=60, ge=0)

    # Content rules (`content validate` / `content import`).
    content_review_max_age_days: int = Field(default=365, ge=1)  # warning past this, error past twice this
    content_max_image_bytes: int = Field(default=200 * 1024, ge=1024)
    # A Markdown file past this is refused before it is parsed (an 800 KB table took 8.5 s and 576 MB).
    content_max_markdown_bytes: int = Field(default=64 * 1024, ge=1024)
    content_max_svg_elements: int = Field(default=300, ge=10)  # an SVG drawing with more is refused (slow to draw)
    content_max_audio_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)  # a lesson's recorded narration

    # Authors' uploads (app/author; docs/operations.md, Limits). Their request body may be AUTHOR_ZIP_MAX_BYTES.
    author_zip_max_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)  # the zip as sent
    author_zip_max_files: int = Field(default=500, ge=1)
    author_zip_max_file_bytes: int = Field(default=512 * 1024, ge=1024)  # each file, unzipped
    author_zip_max_total_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)  # every file, unzipped
    author_zip_max_ratio: int = Field(default=100, ge=2)  # unzipped bytes per zipped byte (past 1 MiB unzipped)
    rate_limit_author_uploads: str = "30/hour"  # drafts per author

    # Read replica (PostgreSQL streaming standby): statistics reads and catalogue loads; writes stay on the primary.
    database_replica_url: str | None = None
    # /readyz calls the replica "lagging" past this (readiness itself does not depend on the replica).
    replica_max_lag_seconds: float = Field(default=30, gt=0)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in value.split(","):
            if item.strip():
                ipaddress.ip_network(item.strip(), strict=False)  # ValueError names the bad entry
        return value

    @field_validator(
        "rate_limit_client",
        "rate_limit_learner_writes",
        "rate_limit_stats_reads",
        "quiz_attempt_limits",
        "rate_limit_author_uploads",
    )
    @classmethod
    def _windows(cls, value: str) -> str:
        from limits import parse_many

        parse_many(value)  # ValueError names the bad window
        return value

    @field_validator("jwt_oidc_issuer_url", "jwt_jwks_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an https:// URL (http:// only outside production)")
        return value

    @model_validator(mode="after")
    def _issuer_from_discovery(self) -> Settings:
        """Tokens of an OpenID Connect provider carry its issuer URL as `iss`: JWT_ISSUER defaults to it."""
        if self.jwt_oidc_issuer_url and "jwt_issuer" not in self.model_fields_set:
            self.jwt_issuer = self.jwt_oidc_issuer_url
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.app_env != "production":
            return self
        problems = []
        if self.jwt_dev_secret:
            problems.append("JWT_DEV_SECRET (HS256) is development-only")
        if self.dev_tokens:
            problems.append("DEV_TOKENS is development-only")
        if not self.public_base_url.startswith("https://"):
            problems.append("PUBLIC_BASE_URL must be https:// (certificate links and QR codes point there)")
        if not (self.jwt_public_keys_file or self.jwt_jwks_file or self.jwt_oidc_issuer_url or self.jwt_jwks_url):
            problems.append("JWT_PUBLIC_KEYS_FILE, JWT_JWKS_FILE, JWT_OIDC_ISSUER_URL or JWT_JWKS_URL is required")
        for name in ("jwt_oidc_issuer_url", "jwt_jwks_url"):
            url = getattr(self, name)
            if url and not url.startswith("https://"):
                problems.append(f"{name.upper()} must be https:// (identity keys are trusted from there)")
        if self.jwt_issuer == DEV_ISSUER:
            problems.append("JWT_ISSUER must name the national identity provider")
        if not strong_secret(self.pepper):
            problems.append(
                "PEPPER must be 32+ characters with at least 16 distinct ones (e.g. `openssl rand -base64 48`)"
            )
        if not self.certificate_key_file:
            problems.append("CERTIFICATE_KEY_FILE is required")
        if self.stats_sigma_commune == 0 or self.stats_sigma_area == 0:
            problems.append("STATS_SIGMA_COMMUNE and STATS_SIGMA_AREA must be above 0 (no noise, no privacy)")
        if problems:
            raise UnsafeConfiguration("production mode refuses: " + "; ".join(problems))
        return self

    @property
    def access_log_on(self) -> bool:
        return self.access_log

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    def dev_secrets(self) -> dict[str, str]:
        """Development secrets, generated on first use; refused in production."""
        if self.is_production:
            raise UnsafeConfiguration("development secrets are refused in production mode")
        return load_or_create_dev_secrets(self.dev_secrets_file)

    def hs256_secret(self) -> str | None:
        """The HS256 secret for development tokens, or None when HS256 is not allowed (DEV_TOKENS off)."""
        if self.is_production or not self.dev_tokens:
            return None
        return self.jwt_dev_secret or self.dev_secrets()["jwt_hs256_secret"]

    def pepper_bytes(self) -> bytes:
        return (self.pepper or self.dev_secrets()["pepper"]).encode()

    def certificate_private_pem(self) -> bytes:
        if self.certificate_key_file:
            return self.certificate_key_file.read_bytes()
        return self.dev_secrets()["certificate_key_pem"].encode()


def strong_secret(value: str | None) -> bool:
    """Long and varied: 32+ characters of which 16+ distinct (refuses 'aaaa...' and short words)."""
    return value is not None and len(value) >= 32 and len(set(value)) >= 16


def _new_dev_secrets() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {
        "warning": "DEVELOPMENT ONLY. Refused when APP_ENV=production. Never commit this file.",
        "jwt_hs256_secret": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "pepper": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "certificate_key_pem": pem.decode(),
    }


def load_or_create_dev_secrets(path: Path) -> dict[str, str]:
    """Read the development secrets file, creating it atomically (first writer wins)."""
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(_new_dev_secrets(), handle, indent=2)
        try:
            os.link(tmp, path)  # fails if another process created it first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return json.loads(path.read_text())


@lru_cache
def get_settings() -> Settings:
    return Settings()
