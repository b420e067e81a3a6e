"""The Draft: what the composer builds and every renderer (md, text, json, docx) reads.

A draft is a tree of sections; every piece of text in it is an :class:`Item` that says where it came
from (``kind`` and ``source``), so a writer can always trace a borrowed line back to its text.

Kinds:
  ``corpus``    a sentence quoted verbatim from a corpus article (source ``FILE#N``)
  ``phrase``    a mined bank entry, verbatim (source ``FILE#N``)
  ``user``      a hand-added bank entry (source ``banks/FILE#LINE``)
  ``generated`` a new sentence from the Markov model (source names the theme model)
  ``template``  fixed text from the templates, and 【待补：…】 gaps for facts only the writer knows
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("corpus", "phrase", "user", "generated", "template")


@dataclass(frozen=True)
class Item:
    """One line of a draft with its provenance."""

    text: str
    kind: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "source": self.source}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Item:
        return cls(text=d["text"], kind=d["kind"], source=d.get("source", "") or "")


@dataclass(frozen=True)
class Section:
    """A heading with its body items and nested sub-sections.

    ``marker`` is the numbering as printed (``第一，`` → ``第一``, ``一、``, ``一是``; empty when the
    heading is unmarked); ``alternatives`` holds other parallel series a writer could swap in
    (each a list of headings for this section's level).
    """

    heading: str
    marker: str = ""
    level: int = 1
    body: tuple[Item, ...] = ()
    children: tuple[Section, ...] = ()
    alternatives: tuple[tuple[str, ...], ...] = ()
    heading_source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            "level": self.level,
            "heading": self.heading,
            "heading_source": self.heading_source,
            "body": [i.to_dict() for i in self.body],
            "children": [c.to_dict() for c in self.children],
            "alternatives": [list(a) for a in self.alternatives],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Section:
        return cls(
            heading=d.get("heading", ""),
            marker=d.get("marker", ""),
            level=int(d.get("level", 1)),
            body=tuple(Item.from_dict(i) for i in d.get("body", [])),
            children=tuple(Section.from_dict(c) for c in d.get("children", [])),
            alternatives=tuple(tuple(a) for a in d.get("alternatives", [])),
            heading_source=d.get("heading_source", ""),
        )


@dataclass(frozen=True)
class Draft:
    """A first-draft skeleton: title, opening, parallel sections, closing, and where each line came from."""

    title: str
    genre: str
    theme: str
    seed: int
    subtitle: str = ""
    opening: tuple[Item, ...] = ()
    sections: tuple[Section, ...] = ()
    closing: tuple[Item, ...] = ()
    sources: tuple[tuple[str, str], ...] = field(default=())  # (file, title) of every text borrowed from

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "genre": self.genre,
            "theme": self.theme,
            "seed": self.seed,
            "opening": [i.to_dict() for i in self.opening],
            "sections": [s.to_dict() for s in self.sections],
            "closing": [i.to_dict() for i in self.closing],
            "sources": [{"file": f, "title": t} for f, t in self.sources],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Draft:
        return cls(
            title=d.get("title", ""),
            subtitle=d.get("subtitle", ""),
            genre=d.get("genre", "speech"),
            theme=d.get("theme", ""),
            seed=int(d.get("seed", 0)),
            opening=tuple(Item.from_dict(i) for i in d.get("opening", [])),
            sections=tuple(Section.from_dict(s) for s in d.get("sections", [])),
            closing=tuple(Item.from_dict(i) for i in d.get("closing", [])),
            sources=tuple((s["file"], s.get("title", "")) for s in d.get("sources", [])),
        )
