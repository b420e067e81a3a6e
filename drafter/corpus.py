"""Turning raw sources into clean articles (work in progress: the full cleaning rules land next)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from drafter.sources import Source


@dataclass(frozen=True)
class Article:
    """One cleaned article.

    ``paragraphs[i]`` came from paragraph ``positions[i]`` (1-based) of the cleaned file, so
    provenance is written ``f"{file}#{positions[i]}"``.  ``flags`` holds ``"traditional"`` or
    ``"conversion-artifacts"`` for texts whose structure may be learned but which must never be quoted.
    """

    file: str
    title: str
    paragraphs: tuple[str, ...]
    positions: tuple[int, ...]
    subtitle: str = ""
    author: str = ""
    date: str = ""
    genre: str = "article"
    flags: tuple[str, ...] = ()
    editor_note: str = ""

    @property
    def quotable(self) -> bool:
        """False for texts whose wording must not be copied into drafts."""
        return not self.flags

    def source(self, index: int) -> str:
        """Provenance of paragraph ``index`` (0-based): ``FILE#N``."""
        return f"{self.file}#{self.positions[index]}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["paragraphs"] = list(self.paragraphs)
        d["positions"] = list(self.positions)
        d["flags"] = list(self.flags)
        return d

    def clean_dict(self) -> dict[str, Any]:
        """The shape ``drafter clean --format json`` prints for one article."""
        keys = ("title", "subtitle", "author", "date", "genre", "flags", "editor_note", "paragraphs", "positions")
        d = self.to_dict()
        return {k: d[k] for k in keys}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Article:
        return cls(**{**d, "paragraphs": tuple(d["paragraphs"]), "positions": tuple(d["positions"]), "flags": tuple(d.get("flags", ()))})


def clean_source(source: Source) -> list[Article]:
    """Clean one source and split it into articles."""
    paras = [ln.strip() for ln in source.text.split("\n") if ln.strip()]
    if not paras:
        return []
    return [Article(file=source.name, title=paras[0], paragraphs=tuple(paras[1:]), positions=tuple(range(2, len(paras) + 1)))]


def load_files(paths, on_skip=None):  # type: ignore[no-untyped-def]
    """Read and clean files and folders: ``[(file name, [Article, ...]), ...]`` in sorted order."""
    from drafter.sources import iter_sources

    return [(s.name, clean_source(s)) for s in iter_sources(paths, on_skip)]
