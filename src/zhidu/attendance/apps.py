from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "zhidu.attendance"
    label = "attendance"
    verbose_name = _("考勤")

    def ready(self) -> None:
        from zhidu.core.modules import NavEntry, register
        from zhidu.org import access
        from zhidu.org.models import Role

        from . import services

        R = Role
        access.register_actions({
            # The unit month sheet, people's days and summaries, the leave and correction queues
            "attendance.view": {R.HR, R.GENERAL_MANAGER, R.DEPARTMENT_MANAGER},
            # Shifts, rosters, imports of machine exports, organization leave types
            "attendance.manage": {R.HR},
            # A punch entered by hand (with its reason), approving a punch correction (补卡)
            "attendance.punch_manual": {R.HR, R.DEPARTMENT_MANAGER},
            # P10.2.3 attendance exceptions (power cut, broken machine, unreadable fingerprints) and the
            # P10.2.1 roll call of window staff
            "attendance.exception": {R.DUTY_OFFICER, R.DUTY_DIRECTOR, R.HR},
            # A step of a leave approval chain (P7.7, P7.8, P7.11); the step's role decides who
            "attendance.approve_leave": {R.DEPARTMENT_MANAGER, R.HR, R.GENERAL_MANAGER},
            # Month close, approval of the month sheet, lock
            "attendance.close_month": {R.HR},
        })
        services.register_obligation_kinds()
        # zhidu tick (and the embedded server's ticker) re-closes months after a breached sick note and
        # finishes interrupted ledger postings.
        from zhidu.core import periodic

        from . import jobs

        periodic.register("attendance", lambda now: jobs.run_jobs(now).as_dict())
        register(NavEntry("attendance", _("考勤"), "attendance:index", order=40))
