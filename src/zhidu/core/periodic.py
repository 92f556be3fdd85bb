"""Periodic jobs of other apps, run by ``zhidu tick`` after the obligations pass.

``zhidu.obligations.jobs.run_tick`` (every 60 s in the embedded server, or cron / a worker running
``zhidu tick``) calls :func:`run_all` last. An app registers its own job in ``AppConfig.ready()``::

    from zhidu.core import periodic
    periodic.register("attendance", lambda now: jobs.run_jobs(now).as_dict())

A job takes the tick's ``now``, must be safe to run again at any time (and twice at once), and returns
something JSON-like for the tick's report. A job that raises is logged and reported as ``"failed"``;
the other jobs still run. Domain apps meet here instead of importing each other.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_JOBS: dict[str, Callable[[dt.datetime], Any]] = {}


def register(name: str, job: Callable[[dt.datetime], Any]) -> None:
    """Add (or replace) the job called ``name``."""
    _JOBS[name] = job


def registered() -> list[str]:
    return list(_JOBS)


def run_all(now: dt.datetime) -> dict[str, Any]:
    """Run every registered job once, in registration order; name → its report (or "failed")."""
    out: dict[str, Any] = {}
    for name, job in list(_JOBS.items()):
        try:
            out[name] = job(now)
        except Exception:
            log.exception("periodic job %s failed", name)
            out[name] = "failed"
    return out
