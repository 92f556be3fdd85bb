from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "zhidu.web"
    label = "web"
    verbose_name = _("页面")

    def ready(self) -> None:
        from zhidu.core.modules import NavEntry, register

        register(NavEntry("my_work", _("我的工作"), "web:my_work", order=10))
