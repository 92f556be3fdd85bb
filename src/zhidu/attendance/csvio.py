"""CSV readers of ``zhidu attendance evaluate`` (the CLI contract of issue 5), no database.

Each reader returns what it could read and a list of :class:`CsvProblem` — every bad row with its
file, line and reason. The CLI refuses to evaluate when there is any problem (no partial output).

* roster ``person_id,name,rank,hired_on,gender,birth_date,base_salary,shift_start,shift_end`` — rank
  ∈ staff, middle_manager, department_manager, general_manager; gender F/M; dates YYYY-MM-DD; times
  HH:MM; ``name``, ``hired_on``, ``gender``, ``birth_date`` may be empty;
* punches ``person_id,time`` — ISO local datetime (``2026-03-02T08:29:00`` or ``2026-03-02 08:29``);
* leaves ``person_id,kind,start,end,status,requested_at,notified_at,certificate_at`` — kind ∈ sick,
  personal, marriage, maternity, prenatal, home_visit; start/end dates (whole days, inclusive);
  status ∈ approved, pending, rejected; the three ``*_at`` cells may be empty (``certificate_at``
  may be a date);
* exceptions ``date,person_id,reason`` — an empty person_id is everyone that day.

Files are UTF-8 (a byte-order mark, as Excel writes, is skipped); columns are found by their header
names (extra columns are ignored); blank lines are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from zhidu.rulebook.rules import p7

from .engine import LEAVE_STATUSES, AttendanceException, LeaveRecord, PunchStamps, RosterEntry, stamp

ROSTER_COLUMNS = ("person_id", "name", "rank", "hired_on", "gender", "birth_date", "base_salary", "shift_start",
                  "shift_end")
PUNCH_COLUMNS = ("person_id", "time")
LEAVE_COLUMNS = ("person_id", "kind", "start", "end", "status", "requested_at", "notified_at", "certificate_at")
EXCEPTION_COLUMNS = ("date", "person_id", "reason")
LEAVE_KINDS = (p7.SICK, p7.PERSONAL, p7.MARRIAGE, p7.MATERNITY, p7.PRENATAL, p7.HOME_VISIT)
GENDERS = ("F", "M")


@dataclass(frozen=True, slots=True)
class CsvProblem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class _Bad(ValueError):
    """One cell's problem (the message is the row's reason)."""


# ------------------------------------------------------------------------------------------ cells


def _date(text: str, column: str) -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _Bad(_("%(column)s “%(value)s”不是日期（YYYY-MM-DD）") % {"column": column, "value": text}) from None


def _datetime(text: str, column: str, *, date_ok: bool = False) -> dt.datetime:
    """An ISO local datetime; ``date_ok``: a bare date is its midnight."""
    try:
        if len(text) <= 10:
            if date_ok:
                return dt.datetime.combine(_date(text, column), dt.time())
            raise ValueError
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _Bad(_("%(column)s “%(value)s”不是本地日期时间（YYYY-MM-DDTHH:MM[:SS]）") % {"column": column, "value": text}) from None
    if value.tzinfo is not None:
        raise _Bad(_("%(column)s “%(value)s”带有时区，应为本地时间") % {"column": column, "value": text})
    return value


def _time(text: str, column: str) -> dt.time:
    try:
        if len(text) < 4 or ":" not in text:
            raise ValueError
        value = dt.time.fromisoformat(text if len(text) != 4 else "0" + text)
    except ValueError:
        raise _Bad(_("%(column)s “%(value)s”不是时间（HH:MM）") % {"column": column, "value": text}) from None
    if value.tzinfo is not None:
        raise _Bad(_("%(column)s “%(value)s”带有时区，应为本地时间") % {"column": column, "value": text})
    return value


def _choice(text: str, column: str, choices: tuple[str, ...]) -> str:
    if text not in choices:
        raise _Bad(_("%(column)s “%(value)s”不是 %(choices)s 之一") % {"column": column, "value": text,
                                                                       "choices": ", ".join(choices)})
    return text


def _required(text: str, column: str) -> str:
    if not text:
        raise _Bad(_("%(column)s 不能为空") % {"column": column})
    return text


# ------------------------------------------------------------------------------------------ files


def _rows(path: Path, columns: tuple[str, ...], required: tuple[str, ...], problems: list[CsvProblem]
          ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: stripped cell}) for each non-blank data row; header problems end the file."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(CsvProblem(name, 1, _("文件不是 UTF-8 编码：%(error)s") % {"error": exc.reason}))
        return
    except OSError as exc:
        problems.append(CsvProblem(name, 0, _("无法读取文件：%(error)s") % {"error": exc.strerror or str(exc)}))
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        problems.append(CsvProblem(name, 1, _("文件为空，缺少表头 %(columns)s") % {"columns": ",".join(columns)}))
        return
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(CsvProblem(name, 1, _("表头缺少列 %(missing)s（应为 %(columns)s）")
                                   % {"missing": ",".join(missing), "columns": ",".join(columns)}))
        return
    index = {c: header.index(c) for c in columns if c in header}
    names = list(index)
    cells = itemgetter(*index.values()) if len(index) > 1 else lambda row: (row[index[names[0]]],)
    strip = str.strip
    width = len(header)
    for row in reader:
        line = reader.line_num
        if not "".join(row).strip():  # blank: no cell but white space
            continue
        if len(row) != width:
            problems.append(CsvProblem(name, line, _("应有 %(expected)d 列，实有 %(found)d 列")
                                       % {"expected": width, "found": len(row)}))
            continue
        yield line, dict(zip(names, map(strip, cells(row)), strict=True))


def _read(path: Path, columns: tuple[str, ...], required: tuple[str, ...], problems: list[CsvProblem],
          parse: Callable[[dict[str, str]], Any]) -> list[Any]:
    out = []
    for line, cells in _rows(path, columns, required, problems):
        try:
            out.append(parse(cells))
        except _Bad as exc:
            problems.append(CsvProblem(str(path), line, str(exc)))
    return out


def read_roster(path: Path, problems: list[CsvProblem]) -> list[RosterEntry]:
    """The roster; a person id given twice is a problem on its second line."""
    seen: set[str] = set()
    # Cell values by their text (dates, times and amounts repeat a lot): a row all of whose cells are
    # valid is read from these; any other row is checked cell by cell for its reasons.
    days: dict[str, dt.date | None] = {"": None}
    times: dict[str, dt.time] = {}
    amounts: dict[str, Decimal] = {}

    def fast(c: dict[str, str]) -> RosterEntry | None:
        pid = c["person_id"]
        rank = c["rank"]
        gender = c.get("gender", "")
        if not pid or pid in seen or rank not in p7.RANKS or (gender and gender not in GENDERS):
            return None
        h, b, money, s, e = c.get("hired_on", ""), c.get("birth_date", ""), c["base_salary"], c["shift_start"], c["shift_end"]
        try:
            hired, birth, salary, start, end = days[h], days[b], amounts[money], times[s], times[e]
        except KeyError:
            try:
                for text in (h, b):
                    if text not in days:
                        days[text] = _date(text, "")
                for text in (s, e):
                    if text not in times:
                        times[text] = _time(text, "")
                if money not in amounts:
                    amounts[money] = _salary(money)
            except _Bad:
                return None
            hired, birth, salary, start, end = days[h], days[b], amounts[money], times[s], times[e]
        seen.add(pid)
        return RosterEntry(pid, c.get("name", ""), rank, hired, gender, birth, salary, start, end)

    def parse(c: dict[str, str]) -> RosterEntry:
        entry = fast(c)
        if entry is not None:
            return entry
        reasons: list[str] = []

        def cell(fn: Callable[[], Any]) -> Any:
            try:
                return fn()
            except _Bad as exc:
                reasons.append(str(exc))
                return None

        pid = cell(lambda: _required(c["person_id"], "person_id"))
        if pid is not None and pid in seen:
            reasons.append(_("person_id “%(id)s”重复") % {"id": pid})
        rank = cell(lambda: _choice(c["rank"], "rank", p7.RANKS))
        hired = cell(lambda: _date(c["hired_on"], "hired_on") if c.get("hired_on") else None)
        gender = cell(lambda: _choice(c["gender"], "gender", GENDERS) if c.get("gender") else "")
        birth = cell(lambda: _date(c["birth_date"], "birth_date") if c.get("birth_date") else None)
        salary = cell(lambda: _salary(c["base_salary"]))
        start = cell(lambda: _time(c["shift_start"], "shift_start"))
        end = cell(lambda: _time(c["shift_end"], "shift_end"))
        if reasons:
            raise _Bad("；".join(reasons))
        seen.add(pid)
        return RosterEntry(pid, c.get("name", ""), rank, hired, gender, birth, salary, start, end)

    return _read(path, ROSTER_COLUMNS, ("person_id", "rank", "base_salary", "shift_start", "shift_end"), problems, parse)


def _salary(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise _Bad(_("base_salary “%(value)s”不是非负金额") % {"value": text})
    return value


def read_punches(path: Path, known: Mapping[str, object], problems: list[CsvProblem]) -> PunchStamps:
    """Person id → punch times (:func:`~zhidu.attendance.engine.stamp` integers, unsorted), for the
    people in ``known``; any other id is a problem.

    Fast path for machine exports without quoting: plain ``str.partition`` per line, and the time
    ``YYYY-MM-DDTHH:MM[:SS]`` (or with a space) read as its minute — looked up in a table filled
    once per distinct minute by ``datetime.fromisoformat`` — plus its seconds; any other spelling,
    and every bad row, goes through the same checks as the csv module's path."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        list(_rows(path, PUNCH_COLUMNS, PUNCH_COLUMNS, problems))  # reports the problem
        return PunchStamps()
    out = PunchStamps({pid: [] for pid in known})
    if "\r" in text:
        if "\r" in text.replace("\r\n", "\n"):  # a lone CR: let the csv module split the lines
            return _read_punches_csv(path, out, problems)
        text = text.replace("\r\n", "\n")
    head, _sep, _rest = text.partition("\n")
    if '"' in text or [h.strip() for h in head.split(",")] != list(PUNCH_COLUMNS):
        return _read_punches_csv(path, out, problems)
    minutes: dict[str, int] = {}
    if _read_punch_rows(text, len(head) + 1, out, minutes):
        return out
    lines = text.split("\n")
    # A row the fast loop does not take (a blank line, a bad or unusual one): read them all again,
    # checking each row with its line number.
    out = PunchStamps({pid: [] for pid in known})
    get = out.get
    minute = minutes.get
    second = _SECONDS.get
    for n, row in enumerate(lines):
        pid, sep, text = row.partition(",")
        lst = get(pid)
        if lst is not None:
            base = minute(text[:16])
            sec = second(text[16:])
            if sec is not None:
                if base is None:
                    base = _minute_stamp(text[:16], minutes)
                if base is not None:
                    lst.append(base + sec)
                    continue
        if n == 0 or not row.strip():
            continue
        if not sep or "," in text:
            problems.append(CsvProblem(name, n + 1, _("应有 %(expected)d 列，实有 %(found)d 列")
                                       % {"expected": 2, "found": row.count(",") + 1}))
            continue
        _punch(name, n + 1, pid.strip(), text.strip(), out, problems)
    return out


def _read_punch_rows(text: str, start: int, out: PunchStamps, minutes: dict[str, int], block: int = 1 << 20) -> bool:
    """The fast loop over the data rows from ``start``: every row is ``known id,YYYY-MM-DD[T ]HH:MM[:SS]``
    (the text ending with one newline or none); False at the first row that is not (``out`` is then
    partly filled). Split a block of about ``block`` characters at a time: the rows of a whole file
    as strings at once would be several times its size."""
    get = out.get
    minute = minutes.get
    second = _SECONDS.get
    size = len(text) - 1 if text.endswith("\n") else len(text)
    while start < size:
        end = text.find("\n", start + block, size)
        if end < 0:
            end = size
        for row in text[start:end].split("\n"):
            pid, _sep, rest = row.partition(",")
            lst = get(pid)
            base = minute(rest[:16])
            sec = second(rest[16:])
            if lst is None or sec is None:
                return False
            if base is None:
                base = _minute_stamp(rest[:16], minutes)
                if base is None:
                    return False
            lst.append(base + sec)
        start = end + 1
    return True


# The seconds of a punch time after its minute: none, or ":00" … ":59", as microseconds.
_SECONDS = {"": 0, **{f":{s:02d}": s * 1_000_000 for s in range(60)}}


def _minute_stamp(text: str, cache: dict[str, int]) -> int | None:
    """The stamp of a minute written ``YYYY-MM-DDTHH:MM`` (or with a space for the ``T``) — ASCII
    digits, a valid date and time (``datetime.fromisoformat`` decides) — remembered in ``cache``;
    None for anything else (the caller then checks the row as the csv path does)."""
    if (len(text) != 16 or text[4] != "-" or text[7] != "-" or text[10] not in "T " or text[13] != ":"
            or not (digits := text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:]).isascii()
            or not digits.isdigit()):
        return None
    try:
        value = cache[text] = stamp(dt.datetime.fromisoformat(text))
    except ValueError:
        return None
    return value


def _read_punches_csv(path: Path, out: PunchStamps, problems: list[CsvProblem]) -> PunchStamps:
    name = str(path)
    for line, c in _rows(path, PUNCH_COLUMNS, PUNCH_COLUMNS, problems):
        _punch(name, line, c["person_id"], c["time"], out, problems)
    return out


def _punch(name: str, line: int, pid: str, text: str, out: PunchStamps, problems: list[CsvProblem]) -> None:
    reasons = []
    lst = out.get(pid)
    if not pid:
        reasons.append(_("%(column)s 不能为空") % {"column": "person_id"})
    elif lst is None:
        reasons.append(_("person_id “%(id)s”不在花名册中") % {"id": pid})
    at = None
    try:
        at = _datetime(_required(text, "time"), "time")
    except _Bad as exc:
        reasons.append(str(exc))
    if reasons:
        problems.append(CsvProblem(name, line, "；".join(reasons)))
    elif lst is not None and at is not None:
        lst.append(stamp(at))


def read_leaves(path: Path, known: Mapping[str, object], problems: list[CsvProblem]) -> list[LeaveRecord]:
    def parse(c: dict[str, str]) -> LeaveRecord:
        reasons: list[str] = []

        def cell(fn: Callable[[], Any]) -> Any:
            try:
                return fn()
            except _Bad as exc:
                reasons.append(str(exc))
                return None

        pid = cell(lambda: _known(c["person_id"], known))
        kind = cell(lambda: _choice(c["kind"], "kind", LEAVE_KINDS))
        start = cell(lambda: _date(_required(c["start"], "start"), "start"))
        end = cell(lambda: _date(_required(c["end"], "end"), "end"))
        status = cell(lambda: _choice(c["status"], "status", LEAVE_STATUSES))
        requested = cell(lambda: _optional_datetime(c, "requested_at"))
        notified = cell(lambda: _optional_datetime(c, "notified_at"))
        certificate = cell(lambda: _optional_datetime(c, "certificate_at", date_ok=True))
        if start is not None and end is not None and end < start:
            reasons.append(_("end %(end)s 早于 start %(start)s") % {"end": end, "start": start})
        if reasons:
            raise _Bad("；".join(reasons))
        return LeaveRecord(pid, kind, start, end, status, requested, notified, certificate)

    return _read(path, LEAVE_COLUMNS, ("person_id", "kind", "start", "end", "status"), problems, parse)


def _optional_datetime(cells: dict[str, str], column: str, *, date_ok: bool = False) -> dt.datetime | None:
    text = cells.get(column, "")
    return _datetime(text, column, date_ok=date_ok) if text else None


def _known(pid: str, known: Mapping[str, object]) -> str:
    _required(pid, "person_id")
    if pid not in known:
        raise _Bad(_("person_id “%(id)s”不在花名册中") % {"id": pid})
    return pid


def read_exceptions(path: Path, known: Mapping[str, object], problems: list[CsvProblem]) -> list[AttendanceException]:
    def parse(c: dict[str, str]) -> AttendanceException:
        reasons: list[str] = []
        day = None
        try:
            day = _date(_required(c["date"], "date"), "date")
        except _Bad as exc:
            reasons.append(str(exc))
        pid = c.get("person_id", "")
        if pid and pid not in known:
            reasons.append(_("person_id “%(id)s”不在花名册中") % {"id": pid})
        if reasons:
            raise _Bad("；".join(reasons))
        assert day is not None
        return AttendanceException(day, pid or None, c.get("reason", ""))

    return _read(path, EXCEPTION_COLUMNS, ("date", "person_id"), problems, parse)
