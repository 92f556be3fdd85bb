"""Documents of complaint handling: the statistics as an Excel workbook (P4.5) and the complaint
registration form (客户投诉登记表, P4.3.2) as a PDF with Chinese text that needs no internet.

The PDF embeds a TrueType CJK font when the machine has one (``CJK_TTF_CANDIDATES``); otherwise it
uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, no font file needed; readers supply
the glyphs). OpenType/CFF fonts such as Debian's Noto CJK ``.ttc`` are not supported by reportlab
and are skipped.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from zhidu.org import access

from . import selectors
from .models import Category, Channel, Complaint, Kind, State
from .stats import Statistics, dimension_label

CJK_TTF_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # CFF outlines: skipped by reportlab
)
CID_FONT = "STSong-Light"
_font_name: str | None = None


def cjk_font() -> str:
    """The name of a registered reportlab font that renders Chinese (embedded TrueType if any)."""
    global _font_name
    if _font_name is not None:
        return _font_name
    from pathlib import Path

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for path, index in CJK_TTF_CANDIDATES:
        if not Path(path).exists():
            continue
        try:
            pdfmetrics.registerFont(TTFont("ZhiduCJK", path, subfontIndex=index))
        except (TTFError, OSError, ValueError):
            continue
        _font_name = "ZhiduCJK"
        return _font_name
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    _font_name = CID_FONT
    return _font_name


# ------------------------------------------------------------------------------------------ PDF


def _when(value: Any) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def registration_fields(actor: access.Actor, c: Complaint) -> list[tuple[str, str]]:
    """The rows of the registration form (P4.3.2) as this viewer may see them (contact masked for
    readers who do not work on the item)."""
    who = selectors.contact(actor, c)
    category = Category.objects.filter(code=c.category).first()
    return [
        (_("编号"), c.number),
        (_("类型"), str(Kind(c.kind).label)),
        (_("类别"), category.label() if category else c.category),
        (_("受理渠道"), str(Channel(c.channel).label) if c.channel in Channel.values else c.channel),
        (_("受理时间"), _when(c.received_at)),
        (_("受理单位"), c.receiving_unit.name),
        (_("受理人"), c.receiving_person_name),
        (_("客户"), who.name),
        (_("联系电话"), who.phone),
        (_("其他联系方式"), who.other),
        (_("被投诉单位（窗口）"), c.subject_unit.name if c.subject_unit else ""),
        (_("被投诉人员"), c.subject_staff),
        (_("转来单位或传真号"), c.forwarded_from),
        (_("内容"), c.content),
        (_("处理意见"), c.handling_opinion),
        (_("责任单位"), c.responsible_unit.name),
        (_("办理期限"), _when(c.due_at)),
        (_("状态"), str(State(c.state).label)),
        (_("附件"), _("、").join(a.name for a in c.attachments.filter(deleted_at__isnull=True))),
    ]


def registration_pdf(actor: access.Actor, c: Complaint) -> bytes:
    """客户投诉登记表 (P4.3.2) of one registration as an A4 PDF."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    title_style = ParagraphStyle("t", fontName=font, fontSize=18, leading=24, alignment=1)
    note_style = ParagraphStyle("n", fontName=font, fontSize=8, leading=11, textColor=colors.grey)
    cell = ParagraphStyle("c", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    head = ParagraphStyle("h", parent=cell, textColor=colors.HexColor("#333333"))

    def para(text: str, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    rows = [[para(label, head), para(value)] for label, value in registration_fields(actor, c)]
    table = Table(rows, colWidths=[38 * mm, 132 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{_('客户投诉登记表')} {c.number}", author="zhidu")
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    doc.build([
        para(_("客户投诉登记表"), title_style), Spacer(1, 4 * mm), table, Spacer(1, 4 * mm),
        para(_("依据 P4.3.2 登记；打印时间 %(at)s。") % {"at": printed}, note_style),
    ])
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ Excel

_COLUMNS = ("n", "closed", "on_time", "on_time_rate", "rated", "satisfied", "satisfaction_rate", "reopened",
            "reopen_rate", "spot", "spot_pass", "spot_pass_rate")


def column_labels() -> list[str]:
    return [_("件数"), _("已办结（有期限）"), _("按期办结"), _("按期办结率%"), _("已评价"), _("满意（含基本满意）"),
            _("满意率%"), _("重新办理"), _("重办率%"), _("抽查验证"), _("验证相符"), _("抽查合格率%")]


def statistics_xlsx(stats: Statistics, *, title: str) -> bytes:
    """The statistics page as a workbook: a summary sheet (totals, definitions, clauses), the trend
    and one sheet per breakdown."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("汇总")
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("期间"), f"{timezone.localtime(stats.start):%Y-%m-%d}",
               f"{timezone.localtime(stats.end):%Y-%m-%d}"])
    ws.append([_("单位"), stats.unit.name if stats.unit else _("全部可见单位")])
    ws.append([_("依据"), " ".join(stats.clauses)])
    ws.append([])
    ws.append(["", *column_labels()])
    ws.append([_("合计"), *_values(stats.total)])
    ws.append([])
    for line in definitions():
        ws.append([line])

    def sheet(name: str, first: str, rows: list[Any]) -> None:
        s = wb.create_sheet(name[:31])
        s.append([first, *column_labels()])
        for f in rows:
            s.append([f.label, *_values(f)])
        s.column_dimensions["A"].width = 24

    sheet(_("趋势"), _("期间"), stats.trend)
    for key, rows in stats.by.items():
        sheet(dimension_label(key), dimension_label(key), rows)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _values(f: Any) -> list[Any]:
    return [getattr(f, c) for c in _COLUMNS]


def definitions() -> list[str]:
    return [
        _("按期办结率 = 按期办结件数 ÷ 已办结且有期限的件数（P4.4.1、P4.4.2、P4.4.4）。"),
        _("满意率 = （非常满意 + 满意 + 基本满意）÷ 已评价件数；未评价的不计入分母（P4.4.5）。"),
        _("重办率 = 重新办理过的件数 ÷ 全部件数（P4.4.5、P4.4.6）。"),
        _("抽查合格率 = 验证相符件数 ÷ 已验证件数（P4.4.6）。"),
        _("按受理时间所在期间统计。"),
    ]
