"""The word counts of a whole corpus as integer columns: what the theme reduce computes on.

Learning a theme's vocabulary sums, for every word, its relative frequency over the theme's
articles, its document frequency and the articles' weights (:func:`TermTable.expand`).  The public
corpus has 300,000 (article, word, count) entries and a gigabyte tens of millions: as dicts of
dicts they cost ~100 bytes each and a Python step per entry for every theme; as three integer
columns they cost 12 bytes and each sum is one ``numpy.bincount``.

The sums run over the articles in sorted id order and add the same products the plain loops did,
so every float is the one a Python loop would get.  Scores that go through a logarithm are worked
out in Python (``math.log``) for the few thousand words that pass the filters, so no result depends
on the CPU's vector instructions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import is_
from typing import Any

import numpy as np

#: A learned term must be this many times more frequent in the theme's articles than in the corpus.
MIN_LIFT = 1.5


@dataclass
class _Article:
    cols: Any  # numpy int32 word ids, in the order the counts were given
    counts: Any  # numpy int32 (a word's count in one article)
    chars: int
    tokens: int
    seed_counts: dict[str, int]
    seed_key: str


@dataclass
class TermTable:
    """Per-article word counts, added one article at a time, then read as columns.

    ``add`` interns each word once for the whole corpus; the columns are laid out (articles in
    sorted id order, words renumbered in sorted order) the first time they are read, so the order
    the articles arrived in never shows.
    """

    _pending: dict[str, _Article] = field(default_factory=dict)
    _words: dict[str, int] = field(default_factory=dict)
    _built: bool = False

    def add(
        self,
        aid: str,
        counts: Mapping[str, int],
        chars: int,
        tokens: int,
        seed_counts: Mapping[str, int] | None = None,
        seed_key: str = "",
    ) -> None:
        """One article's content-word counts, length in characters and in counted tokens."""
        self.add_columns(aid, list(counts), list(counts.values()), chars, tokens, seed_counts, seed_key)

    def add_columns(
        self,
        aid: str,
        words: Sequence[str],
        counts: Sequence[int],
        chars: int,
        tokens: int,
        seed_counts: Mapping[str, int] | None = None,
        seed_key: str = "",
    ) -> None:
        """:meth:`add` with the words and their counts as two parallel lists (the stored form)."""
        if self._built:
            raise RuntimeError("TermTable.add after the table was read")
        if len(words) != len(counts):
            raise ValueError(f"{aid}: {len(words)} words but {len(counts)} counts")
        index = self._words
        # most words of an article were seen in earlier ones: look them all up at C speed first
        ids = list(map(index.get, words))
        if None in ids:
            # only the new words, found at C speed too (an article's words are mostly known)
            for k in compress(range(len(ids)), map(is_, ids, repeat(None))):
                ids[k] = index.setdefault(words[k], len(index))
        self._add(aid, np.array(ids, dtype=np.int32), np.array(counts, dtype=np.int32), chars, tokens, seed_counts, seed_key)

    def seed(self, words: Sequence[str]) -> bool:
        """Number ``words`` 0, 1, … before anything is added: the ids :meth:`add_ids` takes.
        False (and nothing done) if the table is not empty or a word repeats."""
        if self._built or self._pending or self._words:
            return False
        index = {w: i for i, w in enumerate(words)}
        if len(index) != len(words):
            return False
        self._words = index
        return True

    def add_ids(
        self,
        aid: str,
        ids: Any,
        counts: Any,
        chars: int,
        tokens: int,
        seed_counts: Mapping[str, int] | None = None,
        seed_key: str = "",
    ) -> None:
        """:meth:`add_columns` with the words given as ids into the words of :meth:`seed`."""
        if self._built:
            raise RuntimeError("TermTable.add after the table was read")
        if len(ids) != len(counts):
            raise ValueError(f"{aid}: {len(ids)} words but {len(counts)} counts")
        self._add(aid, np.asarray(ids, dtype=np.int32), np.asarray(counts, dtype=np.int32), chars, tokens, seed_counts, seed_key)

    def _add(
        self, aid: str, ids: Any, counts: Any, chars: int, tokens: int, seed_counts: Mapping[str, int] | None, seed_key: str
    ) -> None:
        self._pending[aid] = _Article(ids, counts, int(chars), int(tokens), dict(seed_counts or {}), seed_key)

    @classmethod
    def of(cls, stats: Mapping[str, Any]) -> TermTable:
        """A table of :class:`~drafter.themes.TermStats` by article id."""
        table = cls()
        for aid, st in stats.items():
            table.add(aid, st.counts, st.chars, st.tokens, st.seed_counts, st.seed_key)
        return table

    # ------------------------------------------------------------------------------ layout

    def build(self) -> TermTable:
        """Lay out the columns (once; adding articles ends here).  Returns the table."""
        if self._built:
            return self
        self._built = True
        self.ids: list[str] = sorted(self._pending)
        old_words = list(self._words)
        order = sorted(range(len(old_words)), key=old_words.__getitem__)
        self.words: list[str] = [old_words[i] for i in order]
        self.word_id: dict[str, int] = {w: i for i, w in enumerate(self.words)}
        renumber = np.empty(len(old_words), dtype=np.int32)
        renumber[np.array(order, dtype=np.int64)] = np.arange(len(old_words), dtype=np.int32)
        arts = [self._pending[a] for a in self.ids]
        lengths = [len(a.cols) for a in arts]
        self.row = np.repeat(np.arange(len(arts), dtype=np.int32), lengths)
        self.col = renumber[np.concatenate([a.cols for a in arts])] if arts else np.zeros(0, np.int32)
        self.val = np.concatenate([a.counts for a in arts]) if arts else np.zeros(0, np.int32)
        self.chars = np.array([a.chars for a in arts], dtype=np.int64)
        self.tokens = np.array([a.tokens for a in arts], dtype=np.int64)
        self.seed_counts: list[dict[str, int]] = [a.seed_counts for a in arts]
        self.seed_keys: list[str] = [a.seed_key for a in arts]
        # the per-article arrays are all copied now: let them go before the by-word copies are made
        # (on a gigabyte corpus these columns are tens of millions long)
        del arts, self._pending, self._words
        # by word: the rows and counts of each word, for looking words up
        # (a stable sort of 16-bit keys is a radix sort: most corpora have fewer distinct words)
        keys = self.col.astype(np.uint16) if len(self.words) <= 1 << 16 else self.col
        by_word = np.argsort(keys, kind="stable")
        self._rows_by_word = self.row[by_word]
        self._vals_by_word = self.val[by_word]
        self._starts = np.searchsorted(self.col[by_word], np.arange(len(self.words) + 1))
        return self

    @property
    def size(self) -> int:
        """How many articles."""
        self.build()
        return len(self.ids)

    def column(self, word: str) -> dict[int, int]:
        """Article number → count of one word (the articles that use it)."""
        self.build()
        w = self.word_id.get(word)
        if w is None:
            return {}
        s, e = self._starts[w], self._starts[w + 1]
        return dict(zip(self._rows_by_word[s:e].tolist(), self._vals_by_word[s:e].tolist()))

    def counts_of(self, i: int) -> dict[str, int]:
        """All word counts of article number ``i``."""
        self.build()
        s, e = np.searchsorted(self.row, [i, i + 1])
        return {self.words[c]: v for c, v in zip(self.col[s:e].tolist(), self.val[s:e].tolist())}

    def postings(self, min_count: int = 2, min_total: int = 3) -> Iterable[tuple[str, list[int]]]:
        """(word, ``[article number, count, …]`` by article number) for the words used ``min_count``
        times in an article, over those articles, when that adds up to ``min_total`` in the corpus;
        words in sorted order.  Flat lists, as the theme index stores them."""
        self.build()
        keep = self.val >= min_count
        totals = np.bincount(self.col[keep], weights=self.val[keep], minlength=len(self.words))
        # the qualifying entries of the qualifying words, in word order (and article order within
        # a word), taken out in one go: slicing the arrays word by word cost more than the rest
        wanted = totals >= min_total
        words_by_entry = np.repeat(np.arange(len(self.words)), np.diff(self._starts))
        sel = wanted[words_by_entry] & (self._vals_by_word >= min_count)
        pairs = np.empty(2 * int(sel.sum()), dtype=np.int64)
        pairs[0::2], pairs[1::2] = self._rows_by_word[sel], self._vals_by_word[sel]
        flat = pairs.tolist()
        bounds = np.searchsorted(words_by_entry[sel], np.flatnonzero(wanted), side="left").tolist()
        bounds.append(len(flat) // 2)
        for k, w in enumerate(np.flatnonzero(wanted).tolist()):
            yield self.words[w], flat[2 * bounds[k] : 2 * bounds[k + 1]]

    # ------------------------------------------------------------------------------ statistics

    def profile(self) -> tuple[Any, Any]:
        """The corpus as a background: each word's mean relative frequency, and its document frequency."""
        self.build()
        n = max(len(self.ids), 1)
        live = self.tokens[self.row] > 0
        rows, cols = self.row[live], self.col[live]
        rel = self.val[live] / self.tokens[rows] / n
        background = np.bincount(cols, weights=rel, minlength=len(self.words))
        df = np.bincount(cols, minlength=len(self.words))
        return background, df

    def expand(
        self,
        members: Mapping[str, float],
        exclude: set[str],
        size: int,
        profile: tuple[Any, Any] | None = None,
    ) -> list[str]:
        """Terms distinctive of the member articles (weighted by membership) against the whole corpus.

        A term's weight is its weighted relative frequency in the theme articles, times the log of
        how much more frequent it is there than in the corpus on average (its lift), times its
        inverse document frequency, times the (weighted) share of member articles that use it:
        frequent, specific to the theme, rare in the corpus and spread over the theme's articles
        beats any one alone.  The coverage factor keeps out the names in two news reports'
        datelines; the IDF factor is what keeps the verbs every work report uses (加快, 实施, 提升)
        out of a theme whose articles are mostly work reports.  Terms in ``exclude``, their
        fragments and their compounds are left out: the seed counts cover those.
        """
        self.build()
        total = sum(members.values())
        if total <= 0:
            return []
        background, df_all = profile if profile is not None else self.profile()
        weight = np.zeros(len(self.ids), dtype=np.float64)
        for i, aid in enumerate(self.ids):
            if aid in members:
                weight[i] = members[aid] / total
        member = (weight[self.row] > 0) & (self.tokens[self.row] > 0)
        rows, cols, vals = self.row[member], self.col[member], self.val[member]
        m = weight[rows]
        nw = len(self.words)
        p_theme = np.bincount(cols, weights=m * vals / self.tokens[rows], minlength=nw)
        df = np.bincount(cols, minlength=nw)
        coverage = np.bincount(cols, weights=m, minlength=nw)
        # Present in a tenth of the members (at least two): one article's pet words (a province's
        # name in its own work report) do not define a theme.
        need = max(2, math.ceil(len(members) / 10))
        n = max(len(self.ids), 1)
        # Background smoothed with one pseudo-article holding the theme's own rate, so a corpus that
        # is all one theme still ranks its words by frequency instead of dividing by ~1.
        bg = (background * n + p_theme) / (n + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(p_theme > 0, p_theme / np.where(bg > 0, bg, 1.0), 0.0)
        scored: list[tuple[float, str]] = []
        related = _related(exclude)
        for w in np.flatnonzero((df >= need) & (ratio >= MIN_LIFT)).tolist():
            t = self.words[w]
            if related(t):
                continue
            idf = math.log((n + 1) / (int(df_all[w]) + 1)) + 0.1
            p = float(p_theme[w])
            scored.append((p * math.log(float(ratio[w])) * idf * float(coverage[w]), t))
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [t for _s, t in scored[:size]]


def _related(terms: set[str]) -> Callable[[str], bool]:
    """A test for a word that is one of ``terms``, part of one, or contains one.

    Thousands of candidate words are tested against every seed term of a theme; one search of the
    terms joined (the word is part of one) and one regex of them all (the word contains one) do
    in C what a loop over the terms did in Python.
    """
    if "" in terms:
        return lambda _word: True  # the empty term is part of every word
    if not terms:
        return lambda _word: False
    joined = "\0".join(sorted(terms))
    inside = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len))).search

    def related(word: str) -> bool:
        if inside(word) is not None:
            return True
        if "\0" in word:  # could span two joined terms: test them one by one
            return any(word in t for t in terms)
        return word in joined

    return related
