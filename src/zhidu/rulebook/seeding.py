"""Built-in regulations, created after every migrate (and after test flushes, which send
post_migrate too), so a fresh or flushed database always knows P1–P11."""

from __future__ import annotations

from typing import Any

BUILTIN_REGULATIONS: list[tuple[str, str, str]] = [
    ("P1", "青年志愿者服务中心内部管理制度", "Youth volunteer service centre: internal rules"),
    ("P2", "志愿服务站管理制度", "Volunteer service station"),
    ("P3", "客服部人员管理制度", "Customer-service staff management"),
    ("P4", "客户投诉处理制度", "Customer complaint handling"),
    ("P5", "酒店（餐厅）前厅服务制度", "Restaurant front of house"),
    ("P6", "县服务业发展联席会议制度", "County service-industry joint meeting"),
    ("P7", "酒店考勤制度", "Hotel attendance"),
    ("P8", "社区卫生服务中心服务制度", "Community health service centre"),
    ("P9", "乡镇便民服务代理室制度", "Agency office of a township service hall"),
    ("P10", "政务服务中心督办导办与值班制度", "Service-centre supervision, guidance and duty"),
    ("P11", "客服（销售支持）管理制度", "Customer service supporting sales"),
]


def ensure_builtin_regulations(**kwargs: Any) -> None:
    from .models import Regulation

    existing = set(Regulation.objects.filter(builtin=True).values_list("code", flat=True))
    for code, title, title_en in BUILTIN_REGULATIONS:
        if code not in existing:
            Regulation.objects.update_or_create(code=code, defaults={"title": title, "title_en": title_en,
                                                                     "builtin": True})
