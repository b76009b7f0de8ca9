"""Where a worker's CPU goes under load: py-spy samples a running server, this sums the samples by function.

    .venv/bin/python -m bench --quick --no-stats --profile /tmp/profiles   # the bench's extra, uncounted turns

py-spy (a dev dependency) reads the workers' stacks from outside at `RATE` samples a second without pausing
them (`--nonblocking`), so the profiled turn runs at nearly full speed; it is never one of the measured turns.
Only the samples of a thread holding the GIL count (`--gil`): the Python work, which one worker does on one
core at a time, not its threads waiting for the database or for work. `top` ranks functions by own time (the
samples where the function itself was running) and by total time (where it was anywhere on the stack), each
as a share of those samples.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
RATE = 200
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


@dataclass
class Profile:
    samples: int  # samples holding the GIL
    own: Counter  # function -> samples where it ran itself
    total: Counter  # function -> samples where it was on the stack

    def top(self, n: int = 15) -> list[tuple[str, float, float]]:
        """(function, own share, total share) of the `n` functions with the most own time."""
        return [(f, own / self.samples, self.total[f] / self.samples) for f, own in self.own.most_common(n)]


def record(pid: int, seconds: float, output: Path) -> subprocess.Popen:
    """Start sampling `pid` and its worker processes for `seconds` (collapsed stacks into `output`)."""
    command = [PY_SPY, "record", "--pid", str(pid), "--subprocesses", "--gil", "--rate", str(RATE)]
    command += ["--duration", str(int(seconds)), "--format", "raw", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _name(frame: str) -> str:
    found = FRAME.match(frame.strip())
    if not found:
        return frame.strip()
    path = found["file"]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{found['function']} ({path})"


def summarise(raw: Path) -> Profile:
    """Sum py-spy's collapsed stacks ("frame;frame;... count") by function."""
    own: Counter = Counter()
    total: Counter = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = [_name(frame) for frame in stack.split(";")]
        if frames[0].startswith("process ") or frames[0].startswith("thread "):
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        n = int(count)
        samples += n
        own[frames[-1]] += n
        for function in set(frames):
            total[function] += n
    return Profile(samples, own, total)


def table(profile: Profile, n: int = 15) -> str:
    lines = [f"{'own':>6} {'total':>6}  function ({profile.samples} samples holding the GIL)"]
    lines += [f"{own:6.1%} {total:6.1%}  {function}" for function, own, total in profile.top(n)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(summarise(Path(sys.argv[1])), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
