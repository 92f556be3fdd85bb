from django.urls import path

from . import views

app_name = "rulebook"

urlpatterns = [
    path("", views.index, name="index"),
    path("clauses/<str:clause_id>/", views.clause, name="clause"),
]
