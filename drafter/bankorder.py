"""What the phrase banks hold and the order they are listed in.

Kept apart from :mod:`drafter.phrases` (which finds phrases in text and compiles a hundred
patterns to do it) so the processes that only merge and list banks need nothing else.
"""

from __future__ import annotations

import hashlib

CATEGORIES: dict[str, str] = {
    "四字格": "idiom",
    "提法": "slogan",
    "引语": "quote",
    "开头": "opener",
    "过渡": "transition",
    "结尾": "closer",
    "句子": "sentence",
}
"""The bank categories (Chinese name → English alias), in the order banks are listed."""

_ORDER = {name: i for i, name in enumerate(CATEGORIES)}


def bank_order(category: str, count: int, text: str, speaker: str) -> tuple[int, int, str, str]:
    """The order banks are listed in: category, then most used first, then text and speaker."""
    return (_ORDER.get(category, len(_ORDER)), -count, text, speaker)


def spread_order(count: int, text: str) -> tuple[int, str, str]:
    """Which 句子 a capped pool keeps: the most frequent first, then a spread chosen by a content
    hash (not alphabetical, which would favour sentences starting with 一)."""
    return (-count, hashlib.sha1(text.encode("utf-8")).hexdigest(), text)


__all__ = ["CATEGORIES", "bank_order", "spread_order"]
