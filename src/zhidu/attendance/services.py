"""Writes of attendance: shifts and rosters, punches (imports, API, manual, 补卡), duty-officer
exceptions, leave with its approval chain, the roll call, and the month close.

Each service checks the actor, validates (naming every bad field, nothing written), writes in one
transaction and audits there with the clauses it applies. Obligations (approver inbox items, the
sick-note deadline, the same-day report) are opened by the system on the record's behalf.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhidu.audit.services import record
from zhidu.calendar import selectors as calendar_selectors
from zhidu.core.errors import FieldError, PermissionDeniedError, ValidationFailed
from zhidu.obligations import deadlines
from zhidu.obligations import services as obligations
from zhidu.obligations.models import Obligation
from zhidu.obligations.models import State as ObligationState
from zhidu.obligations.routing import nearest_holders
from zhidu.org import access
from zhidu.org.models import Employment, OrgUnit, Person, Role
from zhidu.rulebook.decision import Decision, msg
from zhidu.rulebook.rules import p7, p10
from zhidu.rulebook.selectors import params_for

from . import imports as machine_files
from . import selectors
from .models import (
    PLAIN_REASONS,
    STEP_LABELS,
    AttendancePolicy,
    CloseStatus,
    CorrectionStatus,
    DayResult,
    DutyException,
    ExceptionReason,
    ImportBatch,
    LeaveApproval,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    LeaveType,
    MonthClose,
    MonthSummary,
    Pattern,
    Presence,
    Punch,
    PunchCorrection,
    PunchSource,
    RollCall,
    RollCallEntry,
    RosterAssignment,
    RosterDay,
    Rules,
    Shift,
    StepStatus,
)

MODULE = "attendance"
KIND_LEAVE_APPROVAL = "attendance.leave_approval"
KIND_SICK_CERTIFICATE = "attendance.sick_certificate"
KIND_CORRECTION = "attendance.correction_approval"
KIND_ROLL_CALL_REPORT = "attendance.roll_call_report"


def register_obligation_kinds() -> None:
    from zhidu.obligations.policy import register_kind

    register_kind(KIND_LEAVE_APPROVAL, module=MODULE, clauses=["P7.8"], label=gettext_noop("请假审批"),
                  max_extensions=0, escalation_chain=[Role.GENERAL_MANAGER])
    register_kind(KIND_SICK_CERTIFICATE, module=MODULE, clauses=["P7.5.2"], label=gettext_noop("交病假单"),
                  max_extensions=0, escalation_chain=[Role.DEPARTMENT_MANAGER])
    register_kind(KIND_CORRECTION, module=MODULE, clauses=["P7.1"], label=gettext_noop("补卡审批"),
                  max_extensions=0, escalation_chain=[Role.HR])
    register_kind(KIND_ROLL_CALL_REPORT, module=MODULE, clauses=["P10.2.1"], label=gettext_noop("缺勤当日通报"),
                  max_extensions=0, escalation_chain=[Role.DUTY_DIRECTOR, Role.DEPARTMENT_MANAGER],
                  unit_roles=[Role.DUTY_OFFICER])


# ------------------------------------------------------------------------------------------ helpers


def _tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _person(actor: access.Actor) -> Person | None:
    return actor if isinstance(actor, Person) else None


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value, _tz()) if timezone.is_naive(value) else value


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(_tz())


def _fmt(value: dt.datetime) -> str:
    return _local(value).strftime("%Y-%m-%d %H:%M")


def _employment(person: Person, on: dt.date | None = None, errors: list[FieldError] | None = None,
                within: OrgUnit | None = None) -> Employment | None:
    emp = selectors.employment_of(person, on, within=within)
    if emp is None and errors is not None:
        errors.append(FieldError("person", _("此人员没有在职记录。")))
    return emp


def _check_text(value: str, field_name: str, errors: list[FieldError], *, required: bool = True,
                max_length: int = 2000) -> str:
    text = (value or "").strip()
    if required and not text:
        errors.append(FieldError(field_name, _("不能为空。")))
    elif len(text) > max_length:
        errors.append(FieldError(field_name, _("不能超过 %(n)s 个字符。") % {"n": max_length}))
    return text


def _not_future(value: dt.datetime, field_name: str, now: dt.datetime, errors: list[FieldError]) -> None:
    if value > now + dt.timedelta(minutes=5):
        errors.append(FieldError(field_name, _("时间 %(at)s 晚于当前时间。") % {"at": _fmt(value)}))


def mark_stale(unit: OrgUnit, days: Iterable[dt.date]) -> int:
    """Closed months of the unit (or a unit above it) covering ``days`` must be computed again."""
    periods = sorted({selectors.period_of(d) for d in days})
    if not periods:
        return 0
    return MonthClose.objects.filter(unit__path__in=selectors.ancestor_paths(unit.path), period__in=periods,
                                     stale=False).update(stale=True)


def _locked_periods(unit: OrgUnit, days: Iterable[dt.date]) -> list[str]:
    periods = sorted({selectors.period_of(d) for d in days})
    return sorted(set(MonthClose.objects.filter(unit__path__in=selectors.ancestor_paths(unit.path), period__in=periods,
                                                status=CloseStatus.LOCKED).values_list("period", flat=True)))


# ------------------------------------------------------------------------------- settings, shifts


@transaction.atomic
def set_policy(actor: access.Actor, unit: OrgUnit, *, rules: str = "",
               full_attendance_bonus: Decimal | int | str = 0) -> AttendancePolicy:
    """A unit's attendance rules (P7 / P11, empty: from the adopted regulations) and the amount of its
    full-attendance bonus (what a bonus loss posts to the ledger, P7.5.3)."""
    access.require(actor, "attendance.manage", unit)
    errors: list[FieldError] = []
    if rules and rules not in Rules.values:
        errors.append(FieldError("rules", _("考勤规则应为 P7 或 P11。")))
    try:
        bonus = Decimal(str(full_attendance_bonus or 0)).quantize(Decimal("0.01"))
        if bonus < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append(FieldError("full_attendance_bonus", _("全勤奖应为不小于 0 的金额。")))
        bonus = Decimal(0)
    if errors:
        raise ValidationFailed(_("考勤设置有误。"), errors)
    policy, _created = AttendancePolicy.objects.update_or_create(
        unit=unit, defaults={"rules": rules, "full_attendance_bonus": bonus})
    record(actor, "attendance.set_policy", policy, unit_id=unit.pk, clauses=["P7.5.3"] if bonus else [],
           payload={"rules": rules, "full_attendance_bonus": bonus})
    return policy


def _parse_time(value: Any, field_name: str, errors: list[FieldError]) -> dt.time | None:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        errors.append(FieldError(field_name, _("时间格式应为 HH:MM。")))
        return None


@transaction.atomic
def create_shift(actor: access.Actor, unit: OrgUnit, *, code: str, name: str, start: dt.time | str,
                 end: dt.time | str, is_default: bool = False) -> Shift:
    """A shift of the unit; ``end`` at or before ``start`` ends the next day (a night shift). A default
    shift replaces the unit's previous default (units below inherit it)."""
    access.require(actor, "attendance.manage", unit)
    errors: list[FieldError] = []
    code = (code or "").strip()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 32:
        errors.append(FieldError("code", _("代码只能包含字母、数字、- 和 _，最多 32 个字符。")))
    elif Shift.objects.filter(unit=unit, code=code).exists():
        errors.append(FieldError("code", _("代码“%(code)s”已被使用。") % {"code": code}))
    name = _check_text(name, "name", errors, max_length=100)
    t_start = _parse_time(start, "start", errors)
    t_end = _parse_time(end, "end", errors)
    if t_start is not None and t_end is not None and t_start == t_end:
        errors.append(FieldError("end", _("下班时间不能与上班时间相同。")))
    if errors:
        raise ValidationFailed(_("班次信息有误。"), errors)
    assert t_start is not None and t_end is not None
    if is_default:
        Shift.objects.filter(unit=unit, is_default=True).update(is_default=False)
    shift = Shift.objects.create(unit=unit, code=code, name=name, start=t_start, end=t_end, is_default=is_default)
    record(actor, "attendance.create_shift", shift, unit_id=unit.pk, clauses=["P7.1"],
           payload={"code": code, "name": name, "start": t_start, "end": t_end, "default": is_default})
    return shift


@transaction.atomic
def assign_roster(actor: access.Actor, person: Person, *, shift: Shift, valid_from: dt.date,
                  valid_until: dt.date | None = None, pattern: str = Pattern.CALENDAR,
                  weekdays: str = "1111100") -> RosterAssignment:
    """Roster the person on ``shift`` from ``valid_from`` (to ``valid_until``). An open-ended earlier
    assignment ends the day before; any other overlap is refused."""
    errors: list[FieldError] = []
    emp = _employment(person, valid_from, errors)
    if emp is None:
        raise ValidationFailed(_("排班信息有误。"), errors)
    access.require(actor, "attendance.manage", emp.unit)
    if not emp.unit.path.startswith(shift.unit.path):
        errors.append(FieldError("shift", _("班次不属于此人员所在单位或其上级单位。")))
    if not shift.active:
        errors.append(FieldError("shift", _("班次已停用。")))
    if valid_until is not None and valid_until < valid_from:
        errors.append(FieldError("valid_until", _("截止日期不能早于起始日期。")))
    if pattern not in Pattern.values:
        errors.append(FieldError("pattern", _("未知的工作日规则。")))
    elif pattern == Pattern.WEEKLY and (len(weekdays) != 7 or set(weekdays) - {"0", "1"} or "1" not in weekdays):
        errors.append(FieldError("weekdays", _("每周工作日应为 7 位 0/1（周一至周日），至少一天上班。")))
    earlier = RosterAssignment.objects.select_for_update().filter(person=person, valid_from__lt=valid_from,
                                                                  valid_until__isnull=True).first()
    overlap = RosterAssignment.objects.filter(person=person).exclude(pk=earlier.pk if earlier else 0).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
    if valid_until is not None:
        overlap = overlap.filter(valid_from__lte=valid_until)
    if overlap.exists():
        errors.append(FieldError("valid_from", _("与已有排班的期间重叠。")))
    if errors:
        raise ValidationFailed(_("排班信息有误。"), errors)
    if earlier is not None:
        earlier.valid_until = valid_from - dt.timedelta(days=1)
        earlier.save(update_fields=["valid_until"])
    row = RosterAssignment.objects.create(person=person, unit=emp.unit, shift=shift, valid_from=valid_from,
                                          valid_until=valid_until, pattern=pattern, weekdays=weekdays)
    end = valid_until or valid_from + dt.timedelta(days=31)
    mark_stale(emp.unit, [valid_from + dt.timedelta(days=i) for i in range((end - valid_from).days + 1)])
    record(actor, "attendance.assign_roster", row, unit_id=emp.unit_id, clauses=["P7.1"],
           payload={"person": person.pk, "shift": shift.pk, "from": valid_from, "until": valid_until,
                    "pattern": pattern, "weekdays": weekdays, "ended_previous": getattr(earlier, "pk", None)})
    return row


@transaction.atomic
def set_roster_day(actor: access.Actor, person: Person, day: dt.date, shift: Shift | None) -> RosterDay:
    """One day off (``shift`` None) or on another shift."""
    errors: list[FieldError] = []
    emp = _employment(person, day, errors)
    if emp is None:
        raise ValidationFailed(_("排班信息有误。"), errors)
    access.require(actor, "attendance.manage", emp.unit)
    if shift is not None and not emp.unit.path.startswith(shift.unit.path):
        raise ValidationFailed(_("排班信息有误。"), [FieldError("shift", _("班次不属于此人员所在单位或其上级单位。"))])
    row, _created = RosterDay.objects.update_or_create(person=person, date=day,
                                                       defaults={"unit": emp.unit, "shift": shift})
    mark_stale(emp.unit, [day])
    record(actor, "attendance.set_roster_day", row, unit_id=emp.unit_id, clauses=["P7.1"],
           payload={"person": person.pk, "date": day, "shift": getattr(shift, "pk", None)})
    return row


# -------------------------------------------------------------------------------------------- punches


@dataclass
class ImportReport:
    """What an import (or a push) found: every bad row with its line and reason."""

    filename: str
    fmt: str
    total: int = 0
    good: int = 0
    imported: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    batch_id: int | None = None
    written: bool = False

    @property
    def bad(self) -> int:
        return len(self.errors)


def _rows_error(errors: list[dict[str, Any]], message: str) -> ValidationFailed:
    return ValidationFailed(message, [FieldError(f"line {e['line']}", e["reason"]) for e in errors])


def _resolve_rows(unit: OrgUnit, rows: Sequence[machine_files.PunchRow], now: dt.datetime,
                  errors: list[dict[str, Any]]) -> list[tuple[machine_files.PunchRow, Employment, dt.datetime]]:
    """Rows whose person works in the unit's subtree on the punch day (bulk: one query)."""
    ids = sorted({r.person_id for r in rows})
    emps: dict[int, list[Employment]] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start:chunk_start + 500]
        for emp in (Employment.objects.select_related("person", "unit")
                    .filter(person_id__in=chunk, unit__path__startswith=unit.path).order_by("id")):
            emps.setdefault(emp.person_id, []).append(emp)
    good = []
    for r in rows:
        at = _aware(r.at)
        day = _local(at).date()
        mine = emps.get(r.person_id, [])
        active = next((e for e in mine if e.active_on(day)), None)
        reasons = []
        if not mine:
            reasons.append(_("人员编号 %(id)s 不是本单位人员") % {"id": r.person_id})
        elif active is None:
            reasons.append(_("人员编号 %(id)s 在 %(day)s 不在职") % {"id": r.person_id, "day": day.isoformat()})
        elif r.name and r.name != active.person.name:
            reasons.append(_("姓名“%(name)s”与人员编号 %(id)s 不符") % {"name": r.name, "id": r.person_id})
        if at > now + dt.timedelta(minutes=5):
            reasons.append(_("打卡时间 %(at)s 晚于当前时间") % {"at": _fmt(at)})
        if reasons:
            errors.append({"line": r.line, "reason": "；".join(reasons)})
            continue
        assert active is not None
        good.append((r, active, at))
    return good


def _write_punches(good: list[tuple[machine_files.PunchRow, Employment, dt.datetime]], source: str,
                   actor: access.Actor, batch: ImportBatch | None, device: str = "") -> tuple[int, int, set[tuple[int, dt.date]]]:
    """Insert the punches not already stored (idempotent per person, time and device)."""
    keys = {(emp.person_id, at, row.device or device) for row, emp, at in good}
    existing: set[tuple[int, dt.datetime, str]] = set()
    if keys:
        ids = sorted({k[0] for k in keys})
        lo, hi = min(k[1] for k in keys), max(k[1] for k in keys)
        for i in range(0, len(ids), 500):
            existing.update(Punch.objects.filter(person_id__in=ids[i:i + 500], at__gte=lo, at__lte=hi)
                            .values_list("person_id", "at", "device"))
    new: list[Punch] = []
    seen: set[tuple[int, dt.datetime, str]] = set()
    touched: set[tuple[int, dt.date]] = set()
    for row, emp, at in good:
        key = (emp.person_id, at, row.device or device)
        if key in existing or key in seen:
            continue
        seen.add(key)
        new.append(Punch(person_id=emp.person_id, unit_id=emp.unit_id, at=at, source=source, device=key[2],
                         batch=batch, entered_by=_person(actor)))
        touched.add((emp.unit_id, _local(at).date()))
    Punch.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    return len(new), len(good) - len(new), touched


def _stale_from(touched: set[tuple[int, dt.date]]) -> None:
    by_unit: dict[int, set[dt.date]] = {}
    for uid, day in touched:
        by_unit.setdefault(uid, set()).add(day)
    for uid, days in by_unit.items():
        mark_stale(OrgUnit.objects.get(pk=uid), days)


def check_punch_file(actor: access.Actor, unit: OrgUnit, *, filename: str, content: bytes,
                     now: dt.datetime | None = None) -> ImportReport:
    """Read a machine export without writing: every bad row with its line and reason."""
    access.require(actor, "attendance.manage", unit)
    now = now or timezone.now()
    try:
        parsed = machine_files.parse_punch_file(filename, content)
    except machine_files.FileError as exc:
        raise ValidationFailed(_("无法读取打卡文件。"), [FieldError("file", str(exc))]) from None
    errors = [e.as_dict() for e in parsed.errors]
    good = _resolve_rows(unit, parsed.rows, now, errors)
    errors.sort(key=lambda e: e["line"])
    return ImportReport(filename, parsed.fmt, parsed.total, len(good), 0, 0, errors)


def import_punches(actor: access.Actor, unit: OrgUnit, *, filename: str, content: bytes, partial: bool = False,
                   now: dt.datetime | None = None) -> ImportReport:
    """Import an attendance-machine export (CSV or .xlsx). Every bad row is reported with its line and
    reason; with any bad row nothing is written unless ``partial`` (then the good rows are imported and
    the bad ones kept in the batch's report). A punch already stored (same person, time and device) is
    counted as a duplicate, not imported twice."""
    access.require(actor, "attendance.manage", unit)
    now = now or timezone.now()
    try:
        parsed = machine_files.parse_punch_file(filename, content)
    except machine_files.FileError as exc:
        raise ValidationFailed(_("无法读取打卡文件。"), [FieldError("file", str(exc))]) from None
    errors = [e.as_dict() for e in parsed.errors]
    good = _resolve_rows(unit, parsed.rows, now, errors)
    errors.sort(key=lambda e: e["line"])
    if errors and not partial:
        raise _rows_error(errors, _("打卡文件有 %(n)s 行错误，未导入任何记录；改正后重新导入，或选择只导入正确的行。")
                          % {"n": len(errors)})
    if not good:
        raise ValidationFailed(_("打卡文件中没有可导入的记录。"), [FieldError("file", _("没有正确的行。"))])
    source = PunchSource.MACHINE_XLSX if parsed.fmt == "xlsx" else PunchSource.MACHINE_CSV
    with transaction.atomic():
        batch = ImportBatch.objects.create(unit=unit, filename=filename[:255], fmt=parsed.fmt, sha256=parsed.sha256,
                                           uploaded_by=_person(actor), rows_total=parsed.total, rows_bad=len(errors),
                                           partial=bool(errors), errors=errors[:5000])
        imported, duplicates, touched = _write_punches(good, source, actor, batch)
        batch.rows_imported, batch.rows_duplicate = imported, duplicates
        batch.save(update_fields=["rows_imported", "rows_duplicate"])
        _stale_from(touched)
        record(actor, "attendance.import_punches", batch, unit_id=unit.pk, clauses=["P7.1"],
               payload={"filename": filename, "format": parsed.fmt, "sha256": parsed.sha256, "rows": parsed.total,
                        "imported": imported, "duplicates": duplicates, "bad": len(errors), "partial": partial})
    return ImportReport(filename, parsed.fmt, parsed.total, len(good), imported, duplicates, errors, batch.pk, True)


@dataclass(frozen=True)
class PushedPunch:
    person_id: int
    at: dt.datetime
    device: str = ""


def push_punches(actor: access.Actor, unit: OrgUnit, punches: Sequence[PushedPunch], *, partial: bool = False,
                 now: dt.datetime | None = None) -> ImportReport:
    """Punches pushed by a machine or integration through the API (idempotent per device, person and
    time: a retried push adds nothing). Bad items are reported by position (``line`` = index + 1)."""
    access.require(actor, "attendance.manage", unit)
    now = now or timezone.now()
    rows = []
    errors: list[dict[str, Any]] = []
    for i, p in enumerate(punches, start=1):
        if len(p.device or "") > machine_files.MAX_DEVICE:
            errors.append({"line": i, "reason": _("设备编号超过 %(n)s 个字符") % {"n": machine_files.MAX_DEVICE}})
            continue
        rows.append(machine_files.PunchRow(i, p.person_id, "", p.at, (p.device or "").strip()))
    good = _resolve_rows(unit, rows, now, errors)
    errors.sort(key=lambda e: e["line"])
    if errors and not partial:
        raise _rows_error(errors, _("推送的打卡记录有 %(n)s 条错误，未写入任何记录。") % {"n": len(errors)})
    report = ImportReport("api", "api", len(punches), len(good), 0, 0, errors)
    if not good:
        return report
    with transaction.atomic():
        imported, duplicates, touched = _write_punches(good, PunchSource.API, actor, None)
        _stale_from(touched)
        if imported:
            record(actor, "attendance.push_punches", ("attendance.punches", unit.pk), unit_id=unit.pk, clauses=["P7.1"],
                   payload={"received": len(punches), "imported": imported, "duplicates": duplicates,
                            "bad": len(errors)})
    report.imported, report.duplicates, report.written = imported, duplicates, True
    return report


@transaction.atomic
def add_manual_punch(actor: access.Actor, person: Person, *, at: dt.datetime, reason: str,
                     now: dt.datetime | None = None) -> Punch:
    """A punch entered by hand (``attendance.punch_manual``: HR or the department manager), with its
    reason; never for oneself."""
    now = now or timezone.now()
    at = _aware(at)
    errors: list[FieldError] = []
    emp = _employment(person, _local(at).date(), errors)
    if emp is None:
        raise ValidationFailed(_("打卡信息有误。"), errors)
    access.require(actor, "attendance.punch_manual", emp.unit)
    if isinstance(actor, Person) and actor.pk == person.pk:
        raise PermissionDeniedError(_("不能为本人补录打卡。"))
    text = _check_text(reason, "reason", errors)
    _not_future(at, "at", now, errors)
    if Punch.objects.filter(person=person, at=at, device="").exists():
        errors.append(FieldError("at", _("已有同一时间的打卡记录。")))
    if errors:
        raise ValidationFailed(_("打卡信息有误。"), errors)
    punch = Punch.objects.create(person=person, unit=emp.unit, at=at, source=PunchSource.MANUAL, reason=text,
                                 entered_by=_person(actor))
    mark_stale(emp.unit, [_local(at).date()])
    record(actor, "attendance.punch_manual", punch, unit_id=emp.unit_id, clauses=["P7.1"],
           payload={"person": person.pk, "at": at, "reason": text})
    return punch


# ------------------------------------------------------------------------------- 补卡 corrections


def _correction_approver(person: Person, unit: OrgUnit, on: dt.date) -> Person | None:
    for role in (Role.DEPARTMENT_MANAGER, Role.HR):
        people = nearest_holders(unit, [role], on, exclude=[person.pk])
        if people:
            return people[0]
    return None


@transaction.atomic
def request_correction(actor: access.Actor, person: Person, *, at: dt.datetime, reason: str,
                       now: dt.datetime | None = None) -> PunchCorrection:
    """补卡: the person (or someone entering for them with ``attendance.punch_manual``) asks for a missed
    punch to be recorded; the nearest department manager (else HR) gets it in the inbox."""
    now = now or timezone.now()
    at = _aware(at)
    errors: list[FieldError] = []
    emp = _employment(person, _local(at).date(), errors)
    if emp is None:
        raise ValidationFailed(_("补卡申请有误。"), errors)
    if not (isinstance(actor, Person) and actor.pk == person.pk):
        access.require(actor, "attendance.punch_manual", emp.unit)
    text = _check_text(reason, "reason", errors)
    _not_future(at, "at", now, errors)
    if PunchCorrection.objects.filter(person=person, at=at, status=CorrectionStatus.PENDING).exists():
        errors.append(FieldError("at", _("同一时间的补卡申请已在审批中。")))
    if Punch.objects.filter(person=person, at=at).exists():
        errors.append(FieldError("at", _("该时间已有打卡记录。")))
    approver = _correction_approver(person, emp.unit, _local(now).date())
    if approver is None:
        errors.append(FieldError("person", _("找不到补卡的审批人（部门经理或人事）。")))
    if errors:
        raise ValidationFailed(_("补卡申请有误。"), errors)
    requester = _person(actor) or person
    corr = PunchCorrection.objects.create(person=person, unit=emp.unit, at=at, reason=text, requested_by=requester,
                                          requested_at=now)
    record(actor, "attendance.request_correction", corr, unit_id=emp.unit_id, clauses=["P7.1"],
           payload={"person": person.pk, "at": at, "reason": text})
    obligations.open_obligation(
        access.SYSTEM, kind=KIND_CORRECTION, subject=corr, responsible_person=approver, responsible_unit=emp.unit,
        deadline=deadlines.working_days(2, start=now), now=now,
        title=gettext_noop("审批补卡：%(name)s %(at)s"), title_args={"name": person.name, "at": _fmt(at)},
    )
    return corr


@transaction.atomic
def decide_correction(actor: access.Actor, correction: PunchCorrection, *, approve: bool, note: str = "",
                      now: dt.datetime | None = None) -> PunchCorrection:
    """Approve (the punch is recorded, source 补卡) or reject (with a reason) a correction request."""
    now = now or timezone.now()
    corr = PunchCorrection.objects.select_for_update().select_related("unit", "person").get(pk=correction.pk)
    access.require(actor, "attendance.punch_manual", corr.unit)
    if isinstance(actor, Person) and actor.pk == corr.person_id:
        raise PermissionDeniedError(_("不能审批本人的补卡申请。"))
    errors: list[FieldError] = []
    if corr.status != CorrectionStatus.PENDING:
        errors.append(FieldError("status", _("此申请已处理。")))
    text = _check_text(note, "note", errors, required=not approve)
    if errors:
        raise ValidationFailed(_("无法处理补卡申请。"), errors)
    corr.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
    corr.decided_by, corr.decided_at, corr.decision_note = _person(actor), now, text
    if approve:
        punch, _created = Punch.objects.get_or_create(
            person_id=corr.person_id, at=corr.at, device="",
            defaults={"unit": corr.unit, "source": PunchSource.CORRECTION, "reason": corr.reason,
                      "entered_by": _person(actor)})
        corr.punch = punch
        mark_stale(corr.unit, [_local(corr.at).date()])
    corr.save()
    record(actor, "attendance.decide_correction", corr, unit_id=corr.unit_id, clauses=["P7.1"],
           payload={"approve": approve, "note": text, "punch": corr.punch_id})
    for ob in obligations.pending_for(corr, kind=KIND_CORRECTION):
        obligations.meet(access.SYSTEM, ob, note=text, now=now)
    return corr


# ---------------------------------------------------------------------------- P10.2.3 exceptions


@transaction.atomic
def record_exception(actor: access.Actor, unit: OrgUnit, *, start: dt.datetime, end: dt.datetime, reason: str,
                     people: Sequence[Person] = (), note: str = "", now: dt.datetime | None = None) -> DutyException:
    """P10.2.3: attendance could not be captured (power cut, broken machine, unreadable fingerprints)
    from ``start`` to ``end``, for the unit or for ``people`` in it; attendance honours it."""
    access.require(actor, "attendance.exception", unit)
    now = now or timezone.now()
    start, end = _aware(start), _aware(end)
    errors: list[FieldError] = []
    if reason not in ExceptionReason.values:
        errors.append(FieldError("reason", _("请选择原因。")))
    if end <= start:
        errors.append(FieldError("end", _("结束时间应晚于开始时间。")))
    elif (end - start) > dt.timedelta(days=7):
        errors.append(FieldError("end", _("一次记录不超过 7 天。")))
    _not_future(start, "start", now, errors)
    text = _check_text(note, "note", errors, required=reason == ExceptionReason.OTHER)
    day = _local(start).date()
    for p in people:
        if selectors.employment_of(p, day, within=unit) is None:
            errors.append(FieldError("people", _("%(name)s 不是本单位人员。") % {"name": p.name}))
    if errors:
        raise ValidationFailed(_("考勤异常记录有误。"), errors)
    row = DutyException.objects.create(unit=unit, start=start, end=end, reason=reason, note=text,
                                       recorded_by=_person(actor))
    if people:
        row.people.set(list(people))
    mark_stale(unit, row.dates(_tz()))
    record(actor, "attendance.record_exception", row, unit_id=unit.pk, clauses=["P10.2.3"],
           payload={"start": start, "end": end, "reason": reason, "note": text, "people": [p.pk for p in people]})
    return row


# --------------------------------------------------------------------------------------------- leave

#: Who may decide a step of the chain (p7.approval_chain's roles), nearest holder first.
STEP_ROLES: dict[str, tuple[str, ...]] = {
    p7.DEPARTMENT_MANAGER: (Role.DEPARTMENT_MANAGER,),
    p7.HR: (Role.HR,),
    p7.GENERAL_MANAGER: (Role.GENERAL_MANAGER,),
    # P7.11 主管领导: the nearest department manager above the person, else the general manager.
    p7.DIRECT_SUPERVISOR: (Role.DEPARTMENT_MANAGER, Role.GENERAL_MANAGER),
}



def step_approver(role: str, person: Person, unit: OrgUnit, on: dt.date) -> Person | None:
    for r in STEP_ROLES.get(role, ()):
        people = nearest_holders(unit, [r], on, exclude=[person.pk])
        if people:
            return people[0]
    return None


def may_decide_step(actor: access.Actor, step: LeaveApproval) -> bool:
    """The step's role (or, for 主管领导, a department or general manager) held over the person's unit,
    with ``attendance.approve_leave``; never one's own leave."""
    if not isinstance(actor, Person):
        return False
    leave = step.request
    if actor.pk == leave.person_id or not access.can(actor, "attendance.approve_leave", leave.unit):
        return False
    roles = STEP_ROLES.get(step.role, ())
    return any(g.role in roles and leave.unit.path.startswith(g.path) for g in access.grants(actor))


def _leave_start(person: Person, unit: OrgUnit, day: dt.date) -> dt.datetime:
    shift = selectors.shift_on(person, day, unit)
    return dt.datetime.combine(day, shift.start, tzinfo=_tz())


def _explained(decision: Decision) -> str:
    return decision.explain()


def _open_step(leave: LeaveRequest, step: LeaveApproval, now: dt.datetime) -> None:
    approver = step.approver or step_approver(step.role, leave.person, leave.unit, _local(now).date())
    step.approver = approver
    step.status = StepStatus.PENDING
    chain = Decision.from_dict(leave.chain_decision) if leave.chain_decision else None
    ob = obligations.open_obligation(
        access.SYSTEM, kind=KIND_LEAVE_APPROVAL, subject=leave, responsible_person=approver,
        responsible_unit=leave.unit, deadline=deadlines.working_days(1, start=now), decision=chain, now=now,
        title=gettext_noop("审批请假：%(name)s %(kind)s %(start)s 至 %(end)s（%(days)s 天，第 %(step)s 步）"),
        title_args={"name": leave.person.name, "kind": leave.kind_arg(), "start": leave.start_date.isoformat(),
                    "end": leave.end_date.isoformat(), "days": p7.num(leave.days), "step": step.step},
    )
    step.obligation_id = ob.pk
    step.save(update_fields=["approver", "status", "obligation_id"])


def _sick_decision(leave: LeaveRequest, params: Any, on: dt.date) -> Decision:
    start = _leave_start(leave.person, leave.unit, leave.start_date)
    note_day = _local(leave.certificate_at).date() if leave.certificate_at else None
    return p7.sick_leave_valid(p7.SickLeave(
        shift_start=start, first_day=leave.start_date, notified_at=leave.notified_at,
        note_submitted_on=note_day, note_stamped=leave.certificate_stamped, as_of=on,
    ), params, calendar_selectors.work_calendar())


@transaction.atomic
def request_leave(
    actor: access.Actor,
    person: Person,
    *,
    kind: str,
    start_date: dt.date,
    end_date: dt.date,
    reason: str = "",
    leave_type: LeaveType | None = None,
    special_reason: str = "",
    in_writing: bool = True,
    notified_at: dt.datetime | None = None,
    certificate_at: dt.datetime | None = None,
    certificate_stamped: bool = True,
    marriage_date: dt.date | None = None,
    first_marriage: bool = True,
    certificate_copy: bool = False,
    pregnancy_months: int | None = None,
    hospital_certificate: bool = False,
    now: dt.datetime | None = None,
) -> LeaveRequest:
    """Ask for leave (whole days, both ends included). Eligibility is checked now and a refusal cites
    its clause: no retroactive leave without a special reason (P7.9, P7.11 in writing), marriage leave
    after a year's service, once, 3 or 10 days (P7.6), pre-natal leave from the 7th month with a county
    hospital certificate (P7.7). Sick leave is recorded with its notice (P7.5.2: at least an hour before
    the shift) and opens the 2-day sick-note deadline on the person; without both its days count as
    absenteeism. The approval chain comes from the rulebook (P7.8 by default, P7.11 selectable) and each
    step is an obligation in the approver's inbox."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    emp = _employment(person, start_date, errors)
    if emp is None:
        raise ValidationFailed(_("请假申请有误。"), errors)
    unit = emp.unit
    if not (isinstance(actor, Person) and actor.pk == person.pk) and not (
            access.can(actor, "attendance.approve_leave", unit) or access.can(actor, "attendance.manage", unit)):
        raise PermissionDeniedError(_("只能为本人请假，或由有审批权的人员代为填报。"))
    if kind not in LeaveKind.values:
        errors.append(FieldError("kind", _("未知的假别。")))
    if kind == LeaveKind.OTHER:
        if leave_type is None:
            errors.append(FieldError("leave_type", _("请选择本单位的假别。")))
        elif leave_type.organization_id != person.organization_id or not leave_type.active:
            errors.append(FieldError("leave_type", _("此假别不可用。")))
    elif leave_type is not None:
        errors.append(FieldError("leave_type", _("只有“其他假别”需选择本单位的假别。")))
    if end_date < start_date:
        errors.append(FieldError("end_date", _("结束日期不能早于开始日期。")))
    elif (end_date - start_date).days > 366:
        errors.append(FieldError("end_date", _("一次请假不超过一年。")))
    text = _check_text(reason, "reason", errors, required=False)
    special = _check_text(special_reason, "special_reason", errors, required=False)
    if errors:
        raise ValidationFailed(_("请假申请有误。"), errors)
    overlap = LeaveRequest.objects.filter(person=person, status__in=[LeaveStatus.PENDING, LeaveStatus.APPROVED],
                                          start_date__lte=end_date, end_date__gte=start_date).first()
    if overlap is not None:
        errors.append(FieldError("start_date", _("与已有的请假（%(start)s 至 %(end)s）重叠。")
                                 % {"start": overlap.start_date, "end": overlap.end_date}))
    notified_at = _aware(notified_at) if notified_at else None
    certificate_at = _aware(certificate_at) if certificate_at else None
    params = params_for(unit, start_date)
    cal = calendar_selectors.work_calendar()
    leave_start = _leave_start(person, unit, start_date)
    eligibility: list[Decision] = []

    # Days: sick leave counts continuously (P7.5.2), other leave the days the person is rostered to work.
    if kind == LeaveKind.SICK and end_date >= start_date:
        spell = p7.sick_leave_days(p7.SickSpell(start_date, end_date), params, cal)
        days = Decimal(spell.value)
        eligibility.append(spell)
    else:
        days = Decimal(len(selectors.scheduled_days(person, unit, start_date, end_date)))
        if days == 0:
            errors.append(FieldError("end_date", _("所选期间没有需要上班的日子，无需请假。")))

    # P7.9 (and P7.11 in writing): asked in advance, or a special reason.
    applied_at = notified_at if kind == LeaveKind.SICK and notified_at else now
    timing = p7.retroactive_leave(p7.LeaveTiming(leave_start=leave_start, applied_at=applied_at,
                                                 special_reason=bool(special), in_writing=in_writing), params)
    eligibility.append(timing)
    if timing.value == p7.REFUSED:
        errors.append(FieldError("start_date", _explained(timing)))

    if kind == LeaveKind.MARRIAGE:
        sex = {"F": "female", "M": "male"}.get(person.gender)
        if sex is None or person.birth_date is None:
            errors.append(FieldError("person", _("人员档案缺少性别或出生日期，无法核定婚假（P7.6）。")))
        elif marriage_date is None:
            errors.append(FieldError("marriage_date", _("请填写结婚登记日期（P7.6）。")))
        else:
            taken = LeaveRequest.objects.filter(person=person, kind=LeaveKind.MARRIAGE,
                                                status__in=[LeaveStatus.PENDING, LeaveStatus.APPROVED]).exists()
            m = p7.marriage_leave(p7.MarriageLeave(
                hired_on=emp.hired_on, applied_on=_local(now).date(), marriage_date=marriage_date,
                birth_date=person.birth_date, sex=sex, first_marriage=first_marriage,
                certificate_copy=certificate_copy, already_taken=taken), params)
            eligibility.append(m)
            if not m.value:
                errors.append(FieldError("kind", _explained(m)))
            elif (end_date - start_date).days + 1 > int(m.value):
                errors.append(FieldError("end_date", _("P7.6：婚假 %(n)s 天，须一次休完，申请了 %(days)s 天。")
                                         % {"n": m.value, "days": (end_date - start_date).days + 1}))
    elif kind == LeaveKind.PRENATAL:
        if pregnancy_months is None:
            errors.append(FieldError("pregnancy_months", _("请填写怀孕月数（P7.7）。")))
        else:
            pre = p7.prenatal_leave(p7.Pregnancy(months=pregnancy_months, front_line=True,
                                                 county_hospital_certificate=hospital_certificate,
                                                 approved_by_department_manager=True, approved_by_hr=True), params)
            eligibility.append(pre)
            if pre.value != "prenatal_leave":
                errors.append(FieldError("pregnancy_months" if pre.value != "needs_certificate" else
                                         "hospital_certificate", _explained(pre)))
    elif kind == LeaveKind.MATERNITY and person.gender == "M":
        errors.append(FieldError("kind", _("产假适用于女员工。")))
    elif kind == LeaveKind.PERSONAL:
        eligibility.append(Decision(
            rule="attendance.personal_leave", value=False, clauses=("P7.5.3",),
            reason=gettext_noop("事假原则上不准；特殊原因须提前报批，事假为无薪假，不享受全勤奖"),
            params=(params["p7.personal_leave_paid"].use(), params["p7.personal_leave_loses_bonus"].use())))
    if kind == LeaveKind.SICK:
        if notified_at is None:
            notified_at = now  # asking here is telling the department manager (who gets the request)
        if certificate_at is not None and certificate_at > now + dt.timedelta(minutes=5):
            errors.append(FieldError("certificate_at", _("交病假单时间晚于当前时间。")))

    # P7.8 / P7.11 / P7.7: the approval chain; every step needs someone to decide it.
    chain: Decision | None = None
    approvers: list[tuple[str, Person | None]] = []
    if days > 0 and kind in LeaveKind.values:
        chain = p7.approval_chain(p7.LeaveRequest(kind=kind, days=days, rank=emp.rank), params)
        for role in chain.value:
            who = step_approver(role, person, unit, _local(now).date())
            approvers.append((role, who))
            if who is None:
                errors.append(FieldError("kind", _("%(clauses)s：找不到审批人（%(role)s）。")
                                         % {"clauses": _("、").join(chain.clauses), "role": _(STEP_LABELS.get(role, role))}))
    if errors:
        raise ValidationFailed(_("请假申请未通过：%(first)s") % {"first": errors[0].message}, errors)
    assert chain is not None

    leave = LeaveRequest.objects.create(
        person=person, unit=unit, kind=kind, leave_type=leave_type, start_date=start_date, end_date=end_date,
        days=days, reason=text, special_reason=special, in_writing=in_writing, requested_at=now,
        requested_by=_person(actor) or person, notified_at=notified_at if kind == LeaveKind.SICK else None,
        certificate_at=certificate_at if kind == LeaveKind.SICK else None, certificate_stamped=certificate_stamped,
        marriage_date=marriage_date, first_marriage=first_marriage, certificate_copy=certificate_copy,
        pregnancy_months=pregnancy_months, hospital_certificate=hospital_certificate,
        chain=list(chain.value), chain_decision=chain.as_dict(),
    )
    if kind == LeaveKind.SICK:
        eligibility.append(_sick_decision(leave, params, _local(now).date()))
    leave.eligibility = [d.as_dict() for d in eligibility]
    leave.save(update_fields=["eligibility"])
    steps = [LeaveApproval.objects.create(request=leave, step=i, role=role, approver=who)
             for i, (role, who) in enumerate(approvers, start=1)]
    clauses = sorted({c for d in [chain, *eligibility] for c in d.clauses})
    record(actor, "attendance.request_leave", leave, unit_id=unit.pk, clauses=clauses,
           payload={"person": person.pk, "kind": kind, "start": start_date, "end": end_date, "days": days,
                    "chain": chain.value, "timing": timing.value})
    _open_step(leave, steps[0], now)
    if kind == LeaveKind.SICK and leave.certificate_at is None:
        _open_certificate_deadline(leave, params, now)
    mark_stale(unit, [start_date + dt.timedelta(days=i) for i in range((end_date - start_date).days + 1)])
    return leave


def _open_certificate_deadline(leave: LeaveRequest, params: Any, now: dt.datetime) -> Obligation | None:
    """P7.5.2: the stamped sick note is due within 2 days (the person's obligation)."""
    decision = _sick_decision(leave, params, leave.start_date)
    deadline_day = dt.date.fromisoformat(str(decision.facts["note_deadline"]))
    due = dt.datetime.combine(deadline_day, dt.time(23, 59, 59), tzinfo=_tz())
    if due <= now:
        return None  # already past: the close finds the note missing (absenteeism)
    return obligations.open_obligation(
        access.SYSTEM, kind=KIND_SICK_CERTIFICATE, subject=leave, responsible_person=leave.person,
        responsible_unit=leave.unit, deadline=deadlines.fixed(due), decision=decision, now=now,
        title=gettext_noop("交病假单（%(start)s 起的病假），截止 %(deadline)s"),
        title_args={"start": leave.start_date.isoformat(), "deadline": deadline_day.isoformat()},
    )


def _lock_leave(leave: LeaveRequest) -> LeaveRequest:
    return (LeaveRequest.objects.select_for_update(of=("self",)).select_related("person", "unit", "leave_type")
            .get(pk=leave.pk))


def _current_step(leave: LeaveRequest) -> LeaveApproval | None:
    return leave.steps.select_related("request__unit", "request__person").filter(status=StepStatus.PENDING).order_by(
        "step").first()


def _close_step_obligation(actor: access.Actor, step: LeaveApproval, note: str, now: dt.datetime) -> None:
    if step.obligation_id:
        ob = Obligation.objects.filter(pk=step.obligation_id).first()
        if ob is not None and ob.is_pending:
            obligations.meet(actor, ob, note=note, via="attendance.approve_leave", now=now)


@transaction.atomic
def approve_leave(actor: access.Actor, leave: LeaveRequest, *, note: str = "",
                  now: dt.datetime | None = None) -> LeaveRequest:
    """Approve the pending step (the approver's role over the person's unit); the next step goes to its
    approver's inbox, the last one approves the leave."""
    now = now or timezone.now()
    leave = _lock_leave(leave)
    step = _current_step(leave)
    errors: list[FieldError] = []
    if leave.status != LeaveStatus.PENDING or step is None:
        raise ValidationFailed(_("此请假申请不在审批中。"), [FieldError("status", leave.get_status_display())])
    if not may_decide_step(actor, step):
        raise PermissionDeniedError(_("无权审批此步骤（%(role)s）。") % {"role": _(STEP_LABELS.get(step.role, step.role))})
    text = _check_text(note, "note", errors, required=False)
    if errors:
        raise ValidationFailed(_("审批意见有误。"), errors)
    step.status, step.decided_by, step.decided_at, step.note = StepStatus.APPROVED, _person(actor), now, text
    step.save(update_fields=["status", "decided_by", "decided_at", "note"])
    _close_step_obligation(actor, step, text, now)
    nxt = leave.steps.filter(status=StepStatus.WAITING).order_by("step").first()
    if nxt is None:
        leave.status, leave.decided_at = LeaveStatus.APPROVED, now
        leave.save(update_fields=["status", "decided_at"])
        mark_stale(leave.unit, [leave.start_date + dt.timedelta(days=i)
                                for i in range((leave.end_date - leave.start_date).days + 1)])
    else:
        _open_step(leave, nxt, now)
    record(actor, "attendance.approve_leave", leave, unit_id=leave.unit_id, clauses=list(leave.chain_decision.get("clauses", [])),
           payload={"step": step.step, "role": step.role, "note": text, "status": leave.status})
    return leave


@transaction.atomic
def reject_leave(actor: access.Actor, leave: LeaveRequest, *, note: str, now: dt.datetime | None = None) -> LeaveRequest:
    """Reject at the pending step (a reason is required); the leave is refused — absence on its days is
    absenteeism (P7.5.1)."""
    now = now or timezone.now()
    leave = _lock_leave(leave)
    step = _current_step(leave)
    if leave.status != LeaveStatus.PENDING or step is None:
        raise ValidationFailed(_("此请假申请不在审批中。"), [FieldError("status", leave.get_status_display())])
    if not may_decide_step(actor, step):
        raise PermissionDeniedError(_("无权审批此步骤（%(role)s）。") % {"role": _(STEP_LABELS.get(step.role, step.role))})
    errors: list[FieldError] = []
    text = _check_text(note, "note", errors)
    if errors:
        raise ValidationFailed(_("驳回须填写理由。"), errors)
    step.status, step.decided_by, step.decided_at, step.note = StepStatus.REJECTED, _person(actor), now, text
    step.save(update_fields=["status", "decided_by", "decided_at", "note"])
    _close_step_obligation(actor, step, text, now)
    leave.steps.filter(status=StepStatus.WAITING).update(status=StepStatus.CANCELLED)
    leave.status, leave.decided_at = LeaveStatus.REJECTED, now
    leave.save(update_fields=["status", "decided_at"])
    for ob in obligations.pending_for(leave, kind=KIND_SICK_CERTIFICATE):
        obligations.meet(access.SYSTEM, ob, note=_("请假已驳回"), now=now)
    mark_stale(leave.unit, [leave.start_date + dt.timedelta(days=i)
                            for i in range((leave.end_date - leave.start_date).days + 1)])
    record(actor, "attendance.reject_leave", leave, unit_id=leave.unit_id, clauses=["P7.5.1"],
           payload={"step": step.step, "role": step.role, "note": text})
    return leave


@transaction.atomic
def cancel_leave(actor: access.Actor, leave: LeaveRequest, *, now: dt.datetime | None = None) -> LeaveRequest:
    """The person withdraws a leave still pending, or approved and not yet begun."""
    now = now or timezone.now()
    leave = _lock_leave(leave)
    if not (isinstance(actor, Person) and actor.pk in (leave.person_id, leave.requested_by_id)):
        access.require(actor, "attendance.manage", leave.unit)
    today = _local(now).date()
    if leave.status not in (LeaveStatus.PENDING, LeaveStatus.APPROVED) or (
            leave.status == LeaveStatus.APPROVED and leave.start_date <= today):
        raise ValidationFailed(_("此请假不能撤销。"), [FieldError("status", leave.get_status_display())])
    for step in leave.steps.filter(status__in=[StepStatus.PENDING, StepStatus.WAITING]):
        _close_step_obligation(access.SYSTEM, step, _("申请已撤销"), now)
    leave.steps.filter(status__in=[StepStatus.PENDING, StepStatus.WAITING]).update(status=StepStatus.CANCELLED)
    for ob in obligations.pending_for(leave):
        obligations.meet(access.SYSTEM, ob, note=_("申请已撤销"), now=now)
    leave.status = LeaveStatus.CANCELLED
    leave.save(update_fields=["status"])
    mark_stale(leave.unit, [leave.start_date + dt.timedelta(days=i)
                            for i in range((leave.end_date - leave.start_date).days + 1)])
    record(actor, "attendance.cancel_leave", leave, unit_id=leave.unit_id, clauses=["P7.5"], payload={})
    return leave


@transaction.atomic
def submit_certificate(actor: access.Actor, leave: LeaveRequest, *, at: dt.datetime | None = None,
                       stamped: bool = True, now: dt.datetime | None = None) -> LeaveRequest:
    """P7.5.2: the stamped sick note handed in (by the person, or recorded by their manager or HR);
    the person's sick-note obligation is met (late when after its deadline)."""
    now = now or timezone.now()
    leave = _lock_leave(leave)
    if not (isinstance(actor, Person) and actor.pk == leave.person_id) and not (
            access.can(actor, "attendance.approve_leave", leave.unit) or access.can(actor, "attendance.manage", leave.unit)):
        raise PermissionDeniedError(_("无权登记病假单。"))
    at = _aware(at) if at else now
    errors: list[FieldError] = []
    if leave.kind != LeaveKind.SICK:
        errors.append(FieldError("kind", _("只有病假需要交病假单。")))
    if leave.status in (LeaveStatus.REJECTED, LeaveStatus.CANCELLED):
        errors.append(FieldError("status", leave.get_status_display()))
    _not_future(at, "at", now, errors)
    if errors:
        raise ValidationFailed(_("无法登记病假单。"), errors)
    leave.certificate_at, leave.certificate_stamped = at, stamped
    params = params_for(leave.unit, leave.start_date)
    decision = _sick_decision(leave, params, _local(now).date())
    leave.eligibility = [d for d in leave.eligibility if d.get("rule") != "p7.sick_leave_valid"] + [decision.as_dict()]
    leave.save(update_fields=["certificate_at", "certificate_stamped", "eligibility"])
    for ob in obligations.pending_for(leave, kind=KIND_SICK_CERTIFICATE):
        obligations.meet(access.SYSTEM, ob, note=_("已交病假单"), now=at if at <= now else now)
    mark_stale(leave.unit, [leave.start_date + dt.timedelta(days=i)
                            for i in range((leave.end_date - leave.start_date).days + 1)])
    record(actor, "attendance.submit_certificate", leave, unit_id=leave.unit_id, clauses=["P7.5.2"],
           payload={"at": at, "stamped": stamped, "valid": decision.value})
    return leave


@transaction.atomic
def create_leave_type(actor: access.Actor, unit: OrgUnit, *, code: str, name: str, paid: bool = True,
                      keeps_bonus: bool = True) -> LeaveType:
    """A kind of leave the organization adds (approved like other leave under P7.8 / P7.11)."""
    access.require(actor, "attendance.manage", unit)
    errors: list[FieldError] = []
    code = (code or "").strip()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 32:
        errors.append(FieldError("code", _("代码只能包含字母、数字、- 和 _，最多 32 个字符。")))
    elif LeaveType.objects.filter(organization_id=unit.organization_id, code=code).exists():
        errors.append(FieldError("code", _("代码“%(code)s”已被使用。") % {"code": code}))
    name = _check_text(name, "name", errors, max_length=100)
    if errors:
        raise ValidationFailed(_("假别信息有误。"), errors)
    row = LeaveType.objects.create(organization_id=unit.organization_id, code=code, name=name, paid=paid,
                                   keeps_bonus=keeps_bonus)
    record(actor, "attendance.create_leave_type", row, unit_id=unit.pk, clauses=["P7.5"],
           payload={"code": code, "name": name, "paid": paid, "keeps_bonus": keeps_bonus})
    return row


# ---------------------------------------------------------------------------- P10.2.1 roll call


@transaction.atomic
def record_roll_call(actor: access.Actor, unit: OrgUnit, day: dt.date, marks: dict[int, str],
                     notes: dict[int, str] | None = None, *, now: dt.datetime | None = None) -> RollCall:
    """P10.2.1: the duty officer's roll call of the unit's window staff. Anyone marked absent must be
    reported to the leader the same day: an obligation on the duty officer until :func:`report_roll_call`."""
    access.require(actor, "attendance.exception", unit)
    now = now or timezone.now()
    notes = notes or {}
    errors: list[FieldError] = []
    staff = {e.person_id: e for e in selectors.people_of(unit, day, day)}
    if day > _local(now).date():
        errors.append(FieldError("date", _("不能为以后的日期点名。")))
    for pid, presence in marks.items():
        if pid not in staff:
            errors.append(FieldError(f"person {pid}", _("不是本单位人员。")))
        elif presence not in Presence.values:
            errors.append(FieldError(f"person {pid}", _("请选择在岗、缺勤或请假。")))
    if not marks:
        errors.append(FieldError("marks", _("请至少登记一人。")))
    if errors:
        raise ValidationFailed(_("点名记录有误。"), errors)
    roll, created = RollCall.objects.get_or_create(unit=unit, date=day, defaults={
        "taken_by": _person(actor) or staff[next(iter(marks))].person, "taken_at": now})
    if not created:
        roll.taken_by, roll.taken_at = _person(actor) or roll.taken_by, now
        roll.save(update_fields=["taken_by", "taken_at"])
    for pid, presence in marks.items():
        RollCallEntry.objects.update_or_create(roll_call=roll, person_id=pid, defaults={
            "presence": presence, "note": (notes.get(pid) or "")[:200]})
    absent = [staff[pid].person.name for pid, p in marks.items() if p == Presence.ABSENT]
    record(actor, "attendance.roll_call", roll, unit_id=unit.pk, clauses=["P10.2.1"],
           payload={"date": day, "marks": {str(k): v for k, v in marks.items()}, "absent": absent})
    if absent and roll.reported_at is None and not roll.obligation_id:
        params = params_for(unit, day)
        observed = max(now, dt.datetime.combine(day, dt.time(0, 0), tzinfo=_tz()))
        if _local(observed).date() != day:
            observed = dt.datetime.combine(day, dt.time(23, 0), tzinfo=_tz())
        decision = p10.same_day_report_deadline(p10.Observation(kind=p10.ABSENCE, observed_at=_local(observed)), params)
        due = dt.datetime.fromisoformat(str(decision.value))
        if due > now:
            ob = obligations.open_obligation(
                access.SYSTEM, kind=KIND_ROLL_CALL_REPORT, subject=roll, responsible_person=_person(actor),
                responsible_unit=unit, deadline=deadlines.fixed(due), decision=decision, now=now,
                title=gettext_noop("当日通报缺勤：%(unit)s %(date)s（%(names)s）"),
                title_args={"unit": unit.name, "date": day.isoformat(), "names": list(absent)},
            )
            roll.obligation_id = ob.pk
            roll.save(update_fields=["obligation_id"])
    return roll


def _leaders(unit: OrgUnit, on: dt.date, exclude: Sequence[int]) -> list[Person]:
    for role in (Role.DUTY_DIRECTOR, Role.DEPARTMENT_MANAGER, Role.GENERAL_MANAGER):
        people = nearest_holders(unit, [role], on, exclude=exclude)
        if people:
            return people
    return []


@transaction.atomic
def report_roll_call(actor: access.Actor, roll: RollCall, *, note: str = "", now: dt.datetime | None = None) -> RollCall:
    """P10.2.1: report the day's absences to the leader (the nearest duty director, else department or
    general manager): they are notified in the app and the duty officer's obligation is met."""
    from zhidu.obligations import notify

    now = now or timezone.now()
    roll = RollCall.objects.select_for_update().select_related("unit").get(pk=roll.pk)
    access.require(actor, "attendance.exception", roll.unit)
    errors: list[FieldError] = []
    text = _check_text(note, "note", errors, required=False)
    if roll.reported_at is not None:
        errors.append(FieldError("status", _("已通报。")))
    if errors:
        raise ValidationFailed(_("无法通报。"), errors)
    absent = list(roll.entries.filter(presence=Presence.ABSENT).select_related("person"))
    names: list[str] | dict[str, Any] = [e.person.name for e in absent] or msg(gettext_noop("无"))
    roll.reported_at, roll.report_note = now, text
    roll.save(update_fields=["reported_at", "report_note"])
    leaders = _leaders(roll.unit, roll.date, [getattr(actor, "pk", 0) or 0])
    ob = Obligation.objects.filter(pk=roll.obligation_id).first() if roll.obligation_id else None
    notify.record(leaders, event="open", message=gettext_noop("%(unit)s %(date)s 点名缺勤：%(names)s。%(note)s（P10.2.1）"),
                  args={"unit": roll.unit.name, "date": roll.date.isoformat(), "names": names, "note": text},
                  channels=("in_app",), obligation=ob, now=now)
    if ob is not None and ob.state in (ObligationState.OPEN, ObligationState.EXTENDED, ObligationState.BREACHED):
        obligations.meet(actor, ob, note=text, via="attendance.exception", now=now)
    record(actor, "attendance.report_roll_call", roll, unit_id=roll.unit_id, clauses=["P10.2.1"],
           payload={"absent": [e.person_id for e in absent], "leaders": [p.pk for p in leaders], "note": text})
    return roll


# ---------------------------------------------------------------------------------------- month close


@dataclass
class CloseReport:
    """What a month close did: people evaluated, ledger outcomes, timings (seconds) per stage."""

    close: MonthClose
    people: int = 0
    days: int = 0
    ledger: dict[str, int] = field(default_factory=dict)
    proposed: int = 0
    changed_people: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _locked(unit: OrgUnit, period: str) -> bool:
    from zhidu.sanctions.periods import is_locked

    if MonthClose.objects.filter(unit__path__in=selectors.ancestor_paths(unit.path), period=period,
                                 status=CloseStatus.LOCKED).exists():
        return True
    return is_locked(unit, period)


def close_month(actor: access.Actor, unit: OrgUnit, period: str, *, reason: str = "",
                now: dt.datetime | None = None, post_ledger: bool = True) -> CloseReport:
    """Evaluate the unit's month ("YYYY-MM") for everyone employed in it (and below it) from the
    database with the engine (``engine.evaluate_month``, parameters ``params_for(unit, first day)``,
    the working calendar in force), store every person-day and person-month, post fines, deductions
    and bonus losses to the sanctions ledger (idempotent per person and kind) and propose suspension
    or dismissal for HR to confirm. Year-to-date counts come from the months stored before.

    Two steps: the results are computed and stored in one transaction; then what differs from the
    ledger is posted through ``zhidu.sanctions.services`` in short transactions (``sync_ledger``; the
    month shows "not yet in the ledger" until it has finished, and the attendance job finishes an
    interrupted one). ``post_ledger=False`` stops after the first step.

    A locked month is not recomputed silently: a correction needs a ``reason``; the ledger then posts
    the differences as visible adjustment entries and the correction is kept on the month."""
    access.require(actor, "attendance.close_month", unit)
    now = now or timezone.now()
    first, last = selectors.parse_period(period)
    errors: list[FieldError] = []
    if last >= _local(now).date():
        errors.append(FieldError("period", _("%(period)s 尚未结束，月底之后才能结算。") % {"period": period}))
    locked = _locked(unit, period)
    text = (reason or "").strip()
    if locked and not text:
        errors.append(FieldError("reason", _("%(period)s 已锁定：重新计算须说明更正原因，差额将以调整条目入账。")
                                 % {"period": period}))
    if len(text) > 2000:
        errors.append(FieldError("reason", _("不能超过 %(n)s 个字符。") % {"n": 2000}))
    if errors:
        raise ValidationFailed(_("无法结算。"), errors)
    with _without_cyclic_gc():
        return _run_close(actor, unit, period, first, last, now=now, locked=locked, reason=text,
                          post_ledger=post_ledger)


@transaction.atomic
def approve_month(actor: access.Actor, unit: OrgUnit, period: str, *, now: dt.datetime | None = None) -> MonthClose:
    """Approve the month sheet as computed (it must be closed and up to date)."""
    access.require(actor, "attendance.close_month", unit)
    now = now or timezone.now()
    selectors.parse_period(period)
    close = MonthClose.objects.select_for_update().filter(unit=unit, period=period).first()
    errors: list[FieldError] = []
    if close is None:
        errors.append(FieldError("period", _("本月尚未结算。")))
    elif close.stale:
        errors.append(FieldError("period", _("结算后考勤记录有变动，请先重新计算。")))
    elif close.status != CloseStatus.CLOSED:
        errors.append(FieldError("status", close.get_status_display()))
    if errors:
        raise ValidationFailed(_("无法审核。"), errors)
    assert close is not None
    close.status, close.approved_at, close.approved_by = CloseStatus.APPROVED, now, _person(actor)
    close.save(update_fields=["status", "approved_at", "approved_by"])
    record(actor, "attendance.approve_month", close, unit_id=unit.pk, clauses=["P7.12"],
           payload={"period": period, "revision": close.revision})
    return close


@transaction.atomic
def lock_month(actor: access.Actor, unit: OrgUnit, period: str, *, now: dt.datetime | None = None) -> MonthClose:
    """Lock an approved month: the sanctions ledger's period lock for the unit, and this month's flag.
    From now on a correction is a visible adjustment (``close_month`` with a reason)."""
    from zhidu.sanctions import services as ledger
    from zhidu.sanctions.periods import is_locked

    access.require(actor, "attendance.close_month", unit)
    now = now or timezone.now()
    close = MonthClose.objects.select_for_update().filter(unit=unit, period=period).first()
    errors: list[FieldError] = []
    if close is None:
        errors.append(FieldError("period", _("本月尚未结算。")))
    elif close.stale:
        errors.append(FieldError("period", _("结算后考勤记录有变动，请先重新计算。")))
    elif close.status != CloseStatus.APPROVED:
        errors.append(FieldError("status", _("须先审核月报再锁定（当前：%(status)s）。") % {"status": close.get_status_display()}))
    if errors:
        raise ValidationFailed(_("无法锁定。"), errors)
    assert close is not None
    if not is_locked(unit, period):
        ledger.lock_period(actor, unit, period)
    close.status, close.locked_at, close.locked_by = CloseStatus.LOCKED, now, _person(actor)
    close.save(update_fields=["status", "locked_at", "locked_by"])
    record(actor, "attendance.lock_month", close, unit_id=unit.pk, clauses=["P7.12"],
           payload={"period": period, "revision": close.revision})
    return close


# -- the close itself: load from the database, evaluate, store, post --------------------------------

_BAD = frozenset({"late", "early", "late_early", "half_absent", "absent"})
_CHUNK = 500
_SIMPLE_REASONS = {
    "present": gettext_noop("%(date)s 按时签到、签退"),
    "rest": gettext_noop("%(date)s 不是工作日"),
    "leave": gettext_noop("%(date)s 已批准请假"),
    "exception": gettext_noop("%(date)s 考勤未成功，已由值班人员统一记录，按出勤处理"),
}


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the duration of a close. A close of 10,000 people
    keeps millions of objects alive at once (days, decisions, rows to insert) and creates no reference
    cycles worth collecting; the collector would walk all of them again at every full collection (≈ 1 s
    of such a close). Reference counting frees everything as usual; the collector is enabled again
    afterwards if it was enabled before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _chunks(items: Sequence[int], size: int = _CHUNK) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _people(ids: Sequence[int], scope: Any) -> Iterable[Any]:
    """What to filter ``person_id__in`` by: the close's people as one subquery (``scope``: the unit's
    employments of the month, ``selectors.employments_in``), else the ids 500 at a time."""
    if scope is not None:
        yield scope.values("person_id")
    else:
        yield from _chunks(ids)


@dataclass
class _Group:
    """People evaluated together: same shift times and the same working days this month."""

    start: dt.time
    end: dt.time
    overrides: tuple[tuple[dt.date, bool], ...]
    emps: list[Employment] = field(default_factory=list)


@dataclass
class _Inputs:
    groups: list[_Group]
    punches: Any  # engine.PunchStamps
    leaves: dict[str, list[Any]]
    exceptions: dict[str, list[Any]]
    prior: dict[str, Any]
    emp_by_id: dict[int, Employment]


def _schedule_groups(emps: list[Employment], first: dt.date, last: dt.date, cal: Any, scope: Any = None
                     ) -> tuple[list[_Group], dict[int, list[tuple[dt.date, selectors.ShiftTimes, selectors.ShiftTimes]]]]:
    """Group people by (shift times, working days differing from the calendar); people whose shift
    times differ between their working days keep their most frequent shift and have those days'
    punches moved onto it (arrival by the start difference, departure by the end difference), so the
    late and early minutes are those of the day's own shift."""
    ids = [e.person_id for e in emps]
    rostered: set[int] = set()
    for chunk in _people(ids, scope):
        rostered.update(RosterAssignment.objects.filter(person_id__in=chunk, valid_from__lte=last).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=first)).values_list("person_id", flat=True))
        rostered.update(RosterDay.objects.filter(person_id__in=chunk, date__gte=first, date__lte=last)
                        .values_list("person_id", flat=True))
    ended = {e.person_id for e in emps if e.ended_on is not None and e.ended_on < last}
    defaults = selectors.DefaultShifts(first)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    working = {d: cal.is_working_day(d) for d in days}
    groups: dict[tuple[Any, ...], _Group] = {}
    moved: dict[int, list[tuple[dt.date, selectors.ShiftTimes, selectors.ShiftTimes]]] = {}
    special = [e for e in emps if e.person_id in rostered or e.person_id in ended]
    plans = selectors.plan_days(special, first, last, cal) if special else {}
    for emp in emps:
        if emp.person_id not in plans:
            s = defaults.for_unit(emp.unit)
            key: tuple[Any, ...] = (s.start, s.end, ())
            groups.setdefault(key, _Group(s.start, s.end, ())).emps.append(emp)
            continue
        plan = plans[emp.person_id]
        if emp.ended_on is not None:
            plan = {d: (p if d <= emp.ended_on else selectors.DayPlan(None, True)) for d, p in plan.items()}
        shifts = [p.shift for p in plan.values() if p.shift is not None]
        counts: dict[tuple[dt.time, dt.time], int] = {}
        for s in shifts:
            counts[(s.start, s.end)] = counts.get((s.start, s.end), 0) + 1
        if counts:
            start, end = max(counts, key=lambda k: (counts[k], k))
        else:
            d0 = defaults.for_unit(emp.unit)
            start, end = d0.start, d0.end
        dominant = selectors.ShiftTimes(start, end)
        overrides = tuple((d, plan[d].shift is not None) for d in days if (plan[d].shift is not None) != working[d])
        varying = [(d, p.shift, dominant) for d, p in sorted(plan.items())
                   if p.shift is not None and (p.shift.start, p.shift.end) != (start, end)]
        if varying:
            moved[emp.person_id] = varying
        key = (start, end, overrides)
        groups.setdefault(key, _Group(start, end, overrides)).emps.append(emp)
    return list(groups.values()), moved


def _group_calendar(cal: Any, overrides: tuple[tuple[dt.date, bool], ...], first: dt.date,
                    last: dt.date) -> Any:
    """The working calendar with this group's rostered days: rostered weekends work, days off rest."""
    if not overrides:
        return cal
    from zhidu.calendar.rules import DayKind, WorkCalendar

    snap = calendar_selectors.snapshot()
    lo, hi = first - dt.timedelta(days=400), last + dt.timedelta(days=400)
    explicit: dict[dt.date, tuple[bool, Any, str]] = {
        d: (r.working, r.kind, r.name) for d, r in snap.days.items() if lo <= d <= hi}
    for d, works in overrides:
        weekend = d.weekday() >= 5
        kind = (DayKind.MAKEUP if weekend else DayKind.WORKDAY) if works else (DayKind.WEEKEND if weekend else DayKind.HOLIDAY)
        explicit[d] = (works, kind, "排班")
    return WorkCalendar(explicit, snap.calendar.known_years, range_start=lo, range_end=hi)


def _shift_window(day: dt.date, s: selectors.ShiftTimes) -> tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, s.start)
    end = dt.datetime.combine(day, s.end)
    if end <= start:
        end += dt.timedelta(days=1)
    mid = start + (end - start) / 2
    return start, end, mid - dt.timedelta(hours=12), mid + dt.timedelta(hours=12)


def _move_punches(times: list[dt.datetime],
                  varying: list[tuple[dt.date, selectors.ShiftTimes, selectors.ShiftTimes]]) -> list[dt.datetime]:
    """Put the punches of days worked on another shift onto the dominant shift (see _schedule_groups)."""
    out = sorted(times)
    for day, actual, dominant in varying:
        a_start, a_end, lo, hi = _shift_window(day, actual)
        d_start, d_end, _lo, _hi = _shift_window(day, dominant)
        inside = [t for t in out if lo <= t < hi]
        if not inside:
            continue
        rest = [t for t in out if not (lo <= t < hi)]
        moved = [inside[0] + (d_start - a_start)]
        if len(inside) > 1:
            moved.append(inside[-1] + (d_end - a_end))
        out = sorted(rest + moved)
    return out


_EPOCH = dt.datetime(1, 1, 1)
_ONE_US = dt.timedelta(microseconds=1)


_UNIX_US = (dt.datetime(1970, 1, 1) - _EPOCH) // _ONE_US


def _load_punches(unit: OrgUnit, first: dt.date, last: dt.date) -> Any:
    """Every punch of the unit's subtree around the month as ``engine.PunchStamps`` (person id → local
    microsecond stamps): one range query on (unit, at) per 200 units, read on the cursor — no model
    objects and no datetime per row: the database gives Unix microseconds (exact), the zone's offset
    is added once (per row only when the zone changes its offset within the month)."""
    from django.db import connection

    from . import engine

    local = _tz()
    lo = dt.datetime.combine(first - dt.timedelta(days=1), dt.time.min, tzinfo=local)
    hi = dt.datetime.combine(last + dt.timedelta(days=2), dt.time.min, tzinfo=local)
    offset = lo.utcoffset()
    fixed = offset is not None and offset == hi.utcoffset()
    unit_ids = list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))
    table = connection.ops.quote_name(Punch._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "sqlite":  # stored as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]"
        import sqlite3

        # unixepoch() (SQLite 3.38+) gives the seconds as an integer without formatting them to text first
        seconds = "unixepoch(at)" if sqlite3.sqlite_version_info >= (3, 38) else "CAST(strftime('%%s', at) AS INTEGER)"
        column = (f"{seconds} * 1000000 + "
                  "CASE WHEN length(at) > 19 THEN CAST(substr(at || '000000', 21, 6) AS INTEGER) ELSE 0 END")
    elif connection.vendor == "postgresql":
        column = "CAST(EXTRACT(EPOCH FROM at) * 1000000 AS BIGINT)"
    else:  # pragma: no cover - other databases: let the driver give datetimes
        column = "at"
    base = _UNIX_US + ((offset // _ONE_US) if fixed and offset is not None else 0)
    direct = fixed and column != "at"  # the database adds the zone's offset: the value is the stamp
    by_id: dict[int, list[int]] = {}
    for chunk in _chunks(unit_ids, 200):
        marks = ", ".join(["%s"] * len(chunk))
        value_sql = f"{column} + {int(base)}" if direct else column
        sql = f"SELECT person_id, {value_sql} FROM {table} WHERE unit_id IN ({marks}) AND at >= %s AND at < %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [*chunk, adapt(lo), adapt(hi)])
            while True:
                rows = cursor.fetchmany(50_000)
                if not rows:
                    break
                if direct:
                    for pid, stamp in rows:
                        lst = by_id.get(pid)
                        if lst is None:
                            by_id[pid] = [stamp]
                        else:
                            lst.append(stamp)
                    continue
                for pid, value in rows:
                    if not isinstance(value, int):  # a driver that gave a datetime (aware, UTC)
                        value = (value.astimezone(dt.UTC).replace(tzinfo=None) - dt.datetime(1970, 1, 1)) // _ONE_US
                    if fixed:
                        stamp = value + base
                    else:
                        at = (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=value)).replace(tzinfo=dt.UTC)
                        stamp = (at.astimezone(local).replace(tzinfo=None) - _EPOCH) // _ONE_US
                    lst = by_id.get(pid)
                    if lst is None:
                        by_id[pid] = [stamp]
                    else:
                        lst.append(stamp)
    return engine.PunchStamps({str(pid): times for pid, times in by_id.items()})


def _close_inputs(unit: OrgUnit, emps: list[Employment], first: dt.date, last: dt.date, cal: Any,
                  scope: Any = None) -> _Inputs:
    """Everything the engine needs for ``emps``; ``scope`` (``selectors.employments_in`` of the unit and
    month) when ``emps`` are all of its people: their rows are then read with it as a subquery."""
    from . import engine

    ids = [e.person_id for e in emps]
    emp_by_id = {e.person_id: e for e in emps}
    groups, moved = _schedule_groups(emps, first, last, cal, scope)

    punches = _load_punches(unit, first, last)
    for pid, varying in moved.items():
        key = str(pid)
        if key in punches:
            times = [_EPOCH + dt.timedelta(microseconds=t) for t in punches[key]]
            punches[key] = [(t - _EPOCH) // _ONE_US for t in _move_punches(times, varying)]

    # Leave overlapping the month (cancelled requests are no leave at all).
    leaves: dict[str, list[Any]] = {}
    status_map = {LeaveStatus.APPROVED: engine.APPROVED, LeaveStatus.PENDING: engine.PENDING,
                  LeaveStatus.REJECTED: engine.REJECTED}
    for lv in (LeaveRequest.objects.filter(unit__path__startswith=unit.path, start_date__lte=last, end_date__gte=first,
                                           status__in=list(status_map))):
        if lv.person_id not in emp_by_id:
            continue
        cert = None
        if lv.kind == LeaveKind.SICK and lv.certificate_at is not None and lv.certificate_stamped:
            cert = _local(lv.certificate_at).replace(tzinfo=None)
        elif lv.kind == LeaveKind.PRENATAL and lv.hospital_certificate:
            cert = _local(lv.requested_at).replace(tzinfo=None)
        leaves.setdefault(str(lv.person_id), []).append(engine.LeaveRecord(
            person_id=str(lv.person_id), kind=lv.kind, start=lv.start_date, end=lv.end_date,
            status=status_map[LeaveStatus(lv.status)],
            requested_at=_local(lv.requested_at).replace(tzinfo=None),
            notified_at=_local(lv.notified_at).replace(tzinfo=None) if lv.notified_at else None,
            certificate_at=cert, special_reason=bool(lv.special_reason),
        ))

    # P10.2.3 exceptions, per person and day.
    exceptions: dict[str, list[Any]] = {}
    for pid, dates in selectors.exceptions_for(emps, first, last).items():
        exceptions[str(pid)] = [engine.AttendanceException(d, str(pid)) for d in sorted(dates)]

    # Year-to-date counts from the months stored before (P7.12 "5 in a year", runs across months).
    prior: dict[str, Any] = {}
    if first.month > 1:
        from django.db.models import Sum

        periods = [f"{first.year:04d}-{m:02d}" for m in range(1, first.month)]
        for chunk in _people(ids, scope):
            for row in (MonthSummary.objects.filter(person_id__in=chunk, period__in=periods)
                        .values("person_id").annotate(a=Sum("absent_days"), late=Sum("late_count"), early=Sum("early_count"))
                        .order_by()):
                if row["a"] or row["late"] or row["early"]:
                    prior[str(row["person_id"])] = engine.PriorCounts(
                        str(row["person_id"]), Decimal(row["a"] or 0), int((row["late"] or 0) + (row["early"] or 0)), 0)
    back = first - dt.timedelta(days=45)
    candidates: list[int] = []
    for chunk in _people(ids, scope):
        candidates += list(DayResult.objects.filter(person_id__in=chunk, date__gte=back, date__lt=first,
                                                           status="absent", absent_days__gte=1)
                           .values_list("person_id", flat=True).distinct())
    runs: dict[int, int] = {}
    done: set[int] = set()
    for chunk in _chunks(sorted(set(candidates))):
        for pid, status, days_absent in (DayResult.objects.filter(person_id__in=chunk, date__gte=back, date__lt=first)
                                         .exclude(status="rest").order_by("person_id", "-date")
                                         .values_list("person_id", "status", "absent_days")):
            if pid in done:
                continue
            if status == "absent" and days_absent >= 1:
                runs[pid] = runs.get(pid, 0) + 1
            else:
                done.add(pid)
    for pid, n in runs.items():
        key = str(pid)
        old = prior.get(key) or engine.PriorCounts(key)
        prior[key] = engine.PriorCounts(key, old.year_absent_days, old.year_lateness_instances, n)
    return _Inputs(groups, punches, leaves, exceptions, prior, emp_by_id)


def _roster_entry(emp: Employment, group: _Group) -> Any:
    from . import engine

    p = emp.person
    return engine.RosterEntry(person_id=str(emp.person_id), name=p.name, rank=emp.rank, hired_on=emp.hired_on,
                              gender=p.gender or "", birth_date=p.birth_date, base_salary=Decimal(emp.base_salary),
                              shift_start=group.start, shift_end=group.end)


def _evaluate(period: str, inputs: _Inputs, rules: str, params: Any, cal: Any, first: dt.date, last: dt.date,
              today: dt.date, only: set[int] | None = None, explain: bool = False) -> tuple[dict[int, Any], bool]:
    """Run the engine once per schedule group (``only``: for these people)."""
    from . import engine

    out: dict[int, Any] = {}
    provisional = False
    for group in inputs.groups:
        emps = [e for e in group.emps if only is None or e.person_id in only]
        if not emps:
            continue
        ids = [str(e.person_id) for e in emps]
        result = engine.evaluate_month(
            period, [_roster_entry(e, group) for e in emps],
            inputs.punches if len(emps) == len(inputs.emp_by_id) and isinstance(inputs.punches, engine.PunchStamps)
            else engine.PunchStamps(
                {pid: inputs.punches[pid] for pid in ids if pid in inputs.punches}),
            [lv for pid in ids for lv in inputs.leaves.get(pid, ())],
            [x for pid in ids for x in inputs.exceptions.get(pid, ())],
            rules="P11" if rules == Rules.P11 else "P7", params=params,
            calendar=_group_calendar(cal, group.overrides, first, last),
            prior={pid: inputs.prior[pid] for pid in ids if pid in inputs.prior}, explain=explain, as_of=today,
        )
        provisional = provisional or result.provisional
        for pm in result.people:
            out[int(pm.person_id)] = pm
    return out, provisional


def _needs_posting(pm: Any) -> bool:
    s = pm.summary
    return bool(s.fines_yuan or s.deduction_yuan or not s.full_attendance_bonus or s.actions)


# Why a day came out as it did, from the engine's fast-path result (status, minutes, absenteeism, clauses);
# the full decision trace of one person is computed on demand (``explain_person_month``).
def _day_why(day: Any, params: Any, rules: str, rank: str) -> list[dict[str, Any]]:
    date = day.date.isoformat()
    clauses = list(day.clauses)
    out: list[dict[str, Any]] = []

    def add(cls: Sequence[str], reason: str, **args: Any) -> None:
        out.append({"clauses": list(cls), "reason": reason, "args": {"date": date, **args}})

    status = day.status
    late, early = day.late_minutes, day.early_minutes
    limit_late = params.value("p7.late_half_day_minutes")
    limit_early = params.value("p7.early_half_day_minutes")
    if status in PLAIN_REASONS and not day.fine_yuan:
        return []  # DayResult.explanations() words it from the status
    if rules == Rules.P11 and status in ("late", "early", "late_early"):
        if late:
            add(["P11.7"], gettext_noop("%(date)s 迟到 %(minutes)s 分钟，记迟到一次，按当月迟到次数扣基本工资"), minutes=late)
        if status in ("early", "late_early"):
            add(["P11.2"], gettext_noop("%(date)s 早退 %(minutes)s 分钟，未按时下班"), minutes=early)
    elif status == "late":
        add(["P7.2"], gettext_noop("迟到 %(minutes)s 分钟，未超过 %(limit)s 分钟，记迟到一次"), minutes=late, limit=limit_late)
    elif status == "early":
        add(["P7.2"], gettext_noop("早退 %(minutes)s 分钟，未超过 %(limit)s 分钟，记早退一次"), minutes=early, limit=limit_early)
    elif status == "late_early":
        add(["P7.2"], gettext_noop("%(date)s 迟到 %(late)s 分钟、早退 %(early)s 分钟，各记一次"), late=late, early=early)
    elif status in ("half_absent", "absent") and (late or early):
        if late > limit_late:
            add(["P7.4"], gettext_noop("迟到 %(minutes)s 分钟，超过 %(limit)s 分钟，按旷工半天处理"), minutes=late, limit=limit_late)
        elif late:
            add(["P7.2"], gettext_noop("迟到 %(minutes)s 分钟，未超过 %(limit)s 分钟，记迟到一次"), minutes=late, limit=limit_late)
        if early > limit_early:
            add(["P7.4"], gettext_noop("早退 %(minutes)s 分钟，超过 %(limit)s 分钟，按旷工半天处理"), minutes=early, limit=limit_early)
        elif early:
            add(["P7.2"], gettext_noop("早退 %(minutes)s 分钟，未超过 %(limit)s 分钟，记早退一次"), minutes=early, limit=limit_early)
    elif status in ("half_absent", "absent"):
        single = params.value("p7.single_punch_absence_days")
        if "P7.5.2" in clauses:
            add(["P7.5.2"], gettext_noop("%(date)s 病假手续不全（未在上班前 1 小时通知或未按期交病假单），不享受病假待遇，按旷工处理"))
        elif "P7.9" in clauses:
            add(["P7.9"], gettext_noop("%(date)s 未提前请假，无特殊情况不得事后补假，按无正当理由缺勤处理"))
        elif "P7.6" in clauses:
            add(["P7.6"], gettext_noop("%(date)s 超出可享受的婚假，按旷工处理"))
        elif "P7.7" in clauses:
            add(["P7.7"], gettext_noop("%(date)s 待产假未持县级以上医院证明，按旷工处理"))
        elif day.leave:
            add(["P7.5.1"], gettext_noop("%(date)s 请假未批准而擅自缺勤，按旷工一天处理"))
        elif status == "half_absent" or Decimal(day.absent_days) == single:
            add(["P7.1"], gettext_noop("%(date)s 只有一次打卡记录，按旷工 %(days)s 天处理"), days=p7.num(single))
        else:
            add(["P7.1", "P7.5.1"], gettext_noop("%(date)s 未签到也未签退，且未办理请假手续，按旷工一天处理"))
    if day.fine_yuan:
        manager = p7.is_middle_manager_or_above(rank)
        each = params.value("p7.fine_manager_yuan" if manager else "p7.fine_staff_yuan")
        add(["P7.10"], gettext_noop("中层以上管理人员无正当理由迟到早退，每次罚款 %(amount)s 元") if manager
            else gettext_noop("普通员工无正当理由迟到早退，每次罚款 %(amount)s 元"), amount=p7.money(Decimal(each)))
    base = {"half_absent": Decimal("0.5")}.get(status, Decimal(0))
    if status in ("late", "early", "late_early") and Decimal(day.absent_days) > base and "P7.10" in clauses:
        add(["P7.10"], gettext_noop("中层以上管理人员每累计 %(per)s 次迟到早退按旷工 %(days)s 天处理：本日累计达到，记旷工 %(days)s 天"),
            per=params.value("p7.manager_lateness_per_absence"), days=p7.num(Decimal(day.absent_days) - base))
    if not out:
        add(clauses, gettext_noop("%(date)s %(status)s"), status=status)
    return out


_ENCODER = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))  # stateless: one for every call


def _json_text(value: Any) -> str:
    """Compact JSON (what ``json.dumps(..., cls=DjangoJSONEncoder)`` gives), without building an encoder
    for each of the close's ≈ 30,000 calls."""
    return _ENCODER.encode(value)


def _store_days(results: dict[int, Any], inputs: _Inputs, first: dt.date, last: dt.date, params: Any,
                rules: str, scope: Any = None) -> int:
    """Replace the month's person-day rows: one DELETE (per 500 people without ``scope``), then one bulk
    insert (``zhidu.core.bulk``: no model objects, no per-row query; COPY on PostgreSQL)."""
    from django.db import connection

    from zhidu.core.bulk import insert_rows

    ids = sorted(results)
    for chunk in _people(ids, scope):
        DayResult.objects.filter(person_id__in=chunk, date__gte=first, date__lte=last)._raw_delete(DayResult.objects.db)
    columns = ["person_id", "unit_id", "date", "status", "late_minutes", "early_minutes", "absent_days", "leave",
               "clauses", "why", "fine", "provisional"]
    pg = connection.vendor == "postgresql"
    adapt_date = connection.ops.adapt_datefield_value
    adapt = connection.ops.adapt_decimalfield_value
    # SQLite gets the text Django's adapter would bind for a Decimal (not adapted again for every row).
    adapt_dec = adapt if pg else (lambda v, *_a: str(adapt(v)))
    by_rank: dict[str, dict[int, tuple[Any, ...]]] = {}

    def rows() -> Iterator[tuple[Any, ...]]:
        for pid in ids:
            pm = results[pid]
            emp = inputs.emp_by_id[pid]
            unit_id, rank = emp.unit_id, emp.rank
            memo = by_rank.get(rank)
            if memo is None:
                memo = by_rank[rank] = {}
            for day in pm.days:
                if day.status == "rest":
                    continue  # not stored: a closed month's day without a row is a rest day
                tail = memo.get(id(day))
                if tail is None:  # the engine shares equal days between people: encode each once
                    tail = memo[id(day)] = (
                        adapt_date(day.date), day.status, day.late_minutes, day.early_minutes,
                        adapt_dec(day.absent_days, 3, 1), day.leave or "", _json_text(list(day.clauses)),
                        _json_text(_day_why(day, params, rules, rank)), adapt_dec(day.fine_yuan, 8, 2),
                        bool(day.provisional))
                yield (pid, unit_id, *tail)

    return insert_rows(DayResult._meta.db_table, columns, rows())


def _month_decisions(pm: Any, emp: Employment, params: Any, rules: str, period: str,
                     memo: dict[Any, Decision]) -> list[Decision]:
    """The month's decisions from the pure rules, on the engine's figures (what ``explain=True`` would
    keep, without re-deciding every day): P7.10 fines, P7.12 deduction, P11.7 deduction, P7.5.3 bonus,
    the P7.12 / P7.3 proposal."""
    s = pm.summary
    base = Decimal(emp.base_salary)
    out: list[Decision] = []
    if s.fines_yuan:
        out.append(_month_fines(pm, period, params))
    if s.absent_days:
        key_d = ("p7.12", s.absent_days, base)
        ded = memo.get(key_d)
        if ded is None:
            ded = memo[key_d] = p7.absence_deduction(p7.AbsenceDeduction(s.absent_days, base), params)
        out.append(ded)
    if rules == Rules.P11 and s.late_count:
        from zhidu.rulebook.rules import p11

        out.append(p11.lateness_deduction(p11.LatenessMonth(base, s.late_count), params))
    key = (s.absent_days, s.late_count + s.early_count, s.personal_leave_days, s.sick_leave_days)
    bonus = memo.get(key)
    if bonus is None:
        bonus = p7.full_attendance_bonus(p7.MonthAttendance(
            s.absent_days, s.late_count + s.early_count, Decimal(s.personal_leave_days), Decimal(s.sick_leave_days)), params)
        memo[key] = bonus
    out.append(bonus)
    out += [a.decision for a in s.actions]
    return out


@dataclass(slots=True)
class _MonthRow:
    """A person-month as ``_store_summaries`` wrote it (the ``MonthSummary`` columns the close and the
    ledger read, without a model instance) and the JSON text of each decision of its trace, which the
    ledger stores as it is."""

    person_id: int
    unit_id: int
    late_count: int
    early_count: int
    absent_days: Decimal
    fines: Decimal
    deductions: Decimal
    full_attendance_bonus: bool
    bonus_lost: Decimal
    actions: list[dict[str, Any]]
    trace: list[dict[str, Any]]
    trace_texts: list[str]


def _as_dict(d: Decision, cache: dict[int, tuple[Decision, dict[str, Any], str]]) -> tuple[dict[str, Any], str]:
    """``d.as_dict()`` and its JSON, once per decision object (the memoized month decisions are shared by
    many people) within a close."""
    hit = cache.get(id(d))
    if hit is None or hit[0] is not d:
        data = d.as_dict()
        hit = cache[id(d)] = (d, data, _json_text(data))
    return hit[1], hit[2]


def _store_summaries(results: dict[int, Any], inputs: _Inputs, period: str, rules: str, now: dt.datetime,
                     bonus: dict[int, Decimal], traces: dict[int, list[Decision]], scope: Any = None
                     ) -> dict[int, _MonthRow]:
    """Replace the month's person-month rows: one bulk insert of precomputed values (``zhidu.core.bulk``, no
    model instances); each shared decision and each list of clauses encoded once."""
    from django.db import connection

    from zhidu.core.bulk import insert_rows

    ids = sorted(results)
    for chunk in _people(ids, scope):
        MonthSummary.objects.filter(person_id__in=chunk, period=period)._raw_delete(MonthSummary.objects.db)
    columns = ["person_id", "unit_id", "period", "rules", "working_days", "late_count", "early_count", "absent_days",
               "leave_days", "ytd_absent_days", "fines", "deductions", "full_attendance_bonus", "bonus_lost", "actions",
               "clauses", "trace", "provisional", "computed_at"]
    pg = connection.vendor == "postgresql"
    adapt = connection.ops.adapt_decimalfield_value

    def dec(value: Any) -> Any:  # SQLite gets the text Django's adapter would bind; PostgreSQL the Decimal
        return adapt(value) if pg else str(adapt(value))

    computed = connection.ops.adapt_datetimefield_value(now)
    cache: dict[int, tuple[Decision, dict[str, Any], str]] = {}
    texts: dict[Any, str] = {(): "[]"}
    out: dict[int, _MonthRow] = {}
    batch = []
    for pid in ids:
        pm = results[pid]
        emp = inputs.emp_by_id[pid]
        s = pm.summary
        statuses = [d.status for d in pm.days]
        working = len(statuses) - statuses.count("rest")
        leave = statuses.count("leave")
        day_clauses: set[str] = set().union(*[d.clauses for d in pm.days])
        actions = [{"action": a.action, "clauses": list(a.clauses)} for a in s.actions]
        for a in s.actions:
            day_clauses.update(a.clauses)
        clauses = tuple(sorted(day_clauses))
        clauses_text = texts.get(clauses)
        if clauses_text is None:
            clauses_text = texts[clauses] = _json_text(list(clauses))
        trace: list[dict[str, Any]] = []
        trace_texts: list[str] = []
        for decision in traces.get(pid, ()):
            data, text = _as_dict(decision, cache)
            trace.append(data)
            trace_texts.append(text)
        bonus_lost = Decimal(0) if s.full_attendance_bonus else bonus.get(emp.unit_id, Decimal(0))
        out[pid] = _MonthRow(pid, emp.unit_id, s.late_count, s.early_count, s.absent_days, s.fines_yuan,
                             s.deduction_yuan, s.full_attendance_bonus, bonus_lost, actions, trace, trace_texts)
        batch.append((
            pid, emp.unit_id, period, rules, working, s.late_count, s.early_count, dec(s.absent_days), leave,
            dec(s.year_absent_days), dec(s.fines_yuan), dec(s.deduction_yuan), s.full_attendance_bonus, dec(bonus_lost),
            _json_text(actions) if actions else "[]", clauses_text, "[" + ",".join(trace_texts) + "]",
            pm.provisional, computed,
        ))
    insert_rows(MonthSummary._meta.db_table, columns, batch)
    return out


# -- posting to the sanctions ledger ----------------------------------------------------------------


def _month_fines(pm: Any, period: str, params: Any) -> Decision:
    items = [(d.date, d.fine_yuan) for d in pm.days if d.fine_yuan]
    amount = sum((a for _d, a in items), Decimal(0))
    return Decision(
        rule="attendance.month_fines", value=p7.money(amount), clauses=("P7.10",),
        reason=gettext_noop("%(month)s 无正当理由迟到早退，罚款共 %(amount)s 元（%(dates)s）"),
        reason_args={"month": period, "count": len(items), "amount": p7.money(amount),
                     # a string, as stored since the first close: the ledger compares stored decisions to see
                     # whether a re-close changed a fine
                     "dates": "、".join(d.strftime("%m-%d") for d, _a in items)},
        params=(params["p7.fine_staff_yuan"].use(), params["p7.fine_manager_yuan"].use()),
        facts={"items": [{"date": d.isoformat(), "amount": p7.money(a)} for d, a in items]},
    )


def _nothing_due(kind: str, clauses: tuple[str, ...], period: str) -> Decision:
    return Decision(rule=f"attendance.{kind}", value="0.00", clauses=clauses,
                    reason=gettext_noop("%(month)s 重新计算后不再有此项"), reason_args={"month": period})


def _desired_posts(pid: int, s: MonthSummary | _MonthRow) -> dict[tuple[str, str], tuple[Decimal, Any]]:
    """(source key, kind) → (amount, decision) this person's month calls for: the stored decision, with
    its JSON text when the close just encoded it (``_MonthRow``) so that the ledger stores that text."""
    if not (s.fines or s.deductions or not s.full_attendance_bonus):
        return {}
    from zhidu.sanctions.services import EncodedDecision

    texts = s.trace_texts if isinstance(s, _MonthRow) else None
    at: dict[Any, int] = {}  # rule → its (last) place in the trace
    trace = s.trace or []
    for i, d in enumerate(trace):
        at[d.get("rule")] = i

    def decision(i: int) -> Any:
        return EncodedDecision(trace[i], texts[i]) if texts is not None else trace[i]

    out: dict[tuple[str, str], tuple[Decimal, Any]] = {}
    for rule, key, kind in (("attendance.month_fines", "fine", "fine"), ("p7.absence_deduction", "p7.12", "deduction"),
                            ("p11.lateness_deduction", "p11.7", "deduction")):
        i = at.get(rule, -1)
        if i >= 0:
            amount = Decimal(str(trace[i]["value"]))
            if amount:
                out[(f"p{pid}:{key}", kind)] = (amount, decision(i))
    i = at.get("p7.full_attendance_bonus", -1)
    if not s.full_attendance_bonus and s.bonus_lost and i >= 0:
        out[(f"p{pid}:bonus", "bonus_loss")] = (s.bonus_lost, decision(i))
    return out


_UNDO_CLAUSES = {"fine": ("P7.10",), "p7.12": ("P7.12",), "p11.7": ("P11.7",), "bonus": ("P7.5.3",)}


@dataclass
class _Post:
    emp: Employment
    key: str
    kind: str
    amount: Decimal | None
    decision: Any  # a money post: the stored dict, or it with its JSON (EncodedDecision); an action: a Decision


def _ledger_plan(summaries: Mapping[int, MonthSummary | _MonthRow], emps: dict[int, Employment], unit: OrgUnit,
                 period: str) -> list[_Post]:
    """What differs from the ledger's current amounts (one read of the unit's month), so an unchanged
    re-close posts nothing; an amount no longer due is posted as 0 (voided, or adjusted when locked)."""
    from zhidu.sanctions.models import ACTION_KINDS, LedgerEntry
    from zhidu.sanctions.models import Status as LedgerStatus

    effective: dict[tuple[str, str], Decimal] = {}
    originals: dict[int, tuple[str, str]] = {}
    proposals: set[tuple[str, str]] = set()
    adjustments = []
    for pk, key, kind, amount, status, adjusts in (
            LedgerEntry.objects.filter(source_module=MODULE, period=period, unit__path__startswith=unit.path)
            .values_list("id", "source_key", "kind", "amount", "status", "adjusts_id").order_by("id")):
        if kind in ACTION_KINDS:
            proposals.add((key, kind))
        elif adjusts is not None:
            adjustments.append((adjusts, amount, status))
        else:
            originals[pk] = (key, kind)
            effective[(key, kind)] = amount if status == LedgerStatus.POSTED and amount is not None else Decimal(0)
    for adjusts, amount, status in adjustments:
        if adjusts in originals and status == LedgerStatus.POSTED and amount is not None:
            effective[originals[adjusts]] += amount
    posted_for: dict[int, list[tuple[str, str]]] = {}
    for key, kind in effective:
        if key.startswith("p") and ":" in key:
            posted_for.setdefault(int(key[1:key.index(":")]), []).append((key, kind))
    plan: list[_Post] = []
    for pid in sorted(summaries):
        s = summaries[pid]
        emp = emps[pid]
        want: dict[tuple[str, str], tuple[Decimal, Any]] = dict(_desired_posts(pid, s))
        for key, kind in posted_for.get(pid, []):
            if (key, kind) not in want and effective[(key, kind)]:
                want[(key, kind)] = (Decimal(0), _nothing_due(kind, _UNDO_CLAUSES.get(key.split(":", 1)[1], ("P7.12",)),
                                                              period))
        for (key, kind), (amount, decision) in sorted(want.items()):
            if effective.get((key, kind), Decimal(0)) == amount and ((key, kind) in effective or not amount):
                continue
            plan.append(_Post(emp, key, kind, amount, decision))
        for action in s.actions or []:
            key = f"p{pid}:{action['action']}"
            if (key, action["action"]) in proposals:
                continue
            d = next((x for x in s.trace or [] if x.get("rule") == "p7.discipline" and x.get("value") == action["action"]),
                     None)
            if d is not None:
                plan.append(_Post(emp, key, action["action"], None, Decision.from_dict(d)))
    return plan


def _post_plan(plan: Sequence[_Post], period: str, first: dt.date, last: dt.date,
               batch: int = 2000) -> tuple[dict[str, int], int]:
    """Post through ``zhidu.sanctions.services``: fines, deductions and bonus losses with
    ``post_entries`` in transactions of ``batch`` entries (a bounded number of queries and one audit
    event per batch, so a first close of 10,000 people never holds the database for long); the few
    proposals one ``propose_action`` each."""
    from zhidu.sanctions import services as ledger

    counts: dict[str, int] = {}
    proposed = 0
    entries = [p for p in plan if p.amount is not None]
    for i in range(0, len(entries), batch):
        specs = [ledger.EntrySpec(person=post.emp.person, unit=post.emp.unit, kind=post.kind, period=period,
                                  amount=post.amount, decision=post.decision, source_key=post.key,
                                  period_start=first, period_end=last)
                 for post in entries[i:i + batch]]
        res = ledger.post_entries(access.SYSTEM, specs, source_module=MODULE, detail=False)
        for outcome, n in res.counts.items():
            counts[outcome] = counts.get(outcome, 0) + n
    actions = [p for p in plan if p.amount is None]
    for i in range(0, len(actions), 200):
        with transaction.atomic():
            for post in actions[i:i + 200]:
                decision = post.decision if isinstance(post.decision, Decision) else Decision.from_dict(post.decision)
                ledger.propose_action(access.SYSTEM, person=post.emp.person, unit=post.emp.unit, kind=post.kind,
                                      period=period, decision=decision, source_module=MODULE,
                                      source_key=post.key, period_start=first, period_end=last)
                proposed += 1
    return counts, proposed


def sync_ledger(unit: OrgUnit, period: str, *, summaries: Mapping[int, MonthSummary | _MonthRow] | None = None,
                emps: dict[int, Employment] | None = None) -> tuple[dict[str, int], int]:
    """Post the stored month of the unit to the sanctions ledger (what differs from it). Run by
    ``close_month`` (with what it just stored); again by the attendance job when a close was
    interrupted before it finished."""
    first, last = selectors.parse_period(period)
    if emps is None:
        emps = {e.person_id: e for e in selectors.people_of(unit, first, last)}
    if summaries is None:
        summaries = {s.person_id: s for s in MonthSummary.objects.filter(unit__path__startswith=unit.path, period=period)}
    summaries = {pid: s for pid, s in summaries.items() if pid in emps}
    plan = _ledger_plan(summaries, emps, unit, period)
    counts, proposed = _post_plan(plan, period, first, last)
    MonthClose.objects.filter(unit=unit, period=period).update(ledger_synced=True)
    return counts, proposed


def _run_close(actor: access.Actor, unit: OrgUnit, period: str, first: dt.date, last: dt.date, *,
               now: dt.datetime, locked: bool, reason: str, post_ledger: bool = True) -> CloseReport:
    import time

    timings: dict[str, float] = {}
    t = time.perf_counter()
    today = _local(now).date()
    rules = selectors.rules_for(unit)
    params = params_for(unit, first)
    cal = calendar_selectors.work_calendar()
    emps = selectors.people_of(unit, first, last)
    scope = selectors.employments_in(unit, first, last)  # the same people, as a subquery
    inputs = _close_inputs(unit, emps, first, last, cal, scope)
    bonus: dict[int, Decimal] = {}
    for e in emps:
        if e.unit_id not in bonus:
            bonus[e.unit_id] = selectors.bonus_for(e.unit)
    timings["load"] = time.perf_counter() - t

    t = time.perf_counter()
    results, provisional = _evaluate(period, inputs, rules, params, cal, first, last, today)
    traces: dict[int, list[Decision]] = {}
    memo: dict[Any, Decision] = {}
    for pid, pm in results.items():
        s = pm.summary
        if s.fines_yuan or s.absent_days or s.late_count or s.early_count or not s.full_attendance_bonus or s.actions:
            traces[pid] = _month_decisions(pm, inputs.emp_by_id[pid], params, rules, period, memo)
    timings["evaluate"] = time.perf_counter() - t

    t = time.perf_counter()
    with transaction.atomic():
        close = MonthClose.objects.select_for_update().filter(unit=unit, period=period).first()
        before = {s.person_id: (s.fines, s.deductions, s.full_attendance_bonus, s.absent_days)
                  for s in MonthSummary.objects.filter(unit__path__startswith=unit.path, period=period).only(
                      "person_id", "fines", "deductions", "full_attendance_bonus", "absent_days")}
        n_days = _store_days(results, inputs, first, last, params, rules, scope)
        summaries = _store_summaries(results, inputs, period, rules, now, bonus, traces, scope)
        changed = []
        for pid, s in summaries.items():
            old = before.get(pid)
            new = (s.fines, s.deductions, s.full_attendance_bonus, s.absent_days)
            if old is not None and old != new:
                changed.append({"person": pid, "name": inputs.emp_by_id[pid].person.name,
                                "from": {"fines": old[0], "deductions": old[1], "bonus": old[2], "absent": old[3]},
                                "to": {"fines": s.fines, "deductions": s.deductions, "bonus": s.full_attendance_bonus,
                                       "absent": s.absent_days}})
        values = list(summaries.values())
        stats = {"people": len(results), "days": n_days, "late": sum(s.late_count for s in values),
                 "early": sum(s.early_count for s in values),
                 "absent_days": str(sum((s.absent_days for s in values), Decimal(0))),
                 "fines": str(sum((s.fines for s in values), Decimal(0))),
                 "deductions": str(sum((s.deductions for s in values), Decimal(0))),
                 "bonus_lost": sum(1 for s in values if not s.full_attendance_bonus),
                 "actions": sum(len(s.actions) for s in values), "changed": len(changed)}
        if close is None:
            close = MonthClose(unit=unit, period=period, rules=rules, closed_at=now, closed_by=_person(actor), revision=0)
            if locked:
                close.status = CloseStatus.LOCKED
        close.rules, close.stale, close.provisional, close.people = rules, False, provisional, len(results)
        close.ledger_synced = False
        close.revision += 1
        if locked:
            close.corrections = [*close.corrections, _jsonable({
                "at": now, "by": getattr(actor, "name", str(actor)), "reason": reason, "revision": close.revision,
                "changed": changed[:200], "changed_count": len(changed)})]
        else:
            close.status = CloseStatus.CLOSED
            close.approved_at, close.approved_by = None, None
            close.closed_at, close.closed_by = now, _person(actor)
        close.stats = _jsonable(stats)
        close.save()
        record(actor, "attendance.correct_month" if locked else "attendance.close_month", close, unit_id=unit.pk,
               clauses=["P7.10", "P7.12"] + (["P11.7"] if rules == Rules.P11 else []),
               payload={"period": period, "revision": close.revision, "reason": reason, **stats})
    timings["store"] = time.perf_counter() - t

    counts: dict[str, int] = {}
    proposed = 0
    if post_ledger:
        t = time.perf_counter()
        counts, proposed = sync_ledger(unit, period, summaries=summaries, emps=inputs.emp_by_id)
        timings["ledger"] = time.perf_counter() - t
        close.refresh_from_db()
        close.stats = {**close.stats, "ledger": counts, "proposed": proposed,
                       "timings": {k: round(v, 3) for k, v in timings.items()}}
        if locked and close.corrections:
            close.corrections[-1]["ledger"] = counts
        MonthClose.objects.filter(pk=close.pk).update(stats=close.stats, corrections=close.corrections)
    return CloseReport(close, len(results), n_days, counts, proposed, len(changed), timings)


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(_json_text(value))
