"""Writes to the working-day calendar.

Every service checks ``calendar.manage`` (administrators) against the actor's organization root —
the calendar is organization-wide — validates everything before writing, runs in one transaction,
records an audit event (stream ``calendar``), bumps the version token (so every process rebuilds its
calendar) and, after commit, sends ``zhidu.calendar.signals.calendar_changed`` with the dates whose
working status, kind or name changed — or, for a year whose ``known`` flag changed, every date of
that year (their values stop or start being provisional).

Imports (``import_csv`` / ``import_ics``; formats in ``zhidu.calendar.formats``) validate every row
and report *all* bad rows (line, field, reason) in one ``ImportFailed``; nothing is written unless
every row is good, or the caller passes ``partial=True`` (then the good rows are written and the bad
ones returned in ``ImportResult.errors``).  The years an import touches become known (confirmed by the
importing actor) unless ``confirm_years=False``; ``replace=True`` also removes the explicit days of
those years that the file does not list.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.audit.services import record
from zhidu.core.errors import FieldError, PermissionDeniedError, ValidationFailed
from zhidu.org import access
from zhidu.org.models import OrgUnit, Person

from . import formats, selectors
from .formats import MAX_YEAR, MIN_YEAR, DayRow, ParseResult, RowError
from .models import CalendarDay, CalendarVersion, CalendarYear, WorkingHours
from .rules import DayKind
from .signals import calendar_changed, working_hours_changed

__all__ = [
    "ImportFailed",
    "ImportResult",
    "can_manage",
    "clear_day",
    "clear_working_hours",
    "confirm_year",
    "export_csv",
    "export_ics",
    "import_csv",
    "import_file",
    "import_ics",
    "notify_changed",
    "seed_from_package",
    "set_day",
    "set_working_hours",
]

AUDIT_STREAM = "calendar"
MANAGE = "calendar.manage"


class ImportFailed(ValidationFailed):
    """An import with bad rows: ``rows`` lists every one (line, field, reason); nothing was written."""

    def __init__(self, message: Any, rows: list[RowError]) -> None:
        super().__init__(message, [FieldError(f"{r.line}:{r.field}", _row_message(r)) for r in rows])
        self.rows = rows


def _row_message(r: RowError) -> str:
    prefix = _("第 %(line)d 行") % {"line": r.line} if r.line else _("文件")
    day = f" {r.date.isoformat()}" if r.date else ""
    return f"{prefix}{day}：{r.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    changed_dates: list[date] = field(default_factory=list)
    confirmed_years: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # only with partial=True

    def as_dict(self) -> dict[str, object]:
        return {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "deleted": self.deleted, "changed_dates": [d.isoformat() for d in self.changed_dates],
            "confirmed_years": self.confirmed_years, "errors": [e.as_dict() for e in self.errors],
        }


# ------------------------------------------------------------------------------------ helpers


def _root_for(actor: access.Actor) -> OrgUnit | None:
    """The actor's organization top unit (None for the system actor)."""
    if isinstance(actor, access.SystemActor):
        return None
    return OrgUnit.objects.filter(organization_id=actor.organization_id, parent__isnull=True).order_by("pk").first()


def _require_manage(actor: access.Actor | None) -> OrgUnit | None:
    if actor is None:
        raise PermissionDeniedError(_("无权管理工作日历（calendar.manage）。"))
    if isinstance(actor, access.SystemActor):
        return None
    root = _root_for(actor)
    if root is None:
        raise PermissionDeniedError(_("无权管理工作日历（calendar.manage）。"))
    access.require(actor, MANAGE, root)
    return root


def _audit(actor: access.Actor, action: str, subject: Any, root: OrgUnit | None, payload: dict[str, Any]) -> None:
    record(actor, action, subject, payload=payload, unit_id=root.pk if root else None, stream=AUDIT_STREAM)


def _bump() -> None:
    """Change the version token (inside the caller's transaction)."""
    token = uuid.uuid4().hex
    now = timezone.now()
    if not CalendarVersion.objects.filter(pk=1).update(version=F("version") + 1, token=token, changed_at=now):
        CalendarVersion.objects.update_or_create(pk=1, defaults={"version": 1, "token": token, "changed_at": now})
    selectors._note_write()


def _year_dates(year: int) -> list[date]:
    d, end = date(year, 1, 1), date(year, 12, 31)
    out = []
    while d <= end:
        out.append(d)
        d += timedelta(days=1)
    return out


def notify_changed(dates: Iterable[date] = (), years: Iterable[int] = (), *,
                   actor: access.Actor | None = None) -> list[date]:
    """Bump the version now and send ``calendar_changed`` after commit.

    ``dates`` are days whose working status, kind or name changed; ``years`` those whose ``known``
    flag changed (all their dates are sent); ``actor`` who made the change (receivers audit their
    recomputations under it).  For the admin and the services; call inside the write's transaction.
    Returns the sorted dates sent.
    """
    years = sorted(set(years))
    changed = set(dates)
    for y in years:
        changed.update(_year_dates(y))
    ordered = sorted(changed)
    _bump()
    if ordered:
        transaction.on_commit(lambda: calendar_changed.send(sender=CalendarDay, dates=ordered, years=years,
                                                            actor=actor))
    return ordered


def _day_dict(row: CalendarDay | DayRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    kind = row.kind.value if isinstance(row.kind, DayKind) else str(row.kind)
    return {"working": bool(row.working), "kind": kind, "name": row.name, "source": row.source}


def _differs(old: CalendarDay | None, new: DayRow | None, d: date) -> bool:
    """Did the day's working status, kind or name change (an absent row is the ordinary day)?"""
    def triple(row: CalendarDay | DayRow | None) -> tuple[bool, str, str]:
        if row is None:
            weekend = d.weekday() >= 5
            return (not weekend, DayKind.WEEKEND.value if weekend else DayKind.WORKDAY.value, "")
        kind = row.kind.value if isinstance(row.kind, DayKind) else str(row.kind)
        return (bool(row.working), kind, row.name)
    return triple(old) != triple(new)


# ---------------------------------------------------------------------------------- single days


def _resolve_one(d: Any, working: bool | None, kind: str | DayKind | None, name: str,
                 source: str) -> DayRow:
    errors: list[FieldError] = []
    if not isinstance(d, date) or isinstance(d, datetime):
        raise ValidationFailed(_("日期有误。"), [FieldError("date", _("请给出日期（YYYY-MM-DD）。"))])
    k: DayKind | None = None
    if kind is not None and kind != "":
        try:
            k = DayKind(kind)
        except ValueError:
            errors.append(FieldError("kind", _("未知的类型“%(v)s”，应为 workday、weekend、holiday 或 makeup。")
                                     % {"v": kind}))
    name = (name or "").strip()
    source = (source or "").strip()
    if not errors:
        w, k2, errs = formats.resolve_day(d, working, k, name)
        if not errs:
            errs = formats.validate_day(d, w, k2.value if k2 else None, name, source)
        errors.extend(FieldError(f, m) for f, m in errs)
        if not errors:
            assert w is not None and k2 is not None
            return DayRow(d, w, k2, name, source)
    raise ValidationFailed(_("日历日信息有误。"), errors)


@transaction.atomic
def set_day(actor: access.Actor, day: date, *, working: bool | None = None, kind: str | DayKind | None = None,
            name: str = "", source: str = "") -> CalendarDay:
    """Set one explicit day (``working`` or ``kind`` may be omitted: derived from the other)."""
    root = _require_manage(actor)
    row = _resolve_one(day, working, kind, name, source)
    old = CalendarDay.objects.select_for_update().filter(date=day).first()
    before = _day_dict(old)
    obj, _created = CalendarDay.objects.update_or_create(
        date=day, defaults={"working": row.working, "kind": row.kind.value, "name": row.name, "source": row.source})
    changed = [day] if _differs(old, row, day) else []
    _audit(actor, "calendar.set_day", obj, root, {"date": day.isoformat(), "before": before, "after": _day_dict(row)})
    notify_changed(changed, actor=actor)
    return obj


@transaction.atomic
def clear_day(actor: access.Actor, day: date) -> bool:
    """Remove a day's explicit entry (it follows the weekday rule again); False if there was none."""
    root = _require_manage(actor)
    old = CalendarDay.objects.select_for_update().filter(date=day).first()
    if old is None:
        return False
    before = _day_dict(old)
    changed = [day] if _differs(old, None, day) else []
    _audit(actor, "calendar.clear_day", old, root, {"date": day.isoformat(), "before": before, "after": None})
    old.delete()
    notify_changed(changed, actor=actor)
    return True


# ------------------------------------------------------------------------------------- years


def _check_year(year: Any) -> int:
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(_("年份有误。"), [FieldError(
            "year", _("年份须在 %(lo)d–%(hi)d 之间。") % {"lo": MIN_YEAR, "hi": MAX_YEAR})])
    return year


def _confirm(actor: access.Actor, year: int, source: str) -> tuple[CalendarYear, bool]:
    """Mark a year known (inside a transaction); returns (row, whether ``known`` changed)."""
    obj = CalendarYear.objects.select_for_update().filter(year=year).first()
    was_known = bool(obj and obj.known)
    if obj is None:
        obj = CalendarYear(year=year)
    obj.known = True
    if source:
        obj.source = source[: formats.SOURCE_MAX]
    obj.confirmed_by = actor if isinstance(actor, Person) else None
    obj.confirmed_at = timezone.now()
    obj.save()
    return obj, not was_known


@transaction.atomic
def confirm_year(actor: access.Actor, year: int, *, source: str = "") -> CalendarYear:
    """Confirm a year's schedule as complete: its dates stop being provisional."""
    root = _require_manage(actor)
    _check_year(year)
    source = (source or "").strip()
    if len(source) > formats.SOURCE_MAX:
        raise ValidationFailed(_("依据过长。"), [FieldError("source", _("依据不能超过 %(n)d 个字符。")
                                                         % {"n": formats.SOURCE_MAX})])
    obj, flipped = _confirm(actor, year, source)
    explicit = CalendarDay.objects.filter(date__year=year).count()
    _audit(actor, "calendar.confirm_year", obj, root,
           {"year": year, "source": obj.source, "was_known": not flipped, "explicit_days": explicit})
    notify_changed(years=[year] if flipped else [], actor=actor)
    return obj


# -------------------------------------------------------------------------------------- imports


def _apply(actor: access.Actor, root: OrgUnit | None, rows: Sequence[DayRow], *, fmt: str, source: str,
           replace: bool, confirm_years: bool, errors: list[RowError], partial: bool) -> ImportResult:
    result = ImportResult(errors=list(errors))
    years = sorted({r.date.year for r in rows})
    by_date = {r.date: r for r in rows}
    existing: dict[date, CalendarDay] = {}
    if years:
        qs = CalendarDay.objects.select_for_update().filter(date__gte=date(years[0], 1, 1),
                                                             date__lte=date(years[-1], 12, 31))
        existing = {o.date: o for o in qs if o.date.year in years}
    changes: list[dict[str, Any]] = []
    changed: list[date] = []
    to_create: list[CalendarDay] = []
    to_update: list[CalendarDay] = []
    for r in rows:
        old = existing.get(r.date)
        before = _day_dict(old)
        after = _day_dict(r)
        if before == after:
            result.unchanged += 1
            continue
        if _differs(old, r, r.date):
            changed.append(r.date)
        changes.append({"date": r.date.isoformat(), "before": before, "after": after})
        values = {"working": r.working, "kind": r.kind.value, "name": r.name, "source": r.source}
        if old is None:
            to_create.append(CalendarDay(date=r.date, **values))
            result.created += 1
        else:
            for k, v in values.items():
                setattr(old, k, v)
            to_update.append(old)
            result.updated += 1
    removed: list[CalendarDay] = []
    if replace:
        removed = [o for d, o in existing.items() if d not in by_date]
        for o in removed:
            changes.append({"date": o.date.isoformat(), "before": _day_dict(o), "after": None})
            if _differs(o, None, o.date):
                changed.append(o.date)
        result.deleted = len(removed)
    if to_create:
        CalendarDay.objects.bulk_create(to_create)
    if to_update:
        now = timezone.now()
        for o in to_update:
            o.updated_at = now
        CalendarDay.objects.bulk_update(to_update, ["working", "kind", "name", "source", "updated_at"])
    if removed:
        CalendarDay.objects.filter(pk__in=[o.pk for o in removed]).delete()
    flipped: list[int] = []
    if confirm_years:
        for y in years:
            _obj, was_flipped = _confirm(actor, y, source)
            result.confirmed_years.append(y)
            if was_flipped:
                flipped.append(y)
    result.changed_dates = sorted(set(changed))
    _audit(actor, "calendar.import", ("workcalendar.import", ",".join(str(y) for y in years) or "-"), root, {
        "format": fmt, "source": source, "partial": partial, "replace": replace,
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        "deleted": result.deleted, "confirmed_years": result.confirmed_years,
        "bad_rows": [e.as_dict() for e in errors], "changes": changes,
    })
    notify_changed(result.changed_dates, flipped, actor=actor)
    return result


def _run_import(actor: access.Actor, parsed: ParseResult, *, fmt: str, source: str, partial: bool,
                replace: bool, confirm_years: bool) -> ImportResult:
    root = _require_manage(actor)
    if parsed.errors and not (partial and parsed.rows):
        raise ImportFailed(_("导入文件有 %(n)d 处错误，未导入任何日期。") % {"n": len(parsed.errors)},
                           parsed.errors)
    if replace and parsed.errors:
        # Replacing a year from a file with bad rows would delete the days those rows meant to set.
        raise ImportFailed(_("替换导入要求文件中没有错误行；有 %(n)d 处错误，未导入任何日期。")
                           % {"n": len(parsed.errors)}, parsed.errors)
    with transaction.atomic():
        return _apply(actor, root, parsed.rows, fmt=fmt, source=source, replace=replace,
                      confirm_years=confirm_years, errors=parsed.errors, partial=partial)


def import_csv(actor: access.Actor, data: str | bytes, *, source: str = "", partial: bool = False,
               replace: bool = False, confirm_years: bool = True) -> ImportResult:
    """Import days from CSV (``date,working,kind,name,source``); see the module docstring."""
    _require_manage(actor)
    parsed = formats.parse_csv(data, default_source=(source or "").strip())
    return _run_import(actor, parsed, fmt="csv", source=(source or "").strip(), partial=partial,
                       replace=replace, confirm_years=confirm_years)


def import_ics(actor: access.Actor, data: str | bytes, *, source: str = "", partial: bool = False,
               replace: bool = False, confirm_years: bool = True) -> ImportResult:
    """Import days from an ICS calendar of all-day events; see ``zhidu.calendar.formats``."""
    _require_manage(actor)
    parsed = formats.parse_ics(data, default_source=(source or "").strip())
    return _run_import(actor, parsed, fmt="ics", source=(source or "").strip(), partial=partial,
                       replace=replace, confirm_years=confirm_years)


def import_file(actor: access.Actor, data: str | bytes, *, filename: str = "", fmt: str | None = None,
                **kwargs: Any) -> ImportResult:
    """``import_csv`` or ``import_ics`` by ``fmt`` or the file name's extension (or the content)."""
    fmt = (fmt or "").lower() or _guess_format(filename, data)
    if fmt not in {"csv", "ics"}:
        raise ValidationFailed(_("导入格式有误。"), [FieldError("format", _("格式应为 csv 或 ics。"))])
    kwargs.setdefault("source", filename)
    if fmt == "ics":
        return import_ics(actor, data, **kwargs)
    return import_csv(actor, data, **kwargs)


def _guess_format(filename: str, data: str | bytes) -> str:
    name = filename.lower()
    if name.endswith((".ics", ".ical", ".ifb", ".icalendar")):
        return "ics"
    if name.endswith((".csv", ".txt")):
        return "csv"
    head = data[:200] if isinstance(data, str) else data[:200].decode("utf-8", errors="ignore")
    return "ics" if "BEGIN:VCALENDAR" in head.upper() else "csv"


@transaction.atomic
def seed_from_package(actor: access.Actor, *, years: Iterable[int] | None = None) -> ImportResult:
    """Add the ``chinese_calendar`` package's days for years not yet known (e.g. after upgrading it).

    Years already known are left alone (administrators' edits win) unless listed in ``years``.
    """
    from .seed import chinese_calendar_days, package_source

    root = _require_manage(actor)
    explicit, pkg_years = chinese_calendar_days()
    known = set(CalendarYear.objects.filter(known=True).values_list("year", flat=True))
    wanted = set(years) if years is not None else {y for y in pkg_years if y not in known}
    wanted &= set(pkg_years)
    source = package_source()
    rows = [DayRow(d, w, DayKind(k), n, source) for d, (w, k, n) in sorted(explicit.items()) if d.year in wanted]
    if not wanted:
        return ImportResult()
    return _apply(actor, root, rows, fmt="chinesecalendar", source=source, replace=True, confirm_years=True,
                  errors=[], partial=False)


# --------------------------------------------------------------------------------------- export


def export_ics(year: int) -> bytes:
    """One year's explicit days as ICS (reads the calendar in force; importable by ``import_ics``)."""
    _check_year(year)
    snap = selectors.snapshot()
    return formats.render_ics(year, snap.days_in_year(year), known=snap.is_known(year),
                              stamp=timezone.now().replace(microsecond=0),
                              calendar_name=_("工作日历 %(year)d") % {"year": year})


def export_csv(year: int) -> str:
    """One year's explicit days as CSV (the import format)."""
    _check_year(year)
    return formats.render_csv(selectors.snapshot().days_in_year(year))


# -------------------------------------------------------------------------------- working hours


def _hours_errors(day_start: time | None, day_end: time | None, break_start: time | None,
                  break_end: time | None) -> list[FieldError]:
    return [FieldError(f, m) for f, m in formats.validate_hours(day_start, day_end, break_start, break_end)]


@transaction.atomic
def set_working_hours(actor: access.Actor, unit: OrgUnit, *, day_start: time, day_end: time,
                      break_start: time | None = None, break_end: time | None = None) -> WorkingHours:
    """Set a unit's working hours (its subtree inherits them unless it has its own)."""
    access.require(actor, MANAGE, unit)
    errors = _hours_errors(day_start, day_end, break_start, break_end)
    if errors:
        raise ValidationFailed(_("工作时间有误。"), errors)
    old = WorkingHours.objects.select_for_update().filter(unit=unit).first()
    before = _hours_dict(old)
    obj, _created = WorkingHours.objects.update_or_create(unit=unit, defaults={
        "day_start": day_start, "day_end": day_end, "break_start": break_start, "break_end": break_end})
    record(actor, "calendar.set_working_hours", obj, unit_id=unit.pk,
           payload={"before": before, "after": _hours_dict(obj)})
    _bump()
    transaction.on_commit(lambda: working_hours_changed.send(sender=WorkingHours, units=[unit.pk]))
    return obj


@transaction.atomic
def clear_working_hours(actor: access.Actor, unit: OrgUnit) -> bool:
    """Remove a unit's own working hours (it inherits its ancestor's again)."""
    access.require(actor, MANAGE, unit)
    old = WorkingHours.objects.select_for_update().filter(unit=unit).first()
    if old is None:
        return False
    record(actor, "calendar.clear_working_hours", old, unit_id=unit.pk,
           payload={"before": _hours_dict(old), "after": None})
    old.delete()
    _bump()
    transaction.on_commit(lambda: working_hours_changed.send(sender=WorkingHours, units=[unit.pk]))
    return True


def _hours_dict(obj: WorkingHours | None) -> dict[str, str | None] | None:
    if obj is None:
        return None

    def fmt(t: time | None) -> str | None:
        return t.strftime("%H:%M") if t else None

    return {"day_start": fmt(obj.day_start), "day_end": fmt(obj.day_end), "break_start": fmt(obj.break_start),
            "break_end": fmt(obj.break_end)}


def can_manage(actor: access.Actor | None) -> bool:
    """May the actor change the calendar (``calendar.manage`` over their organization's top unit)?"""
    try:
        _require_manage(actor)
    except PermissionDeniedError:
        return False
    return True
