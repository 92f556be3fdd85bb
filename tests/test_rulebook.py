"""The rulebook machinery: loading and validation, dated values and overrides, explanations,
the linter, the CLI, the API and the pages."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from zhidu.audit.models import AuditEvent
from zhidu.core.errors import PermissionDeniedError, ValidationFailed
from zhidu.org.access import SYSTEM
from zhidu.rulebook import selectors, services
from zhidu.rulebook.decision import Decision, ParamUse
from zhidu.rulebook.explain import format_decision
from zhidu.rulebook.lint import lint, lint_files
from zhidu.rulebook.models import Clause, Parameter, ParameterOverride, ParameterValue
from zhidu.rulebook.params import Param, ParamSet, ParamVersion, RulebookError, default_rulebook, load_rulebook
from zhidu.rulebook.schemas import decision_out

D2026 = dt.date(2026, 6, 1)
D2027 = dt.date(2027, 1, 1)

MINI = """\
code: P90
title: 测试规章
title_en: Test regulation
clauses:
  - {id: P90.1, title: 迟到, status: enforced, text: 迟到超过30分钟按旷工半天。}
  - {id: P90.2, title: 部门经理审批, status: enforced, text: 3天内由部门经理批准。}
  - {id: P90.3, title: 总经理审批, status: enforced, text: 3天以上由总经理批准。}
  - {id: P90.4, title: 公示, status: declared, text: 保持良好心态。}
parameters:
  - {key: p90.late_minutes, clauses: [P90.1], type: int, value: 30, unit: minute, comparison: gt}
  - {key: p90.manager_max_days, clauses: [P90.2], type: int, value: 3, unit: day, comparison: le, quantity: leave_days}
  - {key: p90.gm_min_days, clauses: [P90.3], type: int, value: 3, unit: day, comparison: ge, quantity: leave_days}
  - key: p90.scheme
    clauses: [P90.2, P90.3]
    type: choice
    choices: [P90.2, P90.3]
    value: P90.2
    interpretation: true
    note: 默认按 P90.2。
  - key: p90.fine
    clauses: [P90.1]
    type: decimal
    unit: yuan
    versions:
      - {value: 5, effective_from: 2020-01-01, effective_until: 2026-12-31}
      - {value: 8, effective_from: 2027-01-01}
conflicts:
  - id: P90.2-vs-P90.3
    kind: overlap
    clauses: [P90.2, P90.3]
    description: 恰好3天的请假两条都适用。
    description_en: Exactly 3 days falls under both.
    resolved_by: p90.scheme
    parameters: [p90.manager_max_days, p90.gm_min_days]
"""


def write(tmp_path: Path, text: str, name: str = "P90.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------------------------------------
# Loading and validation (pure)
# ---------------------------------------------------------------------------------------------

def test_mini_rulebook_loads_and_reads_values_as_of_a_date(tmp_path: Path) -> None:
    book = load_rulebook(write(tmp_path, MINI))
    assert set(book.clauses) == {"P90.1", "P90.2", "P90.3", "P90.4"}
    assert book.params["p90.gm_min_days"].quantity == "leave_days"
    assert book.conflicts[0].parameters == ("p90.manager_max_days", "p90.gm_min_days")
    assert book.params_on(dt.date(2026, 12, 31)).value("p90.fine") == Decimal(5)
    assert book.params_on(D2027).value("p90.fine") == Decimal(8)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("type: int, value: 30,", "type: int, value: thirty,", "P90.yaml: parameters.p90.late_minutes.value: expected an integer"),
    ("{key: p90.late_minutes, clauses: [P90.1]", "{key: p90.late_minutes, clauses: [P90.9]",
     "P90.yaml: parameters.p90.late_minutes.clauses: unknown clause ids ['P90.9']"),
    ("type: int, value: 30, unit: minute", "type: int, unit: minute", "P90.yaml: parameters.p90.late_minutes.value: missing"),
    ("resolved_by: p90.scheme", "resolved_by: p90.nothing", "P90.yaml: conflicts.P90.2-vs-P90.3.resolved_by: unknown parameter"),
    ("parameters: [p90.manager_max_days, p90.gm_min_days]", "parameters: [p90.manager_max_days, p90.gone]",
     "P90.yaml: conflicts.P90.2-vs-P90.3.parameters: unknown parameters ['p90.gone']"),
    ("status: declared", "status: maybe", "P90.yaml: clauses[3] (P90.4).status"),
    ("{value: 8, effective_from: 2027-01-01}", "{value: eight, effective_from: 2027-01-01}",
     "P90.yaml: parameters.p90.fine.versions[1]: expected a number"),
])
def test_validation_errors_name_the_file_and_the_key(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in MINI
    with pytest.raises(RulebookError) as err:
        load_rulebook(write(tmp_path, MINI.replace(old, new)))
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems


def test_default_rulebook_is_valid_and_has_p3_and_p5() -> None:
    book = default_rulebook()
    assert {"P3.1", "P3.5", "P5.1", "P5.16"} <= set(book.clauses)
    assert all(book.clauses[c].status != "enforced" for c in book.clauses if c.startswith(("P3.", "P5.")))


# ---------------------------------------------------------------------------------------------
# The linter (pure)
# ---------------------------------------------------------------------------------------------

def test_lint_reports_declared_overlap_with_its_resolution_and_interpretations(tmp_path: Path) -> None:
    report = lint(load_rulebook(write(tmp_path, MINI)), D2026)
    assert report.ok
    overlap = report.of_kind("overlap")[0]
    assert overlap.severity == "info" and overlap.subject == "P90.2-vs-P90.3"
    assert overlap.parameter == "p90.scheme" and overlap.value == "P90.2"
    assert "恰好 3 天" in overlap.message and "p90.scheme" in overlap.message
    interpretation = report.of_kind("interpretation")[0]
    assert interpretation.subject == "p90.scheme" and interpretation.value == "P90.2"


def test_lint_finds_an_undeclared_overlap_at_exactly_the_same_value(tmp_path: Path) -> None:
    text = MINI.split("conflicts:")[0]
    report = lint(load_rulebook(write(tmp_path, text)), D2026)
    assert not report.ok
    [error] = report.errors
    assert error.kind == "threshold" and error.subject == "leave_days"
    assert set(error.clauses) == {"P90.2", "P90.3"}


def test_lint_overlap_follows_the_values_in_force(tmp_path: Path) -> None:
    book = load_rulebook(write(tmp_path, MINI.split("conflicts:")[0]))
    base = book.params_on(D2026)
    p = base["p90.manager_max_days"]
    params = dict(base.items())
    # With "fewer than 3 days" (lt) the two thresholds partition the days: nothing to report.
    params[p.key] = Param(p.key, 3, p.clauses, p.unit, "lt")
    assert lint(book, D2026, ParamSet(params, D2026)).ok
    params[p.key] = Param(p.key, 5, p.clauses, p.unit, "le")
    [error] = lint(book, D2026, ParamSet(params, D2026)).errors
    assert "3–5" in error.message


def test_lint_reports_a_gap_within_a_clause_as_a_warning(tmp_path: Path) -> None:
    text = MINI.split("conflicts:")[0].replace(", quantity: leave_days}", "}") + """\
  - {key: p90.short, clauses: [P90.1], type: int, value: 3, unit: day, comparison: lt, quantity: sick_days}
  - {key: p90.long, clauses: [P90.1], type: int, value: 3, unit: day, comparison: gt, quantity: sick_days}
"""
    report = lint(load_rulebook(write(tmp_path, text)), D2026)
    assert report.ok
    [gap] = report.warnings
    assert gap.kind == "threshold" and "恰好 3 天" in gap.message and "都不适用" in gap.message
    # Once a conflicts entry declares it, the gap is reported with that entry instead.
    declared = text + """\
conflicts:
  - {id: sick-gap, kind: ambiguity, clauses: [P90.1], description: 恰好3天未规定。, resolved_by: p90.scheme,
     parameters: [p90.short, p90.long]}
"""
    report = lint(load_rulebook(write(tmp_path, declared)), D2026)
    assert report.warnings == [] and "都不适用" in report.of_kind("ambiguity")[0].message


def test_lint_conflict_without_resolving_parameter_is_an_error(tmp_path: Path) -> None:
    report = lint(load_rulebook(write(tmp_path, MINI.replace("    resolved_by: p90.scheme\n", ""))), D2026)
    assert [f.subject for f in report.errors] == ["P90.2-vs-P90.3"]


def test_lint_of_invalid_files_lists_validation_errors(tmp_path: Path) -> None:
    report = lint_files(D2026, write(tmp_path, MINI.replace("value: 30,", "value: '30',")))
    assert not report.ok
    assert report.errors[0].kind == "validation" and report.errors[0].subject == "P90.yaml"
    assert "parameters.p90.late_minutes.value" in report.errors[0].message


def test_lint_checks_rules_against_clauses(tmp_path: Path) -> None:
    from zhidu.rulebook.decision import RuleInfo

    book = load_rulebook(write(tmp_path, MINI))
    rules = {"p90.late": RuleInfo("p90.late", ("P90.1", "P90.7"), lambda: None, "")}
    report = lint(book, D2026, rules=rules)
    subjects = {(f.kind, f.subject) for f in report.warnings}
    assert ("rule", "p90.late") in subjects                      # cites unknown P90.7
    assert {("rule", "P90.2"), ("rule", "P90.3")} <= subjects    # enforced, no rule
    assert ("rule", "P90.1") not in subjects and ("rule", "P90.4") not in subjects


def test_default_rulebook_lints_the_spec_conflicts() -> None:
    report = lint(default_rulebook(), D2026)
    subjects = [set(f.clauses) for f in report.of_kind("conflict", "overlap")]
    assert any({"P7.3", "P7.12"} <= s for s in subjects)
    assert any({"P7.8", "P7.11"} <= s for s in subjects)
    assert report.of_kind("interpretation")


def test_lint_command_exit_status(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    write(good, MINI)
    out = io.StringIO()
    call_command("rulebook", "lint", "--dir", str(good), stdout=out)
    assert "0 error(s)" in out.getvalue() and "P90.2-vs-P90.3" in out.getvalue()
    bad = tmp_path / "bad"
    bad.mkdir()
    write(bad, MINI.split("conflicts:")[0])
    with pytest.raises(CommandError) as err:
        call_command("rulebook", "lint", "--dir", str(bad), stdout=io.StringIO())
    assert err.value.returncode == 1
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    write(wrong, MINI.replace("value: 30,", "value: true,"))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("rulebook", "lint", "--dir", str(wrong), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["ok"] is False and "p90.late_minutes" in data["findings"][0]["message"]


def test_installed_lint_command_exits_non_zero_only_for_errors(tmp_path: Path) -> None:
    exe = os.path.join(os.path.dirname(sys.executable), "zhidu")
    env = {**os.environ, "ZHIDU_DATA_DIR": str(tmp_path)}
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    write(tmp_path / "good", MINI)
    write(tmp_path / "bad", MINI.split("conflicts:")[0])
    ok = subprocess.run([exe, "rulebook", "lint", "--dir", str(tmp_path / "good")], env=env, capture_output=True,
                        text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run([exe, "rulebook", "lint", "--dir", str(tmp_path / "bad")], env=env, capture_output=True,
                         text=True, timeout=60, check=False)
    assert bad.returncode == 1 and "leave_days" in bad.stdout


# ---------------------------------------------------------------------------------------------
# Explanations
# ---------------------------------------------------------------------------------------------

def p74_decision() -> Decision:
    return Decision(
        rule="p7.lateness", value="half_day_absent", clauses=("P7.4",),
        reason="迟到 %(minutes)s 分钟，超过 %(limit)s 分钟，按旷工半天处理", reason_args={"minutes": 42, "limit": 30},
        params=(ParamUse("p7.late_half_day_minutes", 30, ("P7.4",), "minute", "gt"),),
        facts={"minutes_late": 42, "date": "2026-03-02"},
    )


def test_p74_explanation_text() -> None:
    with translation.override("zh-hans"):
        assert p74_decision().explain() == "P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理"
        stored = Decision.from_dict(json.loads(json.dumps(p74_decision().as_dict())))
        assert stored.explain() == "P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理"


def test_cli_formatter_shows_rule_clauses_params_and_facts() -> None:
    with translation.override("zh-hans"):
        text = format_decision(p74_decision().as_dict())
    lines = text.splitlines()
    assert lines[0] == "P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理"
    assert "  规则: p7.lateness" in lines and "  条款: P7.4" in lines
    assert "    p7.late_half_day_minutes = 30 分钟（超过 (>)） [P7.4]" in lines
    assert "    minutes_late = 42" in lines


def test_why_template_tag_renders_the_explanation() -> None:
    with translation.override("zh-hans"):
        html = Template("{% load rulebook %}{% why d %}").render(Context({"d": p74_decision().as_dict()}))
    assert "<summary>P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理</summary>" in html
    assert 'href="/rulebook/clauses/P7.4/"' in html
    assert "p7.late_half_day_minutes" in html and "30 分钟" in html and "超过 (&gt;)" in html
    assert "minutes_late" in html
    assert Template("{% load rulebook %}{% why d %}").render(Context({"d": None})).strip() == ""


def test_decision_out_schema_payload() -> None:
    from zhidu.rulebook.schemas import DecisionOut

    with translation.override("zh-hans"):
        data = decision_out(p74_decision())
    assert data["explanation"] == "P7.4：迟到 42 分钟，超过 30 分钟，按旷工半天处理"
    assert data["params"][0] == {"key": "p7.late_half_day_minutes", "value": 30, "unit": "minute", "comparison": "gt",
                                 "comparison_label": "超过 (>)", "clauses": ["P7.4"]}
    assert DecisionOut(**data).facts == {"minutes_late": 42, "date": "2026-03-02"}


# ---------------------------------------------------------------------------------------------
# The database copy: loading, dated values, overrides
# ---------------------------------------------------------------------------------------------

def make_param(key: str = "test.minutes", value: object = 30, ptype: str = "int", **extra: object) -> Parameter:
    p = Parameter.objects.create(key=key, type=ptype, unit="minute", comparison="gt", clauses=["P7.4"], **extra)
    ParameterValue.objects.create(parameter=p, value=value, effective_from=dt.date(1900, 1, 1), source="default")
    return p


@pytest.mark.django_db
def test_fresh_database_has_the_default_rulebook() -> None:
    book = default_rulebook()
    assert Clause.objects.count() == len(book.clauses)
    assert Clause.objects.get(clause_id="P3.5").status == "recorded"
    assert set(Parameter.objects.values_list("key", flat=True)) == set(book.params)
    assert selectors.params_for(None, D2026).value("p3.conduct_incidents_feed_assessment") is True


@pytest.mark.django_db
def test_load_is_idempotent_and_audited() -> None:
    events = AuditEvent.objects.count()
    assert not services.sync_default_rulebook(SYSTEM).changed
    assert AuditEvent.objects.count() == events
    # An older release's value and a changed clause text are refreshed, and the load is audited.
    ParameterValue.objects.filter(parameter__key="p3.conduct_incidents_feed_assessment", source="default").update(value=False)
    Clause.objects.filter(clause_id="P3.1").update(text="旧文本")
    report = services.sync_default_rulebook(SYSTEM)
    assert report.values_refreshed == ["p3.conduct_incidents_feed_assessment"] and report.clauses_updated == ["P3.1"]
    assert Clause.objects.get(clause_id="P3.1").text != "旧文本"
    event = AuditEvent.objects.latest("id")
    assert event.action == "rulebook.load" and event.payload["values_refreshed"] == ["p3.conduct_incidents_feed_assessment"]
    out = io.StringIO()
    call_command("rulebook", "load", stdout=out)
    assert "no changes" in out.getvalue()


@pytest.mark.django_db
def test_load_never_clobbers_the_organizations_values() -> None:
    key = "p3.conduct_incidents_feed_assessment"
    services.set_parameter_value(SYSTEM, key, False, dt.date(2026, 3, 1), reason="试行")
    # A new release ships a new value from 2027: the load refreshes the shipped versions only.
    book = copy.deepcopy(default_rulebook())
    pdef = book.params[key]
    book.params[key] = dataclasses.replace(pdef, versions=(
        ParamVersion(True, dt.date(1900, 1, 1), dt.date(2026, 12, 31)), ParamVersion(True, D2027, None)))
    report = services.sync_default_rulebook(SYSTEM, book)
    assert report.values_refreshed == [key]
    assert ParameterValue.objects.filter(parameter__key=key, source="default").count() == 2
    assert ParameterValue.objects.filter(parameter__key=key, source="organization").count() == 1
    assert selectors.params_for(None, D2026).value(key) is False
    assert selectors.params_for(None, D2027).value(key) is False  # the organization's value still wins
    assert selectors.params_for(None, dt.date(2026, 2, 28)).value(key) is True


@pytest.mark.django_db
def test_a_value_effective_from_2027_does_not_change_2026() -> None:
    make_param()
    services.set_parameter_value(SYSTEM, "test.minutes", 45, D2027, reason="新规")
    assert selectors.params_for(None, dt.date(2026, 12, 31)).value("test.minutes") == 30
    assert selectors.params_for(None, D2026).value("test.minutes") == 30
    assert selectors.params_for(None, D2027).value("test.minutes") == 45
    # A later correction of the same date wins from that date; the earlier row is kept.
    services.set_parameter_value(SYSTEM, "test.minutes", 40, D2027, reason="更正")
    assert selectors.params_for(None, D2027).value("test.minutes") == 40
    assert ParameterValue.objects.filter(parameter__key="test.minutes").count() == 3
    # A temporary value applies only within its period.
    services.set_parameter_value(SYSTEM, "test.minutes", 60, dt.date(2027, 6, 1),
                                 effective_until=dt.date(2027, 6, 30), reason="试行一个月")
    assert selectors.params_for(None, dt.date(2027, 6, 15)).value("test.minutes") == 60
    assert selectors.params_for(None, dt.date(2027, 7, 1)).value("test.minutes") == 40


@pytest.mark.django_db
def test_params_are_typed_and_keep_their_threshold_metadata() -> None:
    make_param()
    make_param("test.fine", "5.50", "decimal")
    params = selectors.params_for(None, D2026)
    assert params.value("test.fine") == Decimal("5.50")
    p = params["test.minutes"]
    assert (p.clauses, p.unit, p.comparison) == (("P7.4",), "minute", "gt")
    assert p.holds(31) and not p.holds(30)
    assert params.on == D2026


@pytest.mark.django_db
def test_unit_override_beats_default_and_inherits_down_the_tree(tree) -> None:  # type: ignore[no-untyped-def]
    make_param()
    start = timezone.localdate() + dt.timedelta(days=1)
    day = start + dt.timedelta(days=10)
    services.override_parameter(tree.admin, tree.hotel, "test.minutes", "20", start, "酒店从严")
    assert selectors.params_for(tree.hotel, day).value("test.minutes") == 20
    assert selectors.params_for(tree.front, day).value("test.minutes") == 20      # inherited by the child
    assert selectors.params_for(tree.marketing, day).value("test.minutes") == 30  # sibling: default
    assert selectors.params_for(tree.root, day).value("test.minutes") == 30
    assert selectors.params_for(None, day).value("test.minutes") == 30
    assert selectors.params_for(tree.front, start - dt.timedelta(days=1)).value("test.minutes") == 30
    # The nearest unit's override wins; an organization-wide value does not beat an override.
    services.override_parameter(tree.admin, tree.front, "test.minutes", 25, start, "前厅另定")
    services.set_parameter_value(tree.admin, "test.minutes", 35, start, reason="全组织")
    assert selectors.params_for(tree.front, day).value("test.minutes") == 25
    assert selectors.params_for(tree.hotel, day).value("test.minutes") == 20
    assert selectors.params_for(tree.marketing, day).value("test.minutes") == 35
    resolved = selectors.resolve_params(tree.front, day)["test.minutes"]
    assert (resolved.source, resolved.unit_id) == ("override", tree.front.pk)
    event = AuditEvent.objects.filter(action="rulebook.override").latest("id")
    assert event.unit_id == tree.front.pk and event.clauses == ["P7.4"] and event.payload["value"] == 25


@pytest.mark.django_db
def test_wrong_type_and_unknown_key_are_refused_naming_the_key(tree) -> None:  # type: ignore[no-untyped-def]
    make_param()
    start = timezone.localdate() + dt.timedelta(days=1)
    before = (ParameterValue.objects.count(), ParameterOverride.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as err:
        services.set_parameter_value(tree.admin, "test.minutes", "thirty", start)
    [error] = err.value.errors
    assert error.field == "value" and "test.minutes" in str(error.message)
    with pytest.raises(ValidationFailed) as err:
        services.override_parameter(tree.admin, tree.hotel, "test.nothing", 3, start, " ")
    assert {e.field for e in err.value.errors} == {"key", "reason"}
    with pytest.raises(ValidationFailed) as err:
        services.set_parameter_value(tree.admin, "test.minutes", 3.5, start - dt.timedelta(days=2),
                                     effective_until=start - dt.timedelta(days=3))
    assert {e.field for e in err.value.errors} == {"value", "effective_from", "effective_until"}
    assert (ParameterValue.objects.count(), ParameterOverride.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_only_managers_change_parameters_within_their_scope(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    make_param()
    start = timezone.localdate() + dt.timedelta(days=1)
    manager = make_person(tree.front, role="department_manager", role_unit=tree.hotel)
    gm = make_person(tree.hotel, role="general_manager")
    with pytest.raises(PermissionDeniedError):
        services.override_parameter(manager, tree.front, "test.minutes", 20, start, "试试")
    with pytest.raises(PermissionDeniedError):
        services.set_parameter_value(manager, "test.minutes", 20, start)
    services.override_parameter(gm, tree.front, "test.minutes", 20, start, "酒店总经理决定")
    with pytest.raises(PermissionDeniedError):
        services.override_parameter(gm, tree.marketing, "test.minutes", 20, start, "越权")
    with pytest.raises(PermissionDeniedError):  # organization-wide needs the top unit
        services.set_parameter_value(gm, "test.minutes", 20, start)
    with pytest.raises(PermissionDeniedError):
        services.sync_default_rulebook(tree.admin)


@pytest.mark.django_db
def test_database_lint_reports_values_that_no_longer_fit_their_type(tree) -> None:  # type: ignore[no-untyped-def]
    p = make_param(interpretation=True)
    ParameterOverride.objects.create(parameter=p, unit=tree.hotel, value="abc", effective_from=D2026, reason="旧版")
    ParameterOverride.objects.create(parameter=p, unit=tree.front, value=10, effective_from=D2026, reason="从严")
    findings = selectors.database_findings(default_rulebook(), D2026)
    errors = [f for f in findings if f.severity == "error"]
    assert [(f.subject, f.kind) for f in errors] == [("test.minutes", "database")]
    assert "测试酒店" in errors[0].message
    assert any(f.kind == "interpretation" and "前厅部" in f.message for f in findings)
    assert any(f.severity == "warning" and f.subject == "test.minutes" for f in findings)  # not shipped
    # The bad value is skipped when resolving (the default applies), the good one is used.
    assert selectors.params_for(tree.hotel, D2026).value("test.minutes") == 30
    assert selectors.params_for(tree.front, D2026).value("test.minutes") == 10
    report = selectors.lint_current(D2026, tree.front)
    assert not report.ok
    with pytest.raises(CommandError):
        call_command("rulebook", "lint", "--on", "2026-06-01", stdout=io.StringIO())


@pytest.mark.django_db
def test_params_fall_back_to_the_files_when_the_database_is_empty() -> None:
    ParameterValue.objects.all().delete()
    Parameter.objects.all().delete()
    params = selectors.params_for(None, D2026)
    assert params.value("p3.conduct_incidents_feed_assessment") is True
    assert set(params) == set(default_rulebook().params_on(D2026))


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_show_prints_a_clause_with_parameters_and_rules() -> None:
    out = io.StringIO()
    call_command("rulebook", "show", "P3.5", "--on", "2026-06-01", stdout=out)
    text = out.getvalue()
    assert text.startswith("P3.5 日常行为规范  [recorded:")
    assert "p3.conduct_incidents_feed_assessment = 是" in text and "version default: 1900-01-01" in text
    assert "Rules: none registered" in text
    out = io.StringIO()
    call_command("rulebook", "show", "P7.4", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["clause"]["id"] == "P7.4" and data["clause"]["status"] in ("enforced", "recorded", "declared")
    with pytest.raises(CommandError):
        call_command("rulebook", "show", "P99.1", stdout=io.StringIO())


@pytest.mark.django_db
def test_show_lists_rules_citing_the_clause() -> None:
    from zhidu.rulebook.decision import registered_rules

    selectors.rules_registry()
    cited = sorted({c for r in registered_rules().values() for c in r.clauses})
    if not cited:
        pytest.skip("no rules registered yet")
    out = io.StringIO()
    call_command("rulebook", "show", cited[0], "--json", stdout=out)
    rules = json.loads(out.getvalue())["rules"]
    assert rules and all(cited[0] in r["clauses"] for r in rules)


@pytest.mark.django_db
def test_set_command_adds_dated_values_and_overrides(tree) -> None:  # type: ignore[no-untyped-def]
    make_param()
    out = io.StringIO()
    call_command("rulebook", "set", "test.minutes", "45", "--from", "2027-01-01", stdout=out)
    assert "test.minutes = 45" in out.getvalue()
    call_command("rulebook", "set", "test.minutes", "15", "--from", "2027-01-01", "--unit", str(tree.hotel.pk),
                 "--reason", "试点", stdout=io.StringIO())
    assert selectors.params_for(tree.front, D2027).value("test.minutes") == 15
    assert selectors.params_for(None, D2027).value("test.minutes") == 45
    with pytest.raises(CommandError, match=r"test\.minutes"):
        call_command("rulebook", "set", "test.minutes", "lots", "--from", "2027-01-01", stdout=io.StringIO())


# ---------------------------------------------------------------------------------------------
# API and pages
# ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    make_param()
    clerk = make_person(tree.front, role="duty_officer")
    services.override_parameter(SYSTEM, tree.hotel, "test.minutes", 20, D2026, "酒店从严")
    client.force_login(clerk.user)
    clauses = client.get("/api/v1/rulebook/clauses?regulation=P3").json()
    assert [c["id"] for c in clauses][:5] == ["P3.1", "P3.2", "P3.3", "P3.4", "P3.5"]
    detail = client.get("/api/v1/rulebook/clauses/P3.5").json()
    assert detail["clause"]["status"] == "recorded"
    assert {p["key"] for p in detail["parameters"]} >= {"p3.conduct_incidents_feed_assessment"}
    assert client.get("/api/v1/rulebook/clauses/P99.9").status_code == 404
    params = client.get(f"/api/v1/rulebook/params?unit={tree.front.pk}&on=2026-07-01").json()
    row = next(p for p in params["params"] if p["key"] == "test.minutes")
    assert (row["value"], row["source"], row["override_unit_id"], row["comparison_label"]) == (20, "override", tree.hotel.pk, "超过 (>)")
    assert client.get(f"/api/v1/rulebook/params?unit={tree.marketing.pk}").status_code == 403
    lint_body = client.get("/api/v1/rulebook/lint?on=2026-07-01").json()
    assert {"on", "ok", "errors", "warnings", "findings"} <= set(lint_body)
    assert any(f["kind"] == "interpretation" for f in lint_body["findings"])
    nobody = make_person(tree.front)
    client.force_login(nobody.user)
    assert client.get("/api/v1/rulebook/clauses").status_code == 403


@pytest.mark.django_db
def test_pages(client: Client, tree, make_person) -> None:  # type: ignore[no-untyped-def]
    clerk = make_person(tree.front, role="duty_officer")
    client.force_login(clerk.user)
    home = client.get("/").content.decode()
    assert 'data-nav="rulebook"' in home
    page = client.get("/rulebook/?on=2026-06-01").content.decode()
    assert 'data-clause="P3.5"' in page and "status-recorded" in page and 'data-param="p3.conduct_incident_kinds"' in page
    assert 'id="lint"' in page and "P7.3" in page
    clause_page = client.get("/rulebook/clauses/P3.5/")
    assert clause_page.status_code == 200 and "p3.conduct_incidents_feed_assessment" in clause_page.content.decode()
    assert client.get("/rulebook/clauses/P99.1/").status_code == 404
    assert client.get(f"/rulebook/?unit={tree.marketing.pk}").status_code == 404
    nobody = make_person(tree.front)
    client.force_login(nobody.user)
    assert client.get("/rulebook/").status_code == 403
    assert 'data-nav="rulebook"' not in client.get("/").content.decode()
