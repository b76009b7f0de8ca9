"""How long the scripted guesser of tests/integrity/test_elimination.py needs to certify in each bundled course.

Run from the repository root: `.venv/bin/python scripts/guesser_report.py` (options: --runs, --days, --jobs,
--content or --rev, --course). The content is copied once at the start (or read from a commit with --rev), so
an edit made meanwhile changes no run. Each run imports that copy into a new temporary SQLite database, serves
it with the shipped attempt limits (QUIZ_ATTEMPT_LIMITS' default) and review policy, and plays
test_elimination.play: the same Guesser, on a simulated clock (tests/integrity/conftest.py), never reading a
lesson, all quizzes of the course at once on fresh forms, as fast as the limits allow; it gives up after --days
simulated days. Prints one row per course: quizzes, questions per pool (min-max), questions asked, runs, the
median and the longest simulated time to the certificate (or "not within N days"), and the course's lesson
minutes (a lesson without `minutes` counts as 3, as the plausibility check counts it). Runs are seeded: the
same content, the same table.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess  # noqa: S404
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.tokens import mint_dev_token  # noqa: E402
from app.catalogue.importer import import_content  # noqa: E402
from app.catalogue.parsed import CourseSource  # noqa: E402
from app.catalogue.problems import errors  # noqa: E402
from app.catalogue.walker import parse_content  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine, migrate  # noqa: E402
from app.main import create_app  # noqa: E402
from tests.integrity.conftest import Clock, serve_on  # noqa: E402
from tests.integrity.test_elimination import play  # noqa: E402

DAY = 86400
LIMITS = Settings.model_fields["quiz_attempt_limits"].default
LESSON_MINUTES_UNSET = 3  # what app/progress counts for a lesson without `minutes`


@dataclass(frozen=True)
class Shape:
    slug: str
    lessons: tuple[str, ...]
    quizzes: tuple[str, ...]
    pools: tuple[int, ...]  # questions per quiz
    asks: tuple[int, ...]  # questions asked per form
    reviews: tuple[str, ...]  # each quiz's review policy
    minutes: int


def shape(course: CourseSource) -> Shape:
    lessons = [lesson for module in course.modules for lesson in module.lessons]
    quizzes = [module.quiz for module in course.modules if module.quiz is not None]
    return Shape(
        slug=course.slug,
        lessons=tuple(lesson.slug for lesson in lessons),
        quizzes=tuple(quiz.slug for quiz in quizzes),
        pools=tuple(len(quiz.questions) for quiz in quizzes),
        asks=tuple(quiz.ask or len(quiz.questions) for quiz in quizzes),
        reviews=tuple(quiz.review for quiz in quizzes),
        minutes=sum(lesson.minutes or LESSON_MINUTES_UNSET for lesson in lessons),
    )


def one_run(content: str, course: Shape, seed: int, days: float) -> dict:
    """One guesser against one course, in a database of its own (a process of its own: the clock is patched)."""
    with tempfile.TemporaryDirectory(prefix="guesser-report-") as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/report.db",
            app_env="test",
            dev_secrets_file=Path(tmp) / "dev-secrets.json",
            dev_tokens=True,
            pepper="a fixed pepper for the guesser report, 32+ characters",  # the same draws in every run
            quiz_attempt_limits=LIMITS,  # the shipped default, whatever the environment says
            catalogue_refresh_seconds=0,
            stats_release_auto=False,
        )
        engine = make_engine(settings.database_url)
        migrate(engine)
        with Session(engine) as session:
            import_content(session, Path(content))
            session.commit()
        clock = Clock()
        serve_on(clock, setattr)
        clock.advance(DAY)  # the course was published a day before the guesser came: its device dates are plausible
        app = create_app(settings, engine=engine)
        token = mint_dev_token(
            settings, scopes=["learner"], subject=f"guesser-{seed}", locality="00070", expires_in=int((days + 2) * DAY)
        )
        with TestClient(app, raise_server_exceptions=False) as client:
            with Session(engine) as session:
                app.state.catalogue.refresh(session)
            outcome = play(
                client,
                clock,
                {"Authorization": f"Bearer {token}"},
                seed,
                course=course.slug,
                lessons=course.lessons,
                quizzes=course.quizzes,
                give_up=days * DAY,
            )
        engine.dispose()
    return {"course": course.slug, "seed": seed, **outcome}


def duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < DAY:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / DAY:.1f} days"


def summary(outcomes: list[dict], days: float) -> tuple[str, str]:
    """Median and longest time to the certificate; a run without one counts as longer than any with one."""
    times = sorted(o["seconds"] if o["certificate"] else float("inf") for o in outcomes)
    never = f"not within {days:g} days"

    def said(seconds: float) -> str:
        return never if seconds == float("inf") else duration(seconds)

    middle = len(times) // 2
    median = times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) / 2
    return said(median), said(times[-1])


def table(courses: list[Shape], outcomes: list[dict], days: float) -> str:
    head = ("course", "quizzes", "questions per pool", "ask", "runs", "median", "max", "course minutes")
    rows = [head, tuple("---" for _ in head)]
    for course in courses:
        mine = [o for o in outcomes if o["course"] == course.slug]
        asks = sorted(set(course.asks))
        median, longest = summary(mine, days) if mine else ("-", "-")
        rows.append(
            (
                course.slug,
                str(len(course.quizzes)),
                f"{min(course.pools)}–{max(course.pools)}" if course.pools else "-",
                "–".join(str(a) for a in sorted({asks[0], asks[-1]})),
                f"{sum(1 for o in mine if o['certificate'])}/{len(mine)} certified",
                median,
                longest,
                str(course.minutes),
            )
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def snapshot(content: str, rev: str | None, into: Path) -> tuple[Path, str]:
    """A copy of the content taken once, so that every run imports the same files; and what it is."""
    if rev:
        commit = subprocess.run(  # noqa: S603 (git, from PATH, with the caller's revision)
            ["git", "-C", str(ROOT), "rev-parse", "--short", f"{rev}^{{commit}}"],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        archive = subprocess.run(  # noqa: S603
            ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "content"],  # noqa: S607
            check=True,
            capture_output=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into, filter="data")
        return into / "content", f"content/ as committed in {commit}"
    shutil.copytree(content, into / "content", symlinks=True)
    return into / "content", f"{content} as it was at the start"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "content"), help="content root (default: content/)")
    parser.add_argument("--rev", help="instead, content/ as committed in this git revision (read by git archive)")
    parser.add_argument("--course", action="append", help="only this course (repeatable)")
    parser.add_argument("--runs", type=int, default=5, help="runs per course (seeds 1..N)")
    parser.add_argument("--days", type=float, default=60, help="simulated days before a run gives up")
    parser.add_argument("--jobs", type=int, default=2, help="runs played at once, one process each")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="guesser-content-") as tmp:
        content, measured = snapshot(args.content, args.rev, Path(tmp))
        parsed = parse_content(content)
        if errors(parsed.problems):
            for problem in errors(parsed.problems):
                print(problem, file=sys.stderr)
            print(f"{measured}: the content does not import", file=sys.stderr)
            return 1
        courses = [shape(c) for c in parsed.courses if not args.course or c.slug in args.course]
        courses = [c for c in courses if c.quizzes]  # a course without quizzes has no attempt to guess
        runs = [(str(content), course, seed, args.days) for course in courses for seed in range(1, args.runs + 1)]
        outcomes = []
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for outcome in pool.map(one_run, *zip(*runs, strict=True)):
                attempts = ", ".join(f"{quiz} {n}" for quiz, n in outcome["attempts"].items())
                done = duration(outcome["seconds"]) if outcome["certificate"] else "no certificate"
                print(f"{outcome['course']} seed {outcome['seed']}: {done}; attempts: {attempts}", file=sys.stderr)
                outcomes.append(outcome)
    reviews = ", ".join(sorted({review for course in courses for review in course.reviews}))
    print(f"{measured}; attempt limits {LIMITS}; review before a pass: {reviews}; give up after {args.days:g} days")
    print(table(courses, outcomes, args.days))
    print(f"({time.monotonic() - started:.0f} s of real time)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
