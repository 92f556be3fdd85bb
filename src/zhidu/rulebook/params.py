"""Parameters as pure rules see them, and the shipped YAML rulebook they come from.

No ORM here: ``load_rulebook`` reads YAML files into plain dataclasses and validates them; the
database copy (with organizations' changes and unit overrides) resolves to the same ``ParamSet``.

YAML format, one file per regulation (``default/P7.yaml``)::

    code: P7
    title: 酒店考勤
    title_en: Hotel attendance
    clauses:
      - id: P7.4
        title: 迟到早退超过 30 分钟按旷工半天
        title_en: Late or early by more than 30 minutes is half a day of absenteeism
        status: enforced            # enforced | recorded | declared
        text: 未经主管同意，迟到或早退超过30分钟者，按旷工半天处理。
    parameters:
      - key: p7.late_half_day_minutes
        clauses: [P7.4]
        type: int                   # int | decimal | bool | str | choice | time | date | list
        value: 30
        unit: minute                # free text: minute, hour, day, working_day, yuan, percent, …
        comparison: gt              # thresholds only: gt 超过 · ge 以上 · lt 不满 · le 以下/以内
        note: 超过 excludes the number (counting conventions)
        interpretation: true        # a stated interpretation an organization may change
        choices: [a, b]             # type choice only
        quantity: late_minutes      # optional: thresholds on the same quantity share a name, so the
                                    # linter can find overlaps/gaps between them (e.g. ≤ 3 vs ≥ 3 days)
        versions:                   # optional dated values; the top-level value applies otherwise
          - {value: 30, effective_from: 2000-01-01, effective_until: 2026-12-31}
    conflicts:
      - id: P7.3-vs-P7.12
        kind: conflict              # conflict | overlap | ambiguity
        clauses: [P7.3, P7.12]
        description: …
        description_en: …
        resolved_by: p7.dismissal_basis
        parameters: [p7.a, p7.b]    # optional: the threshold parameters that overlap or conflict
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .decision import ParamUse

DEFAULT_DIR = Path(__file__).resolve().parent / "default"
STATUSES = ("enforced", "recorded", "declared")
COMPARISONS = ("gt", "ge", "lt", "le")
TYPES = ("int", "decimal", "bool", "str", "choice", "time", "date", "list")
CONFLICT_KINDS = ("conflict", "overlap", "ambiguity")
EARLIEST = dt.date(1900, 1, 1)


class RulebookError(ValueError):
    """Every problem found, each naming the file and the key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Clause:
    id: str
    regulation: str
    title: str
    title_en: str
    status: str
    text: str


@dataclass(frozen=True)
class ParamVersion:
    value: Any
    effective_from: dt.date
    effective_until: dt.date | None

    def applies(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_until is None or on <= self.effective_until)


@dataclass(frozen=True)
class ParamDef:
    key: str
    type: str
    clauses: tuple[str, ...]
    versions: tuple[ParamVersion, ...]
    unit: str = ""
    comparison: str | None = None
    note: str = ""
    interpretation: bool = False
    choices: tuple[str, ...] = ()
    source: str = ""
    quantity: str = ""

    def value_on(self, on: dt.date) -> Any:
        for version in self.versions:
            if version.applies(on):
                return version.value
        raise KeyError(f"{self.key}: no value in force on {on.isoformat()}")


@dataclass(frozen=True)
class Conflict:
    id: str
    kind: str
    clauses: tuple[str, ...]
    description: str
    description_en: str = ""
    resolved_by: str | None = None
    source: str = ""
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Param:
    """One parameter value in force, as a rule reads it."""

    key: str
    value: Any
    clauses: tuple[str, ...] = ()
    unit: str = ""
    comparison: str | None = None

    def use(self) -> ParamUse:
        return ParamUse(self.key, _jsonable(self.value), self.clauses, self.unit, self.comparison)

    def holds(self, x: Any) -> bool:
        """Does ``x`` meet this threshold? gt: x > value (超过) · ge: x ≥ value (以上) ·
        lt: x < value (不满) · le: x ≤ value (以下 / 以内)."""
        if self.comparison is None:
            raise ValueError(f"{self.key} is not a threshold (no comparison)")
        v = self.value
        return {"gt": x > v, "ge": x >= v, "lt": x < v, "le": x <= v}[self.comparison]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


class ParamSet(Mapping[str, Param]):
    """Parameters in force for one unit on one date. ``uses()`` lists what was read, for traces."""

    def __init__(self, params: Mapping[str, Param], on: dt.date | None = None) -> None:
        self._params = dict(params)
        self.on = on

    def __getitem__(self, key: str) -> Param:
        try:
            return self._params[key]
        except KeyError:
            raise KeyError(f"parameter {key!r} is not in the rulebook") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def value(self, key: str) -> Any:
        return self[key].value

    def with_overrides(self, values: Mapping[str, Any]) -> ParamSet:
        """A copy with some values replaced (a unit's overrides, or a test's)."""
        merged = dict(self._params)
        for key, value in values.items():
            base = self[key]
            merged[key] = Param(key, value, base.clauses, base.unit, base.comparison)
        return ParamSet(merged, self.on)


@dataclass
class Rulebook:
    regulations: dict[str, dict[str, str]] = field(default_factory=dict)
    clauses: dict[str, Clause] = field(default_factory=dict)
    params: dict[str, ParamDef] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)

    def params_on(self, on: dt.date) -> ParamSet:
        resolved = {}
        for key, p in self.params.items():
            try:
                value = p.value_on(on)
            except KeyError:
                continue
            resolved[key] = Param(key, value, p.clauses, p.unit, p.comparison)
        return ParamSet(resolved, on)


def _parse_value(ptype: str, raw: Any, choices: tuple[str, ...]) -> Any:
    if ptype == "int":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"expected an integer, got {raw!r}")
        return raw
    if ptype == "decimal":
        if isinstance(raw, bool):
            raise ValueError(f"expected a number, got {raw!r}")
        try:
            return Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"expected a number, got {raw!r}") from None
    if ptype == "bool":
        if not isinstance(raw, bool):
            raise ValueError(f"expected true or false, got {raw!r}")
        return raw
    if ptype == "str":
        if not isinstance(raw, str):
            raise ValueError(f"expected text, got {raw!r}")
        return raw
    if ptype == "choice":
        if raw not in choices:
            raise ValueError(f"expected one of {list(choices)}, got {raw!r}")
        return raw
    if ptype == "time":
        try:
            return dt.time.fromisoformat(str(raw))
        except ValueError:
            raise ValueError(f"expected a time HH:MM, got {raw!r}") from None
    if ptype == "date":
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {raw!r}") from None
    if ptype == "list":
        if not isinstance(raw, list):
            raise ValueError(f"expected a list, got {raw!r}")
        return tuple(raw)
    raise ValueError(f"unknown type {ptype!r}")


def parse_value(ptype: str, raw: Any, choices: tuple[str, ...] = ()) -> Any:
    """A stored or typed-in value as the parameter's type (``ValueError`` saying what was expected)."""
    return _parse_value(ptype, raw, choices)


def to_json(value: Any) -> Any:
    """A typed value as JSON (Decimal → str, date/time → ISO text, tuple → list)."""
    return _jsonable(value)


def _date(raw: Any, default: dt.date | None) -> dt.date | None:
    if raw is None:
        return default
    if isinstance(raw, dt.date):
        return raw
    return dt.date.fromisoformat(str(raw))


#: libyaml's safe loader when PyYAML was built with it (the shipped files parse ~6× faster: every
#: worker process loads them at its first request), else the pure-Python one: the same documents.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rulebook(directory: Path | None = None, files: list[Path] | None = None) -> Rulebook:
    """Read and validate YAML rulebook files; raise ``RulebookError`` listing every problem."""
    paths = files if files is not None else sorted((directory or DEFAULT_DIR).glob("*.yaml"))
    book = Rulebook()
    problems: list[str] = []
    pending_params: list[tuple[str, dict[str, Any]]] = []
    pending_conflicts: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        name = path.name
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER) or {}  # noqa: S506 (safe loader)
        except yaml.YAMLError as exc:
            problems.append(f"{name}: not valid YAML: {exc}")
            continue
        code = doc.get("code")
        if not isinstance(code, str) or not code:
            problems.append(f"{name}: code: missing")
            continue
        if code in book.regulations:
            problems.append(f"{name}: code: {code} is defined twice")
            continue
        book.regulations[code] = {"title": str(doc.get("title", "")), "title_en": str(doc.get("title_en", "")),
                                  "source": name}
        for i, raw in enumerate(doc.get("clauses") or []):
            cid = raw.get("id") if isinstance(raw, dict) else None
            where = f"{name}: clauses[{i}]"
            if not isinstance(cid, str) or not (cid == code or cid.startswith(code + ".")):
                problems.append(f"{where}.id: {cid!r} is not a clause id of {code}")
                continue
            if cid in book.clauses:
                problems.append(f"{where}.id: {cid} is defined twice")
                continue
            status = raw.get("status")
            if status not in STATUSES:
                problems.append(f"{where} ({cid}).status: {status!r} is not one of {list(STATUSES)}")
                continue
            book.clauses[cid] = Clause(cid, code, str(raw.get("title", "")), str(raw.get("title_en", "")),
                                       status, str(raw.get("text", "")))
        pending_params += [(name, p) for p in doc.get("parameters") or []]
        pending_conflicts += [(name, c) for c in doc.get("conflicts") or []]

    for name, raw in pending_params:
        key = raw.get("key") if isinstance(raw, dict) else None
        where = f"{name}: parameters.{key}"
        if not isinstance(key, str) or not key:
            problems.append(f"{name}: parameters: an entry has no key")
            continue
        if key in book.params:
            problems.append(f"{where}: defined twice")
            continue
        ptype = raw.get("type")
        if ptype not in TYPES:
            problems.append(f"{where}.type: {ptype!r} is not one of {list(TYPES)}")
            continue
        clauses = tuple(raw.get("clauses") or ())
        unknown = [c for c in clauses if c not in book.clauses]
        if not clauses or unknown:
            problems.append(f"{where}.clauses: {'unknown clause ids ' + str(unknown) if unknown else 'missing'}")
            continue
        comparison = raw.get("comparison")
        if comparison is not None and comparison not in COMPARISONS:
            problems.append(f"{where}.comparison: {comparison!r} is not one of {list(COMPARISONS)}")
            continue
        choices = tuple(str(c) for c in raw.get("choices") or ())
        versions = []
        raw_versions = raw.get("versions") or [{"value": raw.get("value", None)}]
        if "value" not in raw and not raw.get("versions"):
            problems.append(f"{where}.value: missing")
            continue
        ok = True
        for j, rv in enumerate(raw_versions):
            try:
                value = _parse_value(ptype, rv.get("value"), choices)
                start = _date(rv.get("effective_from"), EARLIEST)
                end = _date(rv.get("effective_until"), None)
            except (ValueError, TypeError) as exc:
                problems.append(f"{where}.versions[{j}]: {exc}" if raw.get("versions") else f"{where}.value: {exc}")
                ok = False
                continue
            assert start is not None
            if end is not None and end < start:
                problems.append(f"{where}.versions[{j}]: effective_until is before effective_from")
                ok = False
            versions.append(ParamVersion(value, start, end))
        versions.sort(key=lambda v: v.effective_from)
        for a, b in itertools.pairwise(versions):
            if a.effective_until is None or a.effective_until >= b.effective_from:
                problems.append(f"{where}.versions: periods overlap ({a.effective_from} and {b.effective_from})")
                ok = False
        if not ok:
            continue
        book.params[key] = ParamDef(
            key=key, type=ptype, clauses=clauses, versions=tuple(versions), unit=str(raw.get("unit", "")),
            comparison=comparison, note=str(raw.get("note", "")), interpretation=bool(raw.get("interpretation")),
            choices=choices, source=name, quantity=str(raw.get("quantity") or ""),
        )

    for name, raw in pending_conflicts:
        cid = raw.get("id", "?")
        where = f"{name}: conflicts.{cid}"
        kind = raw.get("kind")
        clauses = tuple(raw.get("clauses") or ())
        unknown = [c for c in clauses if c not in book.clauses]
        if kind not in CONFLICT_KINDS:
            problems.append(f"{where}.kind: {kind!r} is not one of {list(CONFLICT_KINDS)}")
        elif unknown or not clauses:
            detail = f"unknown clause ids {unknown}" if unknown else "missing"
            problems.append(f"{where}.clauses: {detail}")
        elif raw.get("resolved_by") and raw["resolved_by"] not in book.params:
            problems.append(f"{where}.resolved_by: unknown parameter {raw['resolved_by']!r}")
        elif [k for k in raw.get("parameters") or () if k not in book.params]:
            missing = [k for k in raw.get("parameters") or () if k not in book.params]
            problems.append(f"{where}.parameters: unknown parameters {missing}")
        else:
            book.conflicts.append(Conflict(str(cid), kind, clauses, str(raw.get("description", "")),
                                           str(raw.get("description_en", "")), raw.get("resolved_by"), name,
                                           tuple(raw.get("parameters") or ())))
    if problems:
        raise RulebookError(problems)
    return book


_DEFAULT: Rulebook | None = None


def default_rulebook() -> Rulebook:
    """The shipped rulebook (validated once per process)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_rulebook()
    return _DEFAULT


def default_params(on: dt.date) -> ParamSet:
    return default_rulebook().params_on(on)
