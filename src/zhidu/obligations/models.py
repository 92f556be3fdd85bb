"""Obligations ("who must do what, by when, per which clause") and the notifications about them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhidu.rulebook.decision import Decision, msg, render


class State(models.TextChoices):
    OPEN = "open", _("待办")
    EXTENDED = "extended", _("已延期")
    BREACHED = "breached", _("已超期")
    MET = "met", _("已完成")
    WAIVED = "waived", _("已豁免")


#: Still to be done, deadline not yet passed (reminders and breach detection look at these).
ACTIVE = (State.OPEN.value, State.EXTENDED.value)
#: Still to be done (the inbox and the count in the navigation).
PENDING = (State.OPEN.value, State.EXTENDED.value, State.BREACHED.value)


class Obligation(models.Model):
    """One duty of one person or unit about one record, with its deadline and its "why"."""

    subject_type = models.CharField(_("对象类型"), max_length=100)
    subject_id = models.CharField(_("对象编号"), max_length=64)
    module = models.CharField(_("模块"), max_length=50, db_index=True)
    kind = models.CharField(_("类别"), max_length=100)
    title = models.CharField(_("标题"), max_length=300)
    title_args = models.JSONField(default=dict, blank=True)
    clauses = models.JSONField(_("条款"), default=list)
    responsible_person = models.ForeignKey(
        "org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="obligations",
        verbose_name=_("责任人"),
    )
    responsible_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="obligations", verbose_name=_("责任单位"),
    )
    opened_at = models.DateTimeField(_("开始时间"))
    opened_by_id = models.BigIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(_("截止时间"))
    original_due_at = models.DateTimeField(_("原截止时间"))
    provisional = models.BooleanField(_("暂定"), default=False)
    deadline_spec = models.JSONField(default=dict)
    depends_on_calendar = models.BooleanField(default=False)
    span_start = models.DateField(null=True, blank=True)
    decision = models.JSONField(default=dict)

    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.OPEN)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        "org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    state_reason = models.TextField(_("原因"), blank=True)
    extension_count = models.PositiveSmallIntegerField(default=0)
    extended_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    extension_approver = models.ForeignKey(
        "org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    breached_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    met_on_time = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name = _("待办事项")
        verbose_name_plural = _("待办事项")
        ordering = ["due_at", "id"]
        indexes = [
            # "state IN (open, extended) AND due_at < now" (breach detection) is one range scan per
            # state on this index; see bench/bench_obligations.py.
            models.Index(fields=["state", "due_at"], name="obl_state_due_idx"),
            models.Index(fields=["state", "next_reminder_at"], name="obl_state_remind_idx"),
            models.Index(fields=["state", "next_escalation_at"], name="obl_state_escalate_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="obl_subject_idx"),
            models.Index(fields=["responsible_unit", "opened_at"], name="obl_unit_opened_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=[s.value for s in State]), name="obl_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def title_arg(self) -> dict[str, Any]:
        """The title as a message argument that each reader sees in their own language
        (``message_args``), not in the language it was written in."""
        return msg(self.title, **dict(self.title_args or {}))

    def title_text(self) -> str:
        return render(self.title, self.title_args)

    def why(self) -> Decision | None:
        return Decision.from_dict(self.decision) if self.decision else None

    def explain(self) -> str:
        decision = self.why()
        return decision.explain() if decision else gettext("、").join(self.clauses)

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    PHONE = "phone", _("电话")


class Delivery(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("未发送")


class Notification(models.Model):
    """One message to one person on one channel; every notification the engine makes is kept."""

    recipient = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("接收人"))
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="notifications")
    event = models.CharField(_("事件"), max_length=32)
    message = models.CharField(max_length=300)
    args = models.JSONField(default=dict, blank=True)
    subject = models.CharField(_("主题"), max_length=300)
    body = models.TextField(_("内容"))
    address = models.CharField(_("地址（已脱敏）"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Delivery.choices, default=Delivery.PENDING)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "channel", "read_at"], name="notif_inbox_idx"),
            models.Index(fields=["status", "channel"], name="notif_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient_id}: {self.subject}"

    def text(self) -> str:
        return render(self.message, self.args, fallback=self.body)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.pk, "channel": self.channel, "event": self.event, "text": self.text(),
                "obligation_id": self.obligation_id, "created_at": self.created_at, "read_at": self.read_at}
