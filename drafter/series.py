"""Parallel headings (对仗标题) aligned into skeletons with slots.

The headings of one sibling series are written to be parallel: ``要把以习近平外交思想为指导树得更牢`` /
``要把加强党对外事工作的领导落得更实`` share the skeleton ``要把{X}{V}得更{A}``.  Writers polish such
series for a long time, so the skeleton (the exact shared words) and the rhythm (clause lengths and
punctuation) are what a draft can reuse: new fillers go into the slots, the skeleton stays.

How a skeleton is found
    The headings are aligned character by character, progressively: the first heading is the
    profile, each next heading is matched against the profile's remaining constant characters with
    :class:`difflib.SequenceMatcher` (longest common block first, which favours contiguous words over
    stray shared characters).  Constant runs are the characters every member shares, in order and
    contiguous in every member.  A run must be meaningful to stay in the skeleton: a run that starts
    or ends every heading is an anchor and may be one character long (an opening character must be
    some member's first word, so ``加`` of ``加大`` / ``加强`` goes); a run in the middle needs two
    characters or a punctuation mark, so a ``的`` that happens to occur in every heading does not
    become skeleton.  Between runs are the slots; a slot is empty in some members at most, never in
    all.

    A slot whose fillers all end (or all start) with a verb or adjective word, and have more words
    besides, is split in two (``以习近平外交思想为指导树`` → ``{X}{V}``).  Each filler is tagged on its own,
    because the skeleton's constants are word boundaries the segmenter cannot see inside the whole
    heading (it reads ``树得`` as one word).  Slot names: ``V``, ``V2``… for verb-like slots and
    ``A``, ``A2``… for adjective-like ones (at least half the fillers a single word of that class, none
    of the other), ``X``, ``Y``, ``Z``, ``W``… for the rest, left to right.

Skeleton notation
    Slots are ``{NAME}``; literal braces in the constant text are doubled (``{{``, ``}}``), as in
    :meth:`str.format`.

Rhythm notation
    A heading is cut into clauses at break punctuation (``，；：。！？…—`` and spaces; the enumeration
    comma ``、`` stays inside its clause); the rhythm writes each clause's length in characters,
    inline marks (quotes, brackets, ``、``, ``·``) not counted, with the break marks between them as
    they stand: ``守初心，为群众办实事`` is ``3，6``.  Over a
    series a length that varies is written as a range, ``6-7，6-7``; a clause empty in every member
    (after a final ``。``) is left out, so ``（一）``-style headings read ``9，11。``.  Members with
    different break patterns are written group by group, separated by `` | ``.

Exact and rhythm-only series
    For one sibling series, :func:`series_from_headings` returns the exact skeleton over the largest
    subset (two or more) that shares constant words, and a rhythm-only series over the largest subset
    that shares the break pattern at similar length: its slots are the clauses and its ``coverage``
    is 0.  A skeleton is *exact* when it shares words: two or more characters that are not
    punctuation, held by an anchor (``突出{X}``), by a run of three characters or more (``{X}意识，``),
    or making up a quarter of the members' characters.  One two-character word in the middle of long
    headings (``{X}发展{Y}``) is a common word, not a pattern.

Punctuation is normalised to the full-width forms official writing uses before anything else
(``高举伟大旗帜,凝聚奋进力量`` → ``高举伟大旗帜，凝聚奋进力量``), so ``fill(s, fits(s, h)) ==
normalize(h)`` for every member ``h``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import accumulate, combinations
from operator import sub
from typing import Any

from drafter.errors import UsageError
from drafter.segment import tag

__all__ = [
    "Series",
    "align",
    "fill",
    "fits",
    "is_parallel",
    "merge_series",
    "SeriesMerge",
    "settled",
    "normalize",
    "rhythm",
    "series_from_headings",
]

#: Largest length ratio (longest / shortest) of headings that still count as parallel.
MAX_LENGTH_RATIO = 1.6

# Pair seeds tried when looking for the largest subset that shares constant words; bounds the work
# on long lists (a work report's twenty ``1.`` items) without changing the result on short ones.
_MAX_SEEDS = 12

#: Below this share of constant characters, a skeleton held together only by two-character words
#: in the middle is chance, not a pattern.
MIN_WEAK_COVERAGE = 0.25

_BREAKS = "，；：。！？…—"
_BREAK_RE = re.compile(rf"([{_BREAKS}\s]+)")
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_GENERAL_NAMES = "XYZWUTSRQPONMLKJIHGFEDCB"
_CJK = "\u3400-\u9fff\uf900-\ufaff"
# A space between a Chinese character and a digit or Latin letter is web spacing (``2024 年``), not
# a break; a space between two Chinese characters separates title halves and stays.
_STRAY_SPACE = re.compile(rf"(?<=[{_CJK}]) (?=[0-9A-Za-z])|(?<=[0-9A-Za-z]) (?=[{_CJK}])")
_PUNCT_SPACE = re.compile(r" (?=[^\w ])|(?<=[^\w ]) ")
_SPACES = re.compile(r"\s+")
_HALF_WIDTH = re.compile("[" + re.escape("".join(_HALF_TO_FULL)) + '"]')
_SLOT_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@lru_cache(maxsize=65536)
def _is_punct(ch: str) -> bool:
    # cached per character: headings reuse a few hundred characters millions of times
    return ch.isspace() or unicodedata.category(ch)[0] in "PZ"


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """The heading as the skeletons see it: trimmed, spaces collapsed, punctuation full-width.

    A space beside punctuation, or between a Chinese character and a digit or Latin letter, is dropped
    (``2024 年``).
    Half-width ``,;:!?()`` become full-width unless they sit between digits (``1,000``, ``8:30``);
    ASCII double quotes become “ and ” in turn.  The mapping keeps one character for one, so
    alignment positions stay meaningful.
    """
    text = _SPACES.sub(" ", text.replace("\u3000", " ")).strip()
    # most headings have no space and no half-width mark: skip the passes that would change nothing
    if " " in text:
        text = _STRAY_SPACE.sub("", text)
    if _HALF_WIDTH.search(text):
        text = _full_width(text)
    return _PUNCT_SPACE.sub("", text) if " " in text else text


def _full_width(text: str) -> str:
    """Half-width marks made full-width as :func:`normalize` says, one character for one."""
    out: list[str] = []
    quote_open = True
    for i, ch in enumerate(text):
        if ch in _HALF_TO_FULL:
            prev_digit = i > 0 and text[i - 1].isdigit()
            next_digit = i + 1 < len(text) and text[i + 1].isdigit()
            out.append(ch if (prev_digit and next_digit and ch in ",:") else _HALF_TO_FULL[ch])
        elif ch == '"':
            out.append("“" if quote_open else "”")
            quote_open = not quote_open
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Series:
    """One parallel pattern: a skeleton with slots, its rhythm, and the headings it came from.

    ``examples`` holds each example series in full (every heading of the sibling series, as
    normalised), ``sources`` the ``FILE#N`` of each heading of the examples flattened in order, and
    ``members`` the indexes (into that flattened list) of the headings the skeleton fits.  ``slots``
    and ``slot_pos`` list one filler / one tag string per member, in member order; a tag string joins
    the jieba tags of the filler's words with ``+``.
    """

    skeleton: str
    rhythm: str
    slots: dict[str, tuple[str, ...]]
    slot_pos: dict[str, tuple[str, ...]]
    examples: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]
    themes: tuple[str, ...] = ()
    coverage: float = 0.0
    members: tuple[int, ...] = ()
    _parts: tuple[tuple[bool, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_parts", tuple(_parse(self.skeleton)))

    @property
    def slot_names(self) -> tuple[str, ...]:
        """Slot names in skeleton order."""
        return tuple(text for is_slot, text in self._parts if is_slot)

    @property
    def constant(self) -> str:
        """The skeleton's constant text, slots left out."""
        return "".join(text for is_slot, text in self._parts if not is_slot)

    @property
    def exact(self) -> bool:
        """True when the skeleton shares words, not just rhythm (see the module notes)."""
        parts = self._parts
        runs = [(text, i in (0, len(parts) - 1)) for i, (is_slot, text) in enumerate(parts) if not is_slot]
        flat = self.headings
        texts = [flat[i] for i in self.members if i < len(flat)]
        return _solid(runs, _letter_share(self.constant, texts))

    @property
    def headings(self) -> tuple[str, ...]:
        """Every heading of every example, flattened (what ``members`` and ``sources`` index)."""
        return tuple(h for ex in self.examples for h in ex)

    def to_dict(self) -> dict[str, Any]:
        return {
            "skeleton": self.skeleton,
            "rhythm": self.rhythm,
            "slots": {k: list(v) for k, v in self.slots.items()},
            "slot_pos": {k: list(v) for k, v in self.slot_pos.items()},
            "examples": [list(ex) for ex in self.examples],
            "sources": list(self.sources),
            "themes": list(self.themes),
            "coverage": self.coverage,
            "members": list(self.members),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], themes: tuple[str, ...] | None = None) -> Series:
        """The series a :meth:`to_dict` row describes (with ``themes`` instead of its own, if given)."""
        return cls(
            skeleton=d["skeleton"],
            rhythm=d.get("rhythm", ""),
            slots={k: tuple(v) for k, v in d.get("slots", {}).items()},
            slot_pos={k: tuple(v) for k, v in d.get("slot_pos", {}).items()},
            examples=tuple(tuple(ex) for ex in d.get("examples", ())),
            sources=tuple(d.get("sources", ())),
            themes=tuple(d.get("themes", ())) if themes is None else themes,
            coverage=float(d.get("coverage", 0.0)),
            members=tuple(int(i) for i in d.get("members", ())),
        )


# --- skeleton text ---------------------------------------------------------------------------


def _parse(skeleton: str) -> list[tuple[bool, str]]:
    """``"要把{X}{V}得更{A}"`` → ``[(False, "要把"), (True, "X"), (True, "V"), (False, "得更"), (True, "A")]``."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    buf: list[str] = []
    for m in _SLOT_RE.finditer(skeleton):
        buf.append(skeleton[pos : m.start()])
        pos = m.end()
        tok = m.group(0)
        if tok in ("{{", "}}"):
            buf.append(tok[0])
            continue
        if "".join(buf):
            parts.append((False, "".join(buf)))
        buf = []
        parts.append((True, m.group(1)))
    buf.append(skeleton[pos:])
    if "".join(buf):
        parts.append((False, "".join(buf)))
    return parts


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@lru_cache(maxsize=65536)
def _letters(text: str) -> int:
    # cached per string: the same headings and constants are measured at every alignment step
    return len(text) - sum(map(_is_punct, text))


def _letter_share(constant: str, texts: Sequence[str]) -> float:
    """Share of the members' non-punctuation characters that are constant skeleton."""
    total = sum(_letters(t) for t in texts)
    return _letters(constant) * len(texts) / total if total else 0.0


def _solid(runs: Sequence[tuple[str, bool]], coverage: float) -> bool:
    """Whether constant runs (text, anchored at start or end) make a skeleton that shares words.

    Two characters that are not punctuation at least; and an anchor, a run of three characters or
    more (``意识，``, ``作为政府的``), or enough coverage (of non-punctuation characters): one
    two-character word in the middle of long headings (``{X}发展{Y}``) is a common word, not a pattern.
    """
    if sum(_letters(text) for text, _ in runs) < 2:
        return False
    return (
        any(anchored and _letters(text) for text, anchored in runs)
        or any(len(text) >= 3 and _letters(text) >= 2 for text, _ in runs)
        or coverage >= MIN_WEAK_COVERAGE
    )


def _solid_cols(cols: list[_Col], texts: Sequence[str]) -> bool:
    """:func:`_solid` for an alignment profile over ``texts`` (in the profile's member order)."""
    return _solid_runs(_runs(cols), texts)


def _solid_runs(col_runs: list[list[_Col]], texts: Sequence[str]) -> bool:
    """:func:`_solid_cols` for a profile already cut into runs (:func:`_runs`)."""
    lasts = tuple(len(t) - 1 for t in texts)
    runs = []
    for run in col_runs:
        first = run[0][1]
        start = not any(first)
        end = run[-1][1] == lasts
        runs.append(("".join([ch for ch, _ in run]), start or end))
    return _solid(runs, _letter_share("".join(text for text, _ in runs), texts))


# --- alignment --------------------------------------------------------------------------------

# A column of the alignment profile: one constant character and its position in each member.
_Col = tuple[str, tuple[int, ...]]


def _seed(text: str) -> list[_Col]:
    return [(ch, (i,)) for i, ch in enumerate(text)]


@lru_cache(maxsize=4096)
def _matching_blocks(a: str, b: str) -> tuple[tuple[int, int, int], ...]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()``, as plain tuples.

    The same result by the same recursion (longest match first, then both sides of it, adjacent
    blocks merged), with the longest match found by substring search (:func:`_longest_match`)
    instead of SequenceMatcher's table: headings are short and aligned tens of thousands of times
    per corpus, and the table and object set-up were most of the cost.
    """
    queue = [(0, len(a), 0, len(b))]
    blocks: list[tuple[int, int, int]] = []
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        i, j, k = _longest_match(a, b, alo, ahi, blo, bhi)
        if k:
            blocks.append((i, j, k))
            if alo < i and blo < j:
                queue.append((alo, i, blo, j))
            if i + k < ahi and j + k < bhi:
                queue.append((i + k, ahi, j + k, bhi))
    blocks.sort()
    i1 = j1 = k1 = 0
    merged: list[tuple[int, int, int]] = []
    for i2, j2, k2 in blocks:
        if i1 + k1 == i2 and j1 + k1 == j2:
            k1 += k2
        else:
            if k1:
                merged.append((i1, j1, k1))
            i1, j1, k1 = i2, j2, k2
    if k1:
        merged.append((i1, j1, k1))
    merged.append((len(a), len(b), 0))
    return tuple(merged)


def _longest_match(a: str, b: str, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
    """The longest common block of ``a[alo:ahi]`` and ``b[blo:bhi]``, earliest in ``a`` then in ``b``.

    What :meth:`difflib.SequenceMatcher.find_longest_match` returns without junk: ``(alo, blo, 0)``
    when nothing matches.  Each start in ``a`` is tried only for a block longer than the best so
    far; since every prefix of a common block is common, the start where the best last grew is the
    earliest start of a longest block.  A block grows one character at a time: shared words are a
    few characters long, and a substring test on the sliced range is the cheapest step there is.
    """
    window = b[blo:bhi]
    besti, size = alo, 0
    i = alo
    while i + size < ahi:
        if a[i : i + size + 1] in window:
            size += 1
            while i + size < ahi and a[i : i + size + 1] in window:
                size += 1
            besti = i
        i += 1
    if not size:
        return alo, blo, 0
    return besti, blo + window.find(a[besti : besti + size]), size


def _add(cols: list[_Col], text: str) -> list[_Col]:
    """Align one more member against the profile; keep the columns it shares, in order."""
    profile = "".join([ch for ch, _ in cols])
    out: list[_Col] = []
    for a, b, size in _matching_blocks(profile, text):
        for k in range(size):
            ch, pos = cols[a + k]
            out.append((ch, (*pos, b + k)))
    return out


def _runs(cols: list[_Col]) -> list[list[_Col]]:
    """Maximal runs of columns that are contiguous in every member."""
    runs: list[list[_Col]] = []
    prev: tuple[int, ...] = ()
    for col in cols:
        pos = col[1]
        # contiguous: every member's position is one past the previous column's
        if runs and set(map(sub, pos, prev)) == _ONE:
            runs[-1].append(col)
        else:
            runs.append([col])
        prev = pos
    return runs


_ONE = {1}


def _prune(cols: list[_Col], texts: Sequence[str]) -> list[_Col]:
    """Drop runs too weak to be skeleton.

    A middle run of one character that is not punctuation goes (a stray ``的``); so does a
    one-character opening that is no member's first word (``加`` of ``加大`` / ``加强``), which
    cuts a word rather than shares one.
    """
    return [col for run in _prune_runs(cols, texts) for col in run]


def _prune_runs(cols: list[_Col], texts: Sequence[str]) -> list[list[_Col]]:
    """:func:`_prune` as the kept runs; dropping whole runs never joins two others into one, as
    the columns between them were in every member, so these are also the runs of the result."""
    kept: list[list[_Col]] = []
    lasts: tuple[int, ...] | None = None
    for run in _runs(cols):
        if len(run) >= 2 or _is_punct(run[0][0]):
            kept.append(run)
            continue
        ch, pos = run[0]
        if lasts is None:
            lasts = tuple(len(t) - 1 for t in texts)
        # a one-character ending, or an opening word (segmenting, the costly test, last)
        if pos == lasts or not any(pos) and any(_words(t)[0][0] == ch for t in texts):
            kept.append(run)
    return kept


def _profile(texts: Sequence[str]) -> list[_Col]:
    """The alignment profile of all the headings: each added in turn, then pruned."""
    cols = _seed(texts[0])
    for i, text in enumerate(texts[1:], start=2):
        cols = _prune(_add(cols, text), texts[:i])
    return cols


# A part of a skeleton under construction: a constant text, or a slot with one filler per member.
_Part = tuple[str, tuple[str, ...]]  # ("c", (text,)) or ("s", fillers)


def _parts_from_cols(texts: Sequence[str], cols: list[_Col]) -> list[_Part]:
    parts: list[_Part] = []
    prev_end = [0] * len(texts)
    for run in _runs(cols):
        starts = run[0][1]
        fillers = tuple(t[e:s] for t, e, s in zip(texts, prev_end, starts, strict=True))
        if any(fillers):
            parts.append(("s", fillers))
        parts.append(("c", ("".join(ch for ch, _ in run),)))
        prev_end = [p + 1 for p in run[-1][1]]
    tail = tuple(t[e:] for t, e in zip(texts, prev_end, strict=True))
    if any(tail):
        parts.append(("s", tail))
    return parts


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[tuple[str, str], ...]:
    """``(word, tag)`` pairs that concatenate back to ``text`` exactly (one pair per char if not)."""
    if not text:
        return ()
    pairs = tuple(tag(text))
    if "".join(w for w, _ in pairs) != text:
        return tuple((ch, "x") for ch in text)
    return pairs


def _word_class(tag_: str) -> str:
    if tag_.startswith("v") and tag_ != "vn":
        return "V"
    if tag_ in ("a", "ad", "ag"):
        return "A"
    return ""


def _filler_class(filler: str) -> str:
    words = _words(filler)
    return _word_class(words[0][1]) if len(words) == 1 else ""


def _slot_class(fillers: Sequence[str]) -> str:
    """``V`` / ``A`` for a one-word slot: every filler one word, at least half of that class, none of the other.

    Half, not all, because single characters out of context are tagged poorly (``得更实``: 实 ``n``).
    """
    if not all(len(_words(f)) == 1 for f in fillers):
        return ""
    classes = [_filler_class(f) for f in fillers]
    for cls, other in (("V", "A"), ("A", "V")):
        if classes.count(cls) * 2 >= len(classes) and other not in classes:
            return cls
    return ""


def _split_slots(parts: list[_Part]) -> list[_Part]:
    """Split a slot whose fillers all start (or all end) with a verb or adjective word, and say more."""
    out: list[_Part] = []
    for kind, fillers in parts:
        if kind != "s":
            out.append((kind, fillers))
            continue
        words = [_words(f) for f in fillers]
        if not all(len(w) >= 2 for w in words):
            out.append((kind, fillers))
            continue
        for side in (0, -1):
            classes = {_word_class(w[side][1]) for w in words}
            if len(classes) == 1 and "" not in classes:
                if side == 0:
                    head = tuple(w[0][0] for w in words)
                    rest = tuple(f[len(h) :] for f, h in zip(fillers, head, strict=True))
                    out.extend([("s", head), ("s", rest)])
                else:
                    tail = tuple(w[-1][0] for w in words)
                    rest = tuple(f[: len(f) - len(t)] for f, t in zip(fillers, tail, strict=True))
                    out.extend([("s", rest), ("s", tail)])
                break
        else:
            out.append((kind, fillers))
    return out


def _name_slots(parts: list[_Part]) -> list[tuple[str, str, tuple[str, ...]]]:
    """``[("c", text, ()), ("s", name, fillers), ...]`` with names given left to right."""
    counts = {"V": 0, "A": 0, "": 0}
    named: list[tuple[str, str, tuple[str, ...]]] = []
    for kind, payload in parts:
        if kind == "c":
            named.append(("c", payload[0], ()))
            continue
        cls = _slot_class(payload)
        n = counts[cls]
        counts[cls] += 1
        if cls:
            name = cls if n == 0 else f"{cls}{n + 1}"
        else:
            letters = len(_GENERAL_NAMES)
            name = _GENERAL_NAMES[n % letters] + (str(n // letters + 1) if n >= letters else "")
        named.append(("s", name, payload))
    return named


def _pos_string(filler: str) -> str:
    return "+".join(t for _, t in _words(filler))


def _build(
    parts: list[_Part],
    member_texts: Sequence[str],
    examples: tuple[tuple[str, ...], ...],
    sources: tuple[str, ...],
    members: tuple[int, ...],
    rhythm_only: bool = False,
) -> Series:
    named = _name_slots(parts)
    skeleton = "".join(_escape(text) if kind == "c" else "{" + text + "}" for kind, text, _ in named)
    slots = {name: fillers for kind, name, fillers in named if kind == "s"}
    slot_pos = {name: tuple(_pos_string(f) for f in fillers) for name, fillers in slots.items()}
    coverage = 0.0
    total = sum(len(t) for t in member_texts)
    if not rhythm_only and total:
        const = sum(len(text) for kind, text, _ in named if kind == "c")
        coverage = round(const * len(member_texts) / total, 4)
    return Series(
        skeleton=skeleton,
        rhythm=rhythm(member_texts),
        slots=slots,
        slot_pos=slot_pos,
        examples=examples,
        sources=sources,
        coverage=coverage,
        members=members,
    )


def align(headings: Sequence[str]) -> Series:
    """Align two or more headings character by character into one skeleton with slots.

    Every heading is a member: the skeleton keeps what all of them share (possibly nothing, giving
    ``{X}``).  Use :func:`series_from_headings` to find the subset that shares words.
    """
    if len(headings) < 2:
        raise UsageError("对齐至少需要两个标题")
    texts = [normalize(h) for h in headings]
    parts = _split_slots(_parts_from_cols(texts, _profile(texts)))
    return _build(parts, texts, (tuple(texts),), (), tuple(range(len(texts))))


# --- rhythm -----------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _clauses(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Clauses and the break marks between them (``len(clauses) == len(breaks) + 1``).

    Cached: the rhythm search splits the same headings once per candidate window.
    """
    pieces = _BREAK_RE.split(text)
    return tuple(pieces[0::2]), tuple(pieces[1::2])


def _clause_len(clause: str) -> int:
    """Characters of a clause that are not punctuation (the same count as :func:`_letters`)."""
    return _letters(clause)


@lru_cache(maxsize=8192)
def _clause_lengths(text: str) -> tuple[int, ...]:
    """:func:`_clause_len` of each clause; cached, as the rhythm search compares each heading often."""
    return tuple(_clause_len(c) for c in _clauses(text)[0])


def _rhythm_group(texts: Sequence[str]) -> str:
    split = [_clauses(t) for t in texts]
    breaks = split[0][1]
    out: list[str] = []
    for i in range(len(breaks) + 1):
        lengths = [_clause_len(clauses[i]) for clauses, _ in split]
        if any(clauses[i] for clauses, _ in split):
            lo, hi = min(lengths), max(lengths)
            out.append(str(lo) if lo == hi else f"{lo}-{hi}")
        if i < len(breaks):
            out.append(breaks[i])
    return "".join(out)


def rhythm(headings: Sequence[str]) -> str:
    """The rhythm of one or more headings in the notation of this module (``"3，6"``, ``"6-7，6-7"``)."""
    texts = [normalize(h) for h in headings]
    groups: dict[tuple[str, ...], list[str]] = {}
    for t in texts:
        groups.setdefault(_clauses(t)[1], []).append(t)
    return " | ".join(_rhythm_group(g) for g in groups.values())


# --- one sibling series -----------------------------------------------------------------------


def _run_score(cols: list[_Col]) -> int:
    """Sum of squared run lengths: a long shared word outweighs the same characters scattered."""
    return _runs_score(_runs(cols))


def _runs_score(runs: list[list[_Col]]) -> int:
    """:func:`_run_score` of a profile already cut into runs."""
    return sum(len(run) ** 2 for run in runs)


# What a profile's constant could still share with one more member: the two-character pieces
# inside its runs, and its characters at the start and at the end of every member ("" when none).
_Reach = tuple[frozenset[str], str, str]


@lru_cache(maxsize=8192)
def _text_reach(text: str) -> _Reach:
    """:data:`_Reach` of one heading as a profile of its own, which is also what it offers as the
    next member; cached, as every heading of a series is tested against every other."""
    return frozenset([text[i : i + 2] for i in range(len(text) - 1)]), text[:1], text[-1:]


def _reach(runs: list[list[_Col]], texts: Sequence[str]) -> _Reach:
    """:data:`_Reach` of a pruned profile (:func:`_prune_runs`) over its member texts."""
    if not runs:
        return frozenset(), "", ""
    bigrams = frozenset().union(*[_text_reach("".join([ch for ch, _ in run]))[0] for run in runs])
    first, last = runs[0][0], runs[-1][-1]
    head = first[0] if not any(first[1]) else ""
    tail = last[0] if last[1] == tuple(len(t) - 1 for t in texts) else ""
    return bigrams, head, tail


def _may_keep_words(reach: _Reach, other: _Reach) -> bool:
    """False when aligning a heading (``other``, its :func:`_text_reach`) to a profile (``reach``)
    cannot leave two letters of skeleton, as :func:`_solid` requires; True otherwise.

    Aligning is most of the cost of a series and most candidates share nothing, so this necessary
    condition saves it.  Pruning (:func:`_prune_runs`) keeps a letter only in a run of two or more
    characters, which is a two-character piece inside one of the profile's runs that the heading
    has too, or alone at the start or the end of every member; two letters alone need both ends.
    """
    bigrams, head, tail = reach
    if not bigrams.isdisjoint(other[0]):
        return True
    return bool(head and tail) and head == other[1] and tail == other[2]


@lru_cache(maxsize=8192)
def _trigrams(text: str) -> frozenset[str]:
    """The three-character pieces of ``text``; cached like :func:`_text_reach`."""
    return frozenset([text[i : i + 3] for i in range(len(text) - 2)])


def _pair_may_share_words(a: str, b: str) -> bool:
    """:func:`_may_keep_words` made tighter for a pair, the most numerous candidates: False when
    the profile of ``a`` and ``b``, which passed :func:`_may_keep_words`, cannot share words
    (:func:`_pair_blocks` is None).

    Unless the two start or end alike (an anchor) or share a three-character piece (a long run),
    :func:`_solid` needs a quarter of their letters, and every run holding letters is then a shared
    two-character piece; when one of them has no piece twice, that is one run per shared piece at
    most, so at most two letters each.
    """
    reach_a, reach_b = _text_reach(a), _text_reach(b)
    if a[0] == b[0] or a[-1] == b[-1] or not _trigrams(a).isdisjoint(_trigrams(b)):
        return True
    if len(reach_a[0]) < len(a) - 1 and len(reach_b[0]) < len(b) - 1:  # both repeat a piece
        return True
    letters = 2 * len(reach_a[0] & reach_b[0])
    # the bound of _letter_share, computed as it computes the share so that both round alike
    total = _letters(a) + _letters(b)
    return bool(total) and letters * 2 / total >= MIN_WEAK_COVERAGE


def _solid_profile(texts: Sequence[str]) -> list[_Col] | None:
    """The profile of all the headings (:func:`_profile`) when it shares words, else None.

    Stops at the first heading that cannot keep words (:func:`_may_keep_words`): each step only
    drops columns, so no later one brings words back.
    """
    if not _may_keep_words(_text_reach(texts[0]), _text_reach(texts[1])):  # most series: no work
        return None
    cols = _seed(texts[0])
    runs: list[list[_Col]] = []
    for i in range(1, len(texts)):
        if i > 1 and not _may_keep_words(_reach(runs, texts[:i]), _text_reach(texts[i])):
            return None
        runs = _prune_runs(_add(cols, texts[i]), texts[: i + 1])
        cols = [col for run in runs for col in run]
    return cols if _solid_runs(runs, texts) else None


def _pair_blocks(a: str, b: str) -> list[tuple[int, int, int]] | None:
    """The runs of the profile of two headings as blocks ``(i, j, size)`` when it shares words, else None.

    :func:`_profile` then :func:`_solid_cols` on ``[a, b]``, read off the matching blocks
    without building columns: each block is one run of that profile (adjacent blocks are merged),
    and :func:`_prune_runs` judges it as it stands.  Every pair of a series is tried as a seed, and
    only the few seeds grown need their columns (:func:`_block_runs`).
    """
    la, lb = len(a), len(b)
    blocks: list[tuple[int, int, int]] = []
    runs: list[tuple[str, bool]] = []
    for i, j, k in _matching_blocks(a, b)[:-1]:
        text = a[i : i + k]
        start = i == 0 and j == 0
        end = i + k == la and j + k == lb
        kept = k >= 2 or _is_punct(text) or end  # _prune_runs's test, segmenting only if need be
        if not kept and start:
            kept = _words(a)[0][0] == text or _words(b)[0][0] == text
        if not kept:
            continue
        blocks.append((i, j, k))
        runs.append((text, start or end))
    constant = "".join([text for text, _ in runs])
    return blocks if _solid(runs, _letter_share(constant, (a, b))) else None


def _block_runs(a: str, blocks: list[tuple[int, int, int]]) -> list[list[_Col]]:
    """The runs of columns that :func:`_pair_blocks` stands for (``a`` the first heading)."""
    return [[(a[i + d], (i + d, j + d)) for d in range(k)] for i, j, k in blocks]


def _exact_members(texts: Sequence[str]) -> tuple[list[int], list[_Col]] | None:
    """The largest subset (>= 2) of the headings whose alignment keeps shared words, with its profile.

    Every pair that shares words seeds a subset, grown by adding the other headings in order while
    words survive; the largest subset wins, then the one with the longest shared runs, then the
    earliest indexes.  Candidates that cannot share words (:func:`_may_keep_words`,
    :func:`_pair_may_share_words`) are not aligned.
    """
    n = len(texts)
    if n < 2:
        return None
    full = _solid_profile(texts)
    if full is not None:
        return list(range(n)), full
    if n == 2:  # the only pair is the whole series
        return None
    reaches = [_text_reach(t) for t in texts]
    seeds: list[tuple[int, tuple[int, int], list[tuple[int, int, int]]]] = []
    for i, j in combinations(range(n), 2):
        a, b = texts[i], texts[j]
        if (
            _may_keep_words(reaches[i], reaches[j])
            and _pair_may_share_words(a, b)
            and (blocks := _pair_blocks(a, b)) is not None
        ):
            seeds.append((-sum(k * k for _, _, k in blocks), (i, j), blocks))  # -_runs_score
    seeds.sort(key=lambda s: (s[0], s[1]))
    best: tuple[tuple[int, int, tuple[int, ...]], list[int], list[_Col]] | None = None
    for _score, (i, j), blocks in seeds[:_MAX_SEEDS]:
        members = [i, j]
        member_texts = [texts[i], texts[j]]
        runs = _block_runs(texts[i], blocks)
        cols = [col for run in runs for col in run]
        reach = _reach(runs, member_texts)
        for k in range(n):
            if k in members or not _may_keep_words(reach, reaches[k]):
                continue
            trial_texts = [*member_texts, texts[k]]
            trial_runs = _prune_runs(_add(cols, texts[k]), trial_texts)
            if _solid_runs(trial_runs, trial_texts):
                cols = [col for run in trial_runs for col in run]
                runs = trial_runs
                members.append(k)
                member_texts = trial_texts
                reach = _reach(runs, member_texts)
        order = sorted(range(len(members)), key=lambda x: members[x])
        members_sorted = [members[x] for x in order]
        key = (-len(members), -_runs_score(runs), tuple(members_sorted))
        if best is None or key < best[0]:
            cols_sorted = [(ch, tuple(pos[x] for x in order)) for ch, pos in cols]
            best = (key, members_sorted, cols_sorted)
    return None if best is None else (best[1], best[2])


def _rhythm_members(texts: Sequence[str]) -> list[int]:
    """The largest subset (>= 2) that shares a rhythm as :func:`is_parallel` reads it (earliest on ties).

    Candidates are the headings of one break pattern in windows of similar total length: for each
    shortest heading, the longest window that shares a rhythm.  Part of a window that shares a
    rhythm shares it too, so the next window never ends before this one, and growing one from the
    end of the last tests each heading about once instead of every window.
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, t in enumerate(texts):
        groups.setdefault(_clauses(t)[1], []).append(i)
    best: list[int] = []
    for breaks, idx in groups.items():
        by_len = sorted(idx, key=lambda i: (len(texts[i]), i))
        lens = [len(texts[i]) for i in by_len]
        shapes = [_clause_lengths(texts[i]) for i in by_len]
        n, hi = len(by_len), 0
        for lo in range(n):
            hi = max(hi, lo + 1)  # by_len[lo:hi] shares a rhythm (or is one heading)
            while (
                hi < n
                and lens[lo] > 0  # _similar_length, the window's lengths being sorted
                and lens[hi] <= MAX_LENGTH_RATIO * lens[lo]
                and _rhythms_agree(shapes[lo : hi + 1], bool(breaks))
            ):
                hi += 1
            window = sorted(by_len[lo:hi])
            if len(window) >= max(2, len(best)) and not (len(window) == len(best) and window > best):
                best = window
    return best


def _similar_length(texts: Sequence[str]) -> bool:
    lengths = [len(t) for t in texts]
    return min(lengths) > 0 and max(lengths) <= MAX_LENGTH_RATIO * min(lengths)


def _rhythm_parts(texts: Sequence[str]) -> list[_Part]:
    split = [_clauses(t) for t in texts]
    parts: list[_Part] = []
    breaks = split[0][1]
    for i in range(len(breaks) + 1):
        fillers = tuple(clauses[i] for clauses, _ in split)
        if any(fillers):
            parts.append(("s", fillers))
        if i < len(breaks):
            parts.append(("c", (breaks[i],)))
    return parts


def series_from_headings(headings: Sequence[str], sources: Sequence[str]) -> list[Series]:
    """The parallel patterns of one sibling series: ``[exact, rhythm-only]``, either possibly missing.

    ``sources[i]`` is the ``FILE#N`` of ``headings[i]``.  The exact series covers the largest subset
    of two or more headings that shares constant words; the rhythm-only series the largest subset
    that shares the break pattern (``{X}，{Y}``) at similar length.
    """
    if len(sources) != len(headings):
        raise UsageError(f"标题有 {len(headings)} 个而出处有 {len(sources)} 个，两者须一一对应")
    texts = [normalize(h) for h in headings]
    examples = (tuple(texts),)
    srcs = tuple(sources)
    out: list[Series] = []
    found = _exact_members(texts)
    if found is not None:
        members, cols = found
        member_texts = [texts[i] for i in members]
        parts = _split_slots(_parts_from_cols(member_texts, cols))
        out.append(_build(parts, member_texts, examples, srcs, tuple(members)))
    rmembers = _rhythm_members(texts)
    if rmembers:
        member_texts = [texts[i] for i in rmembers]
        parts = _rhythm_parts(member_texts)
        out.append(_build(parts, member_texts, examples, srcs, tuple(rmembers), rhythm_only=True))
    return out


# --- corpus-wide reduce -----------------------------------------------------------------------


def _merge_key(s: Series) -> tuple[str, ...]:
    return (s.skeleton,) if s.coverage > 0 else (s.skeleton, s.rhythm)


@dataclass(frozen=True)
class _Unit:
    """One example series of a :class:`Series` with what belongs to it: the unit of merging."""

    example: tuple[str, ...]
    sources: tuple[str, ...]
    members: tuple[int, ...]  # local to ``example``
    slots: tuple[tuple[str, tuple[str, ...]], ...]
    slot_pos: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.sources, self.example, self.members)


def _units(s: Series) -> list[_Unit]:
    """The example series a merged series is made of, each with its own members, slots and sources.

    Linear in the size of the series: a merged series of a large corpus has thousands of examples,
    and looking up each example's members by scanning all of them was quadratic.
    """
    starts = list(accumulate((len(ex) for ex in s.examples), initial=0))
    aligned = len(s.sources) == starts[-1]
    picks: list[list[int]] = [[] for _ in s.examples]
    for j, i in enumerate(s.members):
        e = bisect_right(starts, i) - 1
        if 0 <= e < len(s.examples) and i < starts[e + 1]:
            picks[e].append(j)
    units: list[_Unit] = []
    for e, example in enumerate(s.examples):
        offset, n, mine = starts[e], len(example), picks[e]
        units.append(
            _Unit(
                example=example,
                sources=tuple(s.sources[offset : offset + n]) if aligned else ("",) * n,
                members=tuple(s.members[j] - offset for j in mine),
                slots=tuple((k, tuple(v[j] for j in mine if j < len(v))) for k, v in s.slots.items()),
                slot_pos=tuple((k, tuple(v[j] for j in mine if j < len(v))) for k, v in s.slot_pos.items()),
            )
        )
    return units


def merge_series(items: Iterable[Series]) -> list[Series]:
    """Merge the same skeleton found in different articles into one series; order-independent.

    Exact skeletons merge on the skeleton text; rhythm-only ones on skeleton and rhythm (``{X}，{Y}``
    at ``3，6`` is not the same pattern as at ``12，15``).  Each series is taken apart into its
    example series, which are put back together in the order of their sources; an example seen twice
    (the same headings from the same place) counts once.  So the result is the same for any order of
    the input, and merging a merged list with more items equals merging everything at once.
    """
    merge = SeriesMerge()
    merge.add(items)
    return merge.result()


class SeriesMerge:
    """:func:`merge_series` fed in batches, each merged series rebuilt only when a batch changed it.

    Re-mining after one file changed merges the series of every other file while that file is
    being analysed; the changed file's series then rebuild only the few merged series they touch.
    Series stored as rows (:meth:`add_rows`) that are :func:`settled` and alone under their
    skeleton (most of them) are passed through without being taken apart and rebuilt.
    """

    def __init__(self) -> None:
        self._groups: dict[tuple[str, ...], _Group] = {}

    def add(self, items: Iterable[Series]) -> None:
        for s in items:
            self._group(_merge_key(s)).take(s)

    def add_rows(self, rows: Iterable[Mapping[str, Any]], themes: tuple[str, ...]) -> None:
        """Series as :meth:`Series.to_dict` rows (with ``settled`` when :func:`settled` said so),
        with ``themes`` instead of their own."""
        for row in rows:
            key = (row["skeleton"],) if float(row.get("coverage", 0.0)) > 0 else (row["skeleton"], row.get("rhythm", ""))
            group = self._group(key)
            if group.empty and row.get("settled"):
                group.row = row
                group.themes.update(themes)
            else:
                group.take(Series.from_dict(row, themes=themes))

    def _group(self, key: tuple[str, ...]) -> _Group:
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group()
        return group

    def settle(self) -> None:
        """Rebuild now the merged series the batches so far changed (:meth:`result` then has less to do)."""
        for group in self._groups.values():
            if group.row is None and group.built is None:
                group.series()

    def result(self) -> list[Series]:
        """The merged series so far, in :func:`merge_series`'s order."""
        out = [group.series() for group in self._groups.values()]
        out.sort(key=lambda s: (-len(s.members), -s.coverage, s.skeleton, s.rhythm, s.sources))
        return out

    def result_rows(self) -> list[tuple[dict[str, Any], set[str]]]:
        """:meth:`result` as ``(row, themes)`` pairs, the rows without their themes (set them from
        the second item); a series passed through is never made an object."""
        out = []
        for group in self._groups.values():
            if group.row is not None:
                out.append(({k: v for k, v in group.row.items() if k != "settled"}, group.themes))
            else:
                out.append((group.series().to_dict(), group.themes))
        out.sort(key=lambda rt: (-len(rt[0]["members"]), -rt[0]["coverage"], rt[0]["skeleton"], rt[0]["rhythm"], tuple(rt[0]["sources"])))
        return out


class _Group:
    """The series of one merge key: a lone settled row as it came, or the units of its series."""

    __slots__ = ("row", "first", "units", "themes", "built")

    def __init__(self) -> None:
        self.row: Mapping[str, Any] | None = None
        self.first: Series | None = None
        self.units: dict[tuple[Any, ...], _Unit] = {}
        self.themes: set[str] = set()
        self.built: Series | None = None

    @property
    def empty(self) -> bool:
        return self.row is None and self.first is None

    def take(self, s: Series) -> None:
        if self.row is not None:  # no longer alone: the row is taken apart like the rest
            row, self.row = self.row, None
            self.take(Series.from_dict(row, themes=tuple(sorted(self.themes))))
        if self.first is None:
            self.first = s
        before = len(self.units), len(self.themes)
        for unit in _units(s):
            self.units.setdefault(unit.key, unit)
        self.themes.update(s.themes)
        if (len(self.units), len(self.themes)) != before:
            self.built = None

    def series(self) -> Series:
        if self.row is not None:
            return Series.from_dict(self.row, themes=tuple(sorted(self.themes)))
        if self.built is None:
            assert self.first is not None
            self.built = _rebuild(self.first, [self.units[k] for k in sorted(self.units)], self.themes)
        return self.built


def settled(s: Series) -> bool:
    """Whether merging ``s`` with nothing else gives it back (true of a series as
    :func:`series_from_headings` makes it, unless an example repeats): then a merge may pass it
    through untouched when nothing else shares its skeleton."""
    merged = merge_series([replace(s, themes=())])
    return len(merged) == 1 and merged[0].to_dict() == replace(s, themes=()).to_dict()


def _rebuild(like: Series, units: list[_Unit], themes: set[str]) -> Series:
    examples: list[tuple[str, ...]] = []
    sources: list[str] = []
    members: list[int] = []
    slots: dict[str, list[str]] = {name: [] for name in like.slots}
    slot_pos: dict[str, list[str]] = {name: [] for name in like.slot_pos}
    offset = 0
    for unit in units:
        examples.append(unit.example)
        sources.extend(unit.sources)
        members.extend(offset + i for i in unit.members)
        for name, fillers in unit.slots:
            slots.setdefault(name, []).extend(fillers)
        for name, tags in unit.slot_pos:
            slot_pos.setdefault(name, []).extend(tags)
        offset += len(unit.example)
    flat = [h for ex in examples for h in ex]
    member_texts = [flat[i] for i in members]
    coverage = 0.0
    total = sum(len(t) for t in member_texts)
    if like.coverage > 0 and total:
        coverage = round(len(like.constant) * len(member_texts) / total, 4)
    return Series(
        skeleton=like.skeleton,
        rhythm=rhythm(member_texts) if member_texts else like.rhythm,
        slots={k: tuple(v) for k, v in slots.items()},
        slot_pos={k: tuple(v) for k, v in slot_pos.items()},
        examples=tuple(examples),
        sources=tuple(sources),
        themes=tuple(sorted(themes)),
        coverage=coverage,
        members=tuple(members),
    )


# --- using a skeleton -------------------------------------------------------------------------


def fill(series: Series, values: Mapping[str, str]) -> str:
    """The skeleton with every slot replaced by ``values[name]``."""
    out: list[str] = []
    for is_slot, text in series._parts:
        if is_slot:
            if text not in values:
                raise UsageError(f"骨架 {series.skeleton} 的槽位 {text} 没有给出内容")
            out.append(values[text])
        else:
            out.append(text)
    return "".join(out)


def _split_group(text: str, names: Sequence[str]) -> list[str] | None:
    """Cut the text of adjacent slots at word boundaries, a word-class slot (V, A) taking one word."""
    if len(names) == 1:
        return [text]
    words = [w for w, _ in _words(text)]
    if len(words) < len(names):
        return None
    word_slot = [n[0] in "VA" and (n[1:].isdigit() or not n[1:]) for n in names]
    best: tuple[int, list[str]] | None = None
    for cuts in combinations(range(1, len(words)), len(names) - 1):
        bounds = (0, *cuts, len(words))
        pieces = [words[bounds[i] : bounds[i + 1]] for i in range(len(names))]
        score = sum(1 for p, w in zip(pieces, word_slot, strict=True) if w and len(p) == 1)
        if best is None or score > best[0]:
            best = (score, ["".join(p) for p in pieces])
    return None if best is None else best[1]


def fits(series: Series, text: str) -> dict[str, str] | None:
    """Match a heading against the skeleton: the slot values, or None when it does not fit.

    Constants must appear as written; a slot may be empty only if it was empty in some example; two
    adjacent slots split the text between them at a word boundary.  Of several ways to match, the
    one with the shortest early slots is taken.
    """
    text = normalize(text)
    items: list[tuple[bool, Any]] = []  # (False, constant) or (True, [slot names])
    for is_slot, t in series._parts:
        if is_slot and items and items[-1][0]:
            items[-1][1].append(t)
        else:
            items.append((True, [t]) if is_slot else (False, t))

    def optional(names: list[str]) -> bool:
        return len(names) == 1 and "" in series.slots.get(names[0], ())

    def match(i: int, pos: int) -> dict[str, str] | None:
        if i == len(items):
            return {} if pos == len(text) else None
        is_group, payload = items[i]
        if not is_group:
            return match(i + 1, pos + len(payload)) if text.startswith(payload, pos) else None
        if i + 1 == len(items):
            ends = [len(text)]
        else:
            nxt = items[i + 1][1]
            ends = [m.start() for m in re.finditer(f"(?={re.escape(nxt)})", text[pos:])]
            ends = [pos + e for e in ends]
        for end in ends:
            chunk = text[pos:end]
            if not chunk and not optional(payload):
                continue
            pieces = _split_group(chunk, payload)
            if pieces is None:
                continue
            rest = match(i + 1, end)
            if rest is not None:
                return {**dict(zip(payload, pieces, strict=True)), **rest}
        return None

    return match(0, 0)


def _shared_rhythm(texts: Sequence[str]) -> bool:
    split = [_clauses(t) for t in texts]
    if len({b for _, b in split}) != 1:
        return False
    return _rhythms_agree([_clause_lengths(t) for t in texts], bool(split[0][1]))


def _rhythms_agree(lengths: Sequence[tuple[int, ...]], breaks: bool) -> bool:
    """Whether headings of one break pattern, given as their :func:`_clause_lengths`, share a rhythm."""
    if not breaks:
        return len({clauses[0] for clauses in lengths}) == 1
    for column in zip(*lengths, strict=True):
        lo, hi = min(column), max(column)
        if hi - lo > 2 and hi > MAX_LENGTH_RATIO * lo:
            return False
    return True


def is_parallel(headings: Sequence[str]) -> bool:
    """Whether headings read as one parallel series: similar length and a shared skeleton or rhythm.

    Similar length: longest / shortest <= 1.6.  Shared skeleton: their alignment keeps words (see
    :attr:`Series.exact`).  Shared rhythm: the same break punctuation, each clause within 1.6 times
    (or two characters) of the others; headings with no break at all must then be of equal length.
    """
    texts = [normalize(h) for h in headings]
    if len(texts) < 2 or not all(texts):
        return False
    if not _similar_length(texts):
        return False
    return _shared_rhythm(texts) or _solid_cols(_profile(texts), texts)
