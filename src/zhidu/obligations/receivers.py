"""Signal receivers: recompute open deadlines when the working calendar changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from zhidu.org.access import SYSTEM


def on_calendar_changed(sender: Any, dates: Iterable[dt.date] = (), **kwargs: Any) -> None:
    """``zhidu.calendar.signals.calendar_changed`` (sent on commit): recompute and audit every open
    deadline counted on the calendar whose span covers a changed date, or that is provisional."""
    from .services import recompute_for_dates

    recompute_for_dates(list(dates), actor=kwargs.get("actor") or SYSTEM)
