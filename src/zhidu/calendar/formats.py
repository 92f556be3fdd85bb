"""Validation of calendar days and the CSV / ICS file formats (no ORM).

**CSV** (UTF-8, with or without BOM; GB18030 as saved by Excel is accepted too)::

    date,working,kind,name,source
    2027-02-06,false,holiday,春节,国办发明电〔2026〕X号
    2027-02-14,true,makeup,春节,国办发明电〔2026〕X号

* ``date`` — ``YYYY-MM-DD`` (required, once per file);
* ``working`` — ``true``/``false`` (also ``1``/``0``, ``yes``/``no``, ``是``/``否``);
* ``kind`` — ``workday`` | ``weekend`` | ``holiday`` | ``makeup`` (also 工作日 / 周末 / 节假日 / 调休上班 …);
* ``name`` — the holiday's name (required for ``holiday`` and ``makeup``);
* ``source`` — where the day comes from, e.g. the State Council notice (defaults to the import's source).

The header row is optional (without it the columns are in the order above); columns may be in any
order and only ``date`` is required.  ``working`` or ``kind`` may be left empty — it is derived from
the other and the weekday (working on a Saturday/Sunday → ``makeup``; resting on a weekday →
``holiday``) — but not both.  Blank lines are skipped.

**ICS** (RFC 5545): one ``VEVENT`` per day or per range of days, all-day (``DTSTART;VALUE=DATE``;
``DTEND`` exclusive, default one day).  ``SUMMARY`` gives the name.  The kind is ``X-ZHIDU-KIND``
when present; otherwise a summary containing 补班 / 上班 / 调休上班 (or a separate 班, e.g. "国庆节 班")
marks make-up *working* days and anything else is a rest day (statutory holiday).  Markers such as
"（休）", "放假", "补班" and counters like "第1天/共8天" are removed from the name; ``X-ZHIDU-NAME`` and
``X-ZHIDU-SOURCE`` override name and source.  Recurring events (``RRULE``) are refused.
``render_ics`` writes this format (merging consecutive identical days into one event), so an export
imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .rules import DEFAULT_RANGE_END, DEFAULT_RANGE_START, DayKind

__all__ = [
    "CSV_COLUMNS",
    "MAX_YEAR",
    "MIN_YEAR",
    "DayRow",
    "ParseResult",
    "RowError",
    "parse_bool",
    "parse_csv",
    "parse_date",
    "parse_ics",
    "parse_kind",
    "render_csv",
    "render_ics",
    "resolve_day",
    "validate_day",
    "validate_hours",
]

MIN_YEAR = DEFAULT_RANGE_START.year  # 1990
MAX_YEAR = DEFAULT_RANGE_END.year  # 2100
CSV_COLUMNS = ("date", "working", "kind", "name", "source")
NAME_MAX = 100
SOURCE_MAX = 200
MAX_EVENT_DAYS = 366

Message = str | Promise

_TRUE = {"true", "t", "1", "yes", "y", "是", "上班", "工作"}
_FALSE = {"false", "f", "0", "no", "n", "否", "休息", "不上班"}
_KIND_ALIASES = {
    "workday": DayKind.WORKDAY, "工作日": DayKind.WORKDAY,
    "weekend": DayKind.WEEKEND, "周末": DayKind.WEEKEND, "休息日": DayKind.WEEKEND,
    "holiday": DayKind.HOLIDAY, "节假日": DayKind.HOLIDAY, "法定节假日": DayKind.HOLIDAY, "假日": DayKind.HOLIDAY,
    "makeup": DayKind.MAKEUP, "调休": DayKind.MAKEUP, "调休上班": DayKind.MAKEUP, "补班": DayKind.MAKEUP,
}
_COLUMN_ALIASES = {
    "date": "date", "日期": "date",
    "working": "working", "上班": "working", "是否上班": "working",
    "kind": "kind", "类型": "kind",
    "name": "name", "名称": "name", "节日": "name",
    "source": "source", "依据": "source", "来源": "source",
}
_WEEKDAYS = (gettext_noop("星期一"), gettext_noop("星期二"), gettext_noop("星期三"), gettext_noop("星期四"),
             gettext_noop("星期五"), gettext_noop("星期六"), gettext_noop("星期日"))


@dataclass(frozen=True)
class DayRow:
    """One valid day read from a file (``line`` is where it was found, 0 if not from a file)."""

    date: date
    working: bool
    kind: DayKind
    name: str
    source: str
    line: int = 0


@dataclass(frozen=True)
class RowError:
    """One problem in an import file: line number, field and reason (and the date, if known)."""

    line: int
    field: str
    message: Message
    date: date | None = None

    def __str__(self) -> str:
        where = _("第 %(line)d 行") % {"line": self.line} if self.line else _("文件")
        day = f" {self.date.isoformat()}" if self.date else ""
        return f"{where}{day} {self.field}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": str(self.message),
                "date": self.date.isoformat() if self.date else None}


@dataclass
class ParseResult:
    rows: list[DayRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    lines: int = 0  # data rows / events examined

    @property
    def bad_lines(self) -> set[int]:
        return {e.line for e in self.errors}


# ---------------------------------------------------------------------------------------- values


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` → date; ``ValueError`` with a readable message otherwise."""
    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(_("无效日期“%(v)s”，应为 YYYY-MM-DD。") % {"v": text})
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("无效日期“%(v)s”，应为 YYYY-MM-DD。") % {"v": text}) from None


def parse_bool(text: str) -> bool | None:
    """``true``/``false`` and friends; ``None`` for an empty cell; ``ValueError`` otherwise."""
    v = text.strip().lower()
    if not v:
        return None
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(_("无法识别“%(v)s”，应为 true 或 false。") % {"v": text.strip()})


def parse_kind(text: str) -> DayKind | None:
    """A kind value or alias; ``None`` for an empty cell; ``ValueError`` otherwise."""
    v = text.strip()
    if not v:
        return None
    kind = _KIND_ALIASES.get(v.lower()) or _KIND_ALIASES.get(v)
    if kind is None:
        raise ValueError(_("未知的类型“%(v)s”，应为 workday、weekend、holiday 或 makeup。") % {"v": v})
    return kind


# ------------------------------------------------------------------------------------ validation


def validate_day(d: date, working: bool | None, kind: str | None, name: str = "",
                 source: str = "") -> list[tuple[str, Message]]:
    """Every problem with one explicit day, as ``(field, message)`` pairs (empty when valid)."""
    errors: list[tuple[str, Message]] = []
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        errors.append(("date", _("日期须在 %(lo)d–%(hi)d 年之间。") % {"lo": MIN_YEAR, "hi": MAX_YEAR}))
    try:
        k = DayKind(kind) if kind is not None else None
    except ValueError:
        errors.append(("kind", _("未知的类型“%(v)s”，应为 workday、weekend、holiday 或 makeup。") % {"v": kind}))
        k = None
    if k is None and not any(f == "kind" for f, _m in errors):
        errors.append(("kind", _("类型不能为空。")))
    weekend = d.weekday() >= 5
    if k is not None:
        expected = k in (DayKind.WORKDAY, DayKind.MAKEUP)
        if working is None or bool(working) != expected:
            errors.append(("working", _("类型为 %(kind)s 的日期，working 应为 %(expected)s。")
                           % {"kind": k.value, "expected": "true" if expected else "false"}))
        if k is DayKind.MAKEUP and not weekend:
            errors.append(("kind", _("调休上班日（makeup）须为周六或周日，%(d)s 是%(wd)s。")
                           % {"d": d.isoformat(), "wd": _(_WEEKDAYS[d.weekday()])}))
        if k is DayKind.WORKDAY and weekend:
            errors.append(("kind", _("周六、周日的上班日应标为调休上班（makeup）。")))
        if k is DayKind.WEEKEND and not weekend:
            errors.append(("kind", _("周一至周五不能标为周末（weekend）；休息日请标为法定节假日（holiday）。")))
        if k in (DayKind.HOLIDAY, DayKind.MAKEUP) and not (name or "").strip():
            errors.append(("name", _("法定节假日和调休上班日须填写名称。")))
    if len(name or "") > NAME_MAX:
        errors.append(("name", _("名称不能超过 %(n)d 个字符。") % {"n": NAME_MAX}))
    if len(source or "") > SOURCE_MAX:
        errors.append(("source", _("依据不能超过 %(n)d 个字符。") % {"n": SOURCE_MAX}))
    return errors


def resolve_day(d: date, working: bool | None, kind: DayKind | None,
                name: str) -> tuple[bool | None, DayKind | None, list[tuple[str, Message]]]:
    """Fill in whichever of ``working`` / ``kind`` is missing (see the module docstring)."""
    if working is None and kind is None:
        return None, None, [("kind", _("working 与 kind 不能同时为空。"))]
    weekend = d.weekday() >= 5
    if kind is None and working:
        kind = DayKind.MAKEUP if weekend else DayKind.WORKDAY
    elif kind is None:
        kind = DayKind.WEEKEND if weekend and not name else DayKind.HOLIDAY
    if working is None:
        working = kind in (DayKind.WORKDAY, DayKind.MAKEUP)
    return working, kind, []


def validate_hours(day_start: time | None, day_end: time | None, break_start: time | None,
                   break_end: time | None) -> list[tuple[str, Message]]:
    """Problems with a unit's working hours (the rules of ``WorkCalendar.add_working_hours``)."""
    errors: list[tuple[str, Message]] = []
    if day_start is None:
        errors.append(("day_start", _("上班时间不能为空。")))
    if day_end is None:
        errors.append(("day_end", _("下班时间不能为空。")))
    if day_start is not None and day_end is not None and not day_start < day_end:
        errors.append(("day_end", _("下班时间须晚于上班时间。")))
    if (break_start is None) != (break_end is None):
        errors.append(("break_end" if break_end is None else "break_start", _("午休开始与结束须同时填写或同时留空。")))
    elif break_start is not None and break_end is not None:
        if not break_start < break_end:
            errors.append(("break_end", _("午休结束须晚于午休开始。")))
        elif day_start is not None and day_end is not None and not day_start <= break_start < break_end <= day_end:
            errors.append(("break_start", _("午休须在上班时间与下班时间之间。")))
    return errors


def _check(d: date, working: bool | None, kind: DayKind | None, name: str, source: str, line: int,
           result: ParseResult, seen: dict[date, int], *, field_names: dict[str, str] | None = None) -> None:
    """Resolve, validate and append one day (or its errors) to ``result``."""
    names = field_names or {}
    w, k, errs = resolve_day(d, working, kind, name)
    if not errs:
        errs = validate_day(d, w, k.value if k else None, name, source)
    if d in seen:
        errs.append(("date", _("日期与第 %(line)d 行重复。") % {"line": seen[d]}))
    else:
        seen[d] = line
    if errs:
        result.errors.extend(RowError(line, names.get(f, f), m, d) for f, m in errs)
    else:
        assert w is not None and k is not None
        result.rows.append(DayRow(d, w, k, name, source, line))


# ------------------------------------------------------------------------------------------- CSV


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def parse_csv(data: str | bytes, *, default_source: str = "") -> ParseResult:
    """Read a CSV schedule; every bad row is reported (see the module docstring for the format)."""
    result = ParseResult()
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: list[str] | None = None
    seen: dict[date, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if columns is None:
                first = cells[0].strip()
                if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", first):
                    columns = list(CSV_COLUMNS)  # no header: the documented order
                else:
                    columns = []
                    bad = False
                    for cell in cells:
                        col = _COLUMN_ALIASES.get(cell.strip().lower()) or _COLUMN_ALIASES.get(cell.strip())
                        if col is None:
                            result.errors.append(RowError(line, cell.strip() or "?", _(
                                "未知的列“%(c)s”，可用的列：date、working、kind、name、source。") % {"c": cell.strip()}))
                            bad = True
                        elif col in columns:
                            result.errors.append(RowError(line, col, _("列“%(c)s”重复。") % {"c": col}))
                            bad = True
                        columns.append(col or "")
                    if "date" not in columns:
                        result.errors.append(RowError(line, "date", _("缺少 date 列。")))
                        bad = True
                    if bad:
                        return result
                    continue
            result.lines += 1
            _csv_row(cells, columns, line, result, seen, default_source)
    except csv.Error as exc:
        result.errors.append(RowError(reader.line_num, "file", _("CSV 格式错误：%(e)s") % {"e": exc}))
    if columns is None or (not result.lines and not result.errors):
        result.errors.append(RowError(0, "file", _("文件中没有任何日期。")))
    return result


def _csv_row(cells: list[str], columns: list[str], line: int, result: ParseResult, seen: dict[date, int],
             default_source: str) -> None:
    if len(cells) > len(columns):
        result.errors.append(RowError(line, "row", _("列数过多：%(n)d 列，表头只有 %(m)d 列。")
                                      % {"n": len(cells), "m": len(columns)}))
        return
    values = dict(zip(columns, (c.strip() for c in cells), strict=False))
    errors: list[RowError] = []
    d: date | None = None
    working: bool | None = None
    kind: DayKind | None = None
    raw_date = values.get("date", "")
    if not raw_date:
        errors.append(RowError(line, "date", _("日期不能为空。")))
    else:
        try:
            d = parse_date(raw_date)
        except ValueError as exc:
            errors.append(RowError(line, "date", str(exc)))
    try:
        working = parse_bool(values.get("working", ""))
    except ValueError as exc:
        errors.append(RowError(line, "working", str(exc), d))
    try:
        kind = parse_kind(values.get("kind", ""))
    except ValueError as exc:
        errors.append(RowError(line, "kind", str(exc), d))
    if errors or d is None:
        result.errors.extend(errors)
        return
    name = values.get("name", "")
    source = values.get("source", "") or default_source
    _check(d, working, kind, name, source, line, result, seen)


def render_csv(days: Iterable[DayRow]) -> str:
    """The CSV format above, with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for day in days:
        writer.writerow([day.date.isoformat(), "true" if day.working else "false", day.kind.value, day.name,
                         day.source])
    return out.getvalue()


# ------------------------------------------------------------------------------------------- ICS

_WORK_WORDS = ("调休上班", "补班", "上班")
_ALL_MARKERS = "调休上班|补班|上班|调休|放假|假期|休息|班|休"
_BRACKETED = re.compile(rf"[（(\[【]\s*({_ALL_MARKERS})\s*[)）\]】]")
_SEPARATED = re.compile(rf"(?:^|[\s·\-—:：/|]+)({_ALL_MARKERS})(?=$|[\s·\-—:：/|])")
_COUNTER = re.compile(r"第\s*\d+\s*天\s*(?:/\s*共\s*\d+\s*天)?")
_TRAILING = re.compile(r"[\s·\-—:：/|]*(调休上班|补班|上班|放假|假期)$")


def summary_is_working(summary: str) -> bool:
    """True when a summary marks a make-up working day (补班 / 上班 / a separate 班)."""
    if any(w in summary for w in _WORK_WORDS):
        return True
    markers = [m.group(1) for m in _BRACKETED.finditer(summary)] + [m.group(1) for m in _SEPARATED.finditer(summary)]
    return "班" in markers


def summary_name(summary: str) -> str:
    """The holiday's name: the summary without kind markers and day counters."""
    text = _COUNTER.sub(" ", summary)
    text = _BRACKETED.sub(" ", text)
    text = _SEPARATED.sub(" ", text)
    text = text.strip(" \t·-—:：/|")
    while True:
        stripped = _TRAILING.sub("", text).strip(" \t·-—:：/|")
        if stripped == text:
            break
        text = stripped
    return text


def _event_lines(text: str) -> list[int]:
    """1-based line numbers of every ``BEGIN:VEVENT`` (in document order)."""
    return [i for i, raw in enumerate(text.splitlines(), start=1) if raw.strip().upper() == "BEGIN:VEVENT"]


def _prop_text(event: object, name: str) -> str:
    value = event.get(name)  # type: ignore[attr-defined]
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0]
    return str(value).strip()


def parse_ics(data: str | bytes, *, default_source: str = "") -> ParseResult:
    """Read an ICS schedule; every bad event or day is reported with the line of its BEGIN:VEVENT."""
    import icalendar

    result = ParseResult()
    text = _decode(data)
    try:
        cal = icalendar.Calendar.from_ical(text)
    except Exception as exc:  # icalendar raises ValueError and friends for malformed input
        result.errors.append(RowError(0, "file", _("无法解析 ICS 文件：%(e)s") % {"e": exc}))
        return result
    events = list(cal.walk("VEVENT"))
    lines = _event_lines(text)
    cal_source = default_source
    seen: dict[date, int] = {}
    for index, event in enumerate(events):
        line = lines[index] if index < len(lines) else 0
        result.lines += 1
        _ics_event(event, line, result, seen, cal_source)
    if not events:
        result.errors.append(RowError(0, "file", _("文件中没有任何日期（VEVENT）。")))
    return result


def _ics_event(event: object, line: int, result: ParseResult, seen: dict[date, int], default_source: str) -> None:
    get = event.get  # type: ignore[attr-defined]
    errors: list[RowError] = []
    if get("RRULE") is not None or get("RDATE") is not None:
        errors.append(RowError(line, "RRULE", _("不支持重复事件，请逐日或按日期范围列出。")))
    start_prop = get("DTSTART")
    start = getattr(start_prop, "dt", None)
    if start is None:
        errors.append(RowError(line, "DTSTART", _("缺少 DTSTART。")))
    elif isinstance(start, datetime) or not isinstance(start, date):
        errors.append(RowError(line, "DTSTART", _("须为全天事件（DTSTART;VALUE=DATE）。")))
        start = None
    end: date | None = None
    end_prop = get("DTEND")
    if end_prop is not None:
        end_value = getattr(end_prop, "dt", None)
        if isinstance(end_value, datetime) or not isinstance(end_value, date):
            errors.append(RowError(line, "DTEND", _("须为全天事件（DTEND;VALUE=DATE）。")))
        else:
            end = end_value
    elif get("DURATION") is not None:
        dur = getattr(get("DURATION"), "dt", None)
        if not isinstance(dur, timedelta) or dur.seconds or dur.microseconds or dur.days < 1:
            errors.append(RowError(line, "DURATION", _("时长须为整天数。")))
        elif isinstance(start, date):
            end = start + dur
    if isinstance(start, date) and end is None and not errors:
        end = start + timedelta(days=1)
    if isinstance(start, date) and end is not None:
        if end <= start:
            errors.append(RowError(line, "DTEND", _("DTEND 须晚于 DTSTART（DTEND 不含当天）。")))
        elif (end - start).days > MAX_EVENT_DAYS:
            errors.append(RowError(line, "DTEND", _("一个事件最多 %(n)d 天。") % {"n": MAX_EVENT_DAYS}))
    summary = _prop_text(event, "SUMMARY")
    kind: DayKind | None = None
    working: bool | None = None
    raw_kind = _prop_text(event, "X-ZHIDU-KIND")
    if raw_kind:
        try:
            kind = parse_kind(raw_kind)
        except ValueError as exc:
            errors.append(RowError(line, "X-ZHIDU-KIND", str(exc)))
    else:
        working = summary_is_working(summary)
    name = _prop_text(event, "X-ZHIDU-NAME") or summary_name(summary)
    source = _prop_text(event, "X-ZHIDU-SOURCE") or default_source
    if errors or not isinstance(start, date) or end is None:
        result.errors.extend(errors)
        return
    fields = {"kind": "X-ZHIDU-KIND" if raw_kind else "SUMMARY", "name": "SUMMARY", "date": "DTSTART",
              "source": "X-ZHIDU-SOURCE"}
    d = start
    while d < end:
        _check(d, working, kind, name, source, line, result, seen, field_names=fields)
        d += timedelta(days=1)


_SUMMARY_SUFFIX = {
    DayKind.HOLIDAY: "（休）",
    DayKind.WEEKEND: "（休）",
    DayKind.MAKEUP: "（补班）",
    DayKind.WORKDAY: "（上班）",
}


def _ranges(days: Sequence[DayRow]) -> list[tuple[DayRow, date]]:
    """Merge consecutive days with the same working/kind/name/source: ``(first day, exclusive end)``."""
    out: list[tuple[DayRow, date]] = []
    for day in sorted(days, key=lambda r: r.date):
        if out:
            first, end = out[-1]
            if (end == day.date and (first.working, first.kind, first.name, first.source)
                    == (day.working, day.kind, day.name, day.source)):
                out[-1] = (first, day.date + timedelta(days=1))
                continue
        out.append((day, day.date + timedelta(days=1)))
    return out


def render_ics(year: int, days: Sequence[DayRow], *, known: bool, stamp: datetime,
               calendar_name: str = "") -> bytes:
    """One year's explicit days as an ICS calendar (consecutive identical days merged into one event)."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//zhidu//workcalendar//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("X-WR-CALNAME", calendar_name or f"工作日历 {year}")
    cal.add("X-ZHIDU-YEAR", str(year))
    cal.add("X-ZHIDU-KNOWN", "TRUE" if known else "FALSE")
    for first, end in _ranges([d for d in days if d.date.year == year]):
        ev = icalendar.Event()
        ev.add("uid", f"{first.date.isoformat()}-{first.kind.value}@zhidu.workcalendar")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", first.date)
        ev.add("dtend", end)
        ev.add("summary", f"{first.name}{_SUMMARY_SUFFIX[first.kind]}" if first.name else _SUMMARY_SUFFIX[first.kind])
        ev.add("transp", "TRANSPARENT")
        ev.add("X-ZHIDU-KIND", first.kind.value)
        if first.name:
            ev.add("X-ZHIDU-NAME", first.name)
        if first.source:
            ev.add("X-ZHIDU-SOURCE", first.source)
            ev.add("description", first.source)
        cal.add_component(ev)
    return cal.to_ical()
