"""Template helpers of the complaint pages."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from ..models import Category

register = template.Library()


@register.simple_tag(takes_context=True)
def category_label(context: template.Context, code: str) -> str:
    """A category's name in the viewer's language (looked up once per page)."""
    names = context.get("_category_names")
    if names is None:
        english = (get_language() or "").startswith("en")
        names = {c.code: (c.name_en if english and c.name_en else c.name) for c in Category.objects.all()}
        context.dicts[0]["_category_names"] = names
    return str(names.get(code, code))
