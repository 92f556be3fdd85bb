"""Pure helpers of complaint handling (no ORM, no clock, no settings).

The P4 rules themselves (deadlines, routing, sampling, retention, closing) live in
``zhidu.rulebook.rules.p4``; this module holds the small computations the complaints app needs
around them: content similarity for duplicate hints, the anonymization of personal data (P4.4.7),
tracking numbers and the satisfaction scale.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

# Tracking numbers: no 0/O, 1/I/L, so that a number read over the phone is not misheard.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_RANDOM_LENGTH = 6

_SPACE = re.compile(r"\s+")
_PUNCT_CATEGORIES = ("P", "S", "Z", "C")


def normalize_text(text: str) -> str:
    """NFKC, lower case, punctuation, symbols and spaces removed: what the similarity compares."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith(_PUNCT_CATEGORIES))


def bigrams(text: str) -> set[str]:
    """Character bigrams of the normalized text (a one-character text is its own gram)."""
    norm = normalize_text(text)
    if len(norm) < 2:
        return {norm} if norm else set()
    return {norm[i:i + 2] for i in range(len(norm) - 1)}


def bigram_similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams, 0 … 1 (Chinese text has no word breaks, so
    character bigrams are the usual unit). Two empty texts are not similar."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def digits(phone: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", phone or "") if ch.isdigit())


def phone_last4(phone: str) -> str:
    d = digits(phone)
    return d[-4:] if len(d) >= 4 else ""


# ------------------------------------------------------------------------------------- anonymizing

ANONYMIZED_NAME = "（已匿名）"

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{7,}(?!\d)")  # bank cards, licence numbers, other phone forms
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_name(name: str) -> str:
    """A customer's name after retention: nothing of it is kept."""
    return ANONYMIZED_NAME if (name or "").strip() else ""


def mask_phone_fully(phone: str) -> str:
    """Every digit masked (the length kept): the number cannot be recovered."""
    return re.sub(r"\d", "*", phone or "")


def scrub_personal(text: str, names: Iterable[str] = ()) -> str:
    """Free text with its personal parts masked: ID numbers, mobile and landline numbers, other
    long digit runs, e-mail addresses, and each of ``names`` (the customer's name; a name of two
    or more characters is also masked without its surname, e.g. "王小明" and "小明")."""
    out = text or ""
    out = _EMAIL.sub("***@***", out)
    out = _ID_NUMBER.sub(lambda m: "*" * len(m.group()), out)
    out = _MOBILE.sub(lambda m: re.sub(r"\d", "*", m.group()), out)
    out = _LANDLINE.sub(lambda m: re.sub(r"\d", "*", m.group()), out)
    out = _LONG_DIGITS.sub(lambda m: "*" * len(m.group()), out)
    variants: set[str] = set()
    for name in names:
        name = (name or "").strip()
        if not name or name == ANONYMIZED_NAME:
            continue
        variants.add(name)
        if len(name) >= 3:
            variants.add(name[1:])  # given name without the surname
    for variant in sorted(variants, key=len, reverse=True):
        out = out.replace(variant, "*" * len(variant))
    return out


# ------------------------------------------------------------------------------------- tracking


def tracking_number(day_code: str, token: str | None = None) -> str:
    """``TS`` + the day (YYMMDD) + ``-`` + six random characters, e.g. ``TS261015-7K3M9Q``."""
    if token is None:
        token = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_RANDOM_LENGTH))
    return f"TS{day_code}-{token}"


def normalize_tracking_number(text: str) -> str:
    """What a customer typed (spaces, lower case, full-width, no dash) as the stored number."""
    t = re.sub(r"[\s\-_—－]", "", unicodedata.normalize("NFKC", text or "").upper())
    return f"{t[:8]}-{t[8:]}" if len(t) == 8 + TRACKING_RANDOM_LENGTH else t


# ------------------------------------------------------------------------------------- satisfaction

SATISFACTION_LEVELS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied")
DISSATISFIED = frozenset({"dissatisfied", "very_dissatisfied"})
SATISFIED = frozenset({"very_satisfied", "satisfied", "basically_satisfied"})


def is_dissatisfied(level: str) -> bool:
    return level in DISSATISFIED
