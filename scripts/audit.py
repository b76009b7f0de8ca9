"""Audit the hash-pinned locks with pip-audit; fail on a known vulnerability, never report a pass it did not earn.

Run from the repository root (CI does): `.venv/bin/python scripts/audit.py`. It asks PyPI's advisory data
first and OSV second. pip-audit alone says "No known vulnerabilities found" and exits 0 even when every
package was skipped because the service did not answer (a mirror of PyPI serves no per-version JSON), so
this script counts what was actually audited:

- a vulnerability in any audited package: the findings, exit 1;
- every package audited by one service and none vulnerable: "audited: no known vulnerabilities", exit 0;
- some packages audited, none vulnerable, the rest unanswered: "audit incomplete" with the names, exit 0;
- nothing audited by any service: "not audited: no advisory service reachable", exit 0 (CI goes on, and
  says plainly that the dependencies were not checked).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements.lock", "requirements-dev.lock")  # the dev lock holds the runtime pins plus the tools
SERVICES = ("pypi", "osv")
TIMEOUT_SECONDS = 600


@dataclass
class Result:
    """What one advisory service said about the locked packages."""

    service: str
    audited: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)  # "name version: ID (fixed in ...)"
    error: str = ""


def parse(service: str, report: dict) -> Result:
    """A Result from pip-audit's JSON report."""
    result = Result(service)
    seen = set()
    for dependency in report.get("dependencies", []):
        key = (dependency["name"], dependency.get("version"))
        if key in seen:  # the same pin appears in both locks
            continue
        seen.add(key)
        label = f"{dependency['name']} {dependency.get('version', '')}".strip()
        if dependency.get("skip_reason"):
            result.skipped.append(label)
            continue
        result.audited.append(label)
        for vuln in dependency.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            result.vulnerable.append(f"{label}: {vuln['id']} (fixed in {fixed})")
    return result


def run_pip_audit(service: str) -> Result:
    """pip-audit on the locks against one service; a run that produced no report is an unreachable service."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--progress-spinner", "off"]
        command += ["--vulnerability-service", service, "--format", "json", "--output", str(out)]
        for lock in LOCKS:
            command += ["--requirement", str(ROOT / lock)]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)  # noqa: S603
        except subprocess.TimeoutExpired:
            return Result(service, error=f"no answer within {TIMEOUT_SECONDS} s")
        if not out.exists() or not out.read_text().strip():
            last = (run.stderr.strip().splitlines() or ["no report"])[-1]
            return Result(service, error=last[:300])
        return parse(service, json.loads(out.read_text()))


def verdict(results: list[Result]) -> tuple[int, str]:
    """The exit code and the message for CI, from every service's result."""
    found = sorted({finding for result in results for finding in result.vulnerable})
    if found:
        return 1, "FAIL: known vulnerabilities in the locked dependencies:\n  " + "\n  ".join(found)
    best = max(results, key=lambda result: len(result.audited), default=None)
    why = "; ".join(
        f"{r.service}: {r.error or f'{len(r.skipped)} of {len(r.skipped) + len(r.audited)} packages unanswered'}"
        for r in results
    )
    if best is None or not best.audited:
        return 0, f"not audited: no advisory service reachable ({why}). The dependencies were NOT checked."
    if best.skipped:
        return 0, (
            f"audit incomplete: {len(best.audited)} packages audited with {best.service}, no known vulnerabilities;"
            f" NOT audited: {', '.join(best.skipped)}"
        )
    return 0, f"audited: no known vulnerabilities in {len(best.audited)} locked packages ({best.service})"


def main() -> int:
    results = []
    for service in SERVICES:
        result = run_pip_audit(service)
        results.append(result)
        if result.vulnerable or (result.audited and not result.skipped):
            break  # a complete answer (or a finding) from one service is enough
    code, message = verdict(results)
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main())
