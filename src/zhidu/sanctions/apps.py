from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SanctionsConfig(AppConfig):
    name = "zhidu.sanctions"
    label = "sanctions"
    verbose_name = _("奖惩台账")
