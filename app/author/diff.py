"""What a draft changes against what is published (pure): lessons added, removed, renamed; questions changed."""

from __future__ import annotations

from dataclasses import asdict

from app.catalogue.history import PublishedOutline
from app.catalogue.parsed import CourseSource


def course_diff(draft: CourseSource, published: PublishedOutline | None) -> dict:
    """The changes of one course. learners_on_removed is filled in by the service (it needs the database)."""
    draft_lessons = {lesson.slug: (module.slug, lesson.title) for module, lesson in draft.lessons()}
    if published is None:
        return {
            "course": draft.slug,
            "new": True,
            "lessons": {"added": list(draft_lessons), "removed": [], "renamed": [], "retitled": []},
            "quizzes": [],
        }
    old = {lesson.slug: lesson for lesson in published.lessons}
    added = [slug for slug in draft_lessons if slug not in old]
    removed = [slug for slug in old if slug not in draft_lessons]
    renamed = []
    for slug in list(removed):  # a removed slug and an added one with the same title: the file was renamed
        match = next((new for new in added if draft_lessons[new][1] == old[slug].title), None)
        if match is not None:
            renamed.append({"from": slug, "to": match})
            removed.remove(slug)
            added.remove(match)
    retitled = [
        {"slug": slug, "from": old[slug].title, "to": draft_lessons[slug][1]}
        for slug in draft_lessons
        if slug in old and old[slug].title != draft_lessons[slug][1]
    ]
    return {
        "course": draft.slug,
        "new": False,
        "lessons": {"added": added, "removed": removed, "renamed": renamed, "retitled": retitled},
        "quizzes": _quiz_changes(draft, published),
    }


def _quiz_changes(draft: CourseSource, published: PublishedOutline) -> list[dict]:
    changes = []
    drafted = {module.slug: module.quiz for module in draft.modules if module.quiz is not None}
    for slug in sorted(set(drafted) | set(published.quizzes)):
        new = {q.id: asdict(q) for q in drafted[slug].questions} if slug in drafted else {}
        old = {q["id"]: q for q in published.quizzes.get(slug, [])}
        change = {
            "quiz": slug,
            "added": [qid for qid in new if qid not in old],
            "removed": [qid for qid in old if qid not in new],
            "changed": [qid for qid in new if qid in old and new[qid] != old[qid]],
        }
        if change["added"] or change["removed"] or change["changed"]:
            changes.append(change)
    return changes


def lost_slugs(diff: dict) -> list[str]:
    """Lesson slugs learners may have progress on that the draft no longer has (removed or renamed away)."""
    lessons = diff["lessons"]
    return [*lessons["removed"], *(pair["from"] for pair in lessons["renamed"])]


def summary(diff: dict) -> dict:
    """A few counts for the version history."""
    lessons = diff["lessons"]
    return {
        "lessons_added": len(lessons["added"]),
        "lessons_removed": len(lessons["removed"]),
        "lessons_renamed": len(lessons["renamed"]),
        "questions_changed": sum(len(q["added"]) + len(q["removed"]) + len(q["changed"]) for q in diff["quizzes"]),
    }
