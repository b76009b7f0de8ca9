"""A draft course exactly as learners will get it: lessons rendered by the importer's own code, quizzes without keys."""

from __future__ import annotations

from datetime import datetime

from app.author.schemas import CoursePreview, OptionPreview, QuestionPreview, QuizPreview
from app.catalogue.importer import rendered_lessons
from app.catalogue.parsed import CourseSource
from app.catalogue.published import lesson_out, lesson_outline, quiz_outline
from app.catalogue.schemas import CourseDetail, LessonOutline, ModuleOutline, TermOut


def course_preview(source: CourseSource, *, asset_path: str, created_at: datetime) -> CoursePreview:
    """Every lesson, quiz (as a learner sees it: no right answers, no explanations), term and picture of a course."""
    lessons = rendered_lessons(source, asset_path=asset_path)
    by_module: dict[str, list[LessonOutline]] = {}
    for lesson in lessons:
        by_module.setdefault(lesson.module, []).append(lesson_outline(lesson, asset_path))
    outline = [
        ModuleOutline(
            slug=module.slug,
            title=module.title,
            summary=module.summary,
            lessons=by_module.get(module.slug, []),
            quiz=quiz_outline(module.quiz),
        )
        for module in source.modules
    ]
    quizzes = [module.quiz for module in source.modules if module.quiz is not None]
    detail = CourseDetail(
        slug=source.slug,
        title=source.title,
        summary=source.summary,
        sequential=source.sequential,
        modules=len(source.modules),
        lessons=len(lessons),
        quizzes=len(quizzes),
        minutes=sum(lesson.minutes or 0 for lesson in lessons),
        content_hash=source.content_hash(),
        published_at=created_at,
        pass_ratio=source.pass_ratio,
        outline=outline,
    )
    return CoursePreview(
        course=detail,
        lessons=[lesson_out(source.slug, lesson, asset_path=asset_path) for lesson in lessons],
        quizzes=[
            QuizPreview(
                id=quiz.slug,
                title=quiz.title,
                pass_ratio=quiz.pass_ratio,
                ask=quiz.ask,
                review=quiz.review,
                questions=[
                    QuestionPreview(
                        id=q.id,
                        text=q.text,
                        multiple=q.multiple,
                        options=[OptionPreview(id=o.id, text=o.text) for o in q.options],
                    )
                    for q in quiz.questions
                ],
            )
            for quiz in quizzes
        ],
        glossary=[TermOut(id=t.id, term=t.term, explanation=t.explanation) for t in source.glossary],
    )
