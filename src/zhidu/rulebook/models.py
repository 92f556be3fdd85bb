from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Regulation(models.Model):
    """A regulation a unit can adopt: one of P1–P11, or the organization's own."""

    code = models.CharField(_("编号"), max_length=32, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    builtin = models.BooleanField(_("内置"), default=False)

    class Meta:
        verbose_name = _("规章")
        verbose_name_plural = _("规章")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class ClauseStatus(models.TextChoices):
    ENFORCED = "enforced", _("系统执行")
    RECORDED = "recorded", _("系统记录")
    DECLARED = "declared", _("公示")


class Clause(models.Model):
    """One clause (P7.4 …) in the organization's own wording, with what the system does about it."""

    regulation = models.ForeignKey(Regulation, on_delete=models.CASCADE, related_name="clauses")
    clause_id = models.CharField(_("条款编号"), max_length=32, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    text = models.TextField(_("条文"), blank=True)
    status = models.CharField(_("执行方式"), max_length=16, choices=ClauseStatus.choices)
    position = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("条款")
        verbose_name_plural = _("条款")
        ordering = ["regulation_id", "position", "clause_id"]

    def __str__(self) -> str:
        return f"{self.clause_id} {self.title}"


class Parameter(models.Model):
    """A rulebook parameter (threshold, amount, interpretation choice …); its values are dated."""

    key = models.CharField(_("参数"), max_length=100, unique=True)
    type = models.CharField(_("类型"), max_length=16)
    unit = models.CharField(_("计量单位"), max_length=32, blank=True)
    comparison = models.CharField(_("比较方式"), max_length=2, blank=True)
    quantity = models.CharField(_("度量"), max_length=100, blank=True)
    clauses = models.JSONField(_("条款"), default=list)
    note = models.TextField(_("说明"), blank=True)
    interpretation = models.BooleanField(_("解释性参数"), default=False)
    choices = models.JSONField(_("可选值"), default=list, blank=True)
    source = models.CharField(_("来源文件"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("参数")
        verbose_name_plural = _("参数")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class ValueSource(models.TextChoices):
    DEFAULT = "default", _("默认规则库")
    ORGANIZATION = "organization", _("本组织")


class ParameterValue(models.Model):
    """A dated value of a parameter. Shipped values have source="default" and are refreshed by
    ``zhidu rulebook load``; the organization's own values (source="organization") are only ever
    appended and always win over the shipped ones for the dates they cover."""

    parameter = models.ForeignKey(Parameter, on_delete=models.CASCADE, related_name="values")
    value = models.JSONField(_("值"))
    effective_from = models.DateField(_("生效日期"))
    effective_until = models.DateField(_("失效日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=ValueSource.choices, default=ValueSource.DEFAULT)
    set_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField(_("原因"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("参数值")
        verbose_name_plural = _("参数值")
        ordering = ["parameter_id", "source", "effective_from", "id"]
        indexes = [models.Index(fields=["parameter", "source", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.parameter_id} = {self.value} ({self.effective_from})"


class ParameterOverride(models.Model):
    """A unit's own value of a parameter; it applies to the unit and every unit below it."""

    parameter = models.ForeignKey(Parameter, on_delete=models.CASCADE, related_name="overrides")
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="parameter_overrides")
    value = models.JSONField(_("值"))
    effective_from = models.DateField(_("生效日期"))
    effective_until = models.DateField(_("失效日期"), null=True, blank=True)
    set_by = models.ForeignKey("org.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField(_("原因"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("单位参数")
        verbose_name_plural = _("单位参数")
        ordering = ["unit_id", "parameter_id", "effective_from", "id"]
        indexes = [models.Index(fields=["unit", "parameter", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.parameter_id}@{self.unit_id} = {self.value} ({self.effective_from})"
