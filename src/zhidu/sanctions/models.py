"""The sanctions ledger: one row per fine, deduction, bonus loss, grade or disciplinary action.

Modules post to it through ``zhidu.sanctions.services`` (never by writing rows); monthly
statements read it through ``zhidu.sanctions.selectors``.

Shape of the ledger:

* **Idempotent by source.** ``(source_module, source_key, kind, period)`` is unique: re-running a
  month's evaluation posts the same keys again and changes nothing when the values are the same.
* **Nothing is deleted.** ``delete()`` is refused on rows and querysets.
* **Locked months do not change.** While a period is open (no :class:`PeriodLock`), a re-run with
  other values replaces the values of the entry (the audit event keeps the previous ones). Once the
  period is locked for the entry's unit (or a unit above it), the entry is never changed again: a
  different value is posted as a new *adjustment* entry (``adjusts`` → the original, ``late`` set,
  ``amount`` = the difference), and a new fact found for a locked month is posted ``late``. Statements
  show both as adjustments.
* **Disciplinary actions are proposals.** Suspension, dismissal and removal are created
  ``proposed``; only an authorized person moves them to ``confirmed`` or ``rejected`` (with the
  reason kept). The system never confirms.
"""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    FINE = "fine", _("罚款")
    DEDUCTION = "deduction", _("扣款")
    BONUS_LOSS = "bonus_loss", _("扣发奖金")
    GRADE = "grade", _("评级")
    SUSPENSION = "suspension", _("停职")
    DISMISSAL = "dismissal", _("辞退")
    REMOVAL = "removal", _("除名")


MONEY_KINDS = frozenset({Kind.FINE, Kind.DEDUCTION, Kind.BONUS_LOSS})
GRADE_KINDS = frozenset({Kind.GRADE})
POSTABLE_KINDS = MONEY_KINDS | GRADE_KINDS
ACTION_KINDS = frozenset({Kind.SUSPENSION, Kind.DISMISSAL, Kind.REMOVAL})
GRADES = ("A", "B", "C", "D", "E")


class Status(models.TextChoices):
    POSTED = "posted", _("已入账")
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已驳回")
    VOID = "void", _("已作废")


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError("ledger entries are never deleted; void them or post an adjustment")


class LedgerEntry(models.Model):
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="ledger_entries",
                               verbose_name=_("人员"))
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="ledger_entries",
                             verbose_name=_("单位"))
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    period = models.CharField(_("期间"), max_length=7, help_text="YYYY-MM")
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=1, null=True, blank=True,
                             choices=[(g, g) for g in GRADES])
    clauses = models.JSONField(_("条款"), default=list)
    decision = models.JSONField(_("决定依据"), null=True, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(_("说明"), blank=True)
    source_module = models.CharField(_("来源模块"), max_length=64)
    source_key = models.CharField(_("来源编号"), max_length=200)
    adjusts = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="adjustments", verbose_name=_("更正的条目"))
    late = models.BooleanField(_("锁定后入账"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    created_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("入账人"))
    proposed_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("提议人"))
    proposed_at = models.DateTimeField(_("提议时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirm_note = models.TextField(_("确认意见"), blank=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    rejected_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("驳回人"))
    rejected_at = models.DateTimeField(_("驳回时间"), null=True, blank=True)
    rejected_reason = models.TextField(_("驳回理由"), blank=True)
    voided_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("作废人"))
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.TextField(_("作废理由"), blank=True)
    created_at = models.DateTimeField(_("入账时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账条目")
        verbose_name_plural = _("台账条目")
        ordering = ["period", "person_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source_module", "source_key", "kind", "period"],
                                    name="sanctions_entry_source_unique"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=sorted(k.value for k in MONEY_KINDS), amount__isnull=False, grade__isnull=True,
                      status__in=[Status.POSTED, Status.VOID])
                    | Q(kind__in=sorted(k.value for k in GRADE_KINDS), amount__isnull=True, grade__isnull=False,
                        status__in=[Status.POSTED, Status.VOID])
                    | Q(kind__in=sorted(k.value for k in ACTION_KINDS), amount__isnull=True, grade__isnull=True,
                        status__in=[Status.PROPOSED, Status.CONFIRMED, Status.REJECTED])
                ),
                name="sanctions_entry_kind_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "period"]),
            models.Index(fields=["unit", "period"]),
            models.Index(fields=["status", "kind"]),
        ]

    def __str__(self) -> str:
        value = self.amount if self.amount is not None else (self.grade or "")
        return f"{self.person_id} {self.period} {self.kind} {value}".strip()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("ledger entries are never deleted; void them or post an adjustment")

    @property
    def is_action(self) -> bool:
        return self.kind in ACTION_KINDS

    @property
    def is_adjustment(self) -> bool:
        return self.adjusts_id is not None or self.late


class PeriodLock(models.Model):
    """A month closed for a unit and everything below it. Unlocking keeps the row (``unlocked_*``)."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="period_locks",
                             verbose_name=_("单位"))
    period = models.CharField(_("期间"), max_length=7, help_text="YYYY-MM")
    locked_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("锁定人"))
    locked_at = models.DateTimeField(_("锁定时间"), auto_now_add=True)
    unlocked_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("解锁人"))
    unlocked_at = models.DateTimeField(_("解锁时间"), null=True, blank=True)
    unlock_reason = models.TextField(_("解锁理由"), blank=True)

    class Meta:
        verbose_name = _("期间锁定")
        verbose_name_plural = _("期间锁定")
        ordering = ["-period", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], condition=Q(unlocked_at__isnull=True),
                                    name="sanctions_lock_active_unique"),
        ]
        indexes = [models.Index(fields=["period", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period}"
