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
