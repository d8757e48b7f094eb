"""Bilingual text: every message a student or an instructor reads exists in English and Chinese."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Text:
    """A message in English and Chinese; ``text(lang)`` picks one."""

    en: str
    zh: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def __add__(self, other: "Text") -> "Text":
        return Text(self.en + other.en, self.zh + other.zh)


def size_text(n: int) -> str:
    """A byte count for people: ``3 GiB``, ``1.5 MiB``, ``512 bytes``."""
    for unit, step in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= step:
            return f"{n / step:.3g} {unit}"
    return f"{n} bytes"
