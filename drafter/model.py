"""The mined Model: what the composer and every query command read, and where it is kept.

The model is tool-owned JSON in the cache folder (``DRAFTER_CACHE_DIR`` or the user cache dir),
one folder per corpus, never inside the corpus or the package::

    <cache>/<corpus key>/model.json          the merged model (schema-versioned)
    <cache>/<corpus key>/inputs.json         the model's inputs alone (a cheap staleness check)
    <cache>/<corpus key>/terms.json          every file's word counts as integer columns, which
                                             the next mine folds instead of the words
                                             (drafter.termsnap)
    <cache>/<corpus key>/files/<key>.json    one analysis per source file (the map step's output),
                                             keyed by file name and content hash, so changing one
                                             file re-analyses one file
    <cache>/<corpus key>/chains/<key>.json   Markov chains and novelty index per theme, built lazily

Everything is written atomically under a lock; a corrupt or outdated file is treated as missing and
rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from drafter import paths

SCHEMA = 2
"""Bump when the model's JSON layout or the meaning of a field changes: old caches are rebuilt."""

ANALYSIS_VERSION = 1
"""Bump when the per-file analysis changes (cleaning, outline, phrase rules): files are re-analysed."""


@dataclass(frozen=True)
class ArticleInfo:
    """What the model keeps of each article (the text itself stays in the per-file analysis)."""

    id: str
    file: str
    title: str
    genre: str
    subtitle: str = ""
    author: str = ""
    date: str = ""
    flags: tuple[str, ...] = ()
    paragraphs: int = 0
    chars: int = 0
    span: tuple[int, int] = (0, 0)  # first and last paragraph position in the file
    analysis: str = ""  # name of the per-file analysis JSON holding its text

    @property
    def quotable(self) -> bool:
        return not self.flags

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "title": self.title,
            "genre": self.genre,
            "subtitle": self.subtitle,
            "author": self.author,
            "date": self.date,
            "flags": list(self.flags),
            "paragraphs": self.paragraphs,
            "chars": self.chars,
            "span": list(self.span),
            "analysis": self.analysis,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleInfo:
        return cls(**{**d, "flags": tuple(d.get("flags", ())), "span": tuple(d.get("span", (0, 0)))})


class JsonRows(Sequence[dict[str, Any]]):
    """Rows that arrived as one JSON array, parsed on first use.

    The process that merges the phrase banks hands them over as the bytes the model file holds;
    mining writes them out as they are (:meth:`Model.to_json`) instead of parsing fifteen thousand
    rows only to write them again.  Compares equal to the same rows in any sequence.
    """

    __slots__ = ("raw", "categories", "_rows")

    def __init__(self, raw: bytes, categories: dict[str, int] | None = None) -> None:
        self.raw = raw
        self.categories = categories
        """How many rows each category has, if the maker counted them (see :meth:`Model.bank_counts`)."""
        self._rows: tuple[dict[str, Any], ...] | None = None

    @property
    def rows(self) -> tuple[dict[str, Any], ...]:
        if self._rows is None:
            import orjson

            self._rows = tuple(orjson.loads(self.raw))
        return self._rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        return self.rows[i]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self.rows == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (rows are dicts: no hash, like a tuple of them)

    def __repr__(self) -> str:
        return f"JsonRows({len(self.raw)} bytes)"


@dataclass(frozen=True)
class Model:
    """The merged result of mining a corpus.

    ``inputs`` records what the model was built from (file names with content hash, size and
    mtime; the theme terms key), which is how staleness is decided.  ``shapes`` holds per-genre
    outline statistics, ``series`` the parallel-heading skeletons, ``phrases`` the mined banks,
    ``themes`` the theme index, ``titles`` sample titles per genre.
    """

    corpus: str
    inputs: dict[str, Any]
    articles: tuple[ArticleInfo, ...]
    shapes: dict[str, Any] = field(default_factory=dict)
    series_rows: tuple[dict[str, Any], ...] = ()
    phrase_rows: Sequence[dict[str, Any]] = ()
    themes: dict[str, Any] = field(default_factory=dict)
    schema: int = SCHEMA

    @cached_property
    def series(self) -> tuple[Any, ...]:
        """Every parallel-heading skeleton as :class:`~drafter.series.Series` (parsed on first use)."""
        from drafter.series import Series

        return tuple(Series.from_dict(r) for r in self.series_rows)

    def series_for(self, theme: str, others: int = 60) -> list[Any]:
        """The skeletons found in articles about ``theme``, then the ``others`` with the most
        constant words: all a draft looks at, without parsing a large corpus's whole list."""
        from drafter.series import Series

        own = [r for r in self.series_rows if theme in r.get("themes", ())]
        rest = sorted((r for r in self.series_rows if theme not in r.get("themes", ())), key=lambda r: -r.get("coverage", 0.0))
        return [Series.from_dict(r) for r in own + rest[:others]]

    @cached_property
    def _phrase_files(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        for i, row in enumerate(self.phrase_rows):
            for f in dict.fromkeys(s.split("#", 1)[0] for s in row["sources"]):
                index.setdefault(f, []).append(i)
        return index

    @cached_property
    def phrases(self) -> tuple[Any, ...]:
        """The phrase banks as :class:`~drafter.phrases.Phrase` objects.

        Kept as plain rows until asked for: a large corpus has tens of thousands of entries, and a
        draft needs only those of its theme's files (:meth:`phrases_from`).
        """
        from drafter.phrases import Phrase

        return tuple(Phrase.from_dict(p) for p in self.phrase_rows)

    def phrases_from(self, files: set[str]) -> list[Any]:
        """Bank entries with a source in one of ``files`` (converted only for those)."""
        from drafter.phrases import Phrase

        rows = sorted({i for f in files for i in self._phrase_files.get(f, ())})
        return [Phrase.from_dict(self.phrase_rows[i]) for i in rows]

    def to_dict(self) -> dict[str, Any]:
        return {**self._head(), "phrases": list(self.phrase_rows), "themes": self.themes}

    def to_json(self, newline: bool = False) -> bytes:
        """:meth:`to_dict` as JSON, the bytes ``orjson.dumps`` gives it (rows kept as
        :class:`JsonRows` are written as they came, unparsed), with a final newline if asked."""
        import orjson

        option = orjson.OPT_APPEND_NEWLINE if newline else 0
        rows = self.phrase_rows
        if isinstance(rows, JsonRows) and rows._rows is None:
            return orjson.dumps({**self._head(), "phrases": orjson.Fragment(rows.raw), "themes": self.themes}, option=option)
        return orjson.dumps(self.to_dict(), option=option)

    def _head(self) -> dict[str, Any]:
        """The fields before the phrase banks, in the model file's order."""
        return {
            "schema": self.schema,
            "corpus": self.corpus,
            "inputs": self.inputs,
            "articles": [a.to_dict() for a in self.articles],
            "shapes": self.shapes,
            "series": list(self.series_rows),
        }

    def bank_counts(self) -> dict[str, int]:
        """How many bank entries each category has, in bank order (rows kept as :class:`JsonRows`
        with their counts are not parsed for it)."""
        from drafter.bankmerge import bank_categories

        rows = self.phrase_rows
        if isinstance(rows, JsonRows) and rows.categories is not None and rows._rows is None:
            return dict(rows.categories)
        return bank_categories(rows)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Model:
        return cls(
            schema=int(d["schema"]),
            corpus=d["corpus"],
            inputs=d["inputs"],
            articles=tuple(ArticleInfo.from_dict(a) for a in d["articles"]),
            shapes=d.get("shapes", {}),
            series_rows=tuple(d.get("series", [])),
            phrase_rows=tuple(d.get("phrases", [])),
            themes=d.get("themes", {}),
        )

    def article(self, article_id: str) -> ArticleInfo | None:
        for a in self.articles:
            if a.id == article_id:
                return a
        return None

    def article_at(self, source: str) -> ArticleInfo | None:
        """The article a ``FILE#N`` provenance points into."""
        file, _, pos = source.rpartition("#")
        n = int(pos) if pos.isdigit() else 0
        for a in self._articles_by_file.get(file, ()):
            if a.span[0] <= n <= a.span[1]:
                return a
        return None

    @cached_property
    def _articles_by_file(self) -> dict[str, list[ArticleInfo]]:
        """Articles grouped by file: bank listings resolve thousands of sources."""
        by_file: dict[str, list[ArticleInfo]] = {}
        for a in self.articles:
            by_file.setdefault(a.file, []).append(a)
        return by_file

    def theme_index(self) -> Any:
        """The :class:`drafter.themes.ThemeIndex` (parsed on demand: most commands need it)."""
        from drafter.themes import ThemeIndex

        return ThemeIndex.from_dict(self.themes)


def corpus_key(corpus: Path) -> str:
    """A short stable name for a corpus folder's cache (its resolved path, hashed)."""
    return hashlib.sha256(str(corpus.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def cache_root(corpus: Path) -> Path:
    """The cache folder of one corpus."""
    return paths.cache_dir() / corpus_key(corpus)


def model_path(corpus: Path) -> Path:
    return cache_root(corpus) / "model.json"


def inputs_path(corpus: Path) -> Path:
    """The model's inputs on their own: what deciding staleness needs, a few kilobytes to read."""
    return cache_root(corpus) / "inputs.json"


def load_inputs(corpus: Path) -> dict[str, Any] | None:
    """The inputs of the cached model, without reading the model (None when unknown).

    A re-mine after a change need not parse a model of megabytes only to learn that it is stale.
    """
    from drafter.atomic import read_json

    data = read_json(inputs_path(corpus))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("inputs"), dict):
        return None
    return data["inputs"]


def load_cached(corpus: Path) -> Model | None:
    """The cached model, or None when it is missing, unreadable, corrupt or of another schema."""
    from drafter.atomic import read_json

    data = read_json(model_path(corpus))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    try:
        return Model.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def save(model: Model, corpus: Path) -> Path:
    """Write the model atomically (the caller holds the corpus lock).

    Not fsynced: the model is rebuilt from the per-file cache whenever it is missing, cut short
    or does not match its inputs (:func:`load_cached` checks the model's own copy of them), so a
    power cut costs a re-mine, never a wrong model; and the fsync of several megabytes was a
    tenth of a re-mine after a small change.
    """
    from drafter.atomic import atomic_write, write_json

    path = model_path(corpus)
    atomic_write(path, model.to_json(newline=True), durable=False)
    # written after the model: a crash in between leaves inputs that do not match, i.e. a re-mine
    write_json(inputs_path(corpus), {"schema": model.schema, "inputs": model.inputs}, durable=False)
    return path
