"""scripts/audit.py reads pip-audit's report: a finding fails CI; a run that audited nothing never passes as clean."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit.py"
spec = importlib.util.spec_from_file_location("scripts_audit", SCRIPT)
audit = sys.modules["scripts_audit"] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
spec.loader.exec_module(audit)

SKIPPED = {"name": "fastapi", "skip_reason": "Dependency not found on PyPI and could not be audited: fastapi (0.163.2)"}
CLEAN = {"name": "fastapi", "version": "0.163.2", "vulns": []}
VULNERABLE = {
    "name": "h11",
    "version": "0.14.0",
    "vulns": [{"id": "GHSA-vqfr-h8mv-ghfj", "fix_versions": ["0.16.0"], "aliases": ["CVE-2025-43859"]}],
}


def test_every_package_skipped_by_every_service_is_not_audited_and_never_a_pass():
    pypi = audit.parse("pypi", {"dependencies": [SKIPPED, SKIPPED]})
    osv = audit.Result("osv", error="ConnectionError: Failed to resolve the host")
    code, message = audit.verdict([pypi, osv])
    assert code == 0 and message.startswith("not audited: no advisory service reachable")
    assert "no known vulnerabilities" not in message and "1 of 1 packages unanswered" in message


def test_a_known_vulnerability_fails_with_the_advisory_and_the_fix():
    code, message = audit.verdict([audit.parse("pypi", {"dependencies": [CLEAN, VULNERABLE]})])
    assert code == 1 and "h11 0.14.0: GHSA-vqfr-h8mv-ghfj (fixed in 0.16.0)" in message


def test_a_complete_clean_answer_passes_and_a_partial_one_names_what_was_not_checked():
    assert audit.verdict([audit.parse("osv", {"dependencies": [CLEAN]})]) == (
        0,
        "audited: no known vulnerabilities in 1 locked packages (osv)",
    )
    code, message = audit.verdict([audit.parse("pypi", {"dependencies": [CLEAN, {**SKIPPED, "name": "redis"}]})])
    assert code == 0 and message.startswith("audit incomplete") and "NOT audited: redis" in message
