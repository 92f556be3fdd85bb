from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "zhidu.obligations"
    label = "obligations"
    verbose_name = _("待办与期限")
