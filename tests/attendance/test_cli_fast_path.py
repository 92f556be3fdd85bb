"""``zhidu attendance evaluate`` runs without ``django.setup()`` (``zhidu.cli``): it must behave exactly
as the full Django path — same bytes on standard output, same standard error, same exit status — for
good files, bad rows, a bad argument, a provisional month, ``--help`` and two processes.

The full path is forced with ``DJANGO_SETTINGS_MODULE=zhidu.settings.base``: the same settings under
another name, for which the entry point does not take the short way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_cli import args, files  # noqa: F401

# python -c PROBE FLAG_FILE attendance evaluate …: runs the entry point, then writes whether the app
# registry was set up.
PROBE = ("import atexit, sys, django.apps\n"
         "from zhidu.cli import main\n"
         "flag = sys.argv.pop(1)\n"
         "atexit.register(lambda: open(flag, 'w').write(str(django.apps.apps.ready)))\n"
         "main(sys.argv[1:])\n")


def zhidu(argv: list[str], tmp_path: Path, *, full: bool) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "ZHIDU_DATA_DIR": str(tmp_path / "data"),
           "DJANGO_SETTINGS_MODULE": "zhidu.settings.base" if full else "zhidu.settings",
           "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none?connect_timeout=1"}
    env.pop("DJANGO_AUTO_COMPLETE", None)
    return subprocess.run([sys.executable, "-m", "zhidu", "attendance", *argv], cwd=tmp_path, env=env,
                          capture_output=True, timeout=120, check=False)


def assert_same_process(argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    fast = zhidu(argv, tmp_path, full=False)
    full = zhidu(argv, tmp_path, full=True)
    assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
    return fast


def test_the_short_way_skips_the_app_registry_and_the_full_path_does_not(files: dict[str, Path],  # noqa: F811
                                                                          tmp_path: Path) -> None:
    for settings, ready in (("zhidu.settings", "False"), ("zhidu.settings.base", "True")):
        flag = tmp_path / "ready.txt"
        env = {**os.environ, "ZHIDU_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": settings,
               "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none?connect_timeout=1"}
        result = subprocess.run([sys.executable, "-c", PROBE, str(flag), "attendance", *args(files)],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith('{"month": "2026-06", "people": [{"person_id": "a"')
        assert flag.read_text() == ready


@pytest.mark.parametrize("extra", [[], ["--rules", "P11", "--jobs", "2"]])
def test_same_output_as_the_full_path(files: dict[str, Path], tmp_path: Path, extra: list[str]) -> None:  # noqa: F811
    result = assert_same_process(args(files, "2026-06", *extra), tmp_path)
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout.endswith(b"]}\n")


def test_same_report_of_bad_rows(files: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    files["punches"].write_text("person_id,time\nzz,2026-06-01T08:29:00\na,nonsense\n\na,2026-06-01 08:29,x\n",
                                encoding="utf-8")
    files["roster"].write_text(files["roster"].read_text(encoding="utf-8") + "b,乙,boss,,,,-1,8h,17:30\n",
                               encoding="utf-8")
    result = assert_same_process(args(files), tmp_path)
    assert result.returncode == 1 and result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:4]] == [
        f"{files['roster']}:5:", f"{files['punches']}:2:", f"{files['punches']}:3:", f"{files['punches']}:5:"]
    assert lines[-1] == "CommandError: 4 处错误，未输出结果。"


def test_same_refusal_of_a_bad_month_and_same_help(files: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    refused = assert_same_process(args(files, "2026-6"), tmp_path)
    assert refused.returncode == 2 and "YYYY-MM" in refused.stderr.decode()
    helped = assert_same_process(["evaluate", "--help"], tmp_path)
    assert helped.returncode == 0 and b"--roster" in helped.stdout


def test_same_warning_for_a_month_the_calendar_does_not_know(files: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    result = assert_same_process(args(files, "2027-03"), tmp_path)
    assert result.returncode == 0 and "2027-03" in result.stderr.decode()
