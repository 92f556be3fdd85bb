"""The rule registry against the shipped rulebook.

* every clause id of regulations.md is in the default rulebook (the expected list is written out
  below, derived from /work/shared/spec/regulations.md: ids in the text, ranges such as
  "P3.1–P3.4" expanded);
* every registered rule cites only clauses of the rulebook, and so does every clause id quoted in
  a rule module (the clauses of the Decisions it returns);
* every clause whose status is ``enforced`` has at least one registered rule;
* every parameter a rule module reads (``params["…"]``, ``params.value("…")``) is in the rulebook.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import zhidu.rulebook.rules as rules_pkg
from zhidu.rulebook.decision import registered_rules
from zhidu.rulebook.params import Rulebook, default_rulebook

_CLAUSES_TEXT = """
P1.1 P1.2 P1.2.3 P1.2.4 P1.2.5 P1.3 P1.3.1 P1.3.2 P1.3.3 P1.3.4 P1.3.5 P1.3.6
P1.4 P1.4.1 P1.4.2 P1.4.3 P1.4.4 P1.4.5 P1.5
P2.1 P2.2 P2.3 P2.4 P2.4.1 P2.4.2 P2.4.3 P2.4.4
P3.1 P3.2 P3.3 P3.4 P3.5
P4.1 P4.2 P4.3 P4.3.1 P4.3.2 P4.3.3 P4.3.4 P4.4 P4.4.1 P4.4.2 P4.4.3 P4.4.4 P4.4.5 P4.4.6 P4.4.7
P4.5 P4.6
P5.1 P5.2 P5.3 P5.4 P5.5 P5.6 P5.7 P5.8 P5.9 P5.10 P5.11 P5.12 P5.13 P5.14 P5.15 P5.16
P6.1 P6.2 P6.3 P6.4 P6.5 P6.6
P7.1 P7.2 P7.3 P7.4 P7.5 P7.5.1 P7.5.2 P7.5.3 P7.6 P7.7 P7.8 P7.9 P7.10 P7.11 P7.12
P8.1 P8.2 P8.3 P8.4 P8.5 P8.6 P8.7 P8.8 P8.9 P8.10 P8.11
P9.1 P9.2 P9.3 P9.4 P9.5 P9.6 P9.7
P10.1 P10.2 P10.2.1 P10.2.2 P10.2.3 P10.2.4 P10.2.5 P10.2.6 P10.2.7 P10.2.8 P10.3
P11.1 P11.2 P11.3 P11.4 P11.5 P11.6 P11.7
"""
REGULATIONS_MD_CLAUSES: list[str] = _CLAUSES_TEXT.split()

RULES_DIR = Path(rules_pkg.__file__).parent
PARAM_READ = re.compile(r"""params(?:\[|\.value\(|\.get\()\s*["'](p\d+\.[A-Za-z0-9_.]+)["']""")
CLAUSE_LITERAL = re.compile(r"""["'](P\d+(?:\.\d+)+)["']""")


@pytest.fixture(scope="module")
def book() -> Rulebook:
    return default_rulebook()


def test_expected_list_is_well_formed() -> None:
    assert len(REGULATIONS_MD_CLAUSES) == len(set(REGULATIONS_MD_CLAUSES)) == 122
    assert {c.split(".")[0] for c in REGULATIONS_MD_CLAUSES} == {f"P{n}" for n in range(1, 12)}


def test_default_rulebook_covers_every_clause_of_regulations_md(book: Rulebook) -> None:
    missing = [c for c in REGULATIONS_MD_CLAUSES if c not in book.clauses]
    assert missing == [], f"clauses of regulations.md missing from src/zhidu/rulebook/default/*.yaml: {missing}"
    assert set(book.regulations) == {f"P{n}" for n in range(1, 12)}


def test_every_clause_has_a_status_and_text(book: Rulebook) -> None:
    bad = [cid for cid, c in book.clauses.items() if c.status not in ("enforced", "recorded", "declared") or not c.title]
    assert bad == []


def test_rules_cite_only_known_clauses(book: Rulebook) -> None:
    rules = registered_rules()
    unknown = {rid: [c for c in r.clauses if c not in book.clauses] for rid, r in rules.items()}
    assert {rid: ids for rid, ids in unknown.items() if ids} == {}
    assert all(r.clauses for r in rules.values()), "a rule registered without clause ids"


def test_clause_ids_quoted_in_rule_modules_exist(book: Rulebook) -> None:
    unknown = {}
    for path in sorted(RULES_DIR.glob("*.py")):
        ids = set(CLAUSE_LITERAL.findall(path.read_text(encoding="utf-8")))
        missing = sorted(ids - set(book.clauses))
        if missing:
            unknown[path.name] = missing
    assert unknown == {}


def test_every_enforced_clause_has_a_rule(book: Rulebook) -> None:
    cited = {c for r in registered_rules().values() for c in r.clauses}
    without = [cid for cid, c in book.clauses.items() if c.status == "enforced" and cid not in cited]
    assert without == [], f"clauses marked enforced with no registered rule: {without}"


def test_parameters_read_by_rules_exist(book: Rulebook) -> None:
    unknown = {}
    for path in sorted(RULES_DIR.glob("*.py")):
        keys = set(PARAM_READ.findall(path.read_text(encoding="utf-8")))
        missing = sorted(keys - set(book.params))
        if missing:
            unknown[path.name] = missing
    assert unknown == {}


def test_parameters_cite_known_clauses_and_interpretations_are_explained(book: Rulebook) -> None:
    for key, p in book.params.items():
        assert p.clauses and all(c in book.clauses for c in p.clauses), key
        if p.interpretation:
            assert p.note, f"{key}: an interpretation needs a note explaining the choice"


def test_conflicts_the_spec_names_are_declared(book: Rulebook) -> None:
    pairs = [set(c.clauses) for c in book.conflicts]
    for a, b in (("P7.3", "P7.12"), ("P7.8", "P7.11")):
        assert any({a, b} <= s for s in pairs), f"no conflicts entry for {a} vs {b}"
    overlaps = [c for c in book.conflicts if c.kind == "overlap" and {"P7.8", "P7.11"} <= set(c.clauses)]
    assert overlaps, "no overlap entry for ≤ 3 vs ≥ 3 days (P7.8 / P7.11)"
    assert all(c.resolved_by for c in book.conflicts if c.kind in ("conflict", "overlap"))
