"""The rulebook linter (pure: no ORM, no clock — the date and the values in force are given).

It reports, for one date:

* **errors** — the files do not validate (each problem names the file and the key); a conflict
  or overlap with no resolving parameter, or whose resolving parameter has no value in force
  (an ambiguity with no resolving parameter is a warning: some are notes); two threshold
  parameters on the same ``quantity`` that overlap (e.g. ``le 3`` and ``ge 3`` days both cover
  exactly 3) without a ``conflicts`` entry that declares it (listing both in ``parameters``, or
  with no ``parameters`` and clauses naming both);
* **warnings** — undeclared thresholds of the same clause that leave a gap (``lt 3`` and ``gt 3``:
  exactly 3 is covered by neither); rules citing unknown clauses; enforced clauses with no registered rule;
  problems the caller found in the database (passed in as ``extra``);
* **info** — each declared conflict / overlap / ambiguity with the parameter that resolves it and
  its value in force (and, for listed threshold parameters, where they overlap with the values in
  force); each parameter marked ``interpretation: true`` with its value in force.

``zhidu rulebook lint`` exits non-zero only when there are errors.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import get_language, gettext

from .decision import RuleInfo
from .explain import comparison_symbol, format_value, unit_label
from .params import Param, ParamSet, Rulebook, RulebookError, load_rulebook, to_json

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    severity: str                     # error · warning · info
    kind: str                         # validation · conflict · overlap · ambiguity · interpretation · threshold · rule · database
    subject: str                      # conflict id, parameter key, file …
    message: str
    clauses: tuple[str, ...] = ()
    parameter: str | None = None
    value: Any = None
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "kind": self.kind, "subject": self.subject, "message": self.message,
                "clauses": list(self.clauses), "parameter": self.parameter, "value": to_json(self.value),
                "source": self.source}

    def __str__(self) -> str:
        clauses = f" {gettext('、').join(self.clauses)}" if self.clauses else ""
        return f"{self.severity.upper():7} [{self.kind}] {self.subject}{clauses}: {self.message}"


@dataclass
class LintReport:
    on: dt.date
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def of_kind(self, *kinds: str) -> list[Finding]:
        return [f for f in self.findings if f.kind in kinds]

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "ok": self.ok, "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.as_dict() for f in self.findings]}


# ---------------------------------------------------------------------------------------------
# Thresholds as half-lines on the number line
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Relation:
    """How a lower-bound threshold (gt/ge) and an upper-bound one (lt/le) meet."""

    kind: str          # overlap · gap · partition
    low: Decimal
    high: Decimal

    @property
    def point(self) -> bool:
        return self.low == self.high


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        return None
    return Decimal(str(value))


def relation(a: Param, b: Param) -> Relation | None:
    """None unless one of ``a``/``b`` bounds from below (gt, ge) and the other from above (lt, le)."""
    lower, upper = (a, b) if a.comparison in ("gt", "ge") else (b, a)
    if lower.comparison not in ("gt", "ge") or upper.comparison not in ("lt", "le"):
        return None
    lo, hi = _number(lower.value), _number(upper.value)
    if lo is None or hi is None:
        return None
    lo_incl, hi_incl = lower.comparison == "ge", upper.comparison == "le"
    if lo < hi:
        return Relation("overlap", lo, hi)
    if lo > hi:
        return Relation("gap", hi, lo)
    if lo_incl and hi_incl:
        return Relation("overlap", lo, hi)
    if not lo_incl and not hi_incl:
        return Relation("gap", lo, hi)
    return Relation("partition", lo, hi)


def _threshold_text(p: Param) -> str:
    return f"{p.key} {comparison_symbol(p.comparison)} {format_value(p.value, p.unit)}"


def describe_relation(a: Param, b: Param, rel: Relation) -> str:
    unit = unit_label(a.unit)
    args = {"a": _threshold_text(a), "b": _threshold_text(b), "low": rel.low, "high": rel.high,
            "unit": f" {unit}" if unit and unit != "%" else unit}
    if rel.kind == "overlap" and rel.point:
        return gettext("%(a)s 与 %(b)s 在恰好 %(low)s%(unit)s时同时适用（重叠）") % args
    if rel.kind == "overlap":
        return gettext("%(a)s 与 %(b)s 在 %(low)s–%(high)s%(unit)s之间同时适用（重叠）") % args
    if rel.kind == "gap" and rel.point:
        return gettext("%(a)s 与 %(b)s 在恰好 %(low)s%(unit)s时都不适用（空缺）") % args
    if rel.kind == "gap":
        return gettext("%(a)s 与 %(b)s 在 %(low)s 与 %(high)s%(unit)s之间都不适用（空缺）") % args
    return gettext("%(a)s 与 %(b)s 在 %(low)s%(unit)s处衔接，无重叠") % args


# ---------------------------------------------------------------------------------------------
# The linter
# ---------------------------------------------------------------------------------------------

def _description(conflict: Any) -> str:
    lang = get_language() or ""
    if lang.startswith("en") and conflict.description_en:
        return str(conflict.description_en)
    return str(conflict.description)


def lint(book: Rulebook, on: dt.date, params: ParamSet | None = None, *,
         rules: Mapping[str, RuleInfo] | None = None, extra: Iterable[Finding] = ()) -> LintReport:
    """Lint a validated rulebook with the values in force on ``on`` (default: the shipped ones)."""
    params = params if params is not None else book.params_on(on)
    report = LintReport(on)
    add = report.findings.append

    # Declared conflicts, overlaps and ambiguities, with the parameter that resolves each.
    declared_pairs: set[frozenset[str]] = set()
    for c in book.conflicts:
        message = _description(c)
        severity = "info"
        value = None
        if not c.resolved_by:
            # A contradiction or overlap must be settled by a parameter; an ambiguity may be a note.
            severity = "warning" if c.kind == "ambiguity" else "error"
            message += " " + gettext("——没有指定解决它的参数（resolved_by）。")
        elif c.resolved_by not in params:
            severity = "error"
            message += " " + gettext("——解决它的参数 %(key)s 在 %(on)s 没有现行值。") % {"key": c.resolved_by, "on": on}
        else:
            value = params[c.resolved_by].value
            message += " " + gettext("——由参数 %(key)s 决定，现行值：%(value)s。") % {
                "key": c.resolved_by, "value": format_value(value, params[c.resolved_by].unit)}
        for a_key, b_key in itertools.combinations(c.parameters, 2):
            declared_pairs.add(frozenset((a_key, b_key)))
            if a_key in params and b_key in params:
                rel = relation(params[a_key], params[b_key])
                if rel is not None:
                    message += " " + describe_relation(params[a_key], params[b_key], rel) + "。"
                    if c.kind == "overlap" and rel.kind != "overlap":
                        message += " " + gettext("按现行值已不重叠。")
        add(Finding(severity, c.kind, c.id, message, c.clauses, c.resolved_by, value, c.source))

    # Each stated interpretation, with its value in force.
    for key, pdef in book.params.items():
        if not pdef.interpretation:
            continue
        if key not in params:
            add(Finding("error", "interpretation", key, gettext("在 %(on)s 没有现行值。") % {"on": on}, pdef.clauses,
                        key, None, pdef.source))
            continue
        p = params[key]
        text = gettext("现行值：%(value)s。") % {"value": format_value(p.value, p.unit)}
        if pdef.note:
            text += " " + pdef.note
        add(Finding("info", "interpretation", key, text, pdef.clauses, key, p.value, pdef.source))

    # Thresholds on the same quantity: overlaps (error unless declared) and gaps within a clause.
    by_quantity: dict[str, list[str]] = {}
    for key, pdef in book.params.items():
        if pdef.quantity and pdef.comparison and key in params:
            by_quantity.setdefault(pdef.quantity, []).append(key)
    for quantity, keys in sorted(by_quantity.items()):
        for a_key, b_key in itertools.combinations(sorted(keys), 2):
            a, b = params[a_key], params[b_key]
            rel = relation(a, b)
            if rel is None or rel.kind == "partition":
                continue
            a_def, b_def = book.params[a_key], book.params[b_key]
            clauses = tuple(dict.fromkeys(a_def.clauses + b_def.clauses))
            text = describe_relation(a, b, rel)
            declared = frozenset((a_key, b_key)) in declared_pairs or any(
                not c.parameters and set(a_def.clauses) & set(c.clauses) and set(b_def.clauses) & set(c.clauses)
                for c in book.conflicts)
            if declared:
                continue  # reported with its conflicts entry above
            if rel.kind == "overlap":
                add(Finding("error", "threshold", quantity,
                            text + gettext("；规则库没有声明这一重叠（conflicts）。"), clauses, a_key, None, a_def.source))
            elif set(a_def.clauses) & set(b_def.clauses):
                add(Finding("warning", "threshold", quantity, text + "。", clauses, a_key, None, a_def.source))

    if rules is not None:
        for rid, info in sorted(rules.items()):
            unknown = [c for c in info.clauses if c not in book.clauses]
            if unknown or not info.clauses:
                add(Finding("warning", "rule", rid, gettext("规则引用了规则库中没有的条款：%(ids)s") % {
                    "ids": gettext("、").join(unknown) or "—"}, tuple(unknown)))
        cited = {c for info in rules.values() for c in info.clauses}
        for cid, clause in book.clauses.items():
            if clause.status == "enforced" and cid not in cited:
                add(Finding("warning", "rule", cid, gettext("标为“系统执行”，但没有注册规则。"), (cid,),
                            source=f"{clause.regulation}.yaml"))

    report.findings += list(extra)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    report.findings.sort(key=lambda f: order[f.severity])
    return report


def lint_files(on: dt.date, directory: Path | None = None, files: list[Path] | None = None, *,
               rules: Mapping[str, RuleInfo] | None = None) -> LintReport:
    """Load and lint YAML files; validation problems are errors naming the file and the key."""
    try:
        book = load_rulebook(directory, files)
    except RulebookError as exc:
        report = LintReport(on)
        for problem in exc.problems:
            source, _sep, rest = problem.partition(": ")
            report.findings.append(Finding("error", "validation", source, rest or problem, source=source))
        return report
    return lint(book, on, rules=rules)
