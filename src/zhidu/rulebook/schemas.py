"""API schemas of the rulebook, for every module's endpoints to reuse.

A module returning a stored decision declares ``why: DecisionOut`` in its response schema and
fills it with ``decision_out(decision)`` (a ``Decision`` or its stored JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ninja import Schema

from .decision import Decision, message_args
from .explain import why


class ParamUseOut(Schema):
    key: str
    value: Any
    unit: str
    comparison: str | None
    comparison_label: str
    clauses: list[str]


class DecisionOut(Schema):
    """A rule's decision with its "why": the rule, clause ids, parameter values read and facts."""

    rule: str
    value: Any
    clauses: list[str]
    explanation: str
    reason: str
    reason_args: dict[str, Any]
    params: list[ParamUseOut]
    facts: dict[str, Any]
    provisional: bool


def decision_out(decision: Decision | Mapping[str, Any]) -> dict[str, Any]:
    """The ``DecisionOut`` payload of a decision (explanation in the active language)."""
    w = why(decision)
    data = decision.as_dict() if isinstance(decision, Decision) else dict(decision)
    return {
        "rule": w.rule,
        "value": data.get("value"),
        "clauses": list(w.clauses),
        "explanation": w.explanation,
        "reason": data.get("reason", ""),
        "reason_args": message_args(data.get("reason_args")),   # in the active language, as strings
        "params": [{"key": p.key, "value": p.value, "unit": p.unit, "comparison": p.comparison,
                    "comparison_label": p.comparison_label, "clauses": list(p.clauses)} for p in w.params],
        "facts": dict(data.get("facts", {})),
        "provisional": w.provisional,
    }
