"""Decisions: what a rule computed, from which facts and parameter values, per which clauses.

A rule (pure function in some app's ``rules.py``) returns a :class:`Decision`. It is stored as
JSON (``as_dict``) next to the record it decided about and rendered as "why" in pages, the API and
the CLI (``explain``), in the viewer's language: ``reason`` is a message id marked with
``gettext_noop`` where the rule is written, translated only when shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils.translation import gettext

T = TypeVar("T")


def msg(msgid: str, **args: Any) -> dict[str, Any]:
    """A message argument that is itself a message (a label, an obligation's title): stored as its
    message id with its own arguments and translated only when shown (``message_args``)."""
    return {"msgid": msgid, "args": args}


def message_args(args: Mapping[str, Any] | None) -> dict[str, Any]:
    """A message's arguments in the reader's language: a ``msg`` is translated with its own
    arguments, a list is joined with the language's enumeration comma (its items shown the same
    way), anything else is used as stored."""
    return {key: _shown(value) for key, value in (args or {}).items()}


def render(msgid: str, args: Mapping[str, Any] | None = None, *, fallback: str | None = None) -> str:
    """A stored message in the reader's language, with its arguments (``message_args``); a message
    that its arguments do not fit (a catalogue or stored row out of step) is shown as ``fallback``,
    by default its message id."""
    try:
        return gettext(msgid) % message_args(args) if args else gettext(msgid)
    except (KeyError, TypeError, ValueError):
        return msgid if fallback is None else fallback


def _shown(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"msgid", "args"}:
        return render(value["msgid"], value["args"])
    if isinstance(value, list | tuple):
        return gettext("、").join(str(_shown(v)) for v in value)
    return value


@dataclass(frozen=True)
class ParamUse:
    """A parameter value a rule read: key, value, its unit and comparison, and its clauses."""

    key: str
    value: Any
    clauses: tuple[str, ...] = ()
    unit: str = ""
    comparison: str | None = None


@dataclass(frozen=True)
class Decision:
    rule: str
    value: Any
    clauses: tuple[str, ...]
    reason: str = ""
    reason_args: Mapping[str, Any] = field(default_factory=dict)
    params: tuple[ParamUse, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    provisional: bool = False

    def explain(self) -> str:
        """E.g. "P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理"."""
        text = gettext(self.reason) % message_args(self.reason_args) if self.reason else str(self.value)
        prefix = gettext("、").join(self.clauses)
        sep = gettext("：")
        suffix = gettext("（暂定：日历未收录该年份）") if self.provisional else ""
        return f"{prefix}{sep}{text}{suffix}" if prefix else text + suffix

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "value": self.value,
            "clauses": list(self.clauses),
            "reason": self.reason,
            "reason_args": dict(self.reason_args),
            "params": [
                {"key": p.key, "value": p.value, "clauses": list(p.clauses), "unit": p.unit,
                 "comparison": p.comparison}
                for p in self.params
            ],
            "facts": dict(self.facts),
            "provisional": self.provisional,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            rule=data["rule"],
            value=data.get("value"),
            clauses=tuple(data.get("clauses", ())),
            reason=data.get("reason", ""),
            reason_args=dict(data.get("reason_args", {})),
            params=tuple(
                ParamUse(p["key"], p.get("value"), tuple(p.get("clauses", ())), p.get("unit", ""),
                         p.get("comparison"))
                for p in data.get("params", ())
            ),
            facts=dict(data.get("facts", {})),
            provisional=bool(data.get("provisional", False)),
        )


@dataclass(frozen=True)
class RuleInfo:
    id: str
    clauses: tuple[str, ...]
    func: Callable[..., Any]
    doc: str


_RULES: dict[str, RuleInfo] = {}


def rule(rule_id: str, clauses: Iterable[str]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Register a pure rule function with the clause ids it implements."""
    clause_ids = tuple(clauses)

    def register(func: Callable[..., T]) -> Callable[..., T]:
        if rule_id in _RULES and _RULES[rule_id].func is not func:
            raise ValueError(f"rule {rule_id!r} registered twice")
        _RULES[rule_id] = RuleInfo(rule_id, clause_ids, func, (func.__doc__ or "").strip())
        return func

    return register


def registered_rules() -> dict[str, RuleInfo]:
    return dict(_RULES)
