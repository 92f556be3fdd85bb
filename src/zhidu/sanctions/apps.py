from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SanctionsConfig(AppConfig):
    name = "zhidu.sanctions"
    label = "sanctions"
    verbose_name = _("奖惩台账")

    def ready(self) -> None:
        from zhidu.core.modules import NavEntry, register
        from zhidu.org import access
        from zhidu.org.models import Role

        # Confirming a disciplinary action: HR or the general manager over the person's unit (for
        # removal from the volunteer centre, the centre's head holds general_manager over it).
        # Administrators run the system; they do not decide discipline. The system never confirms.
        access.register_actions({
            "sanctions.view": {Role.HR, Role.GENERAL_MANAGER, Role.DEPARTMENT_MANAGER},
            "sanctions.post": {Role.HR, Role.GENERAL_MANAGER},
            "sanctions.confirm": {Role.HR, Role.GENERAL_MANAGER},
            "sanctions.lock": {Role.HR},
        })
        register(NavEntry("sanctions", _("奖惩台账"), "sanctions:index", order=60, action="sanctions.view"))
