"""The calendar in force, for services and jobs.

``work_calendar()`` returns the pure ``WorkCalendar`` (built once per process and rebuilt when the
calendar changes); ``working_hours_for(unit)`` the unit's working hours (default 08:30–17:30).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from typing import Any

from .rules import DEFAULT_DAY_END, DEFAULT_DAY_START, WorkCalendar
from .seed import from_chinese_calendar


@dataclass(frozen=True)
class WorkingHours:
    day_start: time = DEFAULT_DAY_START
    day_end: time = DEFAULT_DAY_END
    break_start: time | None = None
    break_end: time | None = None

    def kwargs(self) -> dict[str, Any]:
        return {"day_start": self.day_start, "day_end": self.day_end, "break_start": self.break_start,
                "break_end": self.break_end}


@lru_cache(maxsize=1)
def work_calendar() -> WorkCalendar:
    return from_chinese_calendar()


def working_hours_for(unit: Any) -> WorkingHours:
    return WorkingHours()
