"""create_app(): routers, error handlers, middleware."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth.tokens import TokenVerifier
from app.author.router import author_routers, author_zip_body
from app.catalogue.cache import CatalogueCache
from app.catalogue.direct import PrebuiltReads
from app.catalogue.router import router as catalogue_router
from app.certificates.issuer import CertificateIssuer
from app.certificates.router import router as certificates_router
from app.certificates.router import well_known
from app.certificates.signing import CertificateSigner
from app.config import API_PREFIX, Settings, get_settings
from app.db import Transactions, make_async_engine, make_engine, make_replica_engine
from app.errors import install_error_handlers
from app.learners.router import direct_batches
from app.learners.router import router as learners_router
from app.learners.scrub import Scrubber
from app.limits.limiter import Limiter
from app.limits.middleware import ClientRateLimitMiddleware
from app.limits.proxy import TrustedProxyMiddleware
from app.localities.router import router as localities_router
from app.ops.middleware import BodyLimitMiddleware, MetricsMiddleware
from app.ops.router import router as ops_router
from app.progress.router import router as progress_router
from app.quizzes.dependencies import form_secret
from app.routes import add_routes
from app.stats.router import router as stats_router
from app.stats.schedule import run_daily_releases
from app.web.router import include_web
from app.web.stats_page import include_stats_page


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Background work of a worker: keeping the catalogue snapshot and the identity provider's keys fresh, and the
    daily statistics release."""
    settings: Settings = app.state.settings
    catalogue: CatalogueCache = app.state.catalogue
    if not catalogue.loaded:  # serve nothing stale or empty: the first snapshot is loaded before requests
        await catalogue.keep_fresh_once(app.state.replica_engine or app.state.engine)
    tasks = [
        asyncio.create_task(catalogue.keep_fresh(app.state.replica_engine or app.state.engine)),
        asyncio.create_task(app.state.scrubber.run(app.state.engine)),
    ]
    if settings.stats_release_auto:
        tasks.append(asyncio.create_task(run_daily_releases(app.state.engine, settings)))
    remote_keys = app.state.verifier.remote  # the identity provider's published keys, if configured
    if remote_keys is not None:  # fetched before requests (a failure is logged and retried), then kept fresh
        await asyncio.to_thread(remote_keys.refresh)
        tasks.append(asyncio.create_task(remote_keys.keep_fresh()))
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task
    transactions: Transactions = app.state.transactions
    if transactions.async_engine is not None:  # its connections belong to this event loop: closed on it
        await transactions.async_engine.dispose()


def operation_id(route: APIRoute) -> str:
    """The handler's name (`submit_attempt`, `get_lesson`): typed clients name their functions after it, so it is
    stable and unique across the app (tests/test_openapi.py), never FastAPI's path-derived default."""
    return route.name


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    hide_docs = settings.is_production and not settings.public_docs
    app = FastAPI(
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url=None if hide_docs else "/docs",
        redoc_url=None if hide_docs else "/redoc",
        openapi_url=None if hide_docs else "/openapi.json",
        title="Bình dân học vụ số — course service",
        version="1.0.0",
        description="Lessons, quizzes, offline-safe progress, verifiable certificates and locality statistics.",
        # No OpenTelemetry here (metrics: app/ops): FastAPI's native telemetry would otherwise look up the global
        # providers (and the environment) on every request, about 3 µs of a lesson GET's ~85.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pre_ping=settings.database_pre_ping,
        pgbouncer=settings.database_pgbouncer,
    )
    # The learners' writes and their progress read on psycopg's async connections; SQLite: in the thread pool.
    async_engine = make_async_engine(
        app.state.engine.url.render_as_string(hide_password=False),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pre_ping=settings.database_pre_ping,
        pgbouncer=settings.database_pgbouncer,
    )
    app.state.transactions = Transactions(
        partial(Session, app.state.engine, expire_on_commit=False),
        async_engine,
        readers=partial(Session, app.state.engine.execution_options(read_only=True), expire_on_commit=False),
    )
    app.state.replica_engine = make_replica_engine(settings.database_replica_url, pgbouncer=settings.database_pgbouncer)
    app.state.catalogue = CatalogueCache(settings.catalogue_refresh_seconds)
    app.state.scrubber = Scrubber(settings.erasure_scrub_seconds)
    app.state.limiter = Limiter(settings)
    app.state.form_secret = form_secret(settings)
    app.state.verifier = TokenVerifier(settings)
    app.state.issuer = CertificateIssuer(CertificateSigner(settings), settings.public_base_url)

    # Routes are matched in order: the hottest (probes, lessons) first.
    routers = (
        ops_router,
        catalogue_router,
        localities_router,
        learners_router,
        progress_router,
        certificates_router,
        stats_router,
        well_known,
        *author_routers,
    )
    add_routes(app, *routers)  # one flat list of routes, not a branch per module (app/routes.py)
    direct_batches(app)  # a valid progress batch answered before FastAPI's request handler (app/learners)
    include_web(app, settings)  # the learner app at / (and every page's dev sign-in when DEV_TOKENS is on)
    include_stats_page(app)  # the statistics dashboard at /thong-ke (the authors' page is in author_routes)

    install_error_handlers(app)
    # No blanket gzip: catalogue responses carry their gzip form prebuilt; statistics compress in app.http.
    # Innermost: a lesson, course, glossary or picture the snapshot has prebuilt, answered before routing.
    app.add_middleware(PrebuiltReads, catalogue=app.state.catalogue, routes=app.routes)
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"], expose_headers=["ETag"]
    )
    drafts = ("POST", f"{API_PREFIX}/author/drafts")  # an author's zip: AUTHOR_ZIP_MAX_BYTES, not MAX_BODY_BYTES
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes, routes={drafts: author_zip_body(settings)}
    )
    app.add_middleware(ClientRateLimitMiddleware, limiter=app.state.limiter)
    app.add_middleware(
        MetricsMiddleware, access_log=settings.access_log_on, log_client_address=settings.log_client_address
    )
    if settings.trusted_proxy_header:  # outermost: every step after it reads the resolved client address
        app.add_middleware(
            TrustedProxyMiddleware, header=settings.trusted_proxy_header, trusted_proxies=settings.trusted_proxies
        )
    return app
