"""Quiz files: a token state machine over the body (heading, options, explanation) and the balance rules."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.catalogue.frontmatter import ask_field, pass_ratio_field, read_front_matter, review_field, text_field
from app.catalogue.parsed import Option, Question, QuizSource, nfc
from app.catalogue.problems import FileProblems

QUESTION_ID = re.compile(r"\s*\{#([A-Za-z0-9][A-Za-z0-9_-]{0,63})\}\s*$", re.ASCII)
TASK_ITEM = re.compile(r"^\[( |x|X)\]\s+(\S.*)$", re.DOTALL)
MAX_OPTIONS = 26
BALANCE_MIN_SINGLE = 4  # below this many single-choice questions, clustering is not judged
BALANCE_MIN_MULTIPLE = 2
POOL_FACTOR = 2  # a pool should hold this many times the questions asked per attempt
POOL_MIN_ASKED = 4  # like the balance rules, a quiz asking fewer questions is not judged
# Words that give a wrong option away: a made-up reason ("vì …", but not "thay vì", instead of) or haste.
GIVEAWAY = re.compile(r"(?<!\w)(?<!thay )vì(?!\w)|(?<!\w)cho (?:nhanh|tiện|xong)(?!\w)", re.IGNORECASE)
UNEXPECTED = {
    "heading_open": "a heading that is not level 2 ('## ')",
    "ordered_list_open": "a numbered list (options must be a task list '- [ ]')",
    "bullet_list_open": "a second option list",
    "blockquote_open": "an explanation before the options",
}

_md = MarkdownIt("commonmark")


@dataclass
class QuizBody:
    questions: list[Question] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # line of each question's heading


@dataclass
class _Reader:
    """State of the walk over the tokens: none -> heading -> options -> explanation."""

    tokens: list[Token]
    offset: int
    out: FileProblems
    body: QuizBody = field(default_factory=QuizBody)
    seen_ids: dict[str, int] = field(default_factory=dict)
    state: str = "none"

    def line_of(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + self.offset + 1

    @property
    def current(self) -> Question | None:
        return self.body.questions[-1] if self.body.questions else None


def parse_quiz(
    slug: str, text: str, default_ratio: float, out: FileProblems, default_review: str = "hints"
) -> QuizSource | None:
    """A quiz from its file text; problems (including balance) go to out."""
    front = read_front_matter("quiz", text, out)
    if front is None:
        return None
    title = text_field(front, "title", out, required=True)
    ratio = pass_ratio_field(front, out)
    body = parse_quiz_body(front.body, front.body_offset, out)
    if not body.questions:
        out.error(front.body_offset + 1, "the quiz has no questions (each question is a '## ' heading)")
    check_balance(body, out)
    check_giveaways(body, out)
    ask = ask_field(front, out)
    if ask is not None and body.questions and ask > len(body.questions):
        out.error(front.line("ask"), f"'ask' is {ask} but the quiz has only {len(body.questions)} questions")
        ask = None
    check_pool(len(body.questions), ask, front.line("ask"), out)
    return QuizSource(
        slug=slug,
        title=title,
        pass_ratio=ratio or default_ratio,
        questions=body.questions,
        ask=ask,
        review=review_field(front, out) or default_review,
    )


def parse_quiz_body(body: str, offset: int, out: FileProblems) -> QuizBody:
    """Questions from a quiz body: level-2 headings, task-list options, blockquote explanation."""
    reader = _Reader(_md.parse(body), offset, out)
    i = 0
    while i < len(reader.tokens):
        i = _step(reader, i)
    _finish_question(reader)
    return reader.body


def _step(reader: _Reader, i: int) -> int:
    """Consume the block at i and return the index after it."""
    token = reader.tokens[i]
    if token.type == "heading_open" and token.tag == "h2":
        _finish_question(reader)
        _start_question(reader, token, reader.tokens[i + 1].content.strip())
        reader.state = "heading"
        return i + 3
    if token.type == "bullet_list_open" and reader.current is not None and reader.state == "heading":
        reader.state = "options"
        return _read_options(reader, reader.current, i)
    if token.type == "blockquote_open" and reader.current is not None and reader.state == "options":
        text, after = _inline_text(reader.tokens, i, "blockquote_close")
        reader.current.explanation = nfc(text) or None
        reader.state = "explanation"
        return after
    where = "before the first question" if reader.current is None else f"in question '{reader.current.id}'"
    what = UNEXPECTED.get(token.type, "text that is not part of a question")
    reader.out.error(reader.line_of(token), f"unexpected {what} {where}")
    return _skip_block(reader.tokens, i)


def _start_question(reader: _Reader, token: Token, raw: str) -> None:
    match = QUESTION_ID.search(raw)
    qid = match.group(1) if match else f"q{len(reader.body.questions) + 1}"
    text = nfc(raw[: match.start()].strip() if match else raw)
    line = reader.line_of(token)
    if not text:
        reader.out.error(line, "question heading has no text")
    if qid in reader.seen_ids:
        reader.out.error(line, f"question id '{qid}' is used twice (first on line {reader.seen_ids[qid]})")
    reader.seen_ids[qid] = line
    reader.body.questions.append(Question(id=qid, text=text, options=[]))
    reader.body.lines.append(line)


def _finish_question(reader: _Reader) -> None:
    question = reader.current
    if question is None:
        return
    line = reader.body.lines[-1]
    if not question.options:
        reader.out.error(line, f"question '{question.id}' has no options (a task list '- [ ]' / '- [x]')")
    elif len(question.options) < 2:
        reader.out.error(line, f"question '{question.id}' needs at least two options")
    elif not any(option.correct for option in question.options):
        reader.out.error(line, f"question '{question.id}' has no ticked (correct) option '- [x]'")


def _read_options(reader: _Reader, question: Question, i: int) -> int:
    tokens = reader.tokens
    level = tokens[i].level
    i += 1
    while not (tokens[i].type == "bullet_list_close" and tokens[i].level == level):
        token = tokens[i]
        if token.type != "list_item_open" or token.level != level + 1:
            i += 1
            continue
        text, i = _inline_text(tokens, i, "list_item_close")
        match = TASK_ITEM.match(text)
        if not match:
            reader.out.error(
                reader.line_of(token), f"option of question '{question.id}' must start with '[ ]' or '[x]'"
            )
        elif len(question.options) >= MAX_OPTIONS:
            reader.out.error(reader.line_of(token), f"question '{question.id}' has more than {MAX_OPTIONS} options")
        else:
            option_id = chr(ord("a") + len(question.options))
            question.options.append(Option(option_id, nfc(match.group(2).strip()), match.group(1) in "xX"))
    return i + 1


def _inline_text(tokens: list[Token], start: int, stop_type: str) -> tuple[str, int]:
    """Join the inline contents from start until the closing token; returns (text, index after)."""
    parts, i = [], start
    while tokens[i].type != stop_type:
        if tokens[i].type == "inline":
            parts.append(tokens[i].content.strip())
        i += 1
    return "\n\n".join(part for part in parts if part), i + 1


def _skip_block(tokens: list[Token], i: int) -> int:
    """Index after the block that starts at i."""
    level = tokens[i].level
    if tokens[i].nesting != 1:
        return i + 1
    i += 1
    while not (tokens[i].nesting == -1 and tokens[i].level == level):
        i += 1
    return i + 1


def check_balance(body: QuizBody, out: FileProblems) -> None:
    """Right answers must not cluster on one position, nor always be the first options."""
    single = [(q, line) for q, line in zip(body.questions, body.lines, strict=True) if _right(q) and not q.multiple]
    multiple = [(q, line) for q, line in zip(body.questions, body.lines, strict=True) if q.multiple]
    if len(single) >= BALANCE_MIN_SINGLE:
        positions = Counter(_right(q)[0] for q, _ in single)
        position, count = positions.most_common(1)[0]
        if count * 2 > len(single):
            out.error(
                single[0][1],
                f"right answers cluster: option {position + 1} is right in {count} of {len(single)} "
                "single-choice questions (no position may hold more than half); move some right answers",
            )
        _check_longest(single, out)
    if len(multiple) >= BALANCE_MIN_MULTIPLE and all(_right(q) == list(range(len(_right(q)))) for q, _ in multiple):
        out.error(
            multiple[0][1],
            f"in all {len(multiple)} multiple-choice questions the right options are exactly the first ones; "
            "mix right and wrong options",
        )


def _right(question: Question) -> list[int]:
    return [index for index, option in enumerate(question.options) if option.correct]


def _check_longest(single: list[tuple[Question, int]], out: FileProblems) -> None:
    longest = 0
    for question, _ in single:
        right = question.options[_right(question)[0]]
        if all(len(right.text) > len(o.text) for o in question.options if o is not right):
            longest += 1
    if longest * 2 > len(single):
        out.warning(
            single[0][1],
            f"the right answer is the longest option in {longest} of {len(single)} single-choice questions; "
            "make wrong options as long",
        )


def check_pool(pool: int, ask: int | None, line: int, out: FileProblems) -> None:
    """A warning when the pool holds fewer than twice the questions asked: repeated attempts then see mostly
    the same questions, and whatever a reply reveals adds up across attempts (docs/learning-integrity.md)."""
    asked = ask or pool
    if asked >= POOL_MIN_ASKED and pool < POOL_FACTOR * asked:
        out.warning(
            line,
            f"the pool has {pool} questions for {asked} asked per attempt: write at least {POOL_FACTOR * asked} "
            "(or ask fewer with 'ask:') so that each attempt sees different questions",
        )


def check_giveaways(body: QuizBody, out: FileProblems) -> None:
    """A warning when a wrong option gives itself away with a made-up reason ("vì …") or haste ("cho nhanh",
    "cho tiện", "cho xong") that no right option of the question has: learners pick by the wording, not the
    lesson."""
    for question, line in zip(body.questions, body.lines, strict=True):
        if any(GIVEAWAY.search(o.text) for o in question.options if o.correct):
            continue
        for index, option in enumerate(question.options):
            found = None if option.correct else GIVEAWAY.search(option.text)
            if found:
                out.warning(
                    line,
                    f"question '{question.id}': wrong option {index + 1} says '{found.group(0)}' and no right "
                    "option does: a reason or haste marks it as wrong; word the options alike",
                )
