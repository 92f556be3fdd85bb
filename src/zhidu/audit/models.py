"""Append-only, hash-chained audit events.

Events are chained per *stream* (by default a unit's events in ``ZHIDU_AUDIT_CHAINS_PER_UNIT``
chains, chosen by subject: ``audit.services.unit_stream``), so that writers in different units, or
on different subjects of one unit, rarely wait on each other; ``AuditStream`` is the head of one chain and the
only row a writer locks. ``zhidu audit verify`` walks every chain.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


class AuditStream(models.Model):
    name = models.CharField(max_length=100, primary_key=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("审计链")
        verbose_name_plural = _("审计链")

    def __str__(self) -> str:
        return f"{self.name}@{self.last_seq}"


class AuditEvent(models.Model):
    stream = models.CharField(_("链"), max_length=100)
    seq = models.PositiveBigIntegerField(_("序号"))
    at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=200)
    action = models.CharField(_("动作"), max_length=100, db_index=True)
    subject_type = models.CharField(_("对象类型"), max_length=100)
    subject_id = models.CharField(_("对象编号"), max_length=64)
    unit_id = models.BigIntegerField(_("单位编号"), null=True, blank=True, db_index=True)
    payload = models.JSONField(_("内容"), default=dict)
    clauses = models.JSONField(_("条款"), default=list)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="audit_stream_seq_unique")]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")
