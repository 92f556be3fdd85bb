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


def on_working_hours_changed(sender: Any, units: Iterable[int] = (), **kwargs: Any) -> None:
    """``working_hours_changed`` (sent on commit): deadlines counted in a unit's working time, or
    ending at its close of business, follow the unit's new hours; recomputed and audited."""
    from .services import recompute_for_units

    recompute_for_units(list(units), actor=kwargs.get("actor") or SYSTEM)
