"""Start-up problems an operator can fix are one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from tests.test_cli_and_processes import _free_port, run_cli

COMMANDS = [("migrate",), ("serve", "--no-import")]


def _one_clear_line(result, *needles: str) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_that_does_not_exist(command, cli_env, fresh_database_url, tmp_path):
    url = make_url(fresh_database_url)
    if url.get_backend_name() == "postgresql":
        missing = url.set(database=f"{url.database}_missing").render_as_string(hide_password=False)
        result = run_cli(*command, env={**cli_env, "DATABASE_URL": missing}, cwd=tmp_path)
        line = _one_clear_line(result, f'database "{url.database}_missing" does not exist', "createdb")
        assert f"{url.host}:{url.port or 5432}" in line
    else:  # SQLite creates a missing file itself; what it cannot do is create the directory
        missing = f"sqlite:///{tmp_path}/no-such-directory/bdhvs.db"
        result = run_cli(*command, env={**cli_env, "DATABASE_URL": missing}, cwd=tmp_path)
        _one_clear_line(result, "no-such-directory/bdhvs.db", "directory exist")


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_postgresql_server(command, cli_env, tmp_path):
    nobody = f"postgresql://postgres@127.0.0.1:{_free_port()}/bdhvs"
    result = run_cli(*command, env={**cli_env, "DATABASE_URL": nobody}, cwd=tmp_path)
    _one_clear_line(result, "cannot reach PostgreSQL at 127.0.0.1:", "connection refused")


@pytest.mark.parametrize("command", COMMANDS)
def test_unsafe_production_settings(command, cli_env, tmp_path):
    result = run_cli(*command, env={**cli_env, "APP_ENV": "production", "PEPPER": "short"}, cwd=tmp_path)
    _one_clear_line(result, "production mode refuses", "PEPPER", "DEV_TOKENS", "CERTIFICATE_KEY_FILE")


def test_a_setting_that_does_not_parse(cli_env, tmp_path):
    result = run_cli("migrate", env={**cli_env, "DATABASE_POOL_SIZE": "many"}, cwd=tmp_path)
    _one_clear_line(result, "DATABASE_POOL_SIZE", "integer")


def test_a_missing_or_unusable_key_file_stops_serve_before_any_worker(cli_env, tmp_path):
    missing = run_cli(
        "serve", "--no-import", env={**cli_env, "CERTIFICATE_KEY_FILE": "/nonexistent/cert.pem"}, cwd=tmp_path
    )
    _one_clear_line(missing, "CERTIFICATE_KEY_FILE /nonexistent/cert.pem", "No such file")
    (tmp_path / "junk.pem").write_text("not a key\n")
    junk = run_cli(
        "serve", "--no-import", env={**cli_env, "CERTIFICATE_KEY_FILE": str(tmp_path / "junk.pem")}, cwd=tmp_path
    )
    _one_clear_line(junk, "CERTIFICATE_KEY_FILE", "PEM private key")
    retired = run_cli(
        "serve",
        "--no-import",
        env={**cli_env, "CERTIFICATE_RETIRED_KEYS_FILE": str(tmp_path / "junk.pem")},
        cwd=tmp_path,
    )
    _one_clear_line(retired, "CERTIFICATE_RETIRED_KEYS_FILE", "no public key")
