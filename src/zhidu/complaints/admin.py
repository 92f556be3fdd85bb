"""Configuration of complaint handling in the admin (audited like a service write): routing
settings, categories, territories and routing rules. Registrations themselves are written only
through ``zhidu.complaints.services`` and are not in the admin (they hold customers' personal data)."""

from __future__ import annotations

from django.contrib import admin

from zhidu.core.admin import AuditedModelAdmin

from .models import Category, ComplaintSettings, RouteRule, Territory


@admin.register(ComplaintSettings)
class ComplaintSettingsAdmin(AuditedModelAdmin):
    list_display = ("organization", "branch_customer_service", "order_department", "public_intake_unit",
                    "duplicate_window_days", "public_rate_limit")


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "name_en", "position", "active")
    list_editable = ("position", "active")
    search_fields = ("code", "name")


@admin.register(Territory)
class TerritoryAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "organization", "handling_unit", "county_marketing")
    list_filter = ("organization",)


@admin.register(RouteRule)
class RouteRuleAdmin(AuditedModelAdmin):
    list_display = ("category", "territory", "unit", "organization", "note")
    list_filter = ("organization",)
    search_fields = ("category", "territory")
