"""Word segmentation and part-of-speech tags, behind one small interface.

drafter segments with rjieba (jieba's algorithm and dictionary in Rust, ~30x faster than jieba) and
falls back to jieba when rjieba is not importable.  jieba's user-dictionary feature is kept either
way: ``DRAFTER_USERDICT`` (or :func:`load_userdict`) names a file in jieba's format
(``word [freq] [tag]`` per line), whose words are added to whichever segmenter is in use.

The segmenter is loaded lazily, on the first call, so commands that never segment (drafting from a
cached model) never pay for the dictionary load.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def _engine() -> tuple[str, Any]:
    try:
        import rjieba

        engine: tuple[str, Any] = ("rjieba", rjieba)
    except ImportError:  # pragma: no cover - exercised only where rjieba is missing
        import jieba
        import jieba.posseg

        jieba.setLogLevel(60)
        engine = ("jieba", jieba)
    userdict = os.environ.get("DRAFTER_USERDICT")
    if userdict:
        _add_userdict(engine, Path(userdict))
    return engine


def _add_userdict(engine: tuple[str, Any], path: Path) -> None:
    _name, mod = engine
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        word = parts[0]
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        mod.add_word(word, freq, tag)


def load_userdict(path: str | Path) -> None:
    """Add the words of a jieba-format user dictionary to the segmenter in use."""
    _add_userdict(_engine(), Path(path))


def engine_name() -> str:
    """``"rjieba"`` or ``"jieba"``: which segmenter this process uses."""
    return _engine()[0]


def cut(text: str) -> list[str]:
    """Split text into words (HMM on, as jieba's default)."""
    _name, mod = _engine()
    return list(mod.cut(text))


def tag(text: str) -> list[tuple[str, str]]:
    """Split text into ``(word, pos)`` pairs with jieba's tag set (``i`` idiom, ``l`` fixed phrase, …)."""
    name, mod = _engine()
    if name == "rjieba":
        return mod.tag(text)  # already a fresh list of (word, tag) tuples
    import jieba.posseg

    return [(p.word, p.flag) for p in jieba.posseg.cut(text)]
