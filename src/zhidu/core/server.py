"""The production web server: gunicorn with several worker processes (``zhidu serve --workers N``).

``zhidu serve`` alone runs waitress in one process — the embedded default, on any system. With
``--workers N`` the same command starts gunicorn (POSIX systems): ``N`` worker processes, each
serving ``--threads`` requests at a time (gthread: keep-alive connections are held by a poller, not
by a thread). With jobs on, every worker runs the ticker of ``zhidu tick`` and each round runs in the
one worker that holds ``<data dir>/tick.lock`` at the time: the master keeps no thread of its own,
so forking a new worker never copies a lock held by a running job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import connections


def gunicorn_options(*, host: str, port: int, workers: int, threads: int, jobs: bool = True) -> dict[str, Any]:
    """gunicorn's settings for ``zhidu serve --workers``."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "keepalive": 30,          # API clients (hotline and 12345 systems) keep their connection
        "backlog": 512,
        "timeout": 60,
        "graceful_timeout": 30,
        "loglevel": "warning",
        "errorlog": "-",
        "accesslog": None,
        "proc_name": "zhidu",
        # The app is loaded and warmed (views imported, the shipped rulebook parsed) once in the master
        # and shared by the forked workers, instead of at each worker's first requests.
        "preload_app": True,
    }
    if jobs:
        options["post_worker_init"] = start_jobs
    return options


def start_jobs(_worker: Any = None) -> None:
    """In a worker (gunicorn's ``post_worker_init``): the scheduled jobs, every 60 s, in whichever
    worker holds the tick lock."""
    from django.conf import settings

    from zhidu.obligations.jobs import start_ticker

    start_ticker(60.0, lock_path=str(Path(settings.DATA_DIR) / "tick.lock"))


def warm() -> None:
    """Do once what every worker would otherwise do at its first requests: import every view and API
    module (the URL configuration) and parse the shipped rulebook. Opens no database connection
    that outlives it (a forked worker must not share one)."""
    from django.urls import get_resolver

    from zhidu.rulebook.params import default_rulebook

    get_resolver().url_patterns  # noqa: B018 (imports the URL configuration)
    default_rulebook()
    connections.close_all()


def run_gunicorn(options: dict[str, Any]) -> None:  # pragma: no cover - exercised by bench/ and serve's test
    """Serve ``zhidu.wsgi`` with gunicorn until it is stopped (SIGTERM / Ctrl-C)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from zhidu.wsgi import application

            warm()
            return application

    connections.close_all()  # no connection opened here (migrations) is inherited by the workers
    Server().run()
