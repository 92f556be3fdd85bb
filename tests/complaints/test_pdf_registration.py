"""Item 9 — the complaint registration form (客户投诉登记表, P4.3.2) as a PDF whose Chinese text is
real text (extracted back), with a CJK font that needs no internet; only for readers of the item, with
the customer's contact masked for readers who do not work on it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from cmp_helpers import register
from django.test import Client
from pypdf import PdfReader

from zhidu.complaints import reports

pytestmark = pytest.mark.django_db

CONTENT = "配送员态度恶劣，送货迟到两小时还出言不逊。"


def login(person: Any) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() or "" for page in reader.pages).replace(" ", "").replace("\n", "")


def test_registration_form_pdf_has_the_chinese_labels_and_content(org) -> None:
    c = register(org, territory="a", content=CONTENT, customer_name="王小明", customer_phone="13812345678")
    r = login(org.agent).get(f"/complaints/{c.pk}/form.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-") and b"%%EOF" in r.content[-64:]
    text = text_of(r.content)
    for label in ("客户投诉登记表", "编号", "受理渠道", "受理时间", "受理单位", "受理人", "联系电话", "类型", "内容"):
        assert label in text, label
    assert c.number in text and "王小明" in text and "13812345678" in text
    assert "配送员态度恶劣" in text and "出言不逊" in text
    assert "分公司投诉监督电话" in text and "甲县公司" in text and "P4.3.2" in text


def test_the_font_needs_no_download() -> None:
    from reportlab.pdfbase import pdfmetrics

    name = reports.cjk_font()
    assert name in pdfmetrics.getRegisteredFontNames()
    assert name in ("ZhiduCJK", reports.CID_FONT)


def test_pdf_only_for_readers_and_masked_for_those_who_do_not_work_on_it(org, monkeypatch) -> None:
    c = register(org, territory="a", content=CONTENT, customer_phone="13812345678")
    assert login(org.handler_b).get(f"/complaints/{c.pk}/form.pdf").status_code == 404
    assert login(org.outsider).get(f"/complaints/{c.pk}/form.pdf").status_code == 404
    assert Client().get(f"/complaints/{c.pk}/form.pdf").status_code == 302
    # the verifier reads the branch's items and verifies them: the phone in clear
    text = text_of(login(org.verifier).get(f"/complaints/{c.pk}/form.pdf").content)
    assert "13812345678" in text
    # a reader who does not work on the item gets the form with the phone masked (as on the page)
    from zhidu.complaints import selectors

    monkeypatch.setattr(selectors, "may_see_contact", lambda actor, complaint: False)
    text = text_of(login(org.verifier).get(f"/complaints/{c.pk}/form.pdf").content)
    assert "13812345678" not in text and "王小明" in text and "5678" in text


def test_the_item_page_links_its_pdf_and_the_index_links_the_statistics(org) -> None:
    c = register(org, territory="a", content=CONTENT)
    client = login(org.agent)
    assert f'href="/complaints/{c.pk}/form.pdf"' in client.get(f"/complaints/{c.pk}/").content.decode()
    assert 'href="/complaints/stats/"' in client.get("/complaints/").content.decode()
