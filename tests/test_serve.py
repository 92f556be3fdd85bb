"""``zhidu serve --workers N``: the production server (gunicorn, N worker processes) serves the app
and stops cleanly; bad options are refused before anything starts."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from zhidu.core.server import gunicorn_options

EXE = os.path.join(os.path.dirname(sys.executable), "zhidu")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    out = subprocess.run(["/bin/ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on POSIX systems")
def test_serve_with_workers_runs_gunicorn_with_that_many_processes(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ZHIDU_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "zhidu.settings"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([EXE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
                             "--threads", "2"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and status != 200:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
            except OSError:
                time.sleep(0.3)
        assert status == 200
        until = time.monotonic() + 30                 # the second worker may still be starting
        while len(children(proc.pid)) < 2 and time.monotonic() < until:
            time.sleep(0.2)
        assert len(children(proc.pid)) == 2          # two worker processes under the master
        lock = tmp_path / "tick.lock"                 # a worker's ticker ran its first round (after 5 s)
        until = time.monotonic() + 30
        while not lock.exists() and time.monotonic() < until:
            time.sleep(0.2)
        assert lock.exists()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/login/")
        assert conn.getresponse().status == 200       # the app, migrated by serve, answers
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    out = proc.stdout.read() if proc.stdout else ""
    assert "gunicorn：2 个工作进程，每个 2 个线程。" in out  # translatable; Chinese by default


def test_gunicorn_options() -> None:
    opts = gunicorn_options(host="0.0.0.0", port=8080, workers=4, threads=3)  # noqa: S104
    assert opts["bind"] == "0.0.0.0:8080" and opts["workers"] == 4 and opts["threads"] == 3
    assert opts["worker_class"] == "gthread"


@pytest.mark.parametrize("args", [["--workers", "-1"], ["--threads", "0"]])
def test_bad_worker_or_thread_counts_are_refused(args: list[str]) -> None:
    with pytest.raises(CommandError, match="--workers"):
        call_command("serve", "--no-migrate", "--no-jobs", *args)
