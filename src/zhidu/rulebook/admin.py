from django.contrib import admin

from zhidu.core.admin import AuditedModelAdmin

from .models import Regulation


@admin.register(Regulation)
class RegulationAdmin(AuditedModelAdmin):
    list_display = ("code", "title", "builtin")
