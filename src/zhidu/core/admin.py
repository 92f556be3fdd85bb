"""Admin base class: every change made through the admin is audited like a service write."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest

from zhidu.audit.services import record
from zhidu.org.access import actor_for_user


class AuditedModelAdmin(admin.ModelAdmin):
    def _actor(self, request: HttpRequest) -> Any:
        return actor_for_user(request.user) or f"admin:{request.user.get_username()}"

    def _unit_id(self, obj: models.Model) -> int | None:
        return getattr(obj, "unit_id", None)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record(self._actor(request), "admin.change" if change else "admin.add", obj,
                   payload={"fields": sorted(form.changed_data)}, unit_id=self._unit_id(obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            record(self._actor(request), "admin.delete", obj, payload={"repr": str(obj)},
                   unit_id=self._unit_id(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                record(self._actor(request), "admin.delete", obj, payload={"repr": str(obj)},
                       unit_id=self._unit_id(obj))
            super().delete_queryset(request, queryset)
