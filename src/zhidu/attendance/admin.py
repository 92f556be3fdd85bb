"""Admin: settings, shifts, rosters and organization leave types are configuration (edited here,
audited); records and results are read-only (written only through ``zhidu.attendance.services``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhidu.core.admin import AuditedModelAdmin

from .models import (
    AttendancePolicy,
    DayResult,
    DutyException,
    ImportBatch,
    LeaveRequest,
    LeaveType,
    MonthClose,
    MonthSummary,
    Punch,
    PunchCorrection,
    RollCall,
    RosterAssignment,
    RosterDay,
    Shift,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AttendancePolicy)
class AttendancePolicyAdmin(AuditedModelAdmin):
    list_display = ("unit", "rules", "full_attendance_bonus")


@admin.register(Shift)
class ShiftAdmin(AuditedModelAdmin):
    list_display = ("unit", "code", "name", "start", "end", "is_default", "active")
    list_filter = ("is_default", "active")


@admin.register(RosterAssignment)
class RosterAssignmentAdmin(AuditedModelAdmin):
    list_display = ("person", "unit", "shift", "valid_from", "valid_until", "pattern", "weekdays")
    search_fields = ("person__name",)


@admin.register(RosterDay)
class RosterDayAdmin(AuditedModelAdmin):
    list_display = ("person", "unit", "date", "shift")
    search_fields = ("person__name",)


@admin.register(LeaveType)
class LeaveTypeAdmin(AuditedModelAdmin):
    list_display = ("organization", "code", "name", "paid", "keeps_bonus", "active")


@admin.register(Punch)
class PunchAdmin(ReadOnlyAdmin):
    list_display = ("person", "unit", "at", "source", "device", "entered_by")
    list_filter = ("source",)
    search_fields = ("person__name", "device")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ("filename", "unit", "fmt", "rows_total", "rows_imported", "rows_duplicate", "rows_bad", "created_at")


@admin.register(PunchCorrection)
class PunchCorrectionAdmin(ReadOnlyAdmin):
    list_display = ("person", "at", "status", "requested_at", "decided_by")
    list_filter = ("status",)


@admin.register(DutyException)
class DutyExceptionAdmin(ReadOnlyAdmin):
    list_display = ("unit", "start", "end", "reason", "recorded_by")
    list_filter = ("reason",)


@admin.register(LeaveRequest)
class LeaveRequestAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "start_date", "end_date", "days", "status")
    list_filter = ("kind", "status")
    search_fields = ("person__name",)


@admin.register(RollCall)
class RollCallAdmin(ReadOnlyAdmin):
    list_display = ("unit", "date", "taken_by", "reported_at")


@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnlyAdmin):
    list_display = ("unit", "period", "rules", "status", "revision", "stale", "ledger_synced", "closed_at")
    list_filter = ("status", "period")


@admin.register(MonthSummary)
class MonthSummaryAdmin(ReadOnlyAdmin):
    list_display = ("person", "period", "late_count", "absent_days", "fines", "deductions", "full_attendance_bonus")
    list_filter = ("period",)
    search_fields = ("person__name",)


@admin.register(DayResult)
class DayResultAdmin(ReadOnlyAdmin):
    list_display = ("person", "date", "status", "late_minutes", "early_minutes", "absent_days")
    list_filter = ("status",)
    search_fields = ("person__name",)
