"""What the parser hands over: named, plain data for courses, lessons, quizzes, glossary and images."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date

DEFAULT_PASS_RATIO = 0.8


def digest(value: object) -> str:
    """SHA-256 of a canonical JSON form: equal content gives an equal hash."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass
class Option:
    id: str
    text: str
    correct: bool


@dataclass
class Question:
    id: str
    text: str
    options: list[Option]
    explanation: str | None = None

    @property
    def multiple(self) -> bool:
        return sum(option.correct for option in self.options) > 1


@dataclass
class QuizSource:
    slug: str
    title: str
    pass_ratio: float
    questions: list[Question]
    ask: int | None = None  # questions drawn per attempt (None: all of them)
    review: str = "hints"  # what a reply reveals before the quiz is passed

    def content_hash(self) -> str:
        return digest(asdict(self))


@dataclass(frozen=True)
class SourceRef:
    """A page the facts of a lesson were checked against."""

    title: str
    url: str


@dataclass(frozen=True)
class Origin:
    """Where a lesson came from, for problems found after parsing (never part of the content hash)."""

    file: str
    reviewed_line: int


@dataclass
class LessonSource:
    slug: str
    title: str
    minutes: int | None
    body: str
    sources: list[SourceRef] = field(default_factory=list)
    reviewed: date | None = None
    images: list[str] = field(default_factory=list)  # course-relative paths, in order of first use
    audio: str | None = None  # course-relative path of its recorded narration (also in `images`, the assets)
    origin: Origin | None = field(default=None, compare=False)

    def hash_payload(self) -> dict:
        payload = asdict(self)
        payload.pop("origin")
        return payload


@dataclass
class ModuleSource:
    slug: str
    title: str
    summary: str
    lessons: list[LessonSource] = field(default_factory=list)
    quiz: QuizSource | None = None


@dataclass(frozen=True)
class GlossaryTerm:
    id: str
    term: str
    explanation: str


@dataclass(frozen=True)
class ImageAsset:
    """A media file of a course (a picture, or a lesson's recorded narration), addressed by the SHA-256 of its
    bytes."""

    sha256: str
    media_type: str
    extension: str
    data: bytes = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.sha256}.{self.extension}"


@dataclass
class CourseSource:
    slug: str
    title: str
    summary: str
    sequential: bool
    pass_ratio: float
    review: str = "hints"
    modules: list[ModuleSource] = field(default_factory=list)
    glossary: list[GlossaryTerm] = field(default_factory=list)
    images: dict[str, ImageAsset] = field(default_factory=dict)  # course-relative path -> asset

    def content_hash(self) -> str:
        """The hash of the files (source_hash) and of the renderer's version: a new renderer makes a new version."""
        from app.catalogue.render import RENDERER_VERSION  # render imports this module

        return digest({"source": self.source_hash(), "renderer": RENDERER_VERSION})

    def source_hash(self) -> str:
        """What the author wrote: equal files give an equal hash, whatever the renderer."""
        return digest(
            {
                "slug": self.slug,
                "title": self.title,
                "summary": self.summary,
                "sequential": self.sequential,
                "pass_ratio": self.pass_ratio,
                "modules": [_module_payload(module) for module in self.modules],
                "glossary": [asdict(term) for term in self.glossary],
                "images": {path: image.name for path, image in sorted(self.images.items())},
            }
        )

    def lessons(self) -> list[tuple[ModuleSource, LessonSource]]:
        return [(module, lesson) for module in self.modules for lesson in module.lessons]


def _module_payload(module: ModuleSource) -> dict:
    return {
        "slug": module.slug,
        "title": module.title,
        "summary": module.summary,
        "lessons": [lesson.hash_payload() for lesson in module.lessons],
        "quiz": asdict(module.quiz) if module.quiz else None,
    }
