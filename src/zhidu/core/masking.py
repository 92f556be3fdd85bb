"""Masking of personal data (phone numbers, ID numbers) for viewers who may not see it.

Pure functions: the decision *whether* to mask is made by the access policy
(``zhidu.org.access``); these only say *how*.
"""

from __future__ import annotations

MASK = "*"


def mask_phone(phone: str) -> str:
    """138****5678 for mobile numbers; for other lengths keep the first 3 and last 2 digits."""
    value = (phone or "").strip()
    if not value:
        return ""
    if len(value) == 11:
        return value[:3] + MASK * 4 + value[-4:]
    if len(value) <= 4:
        return MASK * len(value)
    return value[:3] + MASK * (len(value) - 5) + value[-2:]


def mask_id_number(id_number: str) -> str:
    """Resident ID (18 characters): keep the first 4 and last 4, e.g. 1101**********123X."""
    value = (id_number or "").strip()
    if not value:
        return ""
    if len(value) <= 8:
        return MASK * len(value)
    return value[:4] + MASK * (len(value) - 8) + value[-4:]


def mask_email(email: str) -> str:
    value = (email or "").strip()
    if "@" not in value:
        return mask_phone(value)
    local, _, domain = value.partition("@")
    return (local[:1] + MASK * max(len(local) - 1, 1)) + "@" + domain
