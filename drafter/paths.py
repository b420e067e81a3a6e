"""Where drafter finds what it ships and where it keeps what it owns.

The corpus and templates live at the top of the source tree (``corpus/``, ``templates/``); a wheel
carries copies under ``drafter/_shipped/``.  Looking in both places lets an editable install and a
plain ``pip install .`` behave the same.  The model cache never goes inside the corpus or the
package: it lives in ``DRAFTER_CACHE_DIR`` or the user cache folder.
"""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    inside = _PKG / "_shipped" / name
    if inside.is_dir():
        return inside
    return _PKG.parent / name


def shipped_corpus() -> Path:
    """The default corpus that comes with drafter."""
    return _shipped("corpus")


def shipped_templates() -> Path:
    """The jinja2 templates that come with drafter."""
    return _shipped("templates")


def default_corpus() -> Path:
    """The corpus a command uses when ``--corpus`` is not given: ``DRAFTER_CORPUS`` or the shipped one."""
    env = os.environ.get("DRAFTER_CORPUS")
    return Path(env).expanduser() if env else shipped_corpus()


def cache_dir() -> Path:
    """The folder for tool-owned files (the mined model): ``DRAFTER_CACHE_DIR`` or the user cache dir."""
    env = os.environ.get("DRAFTER_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("drafter", appauthor=False))
