"""The hash-pinned locks agree with pyproject.toml: `make install` and the image install only what the locks hold,
so a dependency added or moved in pyproject.toml without `make lock` would silently be missing or stale."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines: list[str]) -> dict[str, str]:
    return {canonical(m[1]): m[2] for line in lines if (m := PIN.match(line.strip()))}


def lock(name: str) -> tuple[dict[str, str], str]:
    text = (ROOT / name).read_text()
    return pins(text.splitlines()), text


def test_every_pin_of_pyproject_is_in_the_locks_at_the_same_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = pins(project["dependencies"]), pins(project["optional-dependencies"]["dev"])
    runtime_lock, _ = lock("requirements.lock")
    dev_lock, _ = lock("requirements-dev.lock")

    assert {n: v for n, v in runtime.items() if runtime_lock.get(n) != v} == {}, "run `make lock`"
    assert {n: v for n, v in {**runtime, **dev}.items() if dev_lock.get(n) != v} == {}, "run `make lock`"
    assert {n: v for n, v in runtime_lock.items() if dev_lock.get(n) != v} == {}, "the dev lock holds the runtime pins"


def test_every_locked_package_carries_a_hash_and_the_command_that_made_it():
    for name in ("requirements.lock", "requirements-dev.lock"):
        locked, text = lock(name)
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert len(entries) == len(locked) > 10
        assert all("--hash=sha256:" in entry for entry in entries), name
        command = text.splitlines()[1]
        assert "uv pip compile pyproject.toml --generate-hashes" in command.replace("--extra dev ", "")
        assert command.endswith(f"-o {name}")
