from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from zhidu.cli import main


def test_help_lists_zhidu_commands(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "demo", "audit", "token"):
        assert f"\n  {command} " in out


def test_the_installed_command_runs_from_another_directory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    exe = os.path.join(os.path.dirname(sys.executable), "zhidu")
    env = {**os.environ, "ZHIDU_DATA_DIR": str(tmp_path)}
    result = subprocess.run([exe, "--help"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "audit" in result.stdout


@pytest.mark.django_db
def test_token_command(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    person = make_person(tree.front)
    out = io.StringIO()
    call_command("token", "create", person.user.username, "machine", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("zd_") and len(raw) > 30
    listing = io.StringIO()
    call_command("token", "list", stdout=listing)
    assert "machine" in listing.getvalue() and raw not in listing.getvalue()


def test_production_settings_pass_check_deploy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    exe = os.path.join(os.path.dirname(sys.executable), "zhidu")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhidu.settings.production",
        "SECRET_KEY": "x" * 30 + "-production-secret-key-for-the-check-0123456789",
        "ALLOWED_HOSTS": "zhidu.example.cn",
        "ZHIDU_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run([exe, "check", "--deploy", "--fail-level", "WARNING"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
