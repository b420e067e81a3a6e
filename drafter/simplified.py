"""Traditional → simplified conversion, with zhconv loaded cheaply.

zhconv imports ``pkg_resources`` only to open its own data file, and falls back to a plain
``open`` when that import fails.  Importing ``pkg_resources`` costs about a tenth of a second,
more than everything else a mining worker loads besides the segmenter, and every worker checks
every file for traditional characters; so it is hidden while zhconv is imported (unless something
has loaded it already, in which case zhconv simply uses it).
"""

from __future__ import annotations

import sys
from types import ModuleType


def zhconv() -> ModuleType:
    """The ``zhconv`` package (imported on first use)."""
    module = sys.modules.get("zhconv")
    if module is not None:
        return module
    hide = "pkg_resources" not in sys.modules
    if hide:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes its import fail
    try:
        import zhconv as module
    finally:
        if hide:
            del sys.modules["pkg_resources"]
    return module


def to_simplified(text: str) -> str:
    """``text`` converted to simplified characters as used in mainland China (``zh-cn``)."""
    return str(zhconv().convert(text, "zh-cn"))


def conversion_table() -> dict[str, str]:
    """zhconv's ``zh-cn`` table: each entry and what it becomes."""
    zhconv()
    return dict(sys.modules["zhconv.zhconv"].getdict("zh-cn"))
