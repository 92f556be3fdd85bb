"""Core tables: the version tokens of process-local configuration caches (``configcache``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConfigVersion(models.Model):
    """One row per cached configuration (``rulebook``, ``complaints.config`` …): a random token that
    changes, in the same transaction, with every write to the tables the cache is built from."""

    name = models.CharField(_("名称"), max_length=64, primary_key=True)
    token = models.CharField(_("版本标记"), max_length=32)

    class Meta:
        verbose_name = _("配置版本")
        verbose_name_plural = _("配置版本")

    def __str__(self) -> str:
        return f"{self.name}: {self.token}"
