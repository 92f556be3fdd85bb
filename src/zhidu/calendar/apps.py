from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarConfig(AppConfig):
    name = "zhidu.calendar"
    label = "workcalendar"
    verbose_name = _("工作日历")
