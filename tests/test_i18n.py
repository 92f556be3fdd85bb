from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "src" / "zhidu" / "locale"


def test_english_catalogue_is_complete_and_compiled() -> None:
    po_path = LOCALE / "en" / "LC_MESSAGES" / "django.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    with (LOCALE / "en" / "LC_MESSAGES" / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100
    for message in messages:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        english = message.string if isinstance(message.string, str) else message.string[0]
        assert english, f"no English for {msgid!r}"
        assert compiled.gettext(msgid) == english, f"django.mo is stale for {msgid!r}: run make messages"
        # placeholders survive translation
        for token in ("%(", "%s", "%d"):
            assert msgid.count(token) == english.count(token), msgid
