from django.contrib import admin
from django.http import HttpRequest

from zhidu.core.admin import AuditedModelAdmin

from .models import Clause, Parameter, ParameterOverride, ParameterValue, Regulation


@admin.register(Regulation)
class RegulationAdmin(AuditedModelAdmin):
    list_display = ("code", "title", "builtin")


class ReadOnlyAdmin(AuditedModelAdmin):
    """Shipped content and dated values: changed by ``zhidu rulebook load`` and the rulebook services
    (which type-check and never rewrite history), not edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Clause)
class ClauseAdmin(ReadOnlyAdmin):
    list_display = ("clause_id", "title", "status", "regulation")
    list_filter = ("status", "regulation")
    search_fields = ("clause_id", "title", "text")


@admin.register(Parameter)
class ParameterAdmin(ReadOnlyAdmin):
    list_display = ("key", "type", "unit", "comparison", "interpretation")
    list_filter = ("interpretation", "type")
    search_fields = ("key", "note")


@admin.register(ParameterValue)
class ParameterValueAdmin(ReadOnlyAdmin):
    list_display = ("parameter", "value", "effective_from", "effective_until", "source", "set_by")
    list_filter = ("source",)


@admin.register(ParameterOverride)
class ParameterOverrideAdmin(ReadOnlyAdmin):
    list_display = ("parameter", "unit", "value", "effective_from", "effective_until", "set_by")
