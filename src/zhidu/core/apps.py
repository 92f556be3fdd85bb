from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zhidu.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from . import configcache

        request_started.connect(configcache.begin_snapshot, dispatch_uid="zhidu.configcache.begin")
        request_finished.connect(configcache.end_snapshot, dispatch_uid="zhidu.configcache.end")
