"""Limits of the content format that operators may change, and the rule that depends on today's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.catalogue.parsed import CourseSource
from app.catalogue.problems import Problem
from app.config import Settings

DEFAULT_MAX_IMAGE_BYTES = 200 * 1024
DEFAULT_REVIEW_MAX_AGE_DAYS = 365
DEFAULT_MAX_MARKDOWN_BYTES = 64 * 1024
DEFAULT_MAX_SVG_ELEMENTS = 300
DEFAULT_MAX_AUDIO_BYTES = 2 * 1024 * 1024  # about 8 minutes of speech in Opus at 32 kbit/s


@dataclass(frozen=True)
class ContentRules:
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    review_max_age_days: int = DEFAULT_REVIEW_MAX_AGE_DAYS
    max_markdown_bytes: int = DEFAULT_MAX_MARKDOWN_BYTES
    max_svg_elements: int = DEFAULT_MAX_SVG_ELEMENTS
    max_audio_bytes: int = DEFAULT_MAX_AUDIO_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> ContentRules:
        return cls(
            max_image_bytes=settings.content_max_image_bytes,
            review_max_age_days=settings.content_review_max_age_days,
            max_markdown_bytes=settings.content_max_markdown_bytes,
            max_svg_elements=settings.content_max_svg_elements,
            max_audio_bytes=settings.content_max_audio_bytes,
        )


def review_problems(courses: list[CourseSource], *, today: date, max_age_days: int) -> list[Problem]:
    """A warning for lessons reviewed more than max_age_days ago, an error past twice that or in the future."""
    problems = []
    for course in courses:
        for _, lesson in course.lessons():
            if lesson.reviewed is None or lesson.origin is None:
                continue
            age = (today - lesson.reviewed).days
            where = (lesson.origin.file, lesson.origin.reviewed_line)
            if age < 0:
                problems.append(Problem(*where, f"'reviewed' {lesson.reviewed} is in the future"))
            elif age > 2 * max_age_days:
                message = f"facts last reviewed {age} days ago (over {2 * max_age_days}): check them again"
                problems.append(Problem(*where, message))
            elif age > max_age_days:
                message = f"facts last reviewed {age} days ago (over {max_age_days}): check them soon"
                problems.append(Problem(*where, message, "warning"))
    return problems
