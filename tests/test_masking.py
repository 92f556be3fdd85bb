from __future__ import annotations

import pytest

from zhidu.core.masking import mask_email, mask_id_number, mask_phone
from zhidu.org import selectors


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0571-8888888") == "057*******88"
    assert mask_phone("") == ""
    assert mask_phone("110") == "***"


def test_mask_id_number() -> None:
    assert mask_id_number("11010119900307123X") == "1101**********123X"
    assert mask_id_number("") == ""
    assert mask_id_number("1234567") == "*******"


def test_mask_email() -> None:
    assert mask_email("zhang@example.cn") == "z****@example.cn"


@pytest.mark.django_db
def test_who_sees_personal_data(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    worker = make_person(tree.front, phone="13912345678", id_number="110101199003071234")
    hr = make_person(tree.hotel, role="hr")
    manager = make_person(tree.front, role="department_manager")
    outsider_hr = make_person(tree.marketing, role="hr")

    clear = selectors.person_view(hr, worker)
    assert (clear.phone, clear.id_number, clear.masked) == ("13912345678", "110101199003071234", False)

    masked = selectors.person_view(manager, worker)
    assert (masked.phone, masked.id_number, masked.masked) == ("139****5678", "1101**********1234", True)

    # HR of another unit: masked too (and may not even list the front office).
    assert selectors.person_view(outsider_hr, worker).masked
    # Everyone sees their own data.
    assert not selectors.person_view(worker, worker).masked


@pytest.mark.django_db
def test_unit_listing_is_masked_for_managers(tree, make_person) -> None:  # type: ignore[no-untyped-def]
    make_person(tree.front, phone="13912345678")
    manager = make_person(tree.front, role="department_manager")
    rows = selectors.people_in_unit(manager, tree.front)
    others = [r for r in rows if r.id != manager.pk]
    assert others and all(r.masked and "****" in r.phone for r in others)
