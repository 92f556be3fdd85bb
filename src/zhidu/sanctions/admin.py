"""Read-only admin views: the ledger is written only through ``zhidu.sanctions.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import LedgerEntry, PeriodLock


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "person", "unit", "period", "kind", "amount", "grade", "status", "late", "source_module")
    list_filter = ("kind", "status", "period", "source_module")
    search_fields = ("person__name", "source_key")


@admin.register(PeriodLock)
class PeriodLockAdmin(ReadOnlyAdmin):
    list_display = ("unit", "period", "locked_by", "locked_at", "unlocked_by", "unlocked_at")
    list_filter = ("period",)
