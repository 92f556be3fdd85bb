"""Read-only admin views: obligations and notifications change only through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Notification, Obligation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "title", "responsible_unit", "responsible_person", "due_at", "provisional", "state",
                    "escalation_level")
    list_filter = ("state", "module", "provisional")
    search_fields = ("kind", "subject_id", "title")
    date_hierarchy = "due_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "recipient", "channel", "event", "status", "address", "read_at")
    list_filter = ("channel", "status", "event")
    exclude = ("args",)
