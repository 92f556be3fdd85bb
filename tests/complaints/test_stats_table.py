"""Item 8 (P4.5) from the pre-aggregated table (``complaints.aggregates``, ``ComplaintStat``).

Every figure the page, the Excel export and the monthly report show from the table equals the
direct computation over the complaints (``stats.compute_direct``, the reference): for random
registrations over many days, units, types, channels and categories (and Hypothesis-generated
ones), after creates, every service transition, reopen, spot checks, deletion and the retention
purge; at the local-midnight edges of a month; for every actor's scope. The refresh reads one
indexed query when nothing changed, recomputes only the changed days, and two refreshes at once
cannot double count. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import sqlite3
import threading
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cmp_helpers import at, register
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from zhidu.complaints import aggregates, reports, services, stats
from zhidu.complaints.models import Category, Complaint, ComplaintStat, ComplaintStatState, State
from zhidu.complaints.models_stats import COUNT_COLUMNS, DAY, KEY_COLUMNS
from zhidu.core import periodic
from zhidu.org.access import SYSTEM

pytestmark = pytest.mark.django_db

KINDS = ["complaint", "complaint", "inquiry", "suggestion"]
CHANNELS = ["branch_hotline", "walk_in", "fax", "guide_desk", "web"]
CLASSES = ["", "", "violation", "mistake", "customer"]
SATISFACTION = ["", "", "very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"]
SPOT = ["", "", "pending", "passed", "failed"]
ON_TIME = [None, True, True, False]
#: local times of day, the month's edges among them (23:30 on the last day counts in that month)
TIMES = [(0, 0, 0, 0), (9, 30, 0, 0), (23, 30, 0, 0), (23, 59, 59, 999_999), (15, 59, 59, 0), (16, 0, 0, 0)]

#: (start, end, granularity): the default view, ranges on and off period boundaries, every granularity
VIEWS = [
    (dt.date(2026, 10, 1), dt.date(2026, 11, 1), "month"),
    (dt.date(2025, 12, 1), dt.date(2026, 12, 1), "month"),
    (dt.date(2024, 1, 1), dt.date(2026, 12, 1), "month"),
    (dt.date(2026, 10, 15), dt.date(2026, 11, 20), "month"),
    (dt.date(2026, 10, 31), dt.date(2026, 11, 1), "month"),
    (dt.date(2026, 1, 1), dt.date(2026, 11, 15), "quarter"),
    (dt.date(2026, 7, 1), dt.date(2027, 1, 1), "quarter"),
    (dt.date(2025, 1, 1), dt.date(2027, 1, 1), "year"),
    (dt.date(2025, 3, 17), dt.date(2026, 2, 3), "year"),
]


@pytest.fixture(autouse=True)
def _no_settle(monkeypatch) -> None:
    """The watermark moves up to the latest change (nothing is recomputed twice), so these tests see
    what a refresh skips; ``test_changes_within_the_settle_time_are_read_again`` keeps the default."""
    monkeypatch.setattr(aggregates, "SETTLE", dt.timedelta(0))


def people(org: Any) -> list[Any]:
    return [org.agent, org.handler_a, org.handler_b, org.duty, org.outsider, org.staff_a, org.verifier]


def units(org: Any) -> list[Any]:
    return [org.cs, org.county_a, org.county_b, org.orders, org.hall, org.window, org.marketing]


def actors(org: Any) -> list[Any]:
    # the outsider and the staff member have no role: they see only what they received, registered or
    # investigate (the part of the scope the table cannot hold)
    return [SYSTEM, org.gm, org.handler_a, org.handler_b, org.duty, org.outsider, org.staff_a]


def spec_from(rng: random.Random) -> dict[str, Any]:
    return {"day": rng.randrange(0, 800), "time": rng.choice(TIMES), "kind": rng.choice(KINDS),
            "category": rng.randrange(0, 11), "channel": rng.choice(CHANNELS), "resp": rng.randrange(0, 7),
            "recv": rng.randrange(0, 7), "person": rng.randrange(-1, 7), "who": rng.randrange(0, 3),
            "class": rng.choice(CLASSES), "sat": rng.choice(SATISFACTION), "on_time": rng.choice(ON_TIME),
            "reopened": rng.choice([0, 0, 0, 1, 2]), "spot": rng.choice(SPOT)}


class Factory:
    """Registrations with random statistics columns, copied from one registered through the services
    (``bulk_create`` stamps ``updated_at`` like ``save``)."""

    def __init__(self, org: Any) -> None:
        self.org = org
        self.template = register(org, received_at=at(2026, 11, 23, 10), now=at(2026, 11, 23, 10, 5))
        self.categories = list(Category.objects.order_by("code").values_list("code", flat=True))
        self.seq = 0

    def build(self, spec: dict[str, Any]) -> Complaint:
        self.seq += 1
        c = Complaint(**{f.attname: getattr(self.template, f.attname) for f in Complaint._meta.concrete_fields
                         if not f.primary_key})
        c.number = f"T{self.seq:06d}-{random.random():.8f}"
        c.idempotency_key = None
        day = dt.date(2024, 11, 1) + dt.timedelta(days=spec["day"])
        h, m, s, us = spec["time"]
        c.received_at = at(day.year, day.month, day.day, h, m, s, us)
        c.kind = spec["kind"]
        c.category = self.categories[spec["category"] % len(self.categories)]
        c.channel = spec["channel"]
        c.responsible_unit = units(self.org)[spec["resp"]]
        c.receiving_unit = units(self.org)[spec["recv"]]
        person = people(self.org)[spec["person"]] if spec["person"] >= 0 else None
        c.receiving_person = person if spec["who"] == 0 else None
        c.registered_by = person if spec["who"] == 1 else None
        c.investigator = person if spec["who"] == 2 else None
        c.responsibility_class = spec["class"]
        c.satisfaction = spec["sat"]
        c.closed_on_time = spec["on_time"]
        c.reopened_count = spec["reopened"]
        c.spot_check_result = spec["spot"]
        return c

    def create(self, specs: list[dict[str, Any]]) -> list[Complaint]:
        return Complaint.objects.bulk_create([self.build(s) for s in specs])


def same(actor: Any, start: dt.date, end: dt.date, granularity: str = "month", **kw: Any) -> stats.Statistics:
    table = stats.compute(actor, start=start, end=end, granularity=granularity, **kw)
    direct = stats.compute_direct(actor, start=start, end=end, granularity=granularity, **kw)
    assert table.total == direct.total, (actor, start, end, granularity, kw)
    assert table.trend == direct.trend, (actor, start, end, granularity, kw)
    for key in direct.by:
        assert table.by[key] == direct.by[key], (key, actor, start, end, granularity, kw)
    assert table == direct
    lo, hi = stats._local(start), stats._local(end)
    kw.pop("kind", None), kw.pop("channel", None), kw.pop("category", None)
    assert (stats.root_causes(actor, lo, hi, limit=20, **kw)
            == stats.root_causes_direct(actor, lo, hi, limit=20, **kw)), (actor, start, end)
    return table


def snapshot() -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The whole table: (grain, day, key…) → counts."""
    rows = ComplaintStat.objects.values_list("grain", "day", *KEY_COLUMNS, *COUNT_COLUMNS)
    return {tuple(r[:2 + len(KEY_COLUMNS)]): tuple(r[2 + len(KEY_COLUMNS):]) for r in rows}


def assert_table_is_rebuilt_state() -> None:
    """What the refreshes left equals a rebuild from scratch (every grain, every row)."""
    kept = snapshot()
    assert aggregates.rebuild().rebuilt
    assert kept == snapshot()


def check_all(org: Any, views: list[tuple[dt.date, dt.date, str]] = VIEWS, *, filters: bool = True) -> None:
    for actor in actors(org):
        for start, end, granularity in views:
            same(actor, start, end, granularity)
    if not filters:
        return
    for i, kw in enumerate(({"unit": org.county_a}, {"unit": org.marketing}, {"kind": "complaint"},
                            {"channel": "walk_in"}, {"category": "service_attitude"},
                            {"unit": org.marketing, "kind": "inquiry", "channel": "fax"})):
        for actor in (SYSTEM, org.gm, org.handler_a, org.outsider):
            start, end, granularity = views[(i + len(str(actor))) % len(views)]
            same(actor, start, end, granularity, **kw)


# ------------------------------------------------------------------------------------------ random data


def test_random_registrations_every_view_actor_and_filter(org) -> None:
    rng = random.Random(4)
    factory = Factory(org)
    factory.create([spec_from(rng) for _ in range(400)])
    check_all(org, VIEWS[::2], filters=False)
    # changes through save (updated_at): every statistics column, on many days; new ones; deletions
    rows = list(Complaint.objects.order_by("?")[:60])
    for c in rows[:40]:
        spec = spec_from(rng)
        c.satisfaction, c.closed_on_time, c.spot_check_result = spec["sat"], spec["on_time"], spec["spot"]
        c.reopened_count, c.responsibility_class = spec["reopened"], spec["class"]
        c.kind, c.channel = spec["kind"], spec["channel"]
        c.responsible_unit = units(org)[spec["resp"]]
        c.save()
    for c in rows[40:50]:  # moved to another day (and month): the old day is recomputed too
        c.received_at = c.received_at - dt.timedelta(days=rng.randrange(1, 90), hours=rng.randrange(0, 24))
        c.save(update_fields=["received_at", "updated_at"])
    for c in rows[50:]:
        c.delete()
    factory.create([spec_from(rng) for _ in range(40)])
    check_all(org)
    assert_table_is_rebuilt_state()


def test_local_midnight_edges_of_a_month(org) -> None:
    factory = Factory(org)
    base = {"kind": "complaint", "category": 0, "channel": "walk_in", "resp": 1, "recv": 0, "person": -1, "who": 0,
            "class": "mistake", "sat": "satisfied", "on_time": True, "reopened": 0, "spot": "passed"}
    oct31 = (dt.date(2026, 10, 31) - dt.date(2024, 11, 1)).days
    factory.create([{**base, "day": oct31, "time": (23, 30, 0, 0)},          # 15:30 UTC: October's
                    {**base, "day": oct31, "time": (23, 59, 59, 999_999)},   # October's
                    {**base, "day": oct31 + 1, "time": (0, 0, 0, 0)},        # November's (16:00 UTC on 31 Oct)
                    {**base, "day": oct31 - 31, "time": (23, 30, 0, 0)}])    # 30 September: September's
    october = same(org.gm, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert october.total.n == 2 and [f.n for f in october.trend[-2:]] == [1, 2]
    assert same(org.gm, dt.date(2026, 11, 1), dt.date(2026, 12, 1)).total.n == 1 + 1   # with the template (23 Nov)
    assert same(org.gm, dt.date(2026, 10, 31), dt.date(2026, 11, 1)).total.n == 2
    assert same(org.gm, dt.date(2026, 7, 1), dt.date(2026, 10, 1), "quarter").trend[-1].n == 1
    day_rows = dict(ComplaintStat.objects.filter(grain=DAY).values_list("day", "n"))
    assert day_rows[dt.date(2026, 10, 31)] == 2 and day_rows[dt.date(2026, 11, 1)] == 1


def test_another_time_zone_rebuilds_the_table(org, settings) -> None:  # type: ignore[no-untyped-def]
    Factory(org).create([spec_from(random.Random(7)) for _ in range(120)])
    same(org.gm, dt.date(2026, 1, 1), dt.date(2026, 11, 15), "quarter")
    settings.TIME_ZONE = "UTC"
    same(org.gm, dt.date(2026, 1, 1), dt.date(2026, 11, 15), "quarter")
    assert ComplaintStatState.objects.get().time_zone == "UTC"
    same(org.gm, dt.date(2026, 10, 15), dt.date(2026, 11, 20))


# ------------------------------------------------------------------------------------------ Hypothesis

complaint_specs = st.fixed_dictionaries({
    "day": st.integers(0, 800), "time": st.sampled_from(TIMES), "kind": st.sampled_from(KINDS),
    "category": st.integers(0, 10), "channel": st.sampled_from(CHANNELS), "resp": st.integers(0, 6),
    "recv": st.integers(0, 6), "person": st.integers(-1, 6), "who": st.integers(0, 2),
    "class": st.sampled_from(CLASSES), "sat": st.sampled_from(SATISFACTION), "on_time": st.sampled_from(ON_TIME),
    "reopened": st.integers(0, 2), "spot": st.sampled_from(SPOT),
})
operations = st.lists(st.tuples(st.sampled_from(["create", "change", "move", "delete", "read"]), st.integers(0, 999),
                                complaint_specs), max_size=8)
HYPOTHESIS_VIEWS = [VIEWS[2], VIEWS[3]]   # 35 months (years, quarters, months), and month edges with days


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(initial=st.lists(complaint_specs, max_size=25), ops=operations)
def test_hypothesis_table_equals_direct_after_any_changes(org, initial, ops) -> None:
    with transaction.atomic():
        factory = Factory(org)
        factory.create(initial)
        for view in HYPOTHESIS_VIEWS:
            same(org.gm, *view)
        for op, index, spec in ops:
            existing = list(Complaint.objects.order_by("pk"))
            target = existing[index % len(existing)]
            if op == "create":
                factory.create([spec])
            elif op == "change":
                new = factory.build(spec)
                for name in ("kind", "category", "channel", "responsible_unit", "receiving_unit", "receiving_person",
                             "registered_by", "investigator", "responsibility_class", "satisfaction",
                             "closed_on_time", "reopened_count", "spot_check_result"):
                    setattr(target, name, getattr(new, name))
                target.save()
            elif op == "move":
                target.received_at = factory.build(spec).received_at
                target.save()
            elif op == "delete" and target.pk != factory.template.pk:
                target.delete()
            else:
                for actor in (org.gm, org.outsider):
                    for view in HYPOTHESIS_VIEWS:
                        same(actor, *view)
        for actor in (org.gm, org.handler_b, org.outsider):
            for view in HYPOTHESIS_VIEWS:
                same(actor, *view)
        assert_table_is_rebuilt_state()
        transaction.set_rollback(True)


# ------------------------------------------------------------------------------------------ the services


def test_service_transitions_reopen_spot_checks_and_purge(org) -> None:
    def check() -> None:
        for actor in (org.gm, org.handler_a, org.agent):
            same(actor, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
            same(actor, dt.date(2026, 10, 31), dt.date(2026, 11, 3))
        same(org.gm, dt.date(2025, 12, 1), dt.date(2026, 12, 1), "quarter")

    # received at 23:30 local on 31 October (15:30 UTC): October's, closed in November
    late = register(org, territory="a", received_at=at(2026, 10, 31, 23, 30), now=at(2026, 10, 31, 23, 35))
    items = [register(org, territory=t, received_at=at(2026, 11, d, 9), now=at(2026, 11, d, 9, 1))
             for t, d in (("a", 2), ("a", 3), ("b", 4), ("a", 5))]
    inquiry = register(org, kind="inquiry", channel="walk_in", territory="b", received_at=at(2026, 11, 6, 9),
                       now=at(2026, 11, 6, 9, 1))
    check()

    def stamp(c: Complaint) -> dt.datetime:
        return Complaint.objects.values_list("updated_at", flat=True).get(pk=c.pk)

    before = stamp(items[0])
    services.transfer(org.handler_a, items[0], to_unit=org.county_b, reason="属地为乙县")
    assert stamp(items[0]) > before
    check()
    for c, handler, staff, klass, sat in ((late, org.handler_a, org.staff_a, "violation", "dissatisfied"),
                                          (items[1], org.handler_a, org.staff_a, "mistake", "satisfied"),
                                          (items[3], org.handler_a, org.staff_a, "customer", "very_satisfied")):
        services.assign_investigator(handler, c, investigator=staff, now=at(2026, 11, 10, 10))
        kw: dict[str, Any] = {"violation": {"head": org.manager_a}, "customer": {"explanation": "已解释"},
                              "mistake": {"correction": "整改", "plan": "回电登记", "plan_owner": org.manager_a,
                                          "plan_due_on": dt.date(2026, 12, 4)}}[klass]
        services.record_findings(staff, c, findings="属实", responsibility_class=klass, now=at(2026, 11, 10, 11), **kw)
        check()
        services.record_feedback(org.agent, c, method="phone", content="已告知", satisfaction=sat,
                                 now=at(2026, 11, 10, 12))
        services.close(handler, c, note="客户仍不满意" if sat == "dissatisfied" else "",
                       now=at(2026, 11, 10, 13))
        check()
    services.answer(org.handler_b, inquiry, text="已答复", close=True, now=at(2026, 11, 6, 10))
    check()
    # reopened (the customer is not satisfied): satisfaction and on-time flag cleared, reopen counted
    services.reopen(org.handler_a, late, reason="客户要求重新处理", now=at(2026, 11, 12, 9))
    check()
    services.assign_investigator(org.handler_a, late, investigator=org.staff_a, now=at(2026, 11, 12, 10))
    services.record_findings(org.staff_a, late, findings="复查", responsibility_class="mistake", correction="整改",
                             plan="复查整改", plan_owner=org.manager_a, plan_due_on=dt.date(2026, 12, 4),
                             now=at(2026, 11, 12, 11))
    services.record_feedback(org.agent, late, method="phone", content="复查结果", satisfaction="basically_satisfied",
                             now=at(2026, 11, 12, 12))
    services.close(org.handler_a, late, now=at(2026, 11, 12, 13))
    check()
    # spot checks: one passes, one fails (the failure reopens the item)
    check_ = services.draw_spot_check(org.verifier, unit=org.county_a, period="2026-11", seed="s",
                                      now=at(2026, 12, 1, 9))
    results = iter([True, False, True])
    for item in check_.items.all():
        passed = next(results)
        services.record_spot_result(org.verifier, item, passed=passed, notes="" if passed else "回访不符",
                                    now=at(2026, 12, 1, 10))
        check()
    # the retention purge anonymizes (a full save: updated_at moves) and the figures stay the same
    totals = stats.compute(org.gm, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 1))
    closed = list(Complaint.objects.filter(state=State.CLOSED).values_list("pk", "updated_at"))
    assert closed
    report = services.purge(SYSTEM, apply=True, today=dt.date(2028, 1, 1))
    assert report.count == len(closed)
    after = dict(Complaint.objects.filter(pk__in=[pk for pk, _u in closed]).values_list("pk", "updated_at"))
    assert all(after[pk] > stamp_ for pk, stamp_ in closed)
    assert stats.compute(org.gm, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 1)) == totals
    check()
    assert_table_is_rebuilt_state()


@pytest.mark.parametrize("fine", [True, False], ids=["changed-combinations", "whole-periods"])
def test_deleted_registrations_leave_the_figures(org, monkeypatch, fine) -> None:
    if not fine:  # more changed days than FINE_DAYS: the days' periods are rewritten whole
        monkeypatch.setattr(aggregates, "FINE_DAYS", 0)
    factory = Factory(org)
    rows = factory.create([spec_from(random.Random(11)) for _ in range(60)])
    check_all(org, VIEWS[:2], filters=False)
    # one by one, and a queryset delete (Django sends post_delete for each)
    rows[0].delete()
    Complaint.objects.filter(pk__in=[c.pk for c in rows[1:20]]).delete()
    check_all(org, VIEWS[:3])
    assert_table_is_rebuilt_state()


# ------------------------------------------------------------------------------------------ the refresh


def test_refresh_is_one_query_when_nothing_changed_and_recomputes_only_changed_days(
        org, django_assert_num_queries) -> None:
    factory = Factory(org)
    factory.create([spec_from(random.Random(5)) for _ in range(80)])
    assert aggregates.refresh().rebuilt   # the first use builds the table
    with django_assert_num_queries(1):
        assert aggregates.refresh().unchanged
    c = Complaint.objects.order_by("pk").last()
    assert c is not None
    c.satisfaction = "very_dissatisfied"
    c.save()
    report = aggregates.refresh()
    assert (report.days, report.rebuilt) == (1, False)
    # only that day's rows (and its month, quarter, year) were written again
    day = timezone.localtime(c.received_at).date()
    assert aggregates.refresh().unchanged
    # a change that bypasses save (no updated_at) is not seen until stats-rebuild — the documented contract
    Complaint.objects.filter(pk=c.pk).update(satisfaction="satisfied")
    assert aggregates.refresh().unchanged
    stale = ComplaintStat.objects.get(grain=DAY, day=day, kind=c.kind, category=c.category, channel=c.channel,
                                      responsible_unit=c.responsible_unit, receiving_unit=c.receiving_unit)
    out = StringIO()
    call_command("complaints", "stats-rebuild", "--json", stdout=out)
    assert json.loads(out.getvalue())["rebuilt"] is True
    fresh = ComplaintStat.objects.get(grain=DAY, day=day, kind=c.kind, category=c.category, channel=c.channel,
                                      responsible_unit=c.responsible_unit, receiving_unit=c.receiving_unit)
    assert fresh.sat_satisfied_n == stale.sat_satisfied_n + 1  # type: ignore[attr-defined]
    check_all(org, VIEWS[:2])


def test_changes_within_the_settle_time_are_read_again(org, monkeypatch) -> None:
    """A write stamped before a refresh but committed after it is still counted: the watermark stays
    ``SETTLE`` behind the refresh."""
    monkeypatch.setattr(aggregates, "SETTLE", dt.timedelta(seconds=60))
    factory = Factory(org)
    factory.create([spec_from(random.Random(6)) for _ in range(30)])
    aggregates.refresh()
    late = factory.build(spec_from(random.Random(8)))
    late.save()
    # simulate the late commit: its stamp is before the previous refresh
    Complaint.objects.filter(pk=late.pk).update(updated_at=timezone.now() - dt.timedelta(seconds=30))
    assert not aggregates.refresh().unchanged
    check_all(org, VIEWS[:2])


def test_the_unique_key_refuses_a_second_copy_of_a_day(org) -> None:
    Factory(org).create([spec_from(random.Random(9)) for _ in range(20)])
    aggregates.refresh()
    day = ComplaintStat.objects.filter(grain=DAY).values_list("day", flat=True).first()
    assert day is not None
    where = Q(received_at__gte=stats._local(day), received_at__lt=stats._local(day + dt.timedelta(days=1)))
    with pytest.raises(IntegrityError), transaction.atomic():
        aggregates._insert(DAY, aggregates._days_select(where))


def test_tick_keeps_the_table_current(org) -> None:
    Factory(org).create([spec_from(random.Random(10)) for _ in range(30)])
    assert "complaints.stats" in periodic.registered()
    first = periodic.run_all(timezone.now())["complaints.stats"]
    assert first["rebuilt"] is True
    Factory(org).create([spec_from(random.Random(12)) for _ in range(5)])
    second = periodic.run_all(timezone.now())["complaints.stats"]
    assert second["rebuilt"] is False and second["days"] >= 1
    assert periodic.run_all(timezone.now())["complaints.stats"]["unchanged"] is True
    same(org.gm, dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def test_cover_reads_the_coarsest_periods() -> None:
    D, M, Q_, Y = "D", "M", "Q", "Y"
    assert aggregates.cover(dt.date(2024, 1, 1), dt.date(2026, 12, 1)) == [
        (Y, dt.date(2024, 1, 1), dt.date(2026, 1, 1)), (Q_, dt.date(2026, 1, 1), dt.date(2026, 10, 1)),
        (M, dt.date(2026, 10, 1), dt.date(2026, 12, 1))]
    assert aggregates.cover(dt.date(2026, 10, 15), dt.date(2026, 12, 3)) == [
        (D, dt.date(2026, 10, 15), dt.date(2026, 11, 1)), (M, dt.date(2026, 11, 1), dt.date(2026, 12, 1)),
        (D, dt.date(2026, 12, 1), dt.date(2026, 12, 3))]
    assert aggregates.cover(dt.date(2026, 2, 1), dt.date(2026, 5, 1)) == [(M, dt.date(2026, 2, 1), dt.date(2026, 5, 1))]
    assert aggregates.cover(dt.date(2025, 12, 31), dt.date(2027, 1, 2)) == [
        (D, dt.date(2025, 12, 31), dt.date(2026, 1, 1)), (Y, dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
        (D, dt.date(2027, 1, 1), dt.date(2027, 1, 2))]
    assert aggregates.cover(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == []


# ------------------------------------------------------------------------------------------ concurrency


def _file_copy(tmp_path: Path) -> Path | None:
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return None
    connection.ensure_connection()
    path = tmp_path / "stats-race.sqlite3"
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return path


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_do_not_double_count(org, tmp_path) -> None:
    factory = Factory(org)
    factory.create([spec_from(random.Random(13)) for _ in range(150)])
    aggregates.refresh()
    for c in Complaint.objects.order_by("pk")[:40]:
        c.satisfaction = "very_dissatisfied" if c.satisfaction != "very_dissatisfied" else "satisfied"
        c.save()
    factory.create([spec_from(random.Random(14)) for _ in range(20)])
    db = _file_copy(tmp_path)
    barrier = threading.Barrier(4)
    reports_: list[aggregates.RefreshReport] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            if db is not None:
                own = connections["default"]
                own.settings_dict = {**own.settings_dict, "NAME": str(db)}
            barrier.wait(timeout=30)
            report = aggregates.refresh()
            with lock:
                reports_.append(report)
        except BaseException as exc:  # reported by the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(reports_) == 4
    assert sum(r.days > 0 for r in reports_) >= 1
    if db is not None:  # the threads worked on the file copy: read it back
        with sqlite3.connect(db) as src:
            src.backup(connection.connection)
    assert_table_is_rebuilt_state()
    check_all(org, VIEWS[:2])


# ------------------------------------------------------------------------------------------ pages


def login(person: Any) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def test_page_export_and_monthly_report_show_the_same_figures_as_the_direct_computation(org) -> None:
    Factory(org).create([spec_from(random.Random(15)) for _ in range(200)])
    for actor in (org.gm, org.handler_a):
        params = {"start": "2026-01-01", "end": "2026-11-15", "granularity": "quarter"}
        page = login(actor).get("/complaints/stats/", params)
        direct = stats.compute_direct(actor, start=dt.date(2026, 1, 1), end=dt.date(2026, 11, 15),
                                      granularity="quarter")
        assert page.context["stats"] == direct
        xlsx = login(actor).get("/complaints/stats.xlsx", params)
        expected = reports.statistics_xlsx(direct, title="x")
        got, want = load_workbook(io.BytesIO(xlsx.content)), load_workbook(io.BytesIO(expected))
        assert got.sheetnames == want.sheetnames
        for name in got.sheetnames[1:]:
            assert list(got[name].iter_rows(values_only=True)) == list(want[name].iter_rows(values_only=True)), name
        summary = [r for r in got[got.sheetnames[0]].iter_rows(values_only=True) if r[0] == "合计"]
        assert summary == [r for r in want[want.sheetnames[0]].iter_rows(values_only=True) if r[0] == "合计"]
        report = login(actor).get("/complaints/stats/report/", {"month": "2026-10"})
        oct_ = stats.compute_direct(actor, start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 1))
        assert report.context["stats"] == oct_
        assert report.context["previous"] == stats.compute_direct(actor, start=dt.date(2026, 9, 1),
                                                                  end=dt.date(2026, 10, 1), dimensions=(),
                                                                  trend=False).total
        assert report.context["root_causes"] == stats.root_causes_direct(actor, oct_.start, oct_.end)
