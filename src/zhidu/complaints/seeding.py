"""Default complaint categories, created after every migrate (and after test flushes, which send
post_migrate too). Existing rows are never changed: an organization may rename or deactivate them."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS

#: (code, name, English name). ``product_quality`` is the one ``p4.product_quality_categories`` names.
DEFAULT_CATEGORIES: list[tuple[str, str, str]] = [
    ("service_attitude", "服务态度", "Service attitude"),
    ("service_efficiency", "办事效率", "Efficiency"),
    ("ordering", "订货", "Ordering"),
    ("delivery", "配送", "Delivery"),
    ("price", "价格与结算", "Price and payment"),
    ("product_quality", "商品质量", "Product quality"),
    ("window_service", "窗口服务", "Service window"),
    ("staff_conduct", "工作人员行为", "Staff conduct"),
    ("policy", "政策与业务咨询", "Policies and procedures"),
    ("facility", "设施与环境", "Facilities and environment"),
    ("other", "其他", "Other"),
]


def ensure_default_categories(*, using: str = DEFAULT_DB_ALIAS, apps: Any = None, **kwargs: Any) -> None:
    if using != DEFAULT_DB_ALIAS:
        return
    if apps is not None:
        try:
            apps.get_model("complaints", "Category")
        except LookupError:
            return  # migrated only part of the way
    from zhidu.core import configcache

    from .config import CONFIG_CACHE
    from .models import Category

    existing = set(Category.objects.values_list("code", flat=True))
    created = Category.objects.bulk_create([
        Category(code=code, name=name, name_en=name_en, position=i * 10)
        for i, (code, name, name_en) in enumerate(DEFAULT_CATEGORIES) if code not in existing
    ])
    if created or not configcache.token(CONFIG_CACHE):
        configcache.bump(CONFIG_CACHE)  # bulk_create sends no signal; a first seeding starts the cache
