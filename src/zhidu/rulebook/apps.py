from __future__ import annotations

import sys
from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def load_default_rulebook(sender: AppConfig, *, using: str = DEFAULT_DB_ALIAS, apps: Any = None,
                          verbosity: int = 1, **kwargs: Any) -> None:
    """After ``migrate`` (and a test database's flush): load the shipped rulebook, so a fresh
    database — ``zhidu demo``, the tests — has every clause and parameter. Idempotent; an invalid
    shipped file is reported, not fatal (``zhidu rulebook lint`` / ``load`` show the problems)."""
    if using != DEFAULT_DB_ALIAS:
        return
    if apps is not None:
        try:
            for model in ("rulebook.ParameterOverride", "audit.AuditEvent", "org.OrgUnit"):
                apps.get_model(model)
        except LookupError:
            return  # migrated only part of the way
    from zhidu.org.access import SYSTEM

    from .params import RulebookError
    from .services import sync_default_rulebook

    try:
        report = sync_default_rulebook(SYSTEM)
    except RulebookError as exc:
        sys.stderr.write(f"zhidu rulebook: the shipped rulebook is invalid, not loaded:\n{exc}\n")
        return
    if verbosity >= 2 and report.changed:
        sys.stdout.write("  rulebook: " + ", ".join(f"{k} {len(v)}" for k, v in report.as_dict().items() if v) + "\n")


class RulebookConfig(AppConfig):
    name = "zhidu.rulebook"
    label = "rulebook"
    verbose_name = _("规章")

    def ready(self) -> None:
        from zhidu.core.modules import NavEntry, register
        from zhidu.org import access
        from zhidu.org.models import Role

        access.register_actions({
            "rulebook.view": frozenset(Role.values),
            "rulebook.manage": frozenset({Role.ADMIN, Role.GENERAL_MANAGER}),
        })
        register(NavEntry("rulebook", _("规则库"), "rulebook:index", order=90, action="rulebook.view"))

        from zhidu.core.configcache import watch

        from .models import Parameter, ParameterOverride, ParameterValue
        from .seeding import ensure_builtin_regulations
        from .selectors import RULEBOOK_CACHE

        watch(RULEBOOK_CACHE, Parameter, ParameterValue, ParameterOverride)

        post_migrate.connect(ensure_builtin_regulations, sender=self, dispatch_uid="zhidu.rulebook.builtin")
        post_migrate.connect(load_default_rulebook, sender=self, dispatch_uid="zhidu.rulebook.load_default")
