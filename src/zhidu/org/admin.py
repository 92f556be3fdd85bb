from __future__ import annotations

from typing import Any

from django.contrib import admin

from zhidu.core.admin import AuditedModelAdmin

from .models import Adoption, Employment, Organization, OrgUnit, Person, RoleAssignment


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin):
    list_display = ("code", "name")


class AdoptionInline(admin.TabularInline):
    model = Adoption
    extra = 0


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "kind", "organization", "parent")
    list_filter = ("kind", "organization")
    search_fields = ("name", "code")
    inlines = [AdoptionInline]

    def _unit_id(self, obj: Any) -> int | None:
        return obj.pk

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        prefix = obj.parent.path if obj.parent_id else ""
        path = f"{prefix}{obj.pk:08d}/"
        if obj.path != path:
            OrgUnit.objects.filter(pk=obj.pk).update(path=path)


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin):
    list_display = ("name", "gender", "organization", "user")
    search_fields = ("name",)
    exclude = ("id_number",)


@admin.register(Employment)
class EmploymentAdmin(AuditedModelAdmin):
    list_display = ("person", "unit", "position", "rank", "hired_on", "ended_on")
    list_filter = ("rank",)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedModelAdmin):
    list_display = ("person", "role", "unit", "valid_from", "valid_until")
    list_filter = ("role",)
