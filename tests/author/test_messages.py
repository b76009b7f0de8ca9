"""Every message the validator can write has its Vietnamese translation and stable code in app/catalogue/messages.py.

The messages are enumerated from the validator's source, not from a hand list: every call that reports a problem
(`out.error(...)`, `out.warning(...)`, `Problem(...)`) in app/catalogue is read with `ast`, and its message is
rebuilt from the f-string, with the variables it is made of followed through assignments, helper functions and
the call sites of the function's parameters (a placeholder stands for anything else). A new rule, or a reworded
one, without its entry in the table fails here.
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.catalogue import frontmatter, messages
from app.catalogue.problems import Problem

CATALOGUE = Path(messages.__file__).parent
PLACEHOLDER = "1"  # a value the table's groups accept (a number, a word, a name)
MAX_VARIANTS = 64
REPORTERS = {"error", "warning"}
ENGLISH = re.compile(r"\b(?:the|must|is|are|not|has|with|file|use|refused)\b")


@dataclass(frozen=True)
class Site:
    file: str
    line: int
    messages: tuple[str, ...]


class Module:
    """One source file: its functions, their assignments and the calls made to them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.functions = {
            node.name: node for node in ast.walk(self.tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    def scope(self, node: ast.AST) -> ast.AST:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return self.tree

    def values(self, node: ast.AST | None, depth: int = 0) -> list[str]:
        """Every string `node` can be, as far as the source says; PLACEHOLDER for what it does not."""
        if node is None or depth > 6:
            return [PLACEHOLDER]
        if isinstance(node, ast.Constant):
            return [str(node.value)] if isinstance(node.value, str | int | float) else [PLACEHOLDER]
        if isinstance(node, ast.JoinedStr):
            parts = [
                self.values(part.value, depth + 1)
                if isinstance(part, ast.FormattedValue)
                else self.values(part, depth + 1)
                for part in node.values
            ]
            return _product(parts)
        if isinstance(node, ast.IfExp):
            return _unique(self.values(node.body, depth + 1) + self.values(node.orelse, depth + 1))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.values(node.left, depth + 1), self.values(node.right, depth + 1)
            if any(_stringy(side) for side in (node.left, node.right)):
                return _product([left, right])
            return [PLACEHOLDER]
        if isinstance(node, ast.Name):
            return self.name_values(node, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.functions:
            returns = [n.value for n in ast.walk(self.functions[node.func.id]) if isinstance(n, ast.Return)]
            return _unique([v for value in returns for v in self.values(value, depth + 1)]) or [PLACEHOLDER]
        return [PLACEHOLDER]

    def name_values(self, node: ast.Name, depth: int) -> list[str]:
        scope = self.scope(node)
        assigned = [
            n.value
            for n in ast.walk(scope)
            if isinstance(n, ast.Assign)
            and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name)
            and n.targets[0].id == node.id
        ]
        assigned += self.loop_values(scope, node.id)
        if assigned:
            return _unique([v for value in assigned for v in self.values(value, depth + 1)])
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            found = self.argument_values(scope, node.id, depth)
            if found:
                return found
        constant = [
            n.value
            for n in self.tree.body
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)
        ]
        if constant and isinstance(constant[0], ast.Constant):
            return self.values(constant[0], depth + 1)
        return [PLACEHOLDER]

    def loop_values(self, scope: ast.AST, name: str) -> list[ast.AST]:
        """What `for a, b in ((x, y), (z, w))` binds `name` to: the literal rows' items at its position."""
        found: list[ast.AST] = []
        for loop in ast.walk(scope):
            if not (isinstance(loop, ast.For) and isinstance(loop.iter, ast.Tuple | ast.List)):
                continue
            target = loop.target
            if isinstance(target, ast.Name) and target.id == name:
                found += loop.iter.elts
            elif isinstance(target, ast.Tuple):
                names = [t.id if isinstance(t, ast.Name) else None for t in target.elts]
                if name in names:
                    position = names.index(name)
                    found += [row.elts[position] for row in loop.iter.elts if isinstance(row, ast.Tuple)]
        return found

    def argument_values(self, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, depth: int) -> list[str]:
        """A parameter's values at the calls of its function in this module."""
        names = [arg.arg for arg in function.args.args]
        if name not in names:
            return []
        position = names.index(name)
        found: list[str] = []
        for call in ast.walk(self.tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == function.name):
                continue
            keyword = next((k.value for k in call.keywords if k.arg == name), None)
            given = keyword if keyword is not None else (call.args[position] if position < len(call.args) else None)
            if given is not None:
                found += self.values(given, depth + 1)
        return _unique(found)

    def sites(self) -> list[Site]:
        found = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            message = None
            if isinstance(node.func, ast.Attribute) and node.func.attr in REPORTERS and len(node.args) == 2:
                message = node.args[1]
            elif isinstance(node.func, ast.Name) and node.func.id == "Problem":
                plain = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
                keyword = next((k.value for k in node.keywords if k.arg == "message"), None)
                # Problem(file, line, message[, severity]) or Problem(*where, message[, severity])
                message = keyword or (plain[0] if isinstance(node.args[0], ast.Starred) else plain[2])
            if message is not None:
                found.append(Site(self.path.name, node.lineno, tuple(self.values(message)[:MAX_VARIANTS])))
        return found


def _stringy(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr | ast.IfExp) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _product(parts: list[list[str]]) -> list[str]:
    return _unique(["".join(combination) for combination in itertools.islice(itertools.product(*parts), MAX_VARIANTS)])


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def validator_sites() -> list[Site]:
    return [
        site
        for path in sorted(CATALOGUE.glob("*.py"))
        if path.name not in ("messages.py", "problems.py")
        for site in Module(path).sites()
    ]


SITES = validator_sites()


def test_the_enumeration_finds_the_validator_s_messages():
    assert len(SITES) >= 80, [f"{s.file}:{s.line}" for s in SITES]  # about 90 today: the walk must not go blind
    files = {site.file for site in SITES}
    assert {"course.py", "frontmatter.py", "images.py", "lessonbody.py", "quizbody.py", "glossary.py"} <= files
    assert {"rules.py", "walker.py"} <= files


@pytest.mark.parametrize("site", SITES, ids=lambda site: f"{site.file}:{site.line}")
def test_every_message_has_a_code_and_a_vietnamese_translation(site):
    for english in site.messages:
        code, vietnamese = messages.describe(Problem("khoa/bai.md", 1, english))
        assert code != "content_problem", (
            f"{site.file}:{site.line}: no entry in app/catalogue/messages.py for {english!r}"
        )
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code)
        assert vietnamese != english and not ENGLISH.search(_without_quoted(vietnamese)), (code, vietnamese)
        assert "{" not in vietnamese.replace("{title, url}", ""), vietnamese


def test_every_entry_of_the_table_is_reached_by_some_message():
    reached = {messages.describe(Problem("f", 1, m))[0] for site in SITES for m in site.messages}
    table = {code for code, _, _ in messages._TABLE}  # the table itself is what is checked
    assert table - reached == set(), "entries no validator message reaches (reworded rules?)"


def test_every_plain_yaml_explanation_has_its_vietnamese():
    for _, plain in frontmatter.YAML_PROBLEMS:
        assert messages._yaml_vi(plain) != messages.YAML_OTHER_VI, plain
    assert messages._yaml_vi(frontmatter.plain_yaml_problem("anything else")) == messages.YAML_OTHER_VI


def _without_quoted(text: str) -> str:
    """The message without what it quotes from the file ('…', <…>) or names as a setting."""
    return re.sub(r"'[^']*'|<[^>]*>|\b[A-Z_]{4,}\b", "", text)
