"""Reading attendance-machine exports (CSV or Excel .xlsx) into punch rows — no database here.

Machines name their columns differently; these headers are recognized (case and spaces ignored):

* person: ``person_id`` · ``人员编号`` · ``工号`` · ``考勤号`` · ``编号`` · ``id`` (the zhidu person number)
* name (optional, checked against the person): ``name`` · ``姓名``
* time: ``time`` · ``datetime`` · ``打卡时间`` · ``签到时间`` · ``时间``; or a ``date``/``日期`` column with a
  ``time``/``时间`` column
* device (optional): ``device`` · ``设备`` · ``设备号`` · ``机器号`` · ``考勤机``

CSV files may be UTF-8 (with or without BOM) or GB18030 (what Chinese machines usually write).
Every bad row is reported with its line number (the header is line 1) and the reason; nothing is
dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

PERSON_HEADERS = ("person_id", "人员编号", "工号", "考勤号", "编号", "id", "personid", "员工编号")
NAME_HEADERS = ("name", "姓名")
DATETIME_HEADERS = ("time", "datetime", "打卡时间", "签到时间", "punch_time", "时间")
DATE_HEADERS = ("date", "日期", "打卡日期")
DEVICE_HEADERS = ("device", "设备", "设备号", "机器号", "考勤机", "device_id")
MAX_ROWS = 1_000_000
MAX_DEVICE = 64

_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                     "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M",
                     "%Y%m%d %H:%M:%S", "%Y%m%d %H%M%S")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M")


class FileError(ValueError):
    """The file as a whole cannot be read (format, encoding, missing columns)."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class PunchRow:
    line: int
    person_id: int
    name: str
    at: dt.datetime  # naive local time as written in the file
    device: str


@dataclass
class ParsedFile:
    fmt: str
    sha256: str
    rows: list[PunchRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def _norm(header: Any) -> str:
    return "".join(str(header or "").split()).lower()


def _find(headers: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        key = _norm(name)
        if key in headers:
            return headers.index(key)
    return None


def _parse_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0) if value.tzinfo is None else value
    text = str(value or "").strip()
    if not text:
        return None
    for fmt in _DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_time(value: Any) -> dt.time | None:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    if isinstance(value, float) and 0 <= value < 1:  # an Excel time fraction
        seconds = round(value * 86400)
        return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    text = str(value or "").strip()
    for fmt in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


def _person_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _rows_from_csv(content: bytes) -> list[tuple[int, list[Any]]]:
    text: str | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise FileError(_("无法识别文件编码（应为 UTF-8 或 GB18030）。"))
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    out: list[tuple[int, list[Any]]] = []
    try:
        for row in reader:
            out.append((reader.line_num, list(row)))
    except csv.Error as exc:
        raise FileError(_("CSV 文件格式有误：%(error)s") % {"error": exc}) from None
    return out


def _rows_from_xlsx(content: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # zipfile/openpyxl raise many kinds for a damaged file
        raise FileError(_("无法读取 Excel 文件：%(error)s") % {"error": type(exc).__name__}) from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise FileError(_("Excel 文件没有工作表。"))
        return [(i, list(row)) for i, row in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()


def detect_format(filename: str, content: bytes) -> str:
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return "xlsx"
    return "csv"


def parse_punch_file(filename: str, content: bytes) -> ParsedFile:
    """Every row of the file as a :class:`PunchRow` or a :class:`RowError` (line and reason).

    Raises :class:`FileError` when the file cannot be read at all (no header, unknown columns)."""
    if not content:
        raise FileError(_("文件为空。"))
    fmt = detect_format(filename, content)
    raw = _rows_from_xlsx(content) if fmt == "xlsx" else _rows_from_csv(content)
    result = ParsedFile(fmt=fmt, sha256=hashlib.sha256(content).hexdigest())
    header_at = next((i for i, (_line, cells) in enumerate(raw) if any(str(c or "").strip() for c in cells)), None)
    if header_at is None:
        raise FileError(_("文件没有内容。"))
    headers = [_norm(c) for c in raw[header_at][1]]
    i_person = _find(headers, PERSON_HEADERS)
    i_name = _find(headers, NAME_HEADERS)
    i_date = _find(headers, DATE_HEADERS)
    i_dt = _find(headers, DATETIME_HEADERS)
    i_device = _find(headers, DEVICE_HEADERS)
    missing = []
    if i_person is None:
        missing.append(_("人员编号（person_id / 工号）"))
    if i_dt is None:
        missing.append(_("打卡时间（time / 打卡时间）"))
    if missing:
        raise FileError(_("缺少必需的列：%(columns)s") % {"columns": _("、").join(missing)})
    assert i_person is not None and i_dt is not None
    body = raw[header_at + 1:]
    if len(body) > MAX_ROWS:
        raise FileError(_("文件超过 %(n)s 行，请分批导入。") % {"n": MAX_ROWS})

    def cell(cells: list[Any], i: int | None) -> Any:
        return cells[i] if i is not None and i < len(cells) else None

    for line, cells in body:
        if not any(str(c if c is not None else "").strip() for c in cells):
            continue  # blank line
        result.total += 1
        reasons: list[str] = []
        pid_raw = cell(cells, i_person)
        pid = _person_id(pid_raw)
        if pid_raw is None or str(pid_raw).strip() == "":
            reasons.append(_("缺少人员编号"))
        elif pid is None:
            reasons.append(_("人员编号“%(value)s”不是数字") % {"value": str(pid_raw).strip()})
        at: dt.datetime | None = None
        when = cell(cells, i_dt)
        if i_date is not None:
            day = _parse_date(cell(cells, i_date))
            clock = _parse_time(when)
            full = None if isinstance(when, dt.time) else _parse_datetime(when)
            if full is not None and full.year > 1900:  # a full date-time in the time column
                at = full
            elif day is None:
                reasons.append(_("日期“%(value)s”格式有误") % {"value": cell(cells, i_date) or ""})
            elif clock is None:
                reasons.append(_("时间“%(value)s”格式有误") % {"value": when or ""})
            else:
                at = dt.datetime.combine(day, clock)
        else:
            at = _parse_datetime(when)
            if when is None or str(when).strip() == "":
                reasons.append(_("缺少打卡时间"))
            elif at is None:
                reasons.append(_("打卡时间“%(value)s”格式有误（应为 YYYY-MM-DD HH:MM[:SS]）") % {"value": str(when).strip()})
        device = str(cell(cells, i_device) or "").strip()
        if len(device) > MAX_DEVICE:
            reasons.append(_("设备编号超过 %(n)s 个字符") % {"n": MAX_DEVICE})
        if reasons:
            result.errors.append(RowError(line, "；".join(reasons)))
            continue
        assert pid is not None and at is not None
        result.rows.append(PunchRow(line, pid, str(cell(cells, i_name) or "").strip(), at, device))
    return result


def punch_template_csv() -> bytes:
    """An example export with the recognized columns (for the import page)."""
    return "person_id,name,time,device\n1001,张三,2026-03-02 08:25:13,A1\n".encode()
