"""Drafts, publishing, rollback, withdrawal and the audit log: plain functions around the catalogue's importer."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.author import diff as diffs
from app.author.archive import ArchiveLimits, read_archive
from app.author.models import AuthorAudit, AuthorDraft
from app.author.schemas import ContextLine, DraftOut, ProblemOut
from app.catalogue import history
from app.catalogue.importer import ContentInvalid, Published, publish_parsed, serve_version, withdraw_course
from app.catalogue.messages import describe
from app.catalogue.problems import Problem
from app.catalogue.rules import ContentRules
from app.catalogue.walker import ContentParse, parse_tree
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.progress import service as progress_service

CONTEXT_LINES = 2  # shown on each side of a problem's line
PARSED_KEPT = 8  # drafts kept parsed in memory per worker, for previews


@dataclass(frozen=True)
class AuthorLimits:
    archive: ArchiveLimits
    rules: ContentRules

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthorLimits:
        return cls(
            ArchiveLimits(
                max_bytes=settings.author_zip_max_bytes,
                max_files=settings.author_zip_max_files,
                max_file_bytes=settings.author_zip_max_file_bytes,
                max_total_bytes=settings.author_zip_max_total_bytes,
                max_ratio=settings.author_zip_max_ratio,
            ),
            ContentRules.from_settings(settings),
        )


_parsed: OrderedDict[str, ContentParse] = OrderedDict()


def parse_draft(draft: AuthorDraft, limits: AuthorLimits) -> ContentParse:
    """The draft's courses, parsed by `content import`'s own code from the bytes as uploaded."""
    found = _parsed.get(draft.id)
    if found is None:
        found = parse_tree("", read_archive(draft.archive, limits.archive), limits.rules)
        _parsed[draft.id] = found
        while len(_parsed) > PARSED_KEPT:
            _parsed.popitem(last=False)
    return found


def create_draft(session: Session, *, archive: bytes, author: str, limits: AuthorLimits) -> AuthorDraft:
    """Read, check and keep an upload; its report holds the problems, the courses and the diff."""
    tree = read_archive(archive, limits.archive)
    parsed = parse_tree("", tree, limits.rules)
    draft = AuthorDraft(id=secrets.token_hex(16), author_key=author, created_at=utcnow(), archive=archive)
    draft.report = _report(session, parsed, tree)
    session.add(draft)
    courses = [course["slug"] for course in draft.report["courses"]]
    _audit(session, author, "draft", draft_id=draft.id, detail={"courses": courses, "errors": draft.report["errors"]})
    session.flush()
    _parsed[draft.id] = parsed
    return draft


def draft_out(draft: AuthorDraft) -> DraftOut:
    return DraftOut(id=draft.id, created_at=draft.created_at, published_at=draft.published_at, **draft.report)


def get_draft(session: Session, draft_id: str) -> AuthorDraft:
    draft = session.get(AuthorDraft, draft_id[:64])
    if draft is None:
        raise NotFound("Không có bản nháp này.", code="draft_not_found")
    return draft


def publish_draft(session: Session, *, draft: AuthorDraft, author: str, limits: AuthorLimits) -> list[Published]:
    """Publish every course of the draft in one transaction, or nothing while an error remains."""
    parsed = parse_draft(draft, limits)
    summaries = {d["course"]: diffs.summary(d) for d in draft.report.get("diff", [])}
    try:
        report = publish_parsed(session, parsed, actor=author, summaries=summaries)
    except ContentInvalid as exc:
        raise Conflict(
            f"Bản nháp còn {len(exc.problems)} lỗi: hãy sửa rồi tải lên lại.", code="draft_has_errors"
        ) from None
    draft.published_at = draft.published_at or utcnow()
    session.add(draft)
    for item in report:
        detail = {"status": item.status, "content_hash": item.content_hash}
        _audit(session, author, "publish", course=item.course, draft_id=draft.id, detail=detail)
    session.flush()
    return report


def rollback(session: Session, *, course: str, version: int, author: str) -> bool:
    """Serve version `version` of a course again; False when it is already served."""
    version_id = history.version_id_of(session, course, version)
    if version_id is None:
        raise NotFound(f"Khoá học '{course[:64]}' không có phiên bản {version}.", code="version_not_found")
    changed = serve_version(
        session, course_slug=course, version_id=version_id, actor=author, summary={"rollback_to": version}
    )
    _audit(session, author, "rollback", course=course, detail={"version": version, "changed": changed})
    session.flush()
    return changed


def withdraw(session: Session, *, course: str, author: str) -> bool:
    """Take a course out of the catalogue; progress and certificates are kept. False when it already was out."""
    try:
        changed = withdraw_course(session, course_slug=course, actor=author)
    except KeyError:
        raise NotFound(f"Không có khoá học '{course[:64]}'.", code="course_not_found") from None
    _audit(session, author, "withdraw", course=course, detail={"changed": changed})
    session.flush()
    return changed


def versions(session: Session, course: str) -> tuple[history.CourseState, list[history.PublicationView]]:
    state = history.course_state(session, course)
    if state is None:
        raise NotFound(f"Không có khoá học '{course[:64]}'.", code="course_not_found")
    return state, history.course_history(session, course)


def audit_log(session: Session, *, limit: int, before: int | None = None) -> list[AuthorAudit]:
    query = select(AuthorAudit).order_by(col(AuthorAudit.id).desc()).limit(limit)
    if before is not None:
        query = query.where(col(AuthorAudit.id) < before)
    return list(session.exec(query).all())


def _audit(
    session: Session,
    actor: str,
    action: str,
    *,
    course: str | None = None,
    draft_id: str | None = None,
    detail: dict | None = None,
) -> None:
    session.add(
        AuthorAudit(at=utcnow(), actor=actor, action=action, course_slug=course, draft_id=draft_id, detail=detail or {})
    )


def _report(session: Session, parsed: ContentParse, tree: dict[str, dict[str, bytes]]) -> dict:
    problems = [_problem_out(problem, tree).model_dump() for problem in parsed.problems]
    courses, found_diffs = [], []
    for course in parsed.courses:
        state = history.course_state(session, course.slug)
        serving = state is not None and not state.withdrawn
        courses.append(
            {
                "slug": course.slug,
                "title": course.title,
                "content_hash": course.content_hash(),
                "lessons": len(course.lessons()),
                "published_version": state.version if serving and state else None,
                "unchanged": bool(serving and state and state.content_hash == course.content_hash()),
            }
        )
        diff = diffs.course_diff(course, history.published_outline(session, course.slug))
        diff["learners_on_removed"] = progress_service.learners_on(
            session, course_slug=course.slug, lessons=diffs.lost_slugs(diff)
        )
        found_diffs.append(diff)
    errors = sum(problem["severity"] == "error" for problem in problems)
    return {
        "errors": errors,
        "warnings": len(problems) - errors,
        "problems": problems,
        "courses": courses,
        "diff": found_diffs,
    }


def _problem_out(problem: Problem, tree: dict[str, dict[str, bytes]]) -> ProblemOut:
    code, message = describe(problem)
    return ProblemOut(
        file=problem.file,
        line=problem.line,
        severity=problem.severity,
        code=code,
        message=message,
        context=_context(problem, tree),
    )


def _context(problem: Problem, tree: dict[str, dict[str, bytes]]) -> list[ContextLine]:
    course, _, rel = problem.file.partition("/")
    data = tree.get(course, {}).get(rel)
    if data is None or not rel.endswith(".md"):
        return []
    lines = data.decode("utf-8", errors="replace").removeprefix("\ufeff").split("\n")
    first = max(1, problem.line - CONTEXT_LINES)
    last = min(len(lines), problem.line + CONTEXT_LINES)
    return [ContextLine(line=n, text=lines[n - 1][:500]) for n in range(first, last + 1)]
