"""The phrase banks of the reduce: rows of every file merged by entry, as many processes give.

Mining stores each file's bank rows in its cache entry (:func:`drafter.mine.store`); this module
merges them into the banks the model keeps.  Rows seen once in their article that cannot reach
the banks (most 句子 and pattern 四字格) are noted by hash and never read
(:meth:`PhraseMerge.add_spare`); with more than one core the merge runs in a process of its own
(:class:`PhraseChild`).  Every path gives the banks of merging every row in one process.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drafter.model import JsonRows


def text_hash(text: str) -> int:
    """The first 64 bits of the SHA-1 of a text: ordered as :func:`drafter.bankorder.spread_order`'s
    hex digest is, so 句子 can be picked by it without hashing them again."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")


SOURCE_CAP = 500
"""Provenances kept per bank entry: the smallest ones, so any order of merging keeps the same set.

A phrase every speech uses would otherwise carry one ``FILE#N`` per use, which grows with the
corpus; a draft needs a handful.  No entry of the public corpora comes near the cap.
"""

EXACT_BYTES = 20_000_000
"""Up to this corpus size (bytes on disk) every 句子 is a bank candidate and every word counts.

Above it the reduce keeps its memory bounded: 句子 candidates are a hash sample sized like this
many bytes of text, one-off words of an article are left out of its theme statistics, and the
rarer theme postings and series examples are capped.  Every cut depends on the corpus size and on
the content only (never on the order files arrive in), so any ``--jobs`` or engine gives the same
bytes.
"""


def _sample_limit(corpus_bytes: int) -> int:
    """The 32-bit hash bound under which a 句子 is a candidate (``1 << 32``: every one is)."""
    if corpus_bytes <= EXACT_BYTES:
        return 1 << 32
    return max(1, (EXACT_BYTES << 32) // corpus_bytes)


def _sampled(text: str, limit: int) -> bool:
    return limit >= 1 << 32 or text_hash(text) >> 32 < limit


SPARE_KINDS = ("句子", "四字格")
"""The categories whose rows can be spare (see :meth:`PhraseMerge.add_spare`)."""


def _rank(row: Sequence[Any]) -> tuple[str, ...]:
    """Which row of a merged entry describes it: the one with the smallest (source, verb, context,
    genre, role), so the choice does not depend on the order rows arrive in."""
    sources = row[3]
    return (min(sources) if sources else "", row[5], row[6], row[7], row[8])


class PhraseMerge:
    """Phrase rows merged by (category, text, speaker), exactly as :func:`drafter.phrases.merge_phrases`.

    Working on plain rows instead of ``Phrase`` objects is what makes the reduce cheap: most rows
    are sentences seen once, and only the few thousand that survive pruning become objects.
    ``corpus_bytes`` above :data:`EXACT_BYTES` turns on the hash sample of 句子 candidates.
    """

    def __init__(self, corpus_bytes: int = 0, source_cap: int = SOURCE_CAP) -> None:
        self.acc: dict[tuple[str, str, str], list[Any]] = {}
        self.limit = _sample_limit(corpus_bytes)
        large = corpus_bytes > EXACT_BYTES
        # on a large corpus fewer provenances each, and only entries seen more often than a count
        # that grows with the corpus: the banks then grow more slowly than the text
        self.source_cap = max(50, source_cap * EXACT_BYTES // corpus_bytes) if large else source_cap
        self.min_count = 2 * corpus_bytes // EXACT_BYTES if large else 0
        # spare rows noted: (file name, [(pool, how many lines)]) and their hashes, one array per
        # file (see add_spare); the hashes of the files' other 句子 and 四字格 rows; and the spare
        # lines merged so far, by file
        self.spare: list[tuple[str, list[tuple[str, int]]]] = []
        self._spare_hashes: list[Any] = []
        self._kept: list[Any] = []
        self._merged: dict[str, set[int]] = {}

    def add(self, row: Sequence[Any]) -> None:
        self.add_rows((row,))

    def add_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Merge rows; an entry seen once (most of them) keeps its row only, and its set of sources
        and merge rank are made when a second row with its key arrives."""
        acc, limit, cap = self.acc, self.limit, self.source_cap
        get = acc.get
        for row in rows:
            cat, text = row[0], row[1]
            if cat == "句子" and limit < 1 << 32 and not _sampled(text, limit):
                continue
            key = (cat, text, row[4])
            a = get(key)
            if a is None:
                # [count, sources or None, origin, rank or None, first row]
                acc[key] = [row[2], None, row[9], None, row]
                continue
            if a[1] is None:
                first = a[4]
                a[1], a[3] = set(first[3]), _rank(first)
            rank = _rank(row)
            if rank < a[3]:
                a[3], a[4] = rank, row
            a[0] += row[2]
            a[1].update(row[3])
            if len(a[1]) > 2 * cap:
                # the smallest of a union are among the smallest of its parts: exact for any order
                a[1] = set(sorted(a[1])[:cap])
            if row[9] == "dict" or not a[2]:
                a[2] = row[9]

    def add_spare(self, name: str, pools: Sequence[Sequence[Any]], kept: Sequence[int]) -> None:
        """Note a file's spare rows (seen once in their article) by hash and pool, without the rows,
        and the hashes of its other 句子 and 四字格 rows (``kept``, added with :meth:`add_rows`).

        The banks keep ``sentence_cap`` 句子 per (role, genre) pool: those seen most often, then
        those of the smallest hashes; and pattern 四字格 only when seen twice.  So the only spare
        rows that can be kept are 句子 whose hash is among the smallest of their pool, and rows
        whose hash occurs more than once in the corpus; those are read when the result is asked
        for (:meth:`merge_spare`), the rest never are.
        """
        import numpy as np

        self.spare.append((name, [(str(pool), len(hashes)) for pool, hashes in pools]))
        self._spare_hashes.append(np.array([h for _pool, hashes in pools for h in hashes], dtype=np.uint64))
        self._kept.append(np.array(kept, dtype=np.uint64))

    def merge_spare(self, sentence_cap: int, min_pattern_count: int, fetch: Callable[[str, Sequence[int]], list[Any]]) -> None:
        """Read and merge the spare rows that can reach the banks, as far as the files noted so far tell.

        Called again after more files, it merges only the rows newly in reach, so the work can be
        done while waiting for the last files.  A row merged early that later files put out of
        reach changes nothing: it is a 句子 or pattern 四字格 seen once in the corpus with a
        hash after its pool's ``sentence_cap`` smallest, which the pruning drops (:meth:`result_rows`).
        """
        for name, lines in self._spare_plan(sentence_cap, min_pattern_count):
            merged = self._merged.setdefault(name, set())
            missing = [k for k in lines if k not in merged]
            if missing:
                self.add_rows(fetch(name, missing))
                merged.update(missing)

    def _spare_plan(self, sentence_cap: int, min_pattern_count: int) -> list[tuple[str, list[int]]]:
        """The spare lines that can reach the banks, by file: exactly those a merge of every row keeps.

        A spare entry seen once in the corpus is a pattern 四字格, which the banks drop, or a 句子
        that competes in its own pool by hash alone and comes after every entry seen twice or more;
        so its pool's ``sentence_cap`` smallest such hashes are all that can be kept.  Hashes seen
        twice (an entry merged from several rows, or two texts sharing 64 bits) are read wherever
        they occur, so their counts come out whole.  Equal hashes sort equally, so a threshold
        taken on hashes keeps every tie.
        """
        import numpy as np

        if not self.spare:
            return []
        # every spare hash, file by file and pool by pool, as one array
        spare = np.concatenate(self._spare_hashes)
        names = sorted({pool for _name, file_pools in self.spare for pool, _lines in file_pools})
        number = {pool: k for k, pool in enumerate(names)}
        pool_of = np.repeat(
            np.array([number[pool] for _name, file_pools in self.spare for pool, _lines in file_pools], dtype=np.int64),
            [lines for _name, file_pools in self.spare for _pool, lines in file_pools],
        )
        values, counts = np.unique(np.concatenate([*self._kept, spare]), return_counts=True)
        seen_twice = np.isin(spare, values[counts >= 2])
        wanted = seen_twice.copy()
        for k, pool in enumerate(names):
            mine = pool_of == k
            if not pool.startswith("句子"):
                if min_pattern_count < 2:  # else seen once: dropped
                    wanted |= mine
                continue
            once = spare[mine & ~seen_twice]
            if len(once) > sentence_cap:
                wanted |= mine & (spare <= np.partition(once, sentence_cap - 1)[sentence_cap - 1])
            else:
                wanted |= mine
        # line numbers within each file (its spare lines are its pools' hashes in order)
        starts = np.cumsum([0, *map(len, self._spare_hashes)])
        at = np.flatnonzero(wanted)
        bounds = np.searchsorted(at, starts).tolist()
        plan: list[tuple[str, list[int]]] = []
        for f, (name, _pools) in enumerate(self.spare):
            if bounds[f + 1] > bounds[f]:
                plan.append((name, (at[bounds[f] : bounds[f + 1]] - starts[f]).tolist()))
        return plan

    def result(self, sentence_cap: int = 5000, min_pattern_count: int = 2) -> list[Any]:
        """Merged and pruned phrases (the same list :func:`drafter.phrases.prune` gives)."""
        from drafter.phrases import Phrase

        return [Phrase.from_dict(d) for d in self.result_rows(sentence_cap, min_pattern_count)]

    def result_rows(
        self,
        sentence_cap: int = 5000,
        min_pattern_count: int = 2,
        fetch: Callable[[str, Sequence[int]], list[Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """:meth:`result` as the dicts the model stores, built without a ``Phrase`` each (a frozen
        dataclass costs more to make than everything else the merge does per entry).

        ``fetch(file, lines)`` reads spare rows noted by :meth:`add_spare`.
        """
        from drafter.bankorder import bank_order, spread_order

        if self.spare:
            if fetch is None:
                raise ValueError("spare rows noted but no way to read them")
            self.merge_spare(sentence_cap, min_pattern_count, fetch)

        keep: list[list[Any]] = []
        pools: dict[tuple[str, str], list[list[Any]]] = {}
        for a in self.acc.values():
            row = a[4]
            if row[0] == "句子":
                pools.setdefault((row[8], row[7]), []).append(a)
            elif a[0] >= self.min_count and not (row[0] == "四字格" and a[2] == "pattern" and a[0] < min_pattern_count):
                keep.append(a)
        for pool in pools.values():
            # prune's order (most frequent, then a content hash); only pools over the cap need it
            if len(pool) > sentence_cap:
                pool = heapq.nsmallest(sentence_cap, pool, key=lambda a: spread_order(a[0], a[4][1]))
            keep.extend(pool)
        cap = self.source_cap
        out = [
            {
                "category": r[0],
                "text": r[1],
                "count": a[0],
                "sources": (r[3] if len(r[3]) < 2 else sorted(set(r[3])))[:cap] if a[1] is None else sorted(a[1])[:cap],
                "speaker": r[4],
                "verb": r[5],
                "context": r[6],
                "genre": r[7],
                "role": r[8],
                "origin": a[2],
            }
            for a in keep
            for r in (a[4],)
        ]
        out.sort(key=lambda d: bank_order(d["category"], d["count"], d["text"], d["speaker"]))
        return out

def bank_categories(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many rows each category has, in the order the categories first occur."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["category"]] = counts.get(row["category"], 0) + 1
    return counts


class PhraseChild:
    """A :class:`PhraseMerge` in a process of its own, fed the names of the files to read rows from.

    Phrase rows are most of what the reduce reads and merges.  With a second core, a forked process
    reads and merges them while the mining process folds the rest and builds the theme index, so
    re-mining after a small change waits for the longer of the two instead of their sum.  It is the
    same merge fed the same rows, so the banks are the ones a single process makes; should the
    process fail, the rows are merged here instead.
    """

    @staticmethod
    def usable() -> bool:
        """Only where processes fork: the child then starts with everything already loaded."""
        return sys.platform.startswith("linux")

    def __init__(self, files: PhraseFiles, corpus_bytes: int, sentence_cap: int = 5000) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self._conn, theirs = ctx.Pipe()
        self._proc = ctx.Process(target=_merge_beside, args=(theirs, files, corpus_bytes, sentence_cap), daemon=True)
        self._proc.start()
        theirs.close()
        self._files, self._corpus_bytes, self._cap = files, corpus_bytes, sentence_cap
        self._fed: list[str] = []
        self._closed = False
        self.repaired: list[str] = []
        """Files whose phrase rows could not be read and were analysed again."""

    def add_files(self, names: Sequence[str]) -> None:
        """Files to merge, in one message: a message per file woke the process for each and cost the
        sender a tenth of a second over the public corpus."""
        self._fed.extend(names)
        self._conn.send(("add", list(names)))

    def close(self) -> None:
        """No more files: the process may work out the result (while this one does the themes)."""
        if not self._closed:
            self._closed = True
            try:
                self._conn.send(("end", None))
            except OSError:
                pass  # the process is gone: result_rows merges here

    def wait(self) -> None:
        """Wait for the process to end: it does once its result is taken (:meth:`result`); before
        that (mining stopped by an error) it is ended, as nothing will read what it would send."""
        if not self._conn.closed:
            self._conn.close()
            self._proc.terminate()
        self._proc.join()

    def result(self) -> JsonRows:
        """:meth:`PhraseMerge.result_rows` of every file added, as the JSON the process made of them."""
        import orjson

        from drafter.model import JsonRows

        self.close()
        try:
            head = orjson.loads(self._conn.recv_bytes())
            rows = self._conn.recv_bytes()
        except (EOFError, OSError, orjson.JSONDecodeError):
            head = rows = None
        finally:
            self._conn.close()
        if head is None or rows is None:
            self._proc.join()
            merge = PhraseMerge(self._corpus_bytes)
            merge_files(merge, self._fed, self._files)
            made = merge.result_rows(self._cap, fetch=self._files.spare)  # repairs here were seen here
            return JsonRows(orjson.dumps(made), bank_categories(made))
        self.repaired = head["repaired"]
        return JsonRows(rows, head["categories"])


def merge_files(merge: PhraseMerge, names: Iterable[str], files: PhraseFiles) -> None:
    """Add the phrase rows of each file to ``merge``, and note its spare rows."""
    for name in names:
        data = files.read(name)
        for rows in data["phrases"]:
            merge.add_rows(rows)
        merge.add_spare(name, data["spare"], data["kept"])


def _merge_beside(conn: Any, files: PhraseFiles, corpus_bytes: int, sentence_cap: int) -> None:
    """The body of :class:`PhraseChild`'s process: merge the files named, send the result as JSON.

    After the first names (the files analysed before), it merges the spare rows in reach so far
    (:meth:`PhraseMerge.merge_spare`) while the changed files are analysed.
    """
    import orjson

    from drafter.mine import _quiet_gc

    _quiet_gc()
    # Below the mining process and the workers: while a changed file is being analysed and the
    # others folded, this one only takes what they leave of the cores (its work is not needed
    # before theirs is done); a re-mine after a small change ended a twentieth sooner.
    with contextlib.suppress(OSError):
        os.nice(8)
    try:
        merge = PhraseMerge(corpus_bytes)
        first = True
        while True:
            kind, names = conn.recv()
            if kind == "end":
                break
            merge_files(merge, names, files)
            if first and merge.spare and not conn.poll():
                # the first names are the files analysed before: their spare rows are read while
                # the changed files are analysed (after each of those it would be work redone)
                merge.merge_spare(sentence_cap, 2, files.spare)
            first = False
        rows = merge.result_rows(sentence_cap, fetch=files.spare)
        conn.send_bytes(orjson.dumps({"repaired": files.repaired, "categories": bank_categories(rows)}))
        conn.send_bytes(orjson.dumps(rows))
    except Exception:  # noqa: BLE001 - the mining process sees the pipe close and merges itself
        pass
    finally:
        conn.close()


@dataclass
class PhraseFiles:
    """Where the phrase rows of each file are read from, by file name: its phrase rows and spare
    hashes (``phrases``), and some of its spare rows (``spare``); each returns None for a file it
    cannot read, which is then analysed again (``repair``; deterministic, so what was read of it
    before still holds)."""

    phrases: Callable[[str], dict[str, Any] | None]
    spare_rows: Callable[[str, Sequence[int]], list[Any] | None]
    repair: Callable[[str], None]
    repaired: list[str] = field(default_factory=list)

    def read(self, name: str) -> dict[str, Any]:
        data = self.phrases(name)
        if data is None:
            self._redo(name)
            data = self.phrases(name) or {"phrases": [], "spare": []}
        return data

    def spare(self, name: str, lines: Sequence[int]) -> list[Any]:
        rows = self.spare_rows(name, lines)
        if rows is None:
            self._redo(name)
            rows = self.spare_rows(name, lines) or []
        return rows

    def _redo(self, name: str) -> None:
        self.repair(name)
        self.repaired.append(name)
