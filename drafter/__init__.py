"""drafter: an offline drafting assistant for Chinese official writing.

The library API mirrors the command line, and ``from drafter import new`` gives what ``drafter new``
prints (as a :class:`~drafter.draft.Draft`).  Names are imported lazily so that ``import drafter``
stays cheap on the drafting path.

================  =====================================  =====================
command           library call                           returns
================  =====================================  =====================
drafter clean     ``drafter.load_files(paths)``          ``[(file, [Article])]``
drafter outline   ``drafter.extract_outline(article)``   ``(Heading, ...)``
drafter mine      ``drafter.mine_corpus(corpus)``        ``Model``
drafter new       ``drafter.new(theme=...)``             ``Draft``
drafter fill      ``drafter.fill_outline(path)``         ``Draft``
(rendering)       ``drafter.render_draft(draft, fmt)``   ``str`` or ``bytes``
================  =====================================  =====================

(``outline``, ``mine``, ``fill`` and ``render`` are also the names of the submodules, so the
functions are exported under the names above.)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_files": ("drafter.corpus", "load_files"),
    "clean_source": ("drafter.corpus", "clean_source"),
    "Article": ("drafter.corpus", "Article"),
    "extract_outline": ("drafter.outline", "outline"),
    "Heading": ("drafter.outline", "Heading"),
    "mine_corpus": ("drafter.mine", "mine"),
    "load_model": ("drafter.mine", "load_model"),
    "Model": ("drafter.model", "Model"),
    "Series": ("drafter.series", "Series"),
    "new": ("drafter.compose", "new"),
    "compose": ("drafter.compose", "compose"),
    "fill_outline": ("drafter.fill", "fill"),
    "render_draft": ("drafter.render", "render"),
    "Draft": ("drafter.draft", "Draft"),
    "Section": ("drafter.draft", "Section"),
    "Item": ("drafter.draft", "Item"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'drafter' has no attribute {name!r}")
    module, attr = target
    return getattr(import_module(module), attr)
