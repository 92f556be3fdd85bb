"""The app's pure helpers (similarity, anonymization, tracking numbers) and its reads (scope, masking,
the statistics base the reporting pages build on)."""

from __future__ import annotations

import pytest
from cmp_helpers import at, register

from zhidu.complaints import rules, selectors
from zhidu.complaints.models import Kind, State
from zhidu.org.access import SYSTEM

# ------------------------------------------------------------------------------------------ pure


def test_bigram_similarity() -> None:
    assert rules.bigram_similarity("配送员态度恶劣", "配送员态度恶劣！") == 1.0  # punctuation ignored
    assert rules.bigram_similarity("配送员态度恶劣", "询问订货政策") == 0.0
    assert 0.4 < rules.bigram_similarity("配送员态度恶劣，还迟到", "送货的配送员态度恶劣") < 1.0
    assert rules.bigram_similarity("", "") == 0.0 and rules.bigram_similarity("好", "好") == 1.0


def test_scrub_personal_masks_the_personal_parts_only() -> None:
    text = ("王小明反映：电话 138-1234-5678，座机 0731-5550123，身份证 11010119900307123X，"
            "银行卡 6222021234567890123，邮箱 wxm@example.com；小明说送货晚了 2 小时。")
    out = rules.scrub_personal(text, ["王小明"])
    for secret in ("王小明", "小明", "1234", "5550123", "11010119900307123X", "6222021234567890123", "wxm@"):
        assert secret not in out, secret
    assert "反映" in out and "送货晚了 2 小时" in out
    assert rules.mask_name("王小明") == "（已匿名）" and rules.mask_phone_fully("138-1234") == "***-****"


def test_tracking_numbers() -> None:
    n = rules.tracking_number("261123")
    assert re_match(n)
    assert rules.normalize_tracking_number(" ts261123 7k3m9q ") == "TS261123-7K3M9Q"
    assert rules.normalize_tracking_number("TS261123－7K3M9Q") == "TS261123-7K3M9Q"  # full-width dash
    assert rules.phone_last4("138 1234 5678") == "5678" and rules.phone_last4("12") == ""


def re_match(number: str) -> bool:
    import re

    return re.fullmatch(r"TS\d{6}-[2-9A-HJKMNP-Z]{6}", number) is not None


# ------------------------------------------------------------------------------------------ reads


@pytest.mark.django_db
def test_scope_follows_the_units(org) -> None:
    a = register(org, territory="a")
    b = register(org, territory="b")
    hall = register(org, org.duty, receiving_unit=org.hall, category="window_service", channel="duty_officer")
    assert set(selectors.visible(org.handler_a)) == {a}
    assert set(selectors.visible(org.handler_b)) == {b}
    assert set(selectors.visible(org.agent)) == {a, b}  # the branch received them
    assert set(selectors.visible(org.duty)) == {hall}
    assert set(selectors.visible(org.verifier)) == {a, b}
    assert set(selectors.visible(org.outsider)) == set()
    assert set(selectors.visible(SYSTEM)) == {a, b, hall}
    # a named investigator sees what they investigate, whatever their roles
    from zhidu.complaints import services

    services.assign_investigator(org.handler_a, a, investigator=org.staff_a, now=at(2026, 11, 23, 11))
    assert set(selectors.visible(org.staff_a)) == {a}
    assert list(selectors.investigations(org.staff_a)) == [a]


@pytest.mark.django_db
def test_contact_is_masked_for_readers_who_do_not_work_on_it(org) -> None:
    from zhidu.org import services as org_services

    c = register(org, territory="a")
    assert selectors.contact(org.handler_a, c).phone == "13812345678"
    # someone who may read the branch's registrations but neither registers nor handles them there
    reader = org_services.create_person(SYSTEM, unit=org.branch, name="只读", username="reader", password="pw-123456!")
    org_services.assign_role(SYSTEM, reader, role="duty_director", unit=org.hall, valid_from=at(2020, 1, 1).date())
    org_services.assign_role(SYSTEM, reader, role="complaint_verifier", unit=org.hall, valid_from=at(2020, 1, 1).date())
    assert c not in selectors.visible(reader)
    view = selectors.contact(reader, c)
    assert view.masked and view.phone == "138****5678"


@pytest.mark.django_db
def test_statistics_base_and_overview(org) -> None:
    register(org, territory="a", received_at=at(2026, 11, 2, 9), now=at(2026, 11, 2, 9, 5))
    register(org, territory="b", kind="inquiry", category="ordering")
    register(org, territory="a", received_at=at(2026, 10, 30, 9), now=at(2026, 10, 30, 9, 5))
    november = selectors.for_statistics(org.gm, at(2026, 11, 1), at(2026, 12, 1))
    assert november.count() == 2
    assert selectors.for_statistics(org.gm, at(2026, 11, 1), at(2026, 12, 1), unit=org.county_a).count() == 1
    counts = selectors.state_counts(org.gm)
    assert counts["by_state"][State.OPEN] == 3 and counts["by_kind"][Kind.INQUIRY] == 1 and counts["total"] == 3
    assert counts["overdue"] >= 2  # the October and early-November complaints are past their deadlines
