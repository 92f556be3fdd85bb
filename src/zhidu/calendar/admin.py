"""Admin for the calendar: every save is audited (AuditedModelAdmin), bumps the calendar version and,
after commit, sends ``calendar_changed`` / ``working_hours_changed`` like the services do."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from zhidu.core.admin import AuditedModelAdmin
from zhidu.org.access import actor_for_user
from zhidu.org.models import Person

from . import services
from .models import CalendarDay, CalendarYear, WorkingHours
from .signals import working_hours_changed


def _triple(obj: CalendarDay | None) -> tuple[bool, str, str] | None:
    return None if obj is None else (bool(obj.working), str(obj.kind), obj.name)


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    list_display = ("date", "working", "kind", "name", "source")
    list_filter = ("kind", "working")
    search_fields = ("name", "source")
    date_hierarchy = "date"
    readonly_fields = ("updated_at",)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            old = CalendarDay.objects.filter(pk=obj.pk).first() if change and obj.pk else None
            super().save_model(request, obj, form, change)
            dates = set()
            if old is None or _triple(old) != _triple(obj):
                dates.add(obj.date)
            if old is not None and old.date != obj.date:
                dates.add(old.date)
            services.notify_changed(dates, actor=actor_for_user(request.user))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            day = obj.date
            super().delete_model(request, obj)
            services.notify_changed([day], actor=actor_for_user(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            days = list(queryset.values_list("date", flat=True))
            super().delete_queryset(request, queryset)
            services.notify_changed(days, actor=actor_for_user(request.user))


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedModelAdmin):
    list_display = ("year", "known", "source", "confirmed_by", "confirmed_at")
    list_filter = ("known",)
    readonly_fields = ("confirmed_by", "confirmed_at")

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            old = CalendarYear.objects.filter(pk=obj.pk).first() if change and obj.pk else None
            if obj.known and (old is None or not old.known):
                person = Person.objects.filter(user_id=request.user.pk).first() if request.user.pk else None
                obj.confirmed_by = person
                obj.confirmed_at = timezone.now()
            super().save_model(request, obj, form, change)
            years = set()
            if (old.known if old else False) != obj.known:
                years.add(obj.year)
            if old is not None and old.year != obj.year and old.known:
                years.add(old.year)
            services.notify_changed(years=years, actor=actor_for_user(request.user))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            year, known = obj.year, obj.known
            super().delete_model(request, obj)
            services.notify_changed(years=[year] if known else [], actor=actor_for_user(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            years = list(queryset.filter(known=True).values_list("year", flat=True))
            super().delete_queryset(request, queryset)
            services.notify_changed(years=years, actor=actor_for_user(request.user))


@admin.register(WorkingHours)
class WorkingHoursAdmin(AuditedModelAdmin):
    list_display = ("unit", "day_start", "day_end", "break_start", "break_end")
    autocomplete_fields = ("unit",)

    def _changed(self, unit_ids: list[int]) -> None:
        services._bump()
        transaction.on_commit(lambda: working_hours_changed.send(sender=WorkingHours, units=unit_ids))

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            old_unit = WorkingHours.objects.filter(pk=obj.pk).values_list("unit_id", flat=True).first() if change else None
            super().save_model(request, obj, form, change)
            self._changed(sorted({obj.unit_id} | ({old_unit} if old_unit else set())))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            unit_id = obj.unit_id
            super().delete_model(request, obj)
            self._changed([unit_id])

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            unit_ids = list(queryset.values_list("unit_id", flat=True))
            super().delete_queryset(request, queryset)
            self._changed(unit_ids)
