"""Compile every .po under src/zhidu/locale to .mo with Babel (pure Python: no GNU gettext needed)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "src" / "zhidu" / "locale"

for po_path in sorted(ROOT.glob("*/LC_MESSAGES/*.po")):
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    with po_path.with_suffix(".mo").open("wb") as fh:
        write_mo(fh, catalog)
    print(f"compiled {po_path.relative_to(ROOT.parent.parent.parent)}")
