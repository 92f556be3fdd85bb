"""Pure PRC working-day calendar (工作日历).

No Django, no ORM and no clock: every function takes its dates as arguments.

Conventions (spec ``regulations.md`` → "Counting conventions"; Civil Code arts. 201 and 203):

* 工作日 follows the State Council holiday schedule, including 调休 make-up working days that fall on
  a weekend.  The schedule is supplied as explicit days plus the set of *known* years the data covers.
* Dates in years the data does not cover fall back to "Monday–Friday work, weekend rest" and every
  value computed from them is flagged ``provisional=True`` until an administrator confirms or imports
  that year.  Nothing crashes for an unknown year.
* Civil Code art. 201: a period counted in days starts on the day *after* the starting day — the
  starting day itself is not counted.  ``add_working_days(start, n)`` is therefore the n-th working day
  strictly after ``start`` (n ≥ 1), or the |n|-th working day strictly before it (n ≤ -1, symmetric).
* Civil Code art. 203: when the last day of a period is a statutory holiday the period ends on the
  day after the holiday ends; counting working days already lands on a working day, so the rule is
  satisfied by construction.

Implementation: a proleptic-ordinal range (by default 1990-01-01 … 2100-12-31, widened to cover every
known year and every explicit day) is precomputed into

* ``_cum[i]``  — number of working days with ordinal in ``[lo, lo + i - 1]`` (``_cum[0] == 0``);
* ``_unk[i]``  — number of days in unknown years in the same span;
* ``_wd_dates[k]`` — the k-th working day of the range (0-based), with ``_wd_unk[k]`` /
  ``_wd_unk_prev[k]`` the unknown-day counts at and just before it,

so ``add_working_days`` and ``working_days_between`` are a handful of list look-ups.  Outside the range
every year is unknown and the Monday–Friday rule has a closed form, so the slow path is also O(1)
arithmetic and works for every date in ``date.min … date.max``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

__all__ = [
    "DEFAULT_DAY_END",
    "DEFAULT_DAY_START",
    "DayInfo",
    "DayKind",
    "WorkCalendar",
    "close_of_business",
]

DEFAULT_RANGE_START = date(1990, 1, 1)
DEFAULT_RANGE_END = date(2100, 12, 31)
DEFAULT_DAY_START = time(8, 30)
DEFAULT_DAY_END = time(17, 30)

_MIN_ORD = date.min.toordinal()  # 1
_MAX_ORD = date.max.toordinal()


class DayKind(enum.StrEnum):
    """What kind of day a date is."""

    WORKDAY = "workday"  # ordinary Monday–Friday working day
    WEEKEND = "weekend"  # ordinary Saturday/Sunday rest day
    HOLIDAY = "holiday"  # statutory holiday (法定节假日), including weekend days inside a holiday block
    MAKEUP = "makeup"  # 调休 make-up working day falling on a weekend


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One calendar day.  ``provisional`` is True when the day's year is not covered by the data."""

    date: date
    working: bool
    kind: DayKind
    name: str
    provisional: bool


ExplicitDays = Mapping[date, tuple[bool, DayKind | str, str]]


def _weekdays_upto(o: int) -> int:
    """Number of Monday–Friday ordinals in ``[1, o]`` (0 for ``o <= 0``).  Ordinal 1 is a Monday."""
    if o <= 0:
        return 0
    q, r = divmod(o, 7)
    return 5 * q + (r if r < 5 else 5)


def _kth_weekday(k: int) -> int:
    """Ordinal of the k-th (1-based, k ≥ 1) Monday–Friday day counted from ordinal 1."""
    q, r = divmod(k - 1, 5)
    return 7 * q + r + 1


def _out_of_range(what: str) -> ValueError:
    return ValueError(f"{what} would fall outside the supported date range {date.min} … {date.max}")


class WorkCalendar:
    """A working-day calendar built from explicit days plus the set of known years.

    ``explicit`` maps a date to ``(working, kind, name)``; any date not listed follows the weekday
    rule (Monday–Friday working).  ``known_years`` are the years the data fully covers; dates in any
    other year are reported with ``provisional=True`` (spec "Counting conventions").
    """

    __slots__ = (
        "_cum",
        "_explicit",
        "_hi",
        "_known_years",
        "_lo",
        "_nwd",
        "_size",
        "_unk",
        "_wd_dates",
        "_wd_unk",
        "_wd_unk_prev",
        "_working",
    )

    def __init__(
        self,
        explicit: ExplicitDays,
        known_years: Iterable[int],
        *,
        range_start: date = DEFAULT_RANGE_START,
        range_end: date = DEFAULT_RANGE_END,
    ) -> None:
        self._explicit: dict[date, tuple[bool, DayKind, str]] = {
            d: (bool(w), DayKind(k), str(nm)) for d, (w, k, nm) in explicit.items()
        }
        self._known_years: frozenset[int] = frozenset(int(y) for y in known_years)

        lo_d, hi_d = range_start, range_end
        if self._known_years:
            lo_d = min(lo_d, date(min(self._known_years), 1, 1))
            hi_d = max(hi_d, date(max(self._known_years), 12, 31))
        if self._explicit:
            lo_d = min(lo_d, min(self._explicit))
            hi_d = max(hi_d, max(self._explicit))
        if hi_d < lo_d:
            raise ValueError("range_end must not precede range_start")
        # Keep one spare day on each side so that o - 1 and o + 1 lookups never need clamping logic.
        lo = max(lo_d.toordinal(), _MIN_ORD + 1)
        hi = min(hi_d.toordinal(), _MAX_ORD - 1)
        self._lo = lo
        self._hi = hi
        size = hi - lo + 1
        self._size = size

        cum = [0] * (size + 1)
        unk = [0] * (size + 1)
        working = [False] * size
        wd_dates: list[date] = []
        wd_unk: list[int] = []
        wd_unk_prev: list[int] = []
        c = u = 0
        known = self._known_years
        exp = self._explicit
        year_known_cache: dict[int, bool] = {}
        for i in range(size):
            d = date.fromordinal(lo + i)
            entry = exp.get(d)
            w = entry[0] if entry is not None else d.weekday() < 5
            y = d.year
            kn = year_known_cache.get(y)
            if kn is None:
                kn = year_known_cache[y] = y in known
            u_prev = u
            if not kn:
                u += 1
            if w:
                c += 1
                wd_dates.append(d)
                wd_unk.append(u)
                wd_unk_prev.append(u_prev)
            working[i] = w
            cum[i + 1] = c
            unk[i + 1] = u
        self._cum = cum
        self._unk = unk
        self._working = working
        self._wd_dates = wd_dates
        self._wd_unk = wd_unk
        self._wd_unk_prev = wd_unk_prev
        self._nwd = len(wd_dates)

    # ------------------------------------------------------------------ introspection

    @property
    def known_years(self) -> frozenset[int]:
        """Years covered by the holiday data (dates elsewhere are provisional)."""
        return self._known_years

    @property
    def precomputed_range(self) -> tuple[date, date]:
        """First and last date of the precomputed fast-path range."""
        return date.fromordinal(self._lo), date.fromordinal(self._hi)

    def is_known(self, d: date) -> bool:
        """True if ``d``'s year is covered by the data (i.e. values for ``d`` are not provisional)."""
        return d.year in self._known_years

    # ------------------------------------------------------------------ single days

    def info(self, d: date) -> DayInfo:
        """Full description of one day."""
        if isinstance(d, datetime):
            d = d.date()
        entry = self._explicit.get(d)
        provisional = d.year not in self._known_years
        if entry is not None:
            working, kind, name = entry
            return DayInfo(d, working, kind, name, provisional)
        if d.weekday() < 5:
            return DayInfo(d, True, DayKind.WORKDAY, "", provisional)
        return DayInfo(d, False, DayKind.WEEKEND, "", provisional)

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` is a working day (make-up days count; statutory holidays do not)."""
        i = d.toordinal() - self._lo
        if 0 <= i < self._size:
            return self._working[i]
        return d.weekday() < 5

    # ------------------------------------------------------------------ cumulative counts (global)

    def _C(self, o: int) -> int:
        """Cumulative working-day count at ordinal ``o`` (``0 <= o <= _MAX_ORD``), relative to the range.

        Continuous across the range boundaries: ``_C(b) - _C(a)`` is the number of working days in
        ``(a, b]`` for any ``a <= b``.
        """
        i = o - self._lo + 1
        if 0 <= i <= self._size:
            return self._cum[i]
        if i < 0:
            return _weekdays_upto(o) - _weekdays_upto(self._lo - 1)
        return self._cum[self._size] + _weekdays_upto(o) - _weekdays_upto(self._hi)

    def _U(self, o: int) -> int:
        """Cumulative count of days in unknown years at ordinal ``o`` (same convention as ``_C``)."""
        i = o - self._lo + 1
        if 0 <= i <= self._size:
            return self._unk[i]
        if i < 0:
            return o - (self._lo - 1)  # every day below the range is in an unknown year
        return self._unk[self._size] + (o - self._hi)

    def _kth(self, k: int) -> int:
        """Ordinal of the working day whose cumulative count ``_C`` equals ``k``."""
        if 1 <= k <= self._nwd:
            return self._wd_dates[k - 1].toordinal()
        if k < 1:
            base = _weekdays_upto(self._lo - 1)
            if k + base < 1:
                raise _out_of_range("result")
            return _kth_weekday(k + base)
        o = _kth_weekday(k - self._nwd + _weekdays_upto(self._hi))
        if o > _MAX_ORD:
            raise _out_of_range("result")
        return o

    # ------------------------------------------------------------------ arithmetic

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:
        """Return ``(result, provisional)``: the n-th working day after ``start`` (Civil Code art. 201).

        The starting day is not counted.  ``n >= 1`` gives the n-th working day strictly after
        ``start``; ``n <= -1`` the |n|-th working day strictly before it; ``n == 0`` returns ``start``
        unchanged (no day is examined, so it is never provisional).  ``provisional`` is True if any day
        examined — every day between ``start`` (exclusive) and the result (inclusive) — lies in a year
        the data does not cover.  Raises ``ValueError`` only if the result would lie outside
        ``date.min … date.max``.
        """
        i = start.toordinal() - self._lo
        if 0 <= i < self._size:
            if n > 0:
                k = self._cum[i + 1] + n - 1
                if k < self._nwd:
                    return self._wd_dates[k], self._unk[i + 1] != self._wd_unk[k]
            elif n < 0:
                k = self._cum[i] + n
                if k >= 0:
                    return self._wd_dates[k], self._unk[i] != self._wd_unk_prev[k]
            else:
                return start, False
        return self._add_slow(start, n)

    def _add_slow(self, start: date, n: int) -> tuple[date, bool]:
        if n == 0:
            return start, False
        o = start.toordinal()
        if n > 0:
            r = self._kth(self._C(o) + n)
            return date.fromordinal(r), self._U(r) != self._U(o)
        r = self._kth(self._C(o - 1) + n + 1)
        return date.fromordinal(r), self._U(o - 1) != self._U(r - 1)

    def working_days_between(self, a: date, b: date) -> int:
        """Signed count of working days from ``a`` (exclusive) to ``b`` (inclusive).

        For ``a <= b`` it is the number of working days ``d`` with ``a < d <= b``.  For ``b < a`` it is
        negative and mirrored about the starting day: minus the number of working days ``d`` with
        ``b <= d < a`` — in both directions the starting day ``a`` is not counted and the far end is
        (Civil Code art. 201).  This makes it the exact inverse of :meth:`add_working_days`:
        ``working_days_between(s, add_working_days(s, n)[0]) == n`` for every ``s`` and ``n``.
        Note that it is therefore not antisymmetric when ``a`` or ``b`` is a rest day.
        """
        ia = a.toordinal() - self._lo + 1
        ib = b.toordinal() - self._lo + 1
        cum = self._cum
        if ib >= ia:
            if ia >= 0 and ib <= self._size:
                return cum[ib] - cum[ia]
            return self._C(b.toordinal()) - self._C(a.toordinal())
        if ib >= 1 and ia <= self._size + 1:
            return cum[ib - 1] - cum[ia - 1]
        return self._C(b.toordinal() - 1) - self._C(a.toordinal() - 1)

    def span_provisional(self, a: date, b: date) -> bool:
        """Provisional flag for the span :meth:`working_days_between` ``(a, b)`` examines.

        True if any day of ``(a, b]`` (or ``[b, a)`` when ``b < a``) lies in a year the data does not
        cover.  For ``r, p = add_working_days(s, n)``, ``p == span_provisional(s, r)``.
        """
        oa, ob = a.toordinal(), b.toordinal()
        if ob >= oa:
            return self._U(ob) != self._U(oa)
        return self._U(ob - 1) != self._U(oa - 1)

    def next_working_day(self, d: date, *, include_self: bool = False) -> tuple[date, bool]:
        """First working day strictly after ``d`` (or ``d`` itself if ``include_self`` and it is one).

        Returns ``(day, provisional)`` like :meth:`add_working_days`.
        """
        if include_self and self.is_working_day(d):
            return d, d.year not in self._known_years
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: date, *, include_self: bool = False) -> tuple[date, bool]:
        """Last working day strictly before ``d`` (or ``d`` itself if ``include_self`` and it is one)."""
        if include_self and self.is_working_day(d):
            return d, d.year not in self._known_years
        return self.add_working_days(d, -1)

    # ------------------------------------------------------------------ working hours

    def add_working_hours(
        self,
        start: datetime,
        hours: float,
        day_start: time = DEFAULT_DAY_START,
        day_end: time = DEFAULT_DAY_END,
        break_start: time | None = None,
        break_end: time | None = None,
    ) -> tuple[datetime, bool]:
        """Add ``hours`` of *working* time to ``start``; return ``(deadline, provisional)``.

        Only time inside ``[day_start, day_end)`` on working days counts, minus the optional midday
        break ``[break_start, break_end)``.  A start outside working time begins at the next working
        instant.  A deadline that uses up a working period exactly ends at that period's end (e.g.
        17:30 the same day, not 08:30 the next).  ``hours == 0`` returns the first working instant at
        or after ``start``.  Datetimes stay naive (the caller attaches the time zone); an aware
        ``start`` is treated as wall-clock time and its ``tzinfo`` is kept.  Only use this when the
        rulebook says *working* hours — plain "24 小时" is clock hours (spec "Counting conventions").
        """
        if hours < 0:
            raise ValueError("hours must be >= 0")
        segments = _segments(day_start, day_end, break_start, break_end)
        day_len = sum((e - s for s, e in segments), timedelta())
        remaining = timedelta(hours=hours)
        tz = start.tzinfo
        d = start.date()
        t = _tdelta(start.time())
        provisional = d.year not in self._known_years  # the start day is examined
        if not self.is_working_day(d):
            d, p = self.add_working_days(d, 1)
            provisional = provisional or p
            t = timedelta()
        while True:
            for seg_s, seg_e in segments:
                if seg_e <= t:
                    continue
                s = max(t, seg_s)
                avail = seg_e - s
                if remaining <= avail:
                    return datetime.combine(d, time(), tzinfo=tz) + s + remaining, provisional
                remaining -= avail
            # Day used up: move on, skipping whole working days in O(1).
            full_days = max(0, (remaining - timedelta(microseconds=1)) // day_len)
            d, p = self.add_working_days(d, 1 + full_days)
            provisional = provisional or p
            remaining -= full_days * day_len
            t = timedelta()


def _tdelta(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _segments(
    day_start: time, day_end: time, break_start: time | None, break_end: time | None
) -> list[tuple[timedelta, timedelta]]:
    ds, de = _tdelta(day_start), _tdelta(day_end)
    if not ds < de:
        raise ValueError("day_start must be before day_end")
    if (break_start is None) != (break_end is None):
        raise ValueError("give both break_start and break_end, or neither")
    if break_start is None or break_end is None:
        return [(ds, de)]
    bs, be = _tdelta(break_start), _tdelta(break_end)
    if not ds <= bs < be <= de:
        raise ValueError("the break must lie within the working day and end after it starts")
    return [seg for seg in ((ds, bs), (be, de)) if seg[0] < seg[1]]


def close_of_business(day: date, end: time = DEFAULT_DAY_END, *, tz: tzinfo | None = None) -> datetime:
    """The instant a deadline falling on ``day`` expires: ``day`` at ``end`` (default 17:30).

    The result is naive unless ``end`` carries a ``tzinfo`` or ``tz`` is given (``tz`` wins).  Pair it
    with :meth:`WorkCalendar.add_working_days` for "n 个工作日内" deadlines (Civil Code arts. 201/203).
    """
    if isinstance(day, datetime):
        day = day.date()
    return datetime.combine(day, end, tzinfo=tz if tz is not None else end.tzinfo)
