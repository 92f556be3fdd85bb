from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "zhidu.org"
    label = "org"
    verbose_name = _("组织")

    def ready(self) -> None:
        from zhidu.core.modules import NavEntry, register

        from . import selectors

        selectors.connect()

        register(NavEntry("org", _("组织与人员"), "web:org", order=20, action="org.view_people"))
