from django.urls import path

from . import views

app_name = "sanctions"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("actions/<int:entry_id>/confirm/", views.decide, {"verb": "confirm"}, name="confirm"),
    path("actions/<int:entry_id>/reject/", views.decide, {"verb": "reject"}, name="reject"),
    path("statements/<int:person_id>/<str:period>/", views.statement, name="statement"),
    path("units/", views.unit_pick, name="unit_pick"),
    path("units/<int:unit_id>/<str:period>/", views.unit, name="unit"),
    path("units/<int:unit_id>/<str:period>/lock/", views.lock, {"verb": "lock"}, name="lock"),
    path("units/<int:unit_id>/<str:period>/unlock/", views.lock, {"verb": "unlock"}, name="unlock"),
]
