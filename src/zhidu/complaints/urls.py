from django.urls import path

from . import views, views_stats

app_name = "complaints"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.intake, name="new"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("queue/", views.queue, name="queue"),
    path("investigations/", views.investigations, name="investigations"),
    path("plans/<int:plan_id>/done/", views.plan_done, name="plan_done"),
    path("spot-checks/", views.spot_checks, name="spot_checks"),
    path("spot-checks/<int:check_id>/", views.spot_check, name="spot_check"),
    path("stats/", views_stats.statistics, name="stats"),
    path("stats.xlsx", views_stats.statistics_xlsx, name="stats_xlsx"),
    path("stats/report/", views_stats.monthly_report, name="stats_report"),
    path("<int:complaint_id>/form.pdf", views_stats.registration_pdf, name="form_pdf"),
    path("public/", views.public_form, name="public"),
    path("public/track/", views.public_track, name="track"),
    path("<int:complaint_id>/", views.detail, name="detail"),
    path("<int:complaint_id>/do/<slug:action>/", views.act, name="act"),
    path("<int:complaint_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
