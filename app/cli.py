"""`python -m app ...`: thin; parses arguments and calls the domains."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from app.config import get_settings


def _engine():
    from app.db import make_unpooled_engine, migrate

    settings = get_settings()
    engine = make_unpooled_engine(settings.database_url, pgbouncer=settings.database_pgbouncer)
    migrate(engine)
    return engine


def cmd_validate(args) -> int:
    from datetime import date

    from app.catalogue.rules import ContentRules
    from app.catalogue.walker import validate_content

    root = Path(args.dir or get_settings().content_dir)
    result = validate_content(root, ContentRules.from_settings(get_settings()), today=date.today())
    for problem in result.problems:
        print(problem)
    errors = sum(problem.is_error for problem in result.problems)
    warnings = len(result.problems) - errors
    if errors:
        print(f"{errors} error(s), {warnings} warning(s) found", file=sys.stderr)
        return 1
    lessons = sum(len(course.lessons()) for course in result.courses)
    print(f"ok: {len(result.courses)} course(s), {lessons} lesson(s) in {root} ({warnings} warning(s))")
    return 0


def cmd_import(args) -> int:
    from sqlmodel import Session

    from app.catalogue.importer import ContentInvalid, import_content
    from app.catalogue.rules import ContentRules

    root = Path(args.dir or get_settings().content_dir)
    with Session(_engine()) as session:
        try:
            report = import_content(session, root, ContentRules.from_settings(get_settings()))
            session.commit()
        except ContentInvalid as exc:
            for problem in exc.problems:
                print(problem)
            print(f"nothing imported: {len(exc.problems)} problem(s)", file=sys.stderr)
            return 1
    for item in report:
        print(f"{item.status:9} {item.course} ({item.lessons} lessons) {item.content_hash[:12]}")
    return 0


def cmd_migrate(_args) -> int:
    _engine()
    print("database schema is at head")
    return 0


def cmd_backup(args) -> int:
    from app.backup import BackupRefused, backup_sqlite

    try:
        size = backup_sqlite(get_settings().database_url, args.file)
    except BackupRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"backup written to {args.file} ({size} bytes, integrity ok)")
    return 0


def cmd_token(args) -> int:
    from app.auth.tokens import SCOPES, mint_dev_token
    from app.localities.official import is_commune

    scopes = args.scope.replace(",", " ").split()
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        print(f"unknown scope(s): {', '.join(unknown)} (choose from {', '.join(SCOPES)})", file=sys.stderr)
        return 2
    if "learner" in scopes and not is_commune(args.locality):
        print("a learner token needs --locality with an official 5-digit commune code, e.g. 00070", file=sys.stderr)
        return 2
    print(
        mint_dev_token(
            get_settings(), scopes=scopes, subject=args.sub, locality=args.locality, expires_in=args.expires_in
        )
    )
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    settings = get_settings()
    if settings.is_production and args.workers > 1 and not settings.redis_url:
        # In memory each worker would count for itself: three quiz attempts would become three per worker.
        print(
            f"error: production with {args.workers} workers needs REDIS_URL (a limiter shared by every worker)",
            file=sys.stderr,
        )
        return 2
    if "PUBLIC_BASE_URL" not in os.environ and not settings.is_production:
        # Certificate links and QR codes point where this server listens (the workers read it from here).
        os.environ["PUBLIC_BASE_URL"] = f"http://{args.host}:{args.port}"
    _engine()
    _load_keys(settings)
    if not args.no_import and Path(settings.content_dir).is_dir():
        code = cmd_import(argparse.Namespace(dir=str(settings.content_dir)))
        if code:
            return code
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts its own requests; /metrics adds them up from this directory.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bdhvs-metrics-")
    from app.ops.logs import log_config

    uvicorn.run(
        "app.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,  # the app resolves the client behind TRUSTED_PROXIES itself (app.limits.proxy)
        access_log=False,  # the app writes its own JSON access line, without client addresses by default
        log_config=log_config(),
    )
    return 0


def _load_keys(settings) -> None:
    """Load the identity and certificate keys once before any worker starts: a bad key file is one clear line
    here instead of a traceback in every worker."""
    from app.auth.tokens import TokenVerifier
    from app.certificates.signing import CertificateSigner
    from app.config import InvalidConfiguration

    CertificateSigner(settings)
    try:
        TokenVerifier(settings)
    except ValueError as exc:
        raise InvalidConfiguration(f"identity provider keys: {exc}") from None


def cmd_stats_rebuild(args) -> int:
    from sqlmodel import Session

    from app.learners.rebuild import rebuild

    with Session(_engine()) as session:
        found = rebuild(session, write=not args.check)
        session.commit()
    for difference in found[:100]:
        print(difference)
    if len(found) > 100:
        print(f"... and {len(found) - 100} more")
    if not found:
        print("rollups agree with a rebuild from raw progress")
        return 0
    if args.check:
        print(f"{len(found)} difference(s); run without --check to rewrite the rollups", file=sys.stderr)
        return 1
    print(f"{len(found)} difference(s) found; rollups rewritten from raw progress")
    return 0


def cmd_stats_release(_args) -> int:
    from sqlmodel import Session

    from app.stats.service import release_now

    with Session(_engine(), expire_on_commit=False) as session:
        found = release_now(session, settings=get_settings())
        session.commit()
    if found is None:  # its slot, the current instant, was taken by another release in the same microsecond
        print("a release was published at this same instant; run the command again", file=sys.stderr)
        return 1
    print(f"statistics release {found.id} published as of {found.as_of.isoformat()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description="Bình dân học vụ số course service")
    commands = parser.add_subparsers(dest="command", required=True)

    content = commands.add_parser("content", help="validate or import Markdown content").add_subparsers(
        dest="action", required=True
    )
    validate = content.add_parser("validate", help="print every problem as file:line: message")
    validate.add_argument("dir", nargs="?")
    validate.set_defaults(func=cmd_validate)
    imp = content.add_parser("import", help="publish content into the database (idempotent)")
    imp.add_argument("dir", nargs="?")
    imp.set_defaults(func=cmd_import)

    commands.add_parser("migrate", help="bring the database schema to head").set_defaults(func=cmd_migrate)

    backup = commands.add_parser("backup", help="copy a live SQLite database to FILE (PostgreSQL: pg_dump)")
    backup.add_argument("file", type=Path)
    backup.set_defaults(func=cmd_backup)

    token = commands.add_parser("token", help="print a development token (refused in production)")
    token.add_argument("--scope", required=True, help="learner, author, stats, admin (several: 'stats admin')")
    token.add_argument("--sub", required=True, help="pseudonymous subject")
    token.add_argument("--locality", help="5-digit commune code (learner tokens)")
    token.add_argument("--expires-in", type=int, default=3600, help="seconds; negative mints an expired token")
    token.set_defaults(func=cmd_token)

    serve = commands.add_parser("serve", help="run the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    # WEB_CONCURRENCY (the name uvicorn and gunicorn read) sizes the workers of an image without changing its CMD.
    serve.add_argument(
        "--workers", type=int, default=os.environ.get("WEB_CONCURRENCY") or "1", help="default: WEB_CONCURRENCY or 1"
    )
    serve.add_argument("--no-import", action="store_true", help="do not import CONTENT_DIR at start")
    serve.set_defaults(func=cmd_serve)

    stats = commands.add_parser("stats", help="statistics maintenance").add_subparsers(dest="action", required=True)
    stats_rebuild = stats.add_parser("rebuild", help="recompute every rollup from raw progress; report differences")
    stats_rebuild.add_argument("--check", action="store_true", help="only report; exit 1 if any difference")
    stats_rebuild.set_defaults(func=cmd_stats_rebuild)
    stats_release = stats.add_parser("release", help="publish the statistics now (besides the daily schedule)")
    stats_release.set_defaults(func=cmd_stats_release)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:
        # A missing database, an unreachable server, an unsafe setting: one line the operator can act on.
        from app.startup import explain

        line = explain(exc, database_url=_database_url())
        if line is None:
            raise
        print(line, file=sys.stderr)
        return 1


def _database_url() -> str | None:
    try:
        return get_settings().database_url
    except Exception:  # the settings themselves are what failed
        return None
