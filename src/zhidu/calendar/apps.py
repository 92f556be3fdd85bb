from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarConfig(AppConfig):
    name = "zhidu.calendar"
    label = "workcalendar"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        from zhidu.core.modules import NavEntry, register
        from zhidu.org import access
        from zhidu.org.models import Role

        # Reading the calendar needs only a login (it is the public State Council schedule);
        # changing it, or a unit's working hours, is for administrators.
        access.register_actions({"calendar.manage": {Role.ADMIN}})
        register(NavEntry("calendar", _("工作日历"), "calendar:index", order=80))
