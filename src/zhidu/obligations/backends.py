"""Pluggable SMS and phone-call backends (``settings.ZHIDU_SMS_BACKEND``).

A backend is a class with ``send_sms(phone, text)`` and ``place_call(phone, text)``; it raises on
failure. The default writes one line per message to ``ZHIDU_DATA_DIR/sms.log`` (a record a
gateway integration can replace); ``ConsoleSmsBackend`` prints instead. A real gateway is one
more class with the same two methods.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "zhidu.obligations.backends.FileSmsBackend"


class SmsBackend(Protocol):
    def send_sms(self, phone: str, text: str) -> None: ...

    def place_call(self, phone: str, text: str) -> None: ...


def _line(kind: str, phone: str, text: str) -> str:
    flat = " ".join(text.split())
    return f"{timezone.now().isoformat()}\t{kind}\t{phone}\t{flat}\n"


class FileSmsBackend:
    _lock = threading.Lock()

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else Path(getattr(settings, "ZHIDU_SMS_LOG", settings.DATA_DIR / "sms.log"))

    def _write(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)

    def send_sms(self, phone: str, text: str) -> None:
        self._write(_line("sms", phone, text))

    def place_call(self, phone: str, text: str) -> None:
        self._write(_line("phone", phone, text))


class ConsoleSmsBackend:
    def send_sms(self, phone: str, text: str) -> None:
        sys.stdout.write(_line("sms", phone, text))

    def place_call(self, phone: str, text: str) -> None:
        sys.stdout.write(_line("phone", phone, text))


def get_backend() -> SmsBackend:
    path = getattr(settings, "ZHIDU_SMS_BACKEND", DEFAULT_BACKEND) or DEFAULT_BACKEND
    backend: SmsBackend = import_string(path)()
    return backend
