"""``{% load rulebook %}{% why decision %}``: a stored decision's explanation on a page.

``decision`` is a ``Decision`` or its stored JSON (``Decision.as_dict()``). Shows the one-line
reason, and on demand the rule, clause ids, each parameter read (value, unit, comparison) and the
facts used. ``{{ comparison|comparison_label }}`` and ``{{ unit|unit_label }}`` for other tables.
"""

from __future__ import annotations

from typing import Any

from django import template

from zhidu.rulebook import explain

register = template.Library()


@register.inclusion_tag("rulebook/_why.html")
def why(decision: Any, open: bool = False) -> dict[str, Any]:
    if not decision:
        return {"why": None}
    return {"why": explain.why(decision), "open": open}


@register.filter
def comparison_label(comparison: str | None) -> str:
    return explain.comparison_label(comparison)


@register.filter
def comparison_symbol(comparison: str | None) -> str:
    return explain.comparison_symbol(comparison)


@register.filter
def unit_label(unit: str) -> str:
    return explain.unit_label(unit)


@register.filter
def param_value(value: Any, unit: str = "") -> str:
    return explain.format_value(value, unit)
