from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "zhidu.complaints"
    label = "complaints"
    verbose_name = _("投诉处理")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from zhidu.core.modules import NavEntry, register
        from zhidu.obligations.policy import register_kind
        from zhidu.org import access
        from zhidu.org.models import Role as R

        from . import config
        from .seeding import ensure_default_categories

        config.connect()

        access.register_actions({
            # Register a contact on the form (agents, the hall's guide desk and duty officers, P10.2.5)
            "complaints.intake": {R.COMPLAINT_HANDLER, R.DUTY_OFFICER, R.DUTY_DIRECTOR, R.DEPARTMENT_MANAGER,
                                  R.GENERAL_MANAGER},
            # Handle in the responsible unit: transfer, name the investigator, answer, feed back, close, reopen
            "complaints.handle": {R.COMPLAINT_HANDLER, R.DEPARTMENT_MANAGER, R.GENERAL_MANAGER},
            # Record findings and the responsibility class (the named investigator may always do so)
            "complaints.investigate": {R.COMPLAINT_HANDLER, R.DEPARTMENT_MANAGER, R.GENERAL_MANAGER},
            # The marketing centre's spot checks (P4.4.6)
            "complaints.verify": {R.COMPLAINT_VERIFIER},
            # Read the registrations of a unit's subtree
            "complaints.view": {R.COMPLAINT_HANDLER, R.COMPLAINT_VERIFIER, R.DEPARTMENT_MANAGER, R.GENERAL_MANAGER,
                                R.DUTY_OFFICER, R.DUTY_DIRECTOR},
            # Approve special cases, decide on violations, mark important records, the overview
            "complaints.manage": {R.DEPARTMENT_MANAGER, R.GENERAL_MANAGER},
        })
        handler, manager = R.COMPLAINT_HANDLER.value, R.DEPARTMENT_MANAGER.value
        register_kind("complaints.inquiry_answer", module="complaints", clauses=["P4.4.1"], label=_("答复咨询"),
                      unit_roles=[handler], max_extensions=0)
        register_kind("complaints.suggestion_reply", module="complaints", clauses=["P4.4.2"], label=_("答复建议"),
                      unit_roles=[handler], max_extensions=1)
        # 3 working days; a special case (reason + approver) 7: the extension is capped at the difference.
        register_kind("complaints.complaint_close", module="complaints", clauses=["P4.4.4"], label=_("办结投诉"),
                      unit_roles=[handler], max_extensions=1, extension_cap_working_days=4)
        register_kind("complaints.violation_report", module="complaints", clauses=["P4.4.3"],
                      label=_("按组织程序处理违规失职投诉"), unit_roles=[manager])
        register_kind("complaints.rectification_plan", module="complaints", clauses=["P4.4.3"],
                      label=_("落实整改方案"), unit_roles=[manager])
        register_kind("complaints.spot_check_rectification", module="complaints", clauses=["P4.4.6", "P4.6"],
                      label=_("抽查验证不符，限期整改"), unit_roles=[handler, manager])

        register(NavEntry("complaints", _("投诉处理"), "complaints:index", order=30, action="complaints.view"))
        post_migrate.connect(ensure_default_categories, sender=self, dispatch_uid="zhidu.complaints.categories")

        from zhidu.calendar.signals import calendar_changed

        from . import receivers

        # connected after the obligations engine's receiver (its app comes first), which recomputes first
        calendar_changed.connect(receivers.on_calendar_changed, dispatch_uid="complaints.sync_deadlines")

        # the pre-aggregated statistics table (aggregates.py): the day of a deleted registration, and the
        # former day of one whose receipt time moved, are recomputed; `zhidu tick` keeps the table current
        from django.db.models.signals import post_delete, pre_save

        from zhidu.core import periodic

        from . import aggregates
        from .models import Complaint

        post_delete.connect(aggregates.on_complaint_deleted, sender=Complaint, dispatch_uid="complaints.stats_deleted")
        pre_save.connect(aggregates.on_complaint_saving, sender=Complaint, dispatch_uid="complaints.stats_moved")
        periodic.register("complaints.stats", aggregates.periodic_job)
