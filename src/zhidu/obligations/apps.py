from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "zhidu.obligations"
    label = "obligations"
    verbose_name = _("待办与期限")

    def ready(self) -> None:
        from zhidu.calendar import signals as calendar_signals
        from zhidu.core.modules import NavEntry, register, register_badge
        from zhidu.org import access
        from zhidu.org.models import Role

        from . import receivers, routing, selectors

        routing.connect()

        R = Role
        access.register_actions({
            # See the obligations of a unit's subtree in one's inbox ("units they are responsible for")
            "obligations.view_unit": {R.GENERAL_MANAGER, R.DEPARTMENT_MANAGER, R.DUTY_DIRECTOR},
            # Open obligations, meet them on someone's behalf, record an approved extension
            "obligations.manage": {R.GENERAL_MANAGER, R.DEPARTMENT_MANAGER, R.DUTY_DIRECTOR},
            # Approve an extension of a deadline (within the kind's cap)
            "obligations.extend_approve": {R.GENERAL_MANAGER, R.DEPARTMENT_MANAGER},
            # Release someone from an obligation
            "obligations.waive": {R.GENERAL_MANAGER},
            # Compliance figures per unit and period, and their Excel export
            "obligations.view_compliance": {R.GENERAL_MANAGER, R.DEPARTMENT_MANAGER, R.HR},
        })
        register(NavEntry("notifications", _("通知"), "obligations:notifications", order=12))
        register(NavEntry("compliance", _("合规统计"), "obligations:compliance", order=70,
                          action="obligations.view_compliance"))
        register_badge("my_work", selectors.inbox_count)
        register_badge("notifications", selectors.unread_count)
        calendar_signals.calendar_changed.connect(receivers.on_calendar_changed, dispatch_uid="obligations.recompute")
        calendar_signals.working_hours_changed.connect(receivers.on_working_hours_changed,
                                                       dispatch_uid="obligations.recompute_hours")
