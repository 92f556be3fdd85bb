"""Item 8 (P4.5) — statistics by type, category, unit (subtree), channel, responsibility class and
period; on-time, satisfaction, reopen and spot-check pass rates; scoped by ``complaints.view``;
computed by the database; the page with its SVG trend chart, the Excel export (read back) and the
printable monthly analysis report."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from cmp_helpers import at, register
from django.test import Client
from openpyxl import load_workbook

from zhidu.complaints import stats
from zhidu.complaints.models import Complaint

pytestmark = pytest.mark.django_db

OCT = at(2026, 10, 12, 10, 0)
NOV = at(2026, 11, 23, 10, 0)


def login(person: Any) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def make(org: Any, received: dt.datetime, **cols: Any) -> Complaint:
    """A registration through the service, then its statistics columns set as the lifecycle would."""
    kw = {k: cols.pop(k) for k in ("kind", "category", "channel", "territory", "content", "forwarded_from") if k in cols}
    if kw.get("kind") == "suggestion":
        kw.setdefault("reply_needed", False)
    c = register(org, received_at=received, now=received + dt.timedelta(minutes=5), **kw)
    if cols:
        Complaint.objects.filter(pk=c.pk).update(**cols)
    return c


@pytest.fixture
def data(org: Any) -> dict[str, Complaint]:
    """Eight contacts in October and November 2026 in county A, county B and the service hall."""
    return {
        "a1": make(org, OCT, territory="a", category="service_attitude", closed_on_time=True,
                   satisfaction="very_satisfied", responsibility_class="mistake", spot_check_result="passed"),
        "a2": make(org, OCT, territory="a", category="service_attitude", closed_on_time=False,
                   satisfaction="basically_satisfied", responsibility_class="violation", reopened_count=1,
                   spot_check_result="failed"),
        "a3": make(org, NOV, territory="a", category="delivery", closed_on_time=True, satisfaction="dissatisfied",
                   responsibility_class="customer", reopened_count=2),
        "a4": make(org, NOV, territory="a", kind="inquiry", channel="walk_in", closed_on_time=True),
        "b1": make(org, NOV, territory="b", category="service_attitude", closed_on_time=True,
                   satisfaction="satisfied", responsibility_class="mistake", spot_check_result="passed"),
        "b2": make(org, NOV, territory="b", kind="suggestion", channel="fax", forwarded_from="乙县政府"),
        "b3": make(org, NOV, territory="b", closed_on_time=False, satisfaction="very_dissatisfied"),
        "h1": make(org, NOV, category="window_service", channel="guide_desk"),
    }


def figures(actor: Any, **kw: Any) -> stats.Statistics:
    kw.setdefault("start", dt.date(2026, 10, 1))
    kw.setdefault("end", dt.date(2026, 12, 1))
    return stats.compute(actor, **kw)


def by(s: stats.Statistics, dim: str) -> dict[str, int]:
    return {f.key: f.n for f in s.by[dim]}


def test_totals_and_the_four_rates(org, data) -> None:
    s = figures(org.gm)
    t = s.total
    assert t.n == 8
    # on time: 4 of the 6 closed with a deadline (P4.4.4)
    assert (t.closed, t.on_time, t.on_time_rate) == (6, 4, 66.7)
    # satisfaction (P4.4.5): 非常满意 + 满意 + 基本满意 of the 5 rated; the 3 unrated are left out
    assert (t.rated, t.satisfied, t.satisfaction_rate) == (5, 3, 60.0)
    assert (t.reopened, t.reopen_rate) == (2, 25.0)
    # spot checks (P4.4.6): 2 passed of 3 verified
    assert (t.spot, t.spot_pass, t.spot_pass_rate) == (3, 2, 66.7)


def test_breakdowns_by_each_dimension(org, data) -> None:
    s = figures(org.gm)
    assert by(s, "kind") == {"complaint": 6, "inquiry": 1, "suggestion": 1}
    assert by(s, "category")["service_attitude"] == 6
    assert by(s, "category")["delivery"] == 1 and by(s, "category")["window_service"] == 1
    assert by(s, "channel") == {"branch_hotline": 5, "walk_in": 1, "fax": 1, "guide_desk": 1}
    units = {f.label: f.n for f in s.by["unit"]}
    # delivery goes to the order department (route table); the hall's window service to the hall
    assert units == {org.county_a.name: 3, org.county_b.name: 3, org.orders.name: 1, org.hall.name: 1}
    # responsibility classes count complaints only; the uncharacterized ones are their own row
    resp = by(s, "responsibility")
    assert resp == {"mistake": 2, "violation": 1, "customer": 1, "": 2}
    sat = [(f.key, f.n) for f in s.by["satisfaction"]]
    assert sat[0] == ("very_satisfied", 1) and sat[-1] == ("none", 3)
    # the rates are per group too
    assert {f.key: f.satisfaction_rate for f in s.by["kind"]}["complaint"] == 60.0


def test_periods_month_quarter_year(org, data) -> None:
    # the trend shows at least the last 12 months up to the end of the range
    s = figures(org.gm)
    assert [f.key for f in s.trend] == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    assert [(f.key, f.n) for f in s.trend[-2:]] == [("2026-10", 2), ("2026-11", 6)]
    assert sum(f.n for f in s.trend) == 8
    assert [f.on_time_rate for f in s.trend[-3:]] == [None, 50.0, 75.0]
    # totals and breakdowns are for the range only
    nov = figures(org.gm, start=dt.date(2026, 11, 1))
    assert nov.total.n == 6 and len(nov.trend) == 12 and nov.trend[-2].n == 2
    q = figures(org.gm, granularity="quarter", start=dt.date(2026, 7, 1), end=dt.date(2027, 1, 1))
    assert len(q.trend) == 8 and [(f.key, f.n) for f in q.trend[-2:]] == [("2026Q3", 0), ("2026Q4", 8)]
    y = figures(org.gm, granularity="year", start=dt.date(2025, 1, 1), end=dt.date(2027, 1, 1))
    assert [(f.key, f.n) for f in y.trend] == [("2022", 0), ("2023", 0), ("2024", 0), ("2025", 0), ("2026", 8)]
    # the month of receipt counts, in local time: 23:59 on 31 October is October's, 00:00 on 1 November not
    make(org, at(2026, 10, 31, 23, 59), territory="a")
    make(org, at(2026, 11, 1, 0, 0), territory="a")
    assert [f.n for f in figures(org.gm).trend[-2:]] == [3, 7]


def test_filters_unit_subtree_type_channel_category(org, data) -> None:
    assert figures(org.gm, unit=org.marketing).total.n == 7   # counties and order department (subtree), not the hall
    assert figures(org.gm, unit=org.county_a).total.n == 3
    assert figures(org.gm, kind="inquiry").total.n == 1
    assert figures(org.gm, channel="fax").total.n == 1
    assert figures(org.gm, category="service_attitude").total.n == 6


def test_scoped_by_what_the_actor_may_view(org, data) -> None:
    # handler B views county B's items (and those they took in: none here)
    assert figures(org.handler_b).total.n == 3
    assert set(by(figures(org.handler_b), "kind")) == {"complaint", "suggestion"}
    # the hall's duty officer sees the hall's item only
    assert figures(org.duty).total.n == 1
    # a person with no role sees nothing, and the pages refuse them
    assert figures(org.outsider).total.n == 0
    for url in ("/complaints/stats/", "/complaints/stats.xlsx", "/complaints/stats/report/"):
        assert login(org.outsider).get(url).status_code == 403, url
        assert Client().get(url).status_code == 302, url


def test_aggregated_by_the_database_in_a_number_of_queries_independent_of_the_rows(org, data, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(25):
        small = figures(org.gm)
    for _ in range(3):
        make(org, NOV, territory="a")
    with django_assert_max_num_queries(25):
        bigger = figures(org.gm)
    assert bigger.total.n == small.total.n + 3


def test_statistics_page_with_svg_trend_and_filters(org, data) -> None:
    client = login(org.gm)
    page = client.get("/complaints/stats/", {"start": "2026-01-01", "end": "2027-01-01"}).content.decode()
    assert 'id="total-n">8<' in page
    assert "<svg" in page and page.count('class="bar"') == 12      # one bar per month of 2026
    assert 'class="line-ontime"' in page and "<script" not in page.split('id="trend"')[1].split("</section>")[0]
    assert 'id="by-category"' in page and 'id="by-unit"' in page and 'id="by-responsibility"' in page
    assert "P4.4.5" in page
    q = client.get("/complaints/stats/", {"start": "2026-10-01", "end": "2026-12-01", "unit": org.county_b.pk,
                                          "kind": "complaint"}).content.decode()
    assert 'id="total-n">2<' in q
    # a unit out of the viewer's scope is ignored, not trusted
    own = login(org.handler_b).get("/complaints/stats/", {"start": "2026-10-01", "end": "2026-12-01",
                                                           "unit": org.county_a.pk}).content.decode()
    assert 'id="total-n">3<' in own


def test_excel_export_reads_back(org, data) -> None:
    r = login(org.gm).get("/complaints/stats.xlsx", {"start": "2026-10-01", "end": "2026-12-01"})
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:2] == ["汇总", "趋势"] and "类别" in wb.sheetnames and "责任单位" in wb.sheetnames
    summary = [list(row) for row in wb["汇总"].iter_rows(values_only=True)]
    total = next(row for row in summary if row[0] == "合计")
    assert total[1:5] == [8, 6, 4, 66.7] and total[7] == 60.0
    assert any(row[0] and "基本满意" in str(row[0]) for row in summary)   # the definition travels with it
    trend = [list(row) for row in wb["趋势"].iter_rows(values_only=True)]
    assert len(trend) == 13 and trend[-2][:2] == ["2026-10", 2] and trend[-1][:2] == ["2026-11", 6]
    kinds = {row[0]: row[1] for row in wb["类型"].iter_rows(min_row=2, values_only=True)}
    assert kinds == {"投诉": 6, "咨询": 1, "建议": 1}


def test_monthly_report_is_printable_with_top_categories_and_root_causes(org, data) -> None:
    page = login(org.gm).get("/complaints/stats/report/", {"month": "2026-11"}).content.decode()
    assert "2026-11 客户投诉处理分析报告" in page and "@media print" in page
    assert 'id="month-n">6<' in page
    top = page.split('id="top-categories"')[1].split("</section>")[0]
    assert top.index('data-key="service_attitude"') < top.index('data-key="window_service"')   # 4 vs 1 in November
    causes = page.split('id="root-causes"')[1].split("</section>")[0]
    assert "一般工作失误" in causes            # b1 (mistake) is November's; the customer's own (a3) is not a cause
    assert "<svg" in page
    october = login(org.gm).get("/complaints/stats/report/", {"month": "2026-10"}).content.decode()
    assert 'id="month-n">2<' in october and "违规或工作失职" in october.split('id="root-causes"')[1]
