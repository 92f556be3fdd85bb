from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.me, name="me"),
    path("people/<int:person_id>/<str:period>/", views.person_month, name="person_month"),
    path("people/<int:person_id>/<str:period>/statement/", views.statement, name="statement"),
    path("units/", views.unit_pick, name="unit_pick"),
    path("units/<int:unit_id>/<str:period>/", views.sheet, name="sheet"),
    path("units/<int:unit_id>/<str:period>/export.xlsx", views.sheet_xlsx, name="sheet_xlsx"),
    path("units/<int:unit_id>/<str:period>/close/", views.month_action, {"verb": "close"}, name="close"),
    path("units/<int:unit_id>/<str:period>/approve/", views.month_action, {"verb": "approve"}, name="approve"),
    path("units/<int:unit_id>/<str:period>/lock/", views.month_action, {"verb": "lock"}, name="lock"),
    path("leave/", views.leave_list, name="leave"),
    path("leave/<int:leave_id>/", views.leave_detail, name="leave_detail"),
    path("leave/<int:leave_id>/approve/", views.leave_action, {"verb": "approve"}, name="leave_approve"),
    path("leave/<int:leave_id>/reject/", views.leave_action, {"verb": "reject"}, name="leave_reject"),
    path("leave/<int:leave_id>/cancel/", views.leave_action, {"verb": "cancel"}, name="leave_cancel"),
    path("leave/<int:leave_id>/certificate/", views.leave_action, {"verb": "certificate"}, name="leave_certificate"),
    path("approvals/", views.approvals, name="approvals"),
    path("corrections/", views.correction_request, name="correction_request"),
    path("corrections/<int:correction_id>/decide/", views.correction_decide, name="correction_decide"),
    path("punches/manual/", views.manual_punch, name="manual_punch"),
    path("punches/import/", views.import_punches, name="import"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("roll-call/", views.roll_call_pick, name="roll_call_pick"),
    path("roll-call/<int:unit_id>/<str:day>/", views.roll_call, name="roll_call"),
    path("roll-call/<int:unit_id>/<str:day>/report/", views.roll_call_report, name="roll_call_report"),
    path("discipline/", views.discipline, name="discipline"),
]
