from django.urls import path

from . import views

app_name = "calendar"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>.ics", views.export_ics, name="export_ics"),
    path("<int:year>.csv", views.export_csv, name="export_csv"),
]
