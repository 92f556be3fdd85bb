"""Rendering a decision's "why" — the same content for pages, the API and the CLI.

``Decision.explain()`` gives the one-line reason ("P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理");
``why(decision)`` the whole explanation (rule, clause ids, each parameter read with its value,
unit and comparison, the facts used) as plain data; ``format_decision`` renders it for a terminal.
Pages use ``{% load rulebook %}{% why decision %}``, the API ``zhidu.rulebook.schemas.DecisionOut``.
Pure: no ORM, no clock; text is translated into the active language when rendered.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, gettext_noop

from .decision import Decision, ParamUse

# Counting conventions: 超过 excludes, 以上 includes, 不满 excludes, 以下/以内 include.
COMPARISONS: dict[str, tuple[str, str]] = {
    "gt": (">", gettext_noop("超过")),
    "ge": ("≥", gettext_noop("以上（含本数）")),
    "lt": ("<", gettext_noop("不满")),
    "le": ("≤", gettext_noop("以下（含本数）")),
}

UNITS: dict[str, str] = {
    "minute": gettext_noop("分钟"),
    "hour": gettext_noop("小时"),
    "working_hour": gettext_noop("工作小时"),
    "day": gettext_noop("天"),
    "working_day": gettext_noop("个工作日"),
    "week": gettext_noop("周"),
    "month": gettext_noop("个月"),
    "year": gettext_noop("年"),
    "yuan": gettext_noop("元"),
    "percent": "%",
    "times": gettext_noop("次"),
    "person": gettext_noop("人"),
    "instance": gettext_noop("次"),
    "absence": gettext_noop("次缺席"),
    "leave": gettext_noop("次请假"),
    "followup": gettext_noop("次随访"),
    "record": gettext_noop("件"),
    "photo": gettext_noop("张"),
    "ratio": "",
    "time": "",
    "date": "",
}


def unit_label(unit: str) -> str:
    """A parameter's unit of measure for display ("minute" → "分钟"); unknown units as given."""
    if unit in UNITS:
        return gettext(UNITS[unit]) if UNITS[unit] and UNITS[unit] != "%" else UNITS[unit]
    return unit


def comparison_symbol(comparison: str | None) -> str:
    return COMPARISONS[comparison][0] if comparison in COMPARISONS else ""


def comparison_label(comparison: str | None) -> str:
    """"超过 (>)" …, in the active language; empty for a parameter that is not a threshold."""
    if comparison not in COMPARISONS:
        return ""
    symbol, word = COMPARISONS[comparison]
    return f"{gettext(word)} ({symbol})"


def format_value(value: Any, unit: str = "") -> str:
    if isinstance(value, bool):
        text = gettext("是") if value else gettext("否")
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    elif value is None:
        text = "—"
    elif isinstance(value, dt.time):
        text = value.strftime("%H:%M")
    else:
        text = str(value)
    label = unit_label(unit)
    if not label:
        return text
    return f"{text}{label}" if label == "%" else f"{text} {label}"


@dataclass(frozen=True)
class ParamLine:
    key: str
    value: Any
    value_text: str
    unit: str
    unit_label: str
    comparison: str | None
    comparison_label: str
    clauses: tuple[str, ...]

    def __str__(self) -> str:
        cmp = f"（{self.comparison_label}）" if self.comparison_label else ""
        clauses = f" [{gettext('、').join(self.clauses)}]" if self.clauses else ""
        return f"{self.key} = {self.value_text}{cmp}{clauses}"


@dataclass(frozen=True)
class Why:
    """A decision's explanation as plain data (what the template, API and CLI show)."""

    explanation: str
    rule: str
    value: Any
    clauses: tuple[str, ...]
    params: tuple[ParamLine, ...]
    facts: tuple[tuple[str, Any], ...]
    provisional: bool


def as_decision(decision: Decision | Mapping[str, Any]) -> Decision:
    """A Decision, or one stored as JSON (``Decision.as_dict()``)."""
    return decision if isinstance(decision, Decision) else Decision.from_dict(decision)


def param_line(p: ParamUse) -> ParamLine:
    return ParamLine(p.key, p.value, format_value(p.value, p.unit), p.unit, unit_label(p.unit), p.comparison,
                     comparison_label(p.comparison), tuple(p.clauses))


def why(decision: Decision | Mapping[str, Any]) -> Why:
    d = as_decision(decision)
    return Why(
        explanation=d.explain(),
        rule=d.rule,
        value=d.value,
        clauses=tuple(d.clauses),
        params=tuple(param_line(p) for p in d.params),
        facts=tuple(sorted(d.facts.items())),
        provisional=d.provisional,
    )


def _fact_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def format_decision(decision: Decision | Mapping[str, Any]) -> str:
    """A decision for a terminal: the reason line, then rule, clauses, parameters read and facts."""
    w = why(decision)
    lines = [w.explanation,
             f"  {gettext('规则')}: {w.rule}",
             f"  {gettext('条款')}: {gettext('、').join(w.clauses) or '—'}"]
    if w.params:
        lines.append(f"  {gettext('参数')}:")
        lines += [f"    {p}" for p in w.params]
    if w.facts:
        lines.append(f"  {gettext('事实')}:")
        lines += [f"    {k} = {_fact_text(v)}" for k, v in w.facts]
    if w.provisional:
        lines.append(f"  {gettext('暂定：日历未收录该年份，结果待确认。')}")
    return "\n".join(lines)
