"""Attendance records (P7 hotel attendance, P11.7 customer-service hours, P10.2.1–P10.2.3 duty officers).

Inputs — what happened:

* :class:`Shift` per unit (the unit's default shift is inherited down the tree; an end at or before
  the start ends the next day), :class:`RosterAssignment` (person → shift and working-day pattern
  for a date range) and :class:`RosterDay` (one day off or on another shift);
* :class:`Punch` — one clock-in/out from a machine export (:class:`ImportBatch`), the API, a manual
  entry with its reason, or an approved :class:`PunchCorrection` (补卡); each keeps its source;
* :class:`DutyException` — P10.2.3: attendance not captured (power cut, broken machine, unreadable
  fingerprints) for a unit or some people over a time span; attendance honours it;
* :class:`LeaveRequest` with its approval steps (:class:`LeaveApproval`, one inbox obligation per
  step) and the organization's own :class:`LeaveType`;
* :class:`RollCall` — P10.2.1 the duty officer's roll call of window staff.

Outputs — what the month close computed (``services.close_month``): :class:`DayResult` per person
and day (status, minutes, absenteeism, clauses and the reason), :class:`MonthSummary` per person and
month (counts, money, year-to-date absenteeism, proposed actions, the trace) and the unit's
:class:`MonthClose` (closed → approved → locked; a locked month changes only by a visible correction).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from zhidu.rulebook.decision import msg, render

ZERO_DAYS = "0"


# --------------------------------------------------------------------------------------- settings


class Rules(models.TextChoices):
    P7 = "P7", _("P7 酒店考勤")
    P11 = "P11", _("P11.7 客服考勤")


class AttendancePolicy(models.Model):
    """A unit's attendance settings, inherited by the units below it (the nearest one applies).

    ``rules`` empty: P11 when the unit (or one above it) adopted P11, else P7."""

    unit = models.OneToOneField("org.OrgUnit", on_delete=models.CASCADE, related_name="attendance_policy",
                                verbose_name=_("单位"))
    rules = models.CharField(_("考勤规则"), max_length=8, choices=Rules.choices, blank=True)
    full_attendance_bonus = models.DecimalField(_("全勤奖（元）"), max_digits=10, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("考勤设置")
        verbose_name_plural = _("考勤设置")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.rules or '-'}"


# ----------------------------------------------------------------------------------- shifts, roster


class Shift(models.Model):
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="shifts", verbose_name=_("单位"))
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    start = models.TimeField(_("上班时间"))
    end = models.TimeField(_("下班时间"), help_text=_("不晚于上班时间即为次日下班（夜班）。"))
    is_default = models.BooleanField(_("默认班次"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["unit_id", "start", "code"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="attendance_shift_code_unique"),
            models.UniqueConstraint(fields=["unit"], condition=Q(is_default=True, active=True),
                                    name="attendance_shift_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def bounds(self, day: dt.date, tz: dt.tzinfo | None = None) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, self.start, tzinfo=tz)
        end = dt.datetime.combine(day, self.end, tzinfo=tz)
        if end <= start:
            end += dt.timedelta(days=1)
        return start, end


class Pattern(models.TextChoices):
    CALENDAR = "calendar", _("按国家工作日历（含调休）")
    WEEKLY = "weekly", _("按每周固定工作日")


class RosterAssignment(models.Model):
    """From ``valid_from`` to ``valid_until`` (open: no end) the person works ``shift`` on the days
    of ``pattern``: the PRC working calendar, or the weekdays marked "1" in ``weekdays`` (Mon…Sun)."""

    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="roster_assignments",
                               verbose_name=_("人员"))
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="roster_assignments",
                             verbose_name=_("单位"))
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("班次"))
    valid_from = models.DateField(_("起始日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    pattern = models.CharField(_("工作日规则"), max_length=16, choices=Pattern.choices, default=Pattern.CALENDAR)
    weekdays = models.CharField(_("每周工作日"), max_length=7, default="1111100",
                                help_text=_("周一至周日，1 为上班，0 为休息。"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("排班")
        verbose_name_plural = _("排班")
        ordering = ["person_id", "valid_from"]
        indexes = [models.Index(fields=["unit", "valid_from"], name="att_roster_unit_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.shift_id} {self.valid_from}–{self.valid_until or ''}"

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class RosterDay(models.Model):
    """One day's exception to the roster: a rest day (no shift) or another shift."""

    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="roster_days",
                               verbose_name=_("人员"))
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="roster_days",
                             verbose_name=_("单位"))
    date = models.DateField(_("日期"))
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("班次"), help_text=_("留空为休息。"))

    class Meta:
        verbose_name = _("排班调整")
        verbose_name_plural = _("排班调整")
        constraints = [models.UniqueConstraint(fields=["person", "date"], name="attendance_roster_day_unique")]
        indexes = [models.Index(fields=["unit", "date"], name="att_rosterday_unit_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date} {self.shift_id or '-'}"


# ------------------------------------------------------------------------------------------ punches


class PunchSource(models.TextChoices):
    MACHINE_CSV = "machine_csv", _("考勤机导出（CSV）")
    MACHINE_XLSX = "machine_xlsx", _("考勤机导出（Excel）")
    API = "api", _("接口推送")
    MANUAL = "manual", _("手工录入")
    CORRECTION = "correction", _("补卡")


class ImportBatch(models.Model):
    """One attendance-machine export read: every bad row with its line and reason is kept."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="punch_imports",
                             verbose_name=_("单位"))
    filename = models.CharField(_("文件名"), max_length=255)
    fmt = models.CharField(_("格式"), max_length=8)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("导入人"))
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    rows_total = models.PositiveIntegerField(_("行数"), default=0)
    rows_imported = models.PositiveIntegerField(_("已导入"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("重复"), default=0)
    rows_bad = models.PositiveIntegerField(_("错误行"), default=0)
    partial = models.BooleanField(_("部分导入"), default=False)
    errors = models.JSONField(_("错误"), default=list, blank=True)

    class Meta:
        verbose_name = _("打卡导入")
        verbose_name_plural = _("打卡导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows_imported}/{self.rows_total})"


class Punch(models.Model):
    """One clock-in or clock-out. The first punch of a shift is the arrival, the last the departure.

    Idempotent per ``(person, at, device)``: a machine export read twice, or a push retried, adds
    nothing."""

    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="punches", verbose_name=_("人员"))
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="punches", verbose_name=_("单位"))
    at = models.DateTimeField(_("打卡时间"))
    source = models.CharField(_("来源"), max_length=16, choices=PunchSource.choices)
    device = models.CharField(_("设备"), max_length=64, blank=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="punches",
                              verbose_name=_("导入批次"))
    reason = models.TextField(_("原因"), blank=True)
    entered_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("打卡记录")
        verbose_name_plural = _("打卡记录")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "at", "device"], name="attendance_punch_unique")]
        indexes = [
            # covering the month close's read (unit, time range → person, time): no table lookups
            models.Index(fields=["unit", "at", "person"], name="att_punch_unit_at_idx"),
            models.Index(fields=["person", "at"], name="att_punch_person_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.at:%Y-%m-%d %H:%M} {self.source}"


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class PunchCorrection(models.Model):
    """补卡: a punch the machine missed, asked for with a reason; approved, it becomes a punch."""

    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="punch_corrections",
                               verbose_name=_("人员"))
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="punch_corrections",
                             verbose_name=_("单位"))
    at = models.DateTimeField(_("补卡时间"))
    reason = models.TextField(_("原因"))
    status = models.CharField(_("状态"), max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING)
    requested_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    punch = models.OneToOneField(Punch, on_delete=models.PROTECT, null=True, blank=True, related_name="correction")

    class Meta:
        verbose_name = _("补卡申请")
        verbose_name_plural = _("补卡申请")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.at:%Y-%m-%d %H:%M} {self.status}"


# ------------------------------------------------------------------------------- P10.2.3 exceptions


class ExceptionReason(models.TextChoices):
    POWER_CUT = "power_cut", _("停电")
    MACHINE_BROKEN = "machine_broken", _("考勤机故障")
    FINGERPRINT = "fingerprint", _("指纹无法识别")
    OTHER = "other", _("其他原因")


class DutyException(models.Model):
    """P10.2.3: attendance could not be captured from ``start`` to ``end``, recorded by the duty officer
    for the unit (everyone in it and below it) or for ``people``. Every working day the span touches
    counts as an exception day for them (attendance honours it, P7 ``day_status``)."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="attendance_exceptions",
                             verbose_name=_("单位"))
    people = models.ManyToManyField("org.Person", blank=True, related_name="attendance_exceptions",
                                    verbose_name=_("人员"), help_text=_("留空为全单位。"))
    start = models.DateTimeField(_("开始时间"))
    end = models.DateTimeField(_("结束时间"))
    reason = models.CharField(_("原因"), max_length=32, choices=ExceptionReason.choices)
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("记录人"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考勤异常")
        verbose_name_plural = _("考勤异常")
        ordering = ["-start", "-id"]
        indexes = [models.Index(fields=["start", "end"], name="att_exception_span_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} {self.reason}"

    def dates(self, tz: dt.tzinfo) -> list[dt.date]:
        first = self.start.astimezone(tz).date()
        last = self.end.astimezone(tz).date()
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# ------------------------------------------------------------------------------------------- leave


class LeaveKind(models.TextChoices):
    SICK = "sick", _("病假")
    PERSONAL = "personal", _("事假")
    MARRIAGE = "marriage", _("婚假")
    MATERNITY = "maternity", _("产假")
    PRENATAL = "prenatal", _("待产假")
    HOME_VISIT = "home_visit", _("探亲假")
    OTHER = "other", _("其他假别")


class LeaveType(models.Model):
    """A kind of leave the organization adds (approved like ``other``: P7.8 by days)."""

    organization = models.ForeignKey("org.Organization", on_delete=models.CASCADE, related_name="leave_types",
                                     verbose_name=_("组织"))
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    paid = models.BooleanField(_("带薪"), default=True)
    keeps_bonus = models.BooleanField(_("保留全勤奖"), default=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("假别")
        verbose_name_plural = _("假别")
        ordering = ["organization_id", "code"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="attendance_leave_type_unique")]

    def __str__(self) -> str:
        return self.name


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤销")


class LeaveRequest(models.Model):
    """A leave request (whole days, both ends included), its eligibility decisions and approval chain."""

    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="leave_requests",
                               verbose_name=_("人员"))
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="leave_requests",
                             verbose_name=_("单位"))
    kind = models.CharField(_("假别"), max_length=16, choices=LeaveKind.choices)
    leave_type = models.ForeignKey(LeaveType, on_delete=models.PROTECT, null=True, blank=True, related_name="requests",
                                   verbose_name=_("本单位假别"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    days = models.DecimalField(_("天数"), max_digits=6, decimal_places=1)
    reason = models.TextField(_("事由"), blank=True)
    special_reason = models.TextField(_("事后补假的特殊情况"), blank=True)
    in_writing = models.BooleanField(_("书面申请"), default=True)
    requested_at = models.DateTimeField(_("申请时间"))
    requested_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("填报人"))
    # P7.5.2 sick leave
    notified_at = models.DateTimeField(_("通知部门经理时间"), null=True, blank=True)
    certificate_at = models.DateTimeField(_("交病假单时间"), null=True, blank=True)
    certificate_stamped = models.BooleanField(_("病假单盖章"), default=True)
    # P7.6 marriage leave
    marriage_date = models.DateField(_("结婚登记日期"), null=True, blank=True)
    first_marriage = models.BooleanField(_("初婚"), default=True)
    certificate_copy = models.BooleanField(_("附结婚证复印件"), default=False)
    # P7.7 pre-natal leave
    pregnancy_months = models.PositiveSmallIntegerField(_("怀孕月数"), null=True, blank=True)
    hospital_certificate = models.BooleanField(_("县级以上医院证明"), default=False)

    status = models.CharField(_("状态"), max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    chain = models.JSONField(_("审批链"), default=list)
    chain_decision = models.JSONField(default=dict)
    eligibility = models.JSONField(default=list)
    decided_at = models.DateTimeField(_("审批完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("请假申请")
        verbose_name_plural = _("请假申请")
        ordering = ["-start_date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")),
                                              name="attendance_leave_dates")]
        indexes = [
            models.Index(fields=["person", "start_date"], name="att_leave_person_idx"),
            models.Index(fields=["unit", "start_date"], name="att_leave_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.start_date}–{self.end_date}"

    def kind_label(self) -> str:
        return self.leave_type.name if self.leave_type_id and self.leave_type else str(self.get_kind_display())

    def kind_arg(self) -> str | dict[str, Any]:
        """The kind as a stored message argument (``message_args``): a leave type's own name, or the
        built-in kind's message id, shown in each reader's language."""
        if self.leave_type_id and self.leave_type:
            return self.leave_type.name
        with translation.override(None):   # no language active: the label is its message id
            return msg(str(self.get_kind_display()))


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("未开始")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤销")


#: Approvers of p7.approval_chain, as a step shows them.
STEP_LABELS = {
    "department_manager": gettext_noop("部门经理"),
    "hr": gettext_noop("人事部"),
    "general_manager": gettext_noop("总经理"),
    "direct_supervisor": gettext_noop("主管领导"),
}


class LeaveApproval(models.Model):
    """One step of a leave's approval chain; the pending step is an obligation in the approver's inbox."""

    request = models.ForeignKey(LeaveRequest, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField(_("步骤"))
    role = models.CharField(_("审批角色"), max_length=32)
    approver = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("审批人"))
    obligation_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=StepStatus.choices, default=StepStatus.WAITING)
    decided_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("处理人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    note = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("请假审批步骤")
        verbose_name_plural = _("请假审批步骤")
        ordering = ["request_id", "step"]
        constraints = [models.UniqueConstraint(fields=["request", "step"], name="attendance_leave_step_unique")]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.step} {self.role} {self.status}"

    @property
    def role_label(self) -> str:
        return gettext(STEP_LABELS.get(self.role, self.role))


# ------------------------------------------------------------------------------- P10.2.1 roll call


class RollCall(models.Model):
    """The duty officer's roll call of a unit's window staff on one day (P10.2.1); absences are
    reported to the leader the same day (an obligation on the duty officer until reported)."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="roll_calls", verbose_name=_("单位"))
    date = models.DateField(_("日期"))
    taken_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("点名人"))
    taken_at = models.DateTimeField(_("点名时间"))
    reported_at = models.DateTimeField(_("通报时间"), null=True, blank=True)
    report_note = models.TextField(_("通报内容"), blank=True)
    obligation_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("点名")
        verbose_name_plural = _("点名")
        ordering = ["-date", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "date"], name="attendance_roll_call_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}"


class Presence(models.TextChoices):
    PRESENT = "present", _("在岗")
    ABSENT = "absent", _("缺勤")
    LEAVE = "leave", _("请假")


class RollCallEntry(models.Model):
    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("人员"))
    presence = models.CharField(_("到岗情况"), max_length=16, choices=Presence.choices)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("点名记录")
        verbose_name_plural = _("点名记录")
        ordering = ["roll_call_id", "person_id"]
        constraints = [models.UniqueConstraint(fields=["roll_call", "person"], name="attendance_roll_entry_unique")]

    def __str__(self) -> str:
        return f"{self.roll_call_id} {self.person_id} {self.presence}"


# ------------------------------------------------------------------------------------ month close


class CloseStatus(models.TextChoices):
    CLOSED = "closed", _("已结算")
    APPROVED = "approved", _("已审核")
    LOCKED = "locked", _("已锁定")


class MonthClose(models.Model):
    """A unit's month as last computed. ``stale``: an input of the month changed since."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="attendance_closes",
                             verbose_name=_("单位"))
    period = models.CharField(_("月份"), max_length=7)
    rules = models.CharField(_("考勤规则"), max_length=8, choices=Rules.choices)
    status = models.CharField(_("状态"), max_length=16, choices=CloseStatus.choices, default=CloseStatus.CLOSED)
    revision = models.PositiveIntegerField(_("计算次数"), default=1)
    stale = models.BooleanField(_("待重新计算"), default=False)
    ledger_synced = models.BooleanField(_("已入奖惩台账"), default=False)
    provisional = models.BooleanField(_("暂定"), default=False)
    people = models.PositiveIntegerField(_("人数"), default=0)
    stats = models.JSONField(default=dict, blank=True)
    closed_at = models.DateTimeField(_("结算时间"))
    closed_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("结算人"))
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("审核人"))
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    locked_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("锁定人"))
    corrections = models.JSONField(_("锁定后更正"), default=list, blank=True)

    class Meta:
        verbose_name = _("月度考勤结算")
        verbose_name_plural = _("月度考勤结算")
        ordering = ["-period", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "period"], name="attendance_close_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.status}"

    @property
    def locked(self) -> bool:
        return self.status == CloseStatus.LOCKED


class DayStatus(models.TextChoices):
    PRESENT = "present", _("出勤")
    LATE = "late", _("迟到")
    EARLY = "early", _("早退")
    LATE_EARLY = "late_early", _("迟到且早退")
    HALF_ABSENT = "half_absent", _("旷工半天")
    ABSENT = "absent", _("旷工")
    LEAVE = "leave", _("请假")
    EXCEPTION = "exception", _("考勤异常")
    REST = "rest", _("休息")


#: Why a plain day came out as it did (the close stores no text for these: status → (clause, message)).
PLAIN_REASONS: dict[str, tuple[str, str]] = {
    "present": ("P7.1", gettext_noop("%(date)s 按时签到、签退")),
    "rest": ("P7.1", gettext_noop("%(date)s 不是工作日")),
    "leave": ("P7.5", gettext_noop("%(date)s 已批准请假")),
    "exception": ("P10.2.3", gettext_noop("%(date)s 考勤未成功，已由值班人员统一记录，按出勤处理")),
}
#: One-character marks of the month sheet (as paper attendance sheets write them).
STATUS_MARKS = {"present": "√", "late": "迟", "early": "早", "late_early": "迟早", "half_absent": "旷½",
                "absent": "旷", "leave": "假", "exception": "异", "rest": "休"}
PERSONAL_LEAVE_REASON = gettext_noop("事假为无薪假，不享受全勤奖")


class ResultIdField(models.BigAutoField):
    """The id of a row the month close replaces wholesale (``DayResult``, ``MonthSummary``): on SQLite
    the table's rowid without ``AUTOINCREMENT``, so SQLite does not update ``sqlite_sequence`` for each
    of the ≈ 220,000 rows a close of 10,000 people inserts. An id may be given again after its row was
    deleted by a re-close; nothing refers to these ids. Elsewhere the usual ``BigAutoField``."""

    def db_type_suffix(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return None
        return connection.data_types_suffix.get(self.get_internal_type())  # what Field.db_type_suffix gives


class DayResult(models.Model):
    """One person's day as the month close evaluated it, with its clauses and its reason."""

    id = ResultIdField(primary_key=True)
    # No separate index on person or unit: (person, date) is unique and leads every read; fewer indexes
    # keep the month close's 300,000-row insert fast.
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="attendance_days", db_index=False)
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", db_index=False)
    date = models.DateField()
    status = models.CharField(max_length=16, choices=DayStatus.choices)
    late_minutes = models.PositiveIntegerField(default=0)
    early_minutes = models.PositiveIntegerField(default=0)
    absent_days = models.DecimalField(max_digits=3, decimal_places=1, default=0)
    leave = models.CharField(max_length=16, blank=True)
    clauses = models.JSONField(default=list)
    # [{"clauses": [...], "reason": msgid, "args": {...}}, …]; empty for a plain day (PLAIN_REASONS)
    why = models.JSONField(default=list)
    fine = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    provisional = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("每日考勤结果")
        verbose_name_plural = _("每日考勤结果")
        ordering = ["person_id", "date"]
        constraints = [models.UniqueConstraint(fields=["person", "date"], name="attendance_day_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date} {self.status}"

    def explanations(self) -> list[str]:
        """Each reason of the day, e.g. "P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理", in the viewer's language."""
        out = []
        why = self.why or []
        if not why and self.status in PLAIN_REASONS:
            clause, reason = PLAIN_REASONS[self.status]
            why = [{"clauses": [c for c in self.clauses if c != "P7.5.3"] or [clause], "reason": reason,
                    "args": {"date": self.date.isoformat()}}]
            if self.status == "leave" and "P7.5.3" in self.clauses:
                why.append({"clauses": ["P7.5.3"], "reason": PERSONAL_LEAVE_REASON, "args": {}})
        for item in why:
            reason, args = item.get("reason", ""), item.get("args") or {}
            text = render(reason, args)
            prefix = gettext("、").join(item.get("clauses") or [])
            out.append(f"{prefix}{gettext('：')}{text}" if prefix else text)
        if self.provisional:
            out.append(gettext("（暂定：日历未收录该年份）"))
        return out

    def explain(self) -> str:
        return " ".join(self.explanations()) or str(self.get_status_display())

    @property
    def mark(self) -> str:
        return STATUS_MARKS.get(self.status, "")


class MonthSummary(models.Model):
    """One person's month: counts, money, year-to-date absenteeism, proposed actions and the trace."""

    id = ResultIdField(primary_key=True)
    # No single-column indexes: (person, period) is unique and (unit, period) indexed, which lead every read.
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="attendance_months", db_index=False)
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", db_index=False)
    period = models.CharField(max_length=7)
    rules = models.CharField(max_length=8, choices=Rules.choices)
    working_days = models.PositiveSmallIntegerField(default=0)
    late_count = models.PositiveSmallIntegerField(default=0)
    early_count = models.PositiveSmallIntegerField(default=0)
    absent_days = models.DecimalField(max_digits=5, decimal_places=1, default=0)
    leave_days = models.DecimalField(max_digits=5, decimal_places=1, default=0)
    ytd_absent_days = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    fines = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    deductions = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    full_attendance_bonus = models.BooleanField(default=True)
    bonus_lost = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    actions = models.JSONField(default=list)
    clauses = models.JSONField(default=list)
    trace = models.JSONField(default=list)
    provisional = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("月度考勤汇总")
        verbose_name_plural = _("月度考勤汇总")
        ordering = ["period", "person_id"]
        constraints = [models.UniqueConstraint(fields=["person", "period"], name="attendance_month_unique")]
        indexes = [models.Index(fields=["unit", "period"], name="att_month_unit_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.period}"

    def trace_decisions(self) -> list[Any]:
        from zhidu.rulebook.decision import Decision

        return [Decision.from_dict(d) for d in self.trace or [] if isinstance(d, dict) and "rule" in d]
