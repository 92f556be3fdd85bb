from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zhidu.audit"
    label = "audit"
    verbose_name = _("审计")

    def ready(self) -> None:
        from zhidu.core.modules import NavEntry, register

        register(NavEntry("audit", _("审计日志"), "web:audit", order=90, action="audit.view"))
