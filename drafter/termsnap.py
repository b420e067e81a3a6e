"""The corpus's word counts as the last mine left them: integer columns by cache entry.

Folding a file's word counts into the term table means looking up each of its words (the public
corpus has 300,000 article–word entries); that was the largest part of re-mining after a small
change.  So each mine saves, beside the model, every file's counts as word ids into one word list
(``terms.json``, base64 integer arrays in JSON), and the next mine takes the files it already
knows from there: an entry is used only for the cache entry it was made from (same name, content,
analysis and theme terms), so what it gives is exactly what the file's summary would.

Only corpora up to :data:`drafter.bankmerge.EXACT_BYTES` are snapshotted: above it the counts are
cut per article and the file would grow with the corpus.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION = 1


@dataclass
class TermSnapshot:
    """Word ids and counts of each article, by cache entry, with the word list the ids index."""

    words: list[str]
    files: dict[str, Any]  # cache entry -> [article sizes, base64 int32 ids, base64 int32 counts]

    @classmethod
    def load(cls, path: Path) -> TermSnapshot | None:
        """The snapshot at ``path``, or None if it is missing, unreadable or of another version."""
        import orjson

        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        if not isinstance(data, dict) or data.get("v") != VERSION or not isinstance(data.get("words"), str):
            return None
        files = data.get("files")
        if not isinstance(files, dict):
            return None
        words = data["words"].split("\t") if data["words"] else []
        return cls(words, files)

    def columns(self, key: str, articles: int) -> list[tuple[Any, Any]] | None:
        """The (word ids, counts) of each of an entry's ``articles`` articles, or None if the
        snapshot does not hold that entry whole."""
        import numpy as np

        entry = self.files.get(key)
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], list) and len(entry[0]) == articles):
            return None
        sizes = entry[0]
        if not all(type(n) is int and n >= 0 for n in sizes):
            return None
        try:
            ids = np.frombuffer(base64.b64decode(entry[1]), dtype="<i4")
            counts = np.frombuffer(base64.b64decode(entry[2]), dtype="<i4")
        except (ValueError, TypeError):
            return None
        if len(ids) != len(counts) or sum(sizes) != len(ids) or (len(ids) and not 0 <= int(ids.min()) <= int(ids.max()) < len(self.words)):
            return None
        bounds = np.cumsum([0, *sizes]).tolist()
        return [(ids[bounds[k] : bounds[k + 1]], counts[bounds[k] : bounds[k + 1]]) for k in range(articles)]


def snapshot_of(table: Any, articles: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The snapshot of a built :class:`~drafter.termtable.TermTable` (what :func:`save` writes):
    ``articles`` lists each cache entry's article ids, in the order its summary has them."""
    import numpy as np

    table.build()
    number = {aid: i for i, aid in enumerate(table.ids)}
    starts = np.searchsorted(table.row, np.arange(len(table.ids) + 1)).tolist()
    files: dict[str, Any] = {}
    for key, aids in articles.items():
        rows = [number[aid] for aid in aids if aid in number]
        if len(rows) != len(aids):
            continue
        parts = [(starts[i], starts[i + 1]) for i in rows]
        ids = np.concatenate([table.col[s:e] for s, e in parts]) if parts else np.zeros(0)
        counts = np.concatenate([table.val[s:e] for s, e in parts]) if parts else np.zeros(0)
        files[key] = [
            [e - s for s, e in parts],
            base64.b64encode(ids.astype("<i4").tobytes()).decode("ascii"),
            base64.b64encode(counts.astype("<i4").tobytes()).decode("ascii"),
        ]
    return {"v": VERSION, "words": "\t".join(table.words), "files": files}


def save(path: Path, snapshot: Mapping[str, Any]) -> None:
    """Write a snapshot (tool-owned and rebuildable: atomic, not fsynced)."""
    from drafter.atomic import write_json

    write_json(path, snapshot, durable=False)


__all__ = ["TermSnapshot", "save", "snapshot_of"]
