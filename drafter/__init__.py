"""drafter: an offline drafting assistant for Chinese official writing.

The library API mirrors the command line: ``drafter clean`` is :func:`drafter.corpus.clean_source`,
``drafter outline`` is :func:`drafter.outline.outline`, ``drafter new`` is :func:`drafter.new`.
Heavy modules are imported lazily so that ``import drafter`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"
