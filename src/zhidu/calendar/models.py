"""The working-day calendar in the database (app label ``workcalendar``).

* ``CalendarDay`` — only the *explicit* days: statutory holidays, 调休 make-up working days and any
  day an administrator set by hand.  Every other date follows the weekday rule (Monday–Friday work).
* ``CalendarYear`` — which years the data covers (``known``); dates in any other year are computed
  with the weekday rule and flagged provisional.
* ``WorkingHours`` — a unit's working hours; units without a row inherit their nearest ancestor's
  (default 08:30–17:30).
* ``CalendarVersion`` — one row whose ``token`` changes on every write, so that every process notices
  a change with one primary-key query (``selectors.work_calendar``).

Write through ``zhidu.calendar.services`` (or the admin), never directly: the services validate,
audit, bump the version and send ``calendar_changed``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .rules import DEFAULT_DAY_END, DEFAULT_DAY_START, DayKind


class DayKindChoices(models.TextChoices):
    WORKDAY = DayKind.WORKDAY.value, _("工作日")
    WEEKEND = DayKind.WEEKEND.value, _("周末")
    HOLIDAY = DayKind.HOLIDAY.value, _("法定节假日")
    MAKEUP = DayKind.MAKEUP.value, _("调休上班")


class CalendarDay(models.Model):
    """One explicit day of the schedule (holiday, make-up working day, or a manual override)."""

    date = models.DateField(_("日期"), unique=True)
    working = models.BooleanField(_("上班"))
    kind = models.CharField(_("类型"), max_length=16, choices=DayKindChoices.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    source = models.CharField(_("依据"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".rstrip()

    def clean(self) -> None:
        from .formats import validate_day

        if self.date is None:
            return
        errors: dict[str, list[str]] = {}
        for field, message in validate_day(self.date, self.working, self.kind, self.name, self.source):
            errors.setdefault(field if field in {"date", "working", "kind", "name", "source"} else "__all__", []).append(
                str(message)
            )
        if errors:
            raise ValidationError(errors)


class CalendarYear(models.Model):
    """A year the schedule covers (``known``) — or explicitly does not — and who confirmed it."""

    year = models.PositiveIntegerField(_("年份"), unique=True)
    known = models.BooleanField(_("已收录"), default=False,
                                help_text=_("未收录的年份按周末双休推算，所有日期均为暂定。"))
    source = models.CharField(_("依据"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey("org.Person", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("日历年份")
        verbose_name_plural = _("日历年份")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        from .formats import MAX_YEAR, MIN_YEAR

        if self.year is not None and not MIN_YEAR <= self.year <= MAX_YEAR:
            raise ValidationError({"year": _("年份须在 %(lo)d–%(hi)d 之间。") % {"lo": MIN_YEAR, "hi": MAX_YEAR}})


class WorkingHours(models.Model):
    """A unit's working hours; the unit's whole subtree inherits them unless it has its own."""

    unit = models.OneToOneField("org.OrgUnit", on_delete=models.CASCADE, related_name="working_hours",
                                verbose_name=_("单位"))
    day_start = models.TimeField(_("上班时间"), default=DEFAULT_DAY_START)
    day_end = models.TimeField(_("下班时间"), default=DEFAULT_DAY_END)
    break_start = models.TimeField(_("午休开始"), null=True, blank=True)
    break_end = models.TimeField(_("午休结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作时间")
        verbose_name_plural = _("工作时间")
        ordering = ["unit__path"]

    def __str__(self) -> str:
        text = f"{self.unit} {self.day_start:%H:%M}–{self.day_end:%H:%M}"
        if self.break_start and self.break_end:
            text += f" ({self.break_start:%H:%M}–{self.break_end:%H:%M})"
        return text

    def clean(self) -> None:
        from .formats import validate_hours

        errors: dict[str, list[str]] = {}
        for field, message in validate_hours(self.day_start, self.day_end, self.break_start, self.break_end):
            errors.setdefault(field, []).append(str(message))
        if errors:
            raise ValidationError(errors)


class CalendarVersion(models.Model):
    """A single row (pk 1): ``token`` changes on every calendar or working-hours write."""

    version = models.BigIntegerField(default=0)
    token = models.CharField(max_length=32, default="")
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("日历版本")
        verbose_name_plural = _("日历版本")

    def __str__(self) -> str:
        return f"v{self.version}"


__all__ = ["CalendarDay", "CalendarVersion", "CalendarYear", "DayKindChoices", "WorkingHours"]
