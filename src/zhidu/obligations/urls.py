from django.urls import path

from . import views

app_name = "obligations"

urlpatterns = [
    path("<int:obligation_id>/", views.detail, name="detail"),
    path("<int:obligation_id>/meet/", views.meet, name="meet"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/export.xlsx", views.compliance_export, name="compliance_export"),
    path("notifications/", views.notifications, name="notifications"),
]
