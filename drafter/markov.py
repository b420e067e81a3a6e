"""New sentences from a Chinese Markov chain, kept only when they are novel and state no facts.

A draft may carry a few *generated* sentences under a heading: fresh recombinations of the corpus's
own wording that the writer can keep, rework or delete.  Two risks decide the shape of this module:

* **Copying.**  A "generated" sentence that is really a corpus sentence would be passed off as new
  writing.  Every output therefore goes through a :class:`NoveltyIndex`: a compact set of hashed
  character k-grams from which the longest run shared with the corpus is bounded, without keeping a
  single corpus sentence.  The product's checker allows 80 % of a sentence to be shared; we accept
  at most 70 % so a sentence that passes here passes there.
* **Invented facts.**  A chain happily splices "增长" onto another sentence's "百分之六".  A
  recombined figure, quotation, ordinal or document title is an invented fact, so any sentence that
  states a number or quotes someone is rejected (quotations come only verbatim from the phrase bank).

The chain itself is built map/reduce: :func:`count_transitions` on one article's sentences (map),
:func:`merge_counts` (reduce, associative and commutative), :func:`prune` (for scale), then
:meth:`ChainModel.from_counts`.  :class:`ChainModel` is a :class:`markovify.Chain` whose transition
table is packed into sorted integer arrays: it serialises to compact JSON (base64 of packed arrays),
loads in milliseconds, and draws every random choice from a :class:`random.Random` passed in, never
from the global ``random`` module that markovify's own ``Chain.move`` uses.

State size by corpus size (:func:`state_size_for`): a state of 1 token for tiny corpora (fewer than
3,000 training tokens: with 2 tokens nearly every walk just replays one sentence), 2 tokens for
normal ones, 3 tokens from 1,500,000 tokens up (about 3 million characters), where 2-token states
join so many sentences that the output stops making sense.  Because a 3-token count table can be
reduced exactly to 2 or 1 tokens (:func:`reduce_order`), a miner can count once at order 3 and
choose the order after the reduce step, when the corpus size is known.
"""

from __future__ import annotations

import base64
import bisect
import gc
import hashlib
import json
import random
import re
import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import accumulate
from operator import itemgetter
from typing import Any

import markovify
from markovify.chain import BEGIN, END

from drafter.segment import cut

__all__ = [
    "BEGIN",
    "END",
    "ChainModel",
    "ChineseText",
    "NoveltyIndex",
    "count_transitions",
    "counts_from_json",
    "counts_to_json",
    "generate",
    "merge_counts",
    "normalize",
    "novelty_key",
    "prune",
    "reduce_order",
    "rejection",
    "sentences",
    "state_size_for",
    "tokenize",
    "train",
]

Counts = dict[tuple[str, ...], dict[str, int]]

MIN_CHARS = 12
MAX_CHARS = 90
MAX_SHARE = 0.7
MAX_WALK_TOKENS = 120
FORMAT = "drafter-markov-chain"
NOVELTY_FORMAT = "drafter-novelty-index"

# --------------------------------------------------------------------------- normalisation

_TERMINALS = "。！？；"
_CLOSERS = "”’）》」』】"
_FULLWIDTH = {
    ",": "，",
    ":": "：",
    ";": "；",
    "?": "？",
    "!": "！",
    "(": "（",
    ")": "）",
}
# Full-width digits and Latin letters become ASCII, ASCII sentence punctuation becomes full-width:
# the form official Chinese text uses, so one token and one k-gram stand for both spellings.
_WIDTH_TABLE = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)},
     **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
     **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
     **_FULLWIDTH}
)
_SPACE_RE = re.compile(r"\s+")
_STRAIGHT_QUOTES_RE = re.compile(r'"([^"\n]*)"')
_NORMAL_RE = re.compile("[" + re.escape("".join(map(chr, _WIDTH_TABLE))) + r'"\s]')
"""Any character :func:`normalize` would change."""


def normalize(text: str) -> str:
    """Unify width and drop whitespace, so spelling variants of one sentence are one sentence.

    Chinese prose has no spaces between words; any whitespace inside a line is layout debris (PDF
    wraps, web indentation with U+3000).  Straight double quotes are paired into “ ” so the
    quotation filter and the balance test see one kind of quote.
    """
    if _NORMAL_RE.search(text) is None:
        return text  # most corpus lines are clean already: one scan instead of three passes
    text = _STRAIGHT_QUOTES_RE.sub(r"“\1”", text.translate(_WIDTH_TABLE))
    return _SPACE_RE.sub("", text)


_PUNCT_RE = re.compile(r"[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
                       r"\u2010-\u206f!-/:-@\[-`{-~·]")


def novelty_key(text: str) -> str:
    """The string the novelty test compares: normalised, every punctuation mark the same.

    A sentence that differs from the corpus only by a comma for an enumeration mark, or by the
    shape of its quotes, is not new writing.
    """
    return _PUNCT_RE.sub("|", normalize(text))


# --------------------------------------------------------------------------- splitting

def sentences(text: str, *, keep_fragments: bool = False) -> list[str]:
    """Split text into normalised sentences ending in 。！？ or ；, closing quotes kept with them.

    Lines are hard boundaries (paragraphs).  A terminal mark inside “…” does not end the sentence,
    so a quoted passage stays whole; when a line's quotes never balance (broken source) the line is
    split at every terminal mark instead.  Pieces without final punctuation (headings, bylines,
    a paragraph cut short) are dropped unless ``keep_fragments``: a chain trained on them would end
    sentences in mid-air.
    """
    out: list[str] = []
    for line in text.splitlines():
        out += _line_sentences(normalize(line), keep_fragments)
    return out


def _line_sentences(line: str, keep_fragments: bool = False) -> list[str]:
    """:func:`sentences` of one normalised line.

    Every piece but the last ends in a run of terminators, so only the last can be a fragment.
    """
    if not line:
        return []
    pieces = _split_line(line)
    last = pieces[-1]
    if not (keep_fragments or last[-1] in _TERMINALS or (last[-1] in _CLOSERS and _ends_terminal(last))):
        pieces.pop()
    return pieces


def _ends_terminal(piece: str) -> bool:
    stripped = piece.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _TERMINALS


_PIECE_RE = re.compile(f"[^{_TERMINALS}]*[{_TERMINALS}][{_TERMINALS}{re.escape(_CLOSERS)}]*|[^{_TERMINALS}]+")
"""A piece of a line: up to the next terminator and the terminators and closers right after it,
or the rest of the line when no terminator is left."""
_QUOTE_MARK_RE = re.compile("[“‘”’]")


def _split_line(line: str) -> list[str]:
    """The pieces of a line, split after every run of terminators except inside quotation marks.

    The regex cuts the line at every run in one C-level pass; most lines hold no quotation marks
    and are done then.  A line that does is rejoined where a run falls inside quotes, or left cut
    at every run when its quotes never balance.
    """
    pieces = _PIECE_RE.findall(line)
    # four substring tests are several times faster than one regex search for any of the marks
    if "“" not in line and "”" not in line and "‘" not in line and "’" not in line:
        return pieces
    joined = _join_quoted(pieces)
    return pieces if joined is None else joined


def _join_quoted(pieces: list[str]) -> list[str] | None:
    """Consecutive pieces joined until the quotes they open are closed; ``None`` if they never are.

    Depth counts open quotes in text order, a stray closing quote never taking it below zero; a
    piece ends a sentence only when the depth is back to zero after its closing run, so the
    closing quote of “…。” belongs to the sentence it ends.
    """
    out: list[str] = []
    depth = 0
    start = 0
    for i, piece in enumerate(pieces):
        for quote in _QUOTE_MARK_RE.findall(piece):
            depth = depth + 1 if quote in "“‘" else max(0, depth - 1)
        if depth == 0:
            out.append("".join(pieces[start : i + 1]))
            start = i + 1
    return out if depth == 0 else None


def tokenize(sentence: str) -> list[str]:
    """Words of one sentence (via :func:`drafter.segment.cut`), whitespace dropped."""
    return [w for w in cut(sentence) if w.strip()]


def sentence_tokens(text: str, words: Sequence[str] | None = None) -> list[list[str]]:
    """:func:`tokenize` of each of :func:`sentences` of ``text``, reusing ``words`` (the text's
    segmentation) when the caller has it.

    The segmenter splits at every punctuation mark, so the words of a paragraph are the words of
    its sentences one after the other; slicing them saves segmenting the text a second time.  A
    line that normalisation changes, or a sentence whose edges fall inside a word, is segmented on
    its own as before.
    """
    if words is None or _NORMAL_RE.search(text) is not None:  # \s covers every line break
        return [tokenize(s) for s in sentences(text)]
    # One line that normalising leaves alone: its sentences are its pieces from the start on (only
    # a fragment at the very end is ever dropped), so each starts where the previous one ended; the
    # text holds no whitespace, so neither do its words (tokenize would drop them).
    bounds = list(accumulate(map(len, words), initial=0))
    n = len(bounds)
    out = []
    pos = 0
    a = 0  # the first word boundary at or after pos
    for sent in _line_sentences(text):
        end = pos + len(sent)
        b = bisect.bisect_left(bounds, end, a)
        whole = a < n and b < n and bounds[a] == pos and bounds[b] == end
        out.append(list(words[a:b]) if whole else tokenize(sent))
        pos, a = end, b
    return out


# --------------------------------------------------------------------------- output filters

_PAIRS = {"“": "”", "《": "》", "（": "）", "‘": "’", "「": "」", "『": "』", "【": "】"}
_CLOSING = {v: k for k, v in _PAIRS.items()}
_CN_DIGIT = "〇零一二两三四五六七八九十百千"
_MEASURE = ("个百分点|百分点|个|项|年|条|次|名|位|家|件|种|批|成|届|类|份|所|座|天|月|日|周|岁|元|"
            "公里|公顷|亩|吨|户|人|部|支|起|宗|处|期|轮|点|章|节|篇|方面|大|场|亿|万|倍|千|百|号|季度|代|篇|张|台|辆|艘|架|米|斤|吋|届")
_NUMBER_RES = (
    re.compile(r"[0-9０-９]"),
    re.compile(r"百分之"),
    re.compile(rf"[{_CN_DIGIT}]+(?:万|亿|个百分点|百分点|倍|番)"),
    # Two or more numeral characters form a number (十四, 二〇二〇, 三十, 千万) ...
    re.compile(rf"[{_CN_DIGIT}]{{2,}}"),
    # ... and so does one numeral other than 一 before a measure word (三个, 五项, 十年, 两个).
    # A lone 一 with a measure word is mostly the indefinite article (一个重要时期, 一批骨干).
    re.compile(rf"[〇零二两三四五六七八九十百千](?:{_MEASURE})"),
    # Ordinals and series markers (第三, 二是, 三要) point at a structure the sentence is not in.
    re.compile(rf"第[{_CN_DIGIT}]"),
    re.compile(r"(?:^|[，：；])[一二三四五六七八九十][是要]"),
    re.compile(r"^[一二三四五六七八九十]+[、．.]|[（(][一二三四五六七八九十]+[）)]"),
    re.compile(r"几[个项年条次名位家件种批]"),
)
_DEBRIS_RE = re.compile(r"@|https?|www\.|\.(?:png|jpe?g|gif|bmp|pdf|docx?|html?)|\.(?:com|cn|net|org)\b|"
                        r"下载|VIP|点击|扫码|二维码|责任编辑|来源：|字号|分享到|版权|E-?mail", re.IGNORECASE)
_QUOTE_RE = re.compile(r"“([^“”]*)”")
_TITLE_RE = re.compile(r"《[^《》]*》")


def rejection(sentence: str, novelty: NoveltyIndex | None = None,
              max_share: float = MAX_SHARE) -> str | None:
    """Why ``sentence`` may not appear in a draft as generated text, or ``None`` if it may.

    Cheap textual tests run first; the novelty test (when an index is given) last.  Reasons are
    short English tags (``"unbalanced"``, ``"number"``, ``"quotation"``, ``"copy"`` …) that tests
    and benchmarks can count.
    """
    s = sentence
    if len(s) < MIN_CHARS:
        return "too-short"
    if len(s) > MAX_CHARS:
        return "too-long"
    if s[-1] not in "。！？" and not (s[-1] in _CLOSERS and s.rstrip(_CLOSERS)[-1:] in ("。", "！", "？")):
        return "no-final-punctuation"
    body = s.rstrip(_CLOSERS + _TERMINALS)
    if not body or body[-1] in "、，：；,:;（《“‘—…·":
        return "dangling"
    if s[0] in "，。、：；！？）》”’,.;:!?)":
        return "dangling"
    if not _balanced(s):
        return "unbalanced"
    if _DEBRIS_RE.search(s):
        return "debris"
    if _repetitive(s):
        return "repetitive"
    for pattern in _NUMBER_RES:
        if pattern.search(s):
            return "number"
    for m in _QUOTE_RE.finditer(s):
        if len(m.group(1)) >= 6:
            return "quotation"
    if "：“" in s or "说“" in s or "指出“" in s:
        return "quotation"
    if novelty is not None:
        # A document title is a fact: it must exist verbatim, not be spliced from two titles.
        # Titles shorter than k characters cannot be checked and pass.
        for m in _TITLE_RE.finditer(s):
            title = novelty_key(m.group(0)[1:-1])
            if len(title) >= novelty.k and novelty.longest_shared(title) < len(title):
                return "invented-title"
        if not novelty.is_novel(s, max_share):
            return "copy"
    return None


def _repetitive(s: str, span: int = 6) -> bool:
    """True when some ``span`` characters occur twice: a chain looping through a shared word
    (…高质量发展思想，不断推动…高质量发展思想…) rather than prose, which rarely repeats six characters."""
    key = novelty_key(s)
    seen: set[str] = set()
    for i in range(len(key) - span + 1):
        gram = key[i:i + span]
        if gram in seen:
            return True
        seen.add(gram)
    return False


def _balanced(s: str) -> bool:
    stack: list[str] = []
    for ch in s:
        if ch in _PAIRS:
            stack.append(ch)
        elif ch in _CLOSING:
            if not stack or stack[-1] != _CLOSING[ch]:
                return False
            stack.pop()
    return not stack and s.count('"') % 2 == 0 and s.count("(") == s.count(")")


# --------------------------------------------------------------------------- map / reduce

@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large tables of dicts and tuples.

    Those tables hold no reference cycles, yet each collection pass walks all of them: with the
    collector on, building the tables of an 8 MB corpus takes about twice as long.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def state_size_for(n_tokens: int) -> int:
    """Markov state size for a training set of ``n_tokens`` tokens (see the module docstring)."""
    if n_tokens < 3_000:
        return 1
    if n_tokens < 1_500_000:
        return 2
    return 3


def count_transitions(token_sentences: Iterable[Sequence[str]], state_size: int) -> Counts:
    """Map step: ``{state: {next token: count}}`` for some tokenised sentences.

    Exactly markovify's ``Chain.build`` layout: each sentence is padded with ``state_size`` copies
    of :data:`BEGIN` and ends with :data:`END`, so the result can be handed to ``markovify.Chain``
    as its ``model`` as well as to :meth:`ChainModel.from_counts`.
    """
    if state_size < 1:
        raise ValueError("state_size must be at least 1")
    counts: Counts = {}
    with _no_gc():
        for run in token_sentences:
            _count_run(counts, run, state_size)
    return counts


def _count_run(counts: Counts, run: Sequence[str], state_size: int) -> None:
    if run:
        items = [BEGIN] * state_size + list(run) + [END]
        for i in range(len(run) + 1):
            state = tuple(items[i:i + state_size])
            follow = items[i + state_size]
            nxt = counts.get(state)
            if nxt is None:
                nxt = counts[state] = {}
            nxt[follow] = nxt.get(follow, 0) + 1


def merge_counts(a: Mapping[tuple[str, ...], Mapping[str, int]],
                 b: Mapping[tuple[str, ...], Mapping[str, int]]) -> Counts:
    """Reduce step: the sum of two count tables, as a new table (inputs untouched).

    Addition is associative and commutative, so any tree of merges gives equal tables; key order is
    irrelevant because :meth:`ChainModel.from_counts` sorts.
    """
    with _no_gc():
        out: Counts = {state: dict(nxt) for state, nxt in a.items()}
        _add_into(out, b)
    return out


def _add_into(dst: Counts, src: Mapping[tuple[str, ...], Mapping[str, int]]) -> None:
    with _no_gc():
        _add_into_unguarded(dst, src)


def _add_into_unguarded(dst: Counts, src: Mapping[tuple[str, ...], Mapping[str, int]]) -> None:
    for state, nxt in src.items():
        mine = dst.get(state)
        if mine is None:
            dst[state] = dict(nxt)
            continue
        for tok, c in nxt.items():
            mine[tok] = mine.get(tok, 0) + c


def prune(counts: Mapping[tuple[str, ...], Mapping[str, int]], min_count: int) -> Counts:
    """Drop transitions seen fewer than ``min_count`` times, and any path that then leads nowhere.

    Rare transitions are most of a large table and carry the most copy-prone paths (a count of one is
    one sentence's wording).  After dropping them, transitions into states that no longer exist are
    dropped too, repeatedly, so no walk can get stuck; the result depends only on the table.
    """
    out: Counts = {}
    for state, nxt in counts.items():
        kept = {t: c for t, c in nxt.items() if c >= min_count}
        if kept:
            out[state] = kept
    changed = True
    while changed:
        changed = False
        for state in list(out):
            nxt = out[state]
            bad = [t for t in nxt if t != END and state[1:] + (t,) not in out]
            if bad:
                changed = True
                for t in bad:
                    del nxt[t]
                if not nxt:
                    del out[state]
    return out


def reduce_order(counts: Mapping[tuple[str, ...], Mapping[str, int]], state_size: int) -> Counts:
    """The exact count table of a lower state size, from a table counted at a higher one.

    With markovify's padding a state of size k+1 is one more token (or BEGIN) in front of a state of
    size k, so dropping the first token and summing gives what :func:`count_transitions` would
    have counted at size k.
    """
    out: Counts = {}
    for state, nxt in counts.items():
        if len(state) < state_size:
            raise ValueError(f"cannot raise state size {len(state)} to {state_size}")
        short = state[len(state) - state_size:]
        mine = out.setdefault(short, {})
        for tok, c in nxt.items():
            mine[tok] = mine.get(tok, 0) + c
    return out


def counts_to_json(counts: Mapping[tuple[str, ...], Mapping[str, int]]) -> str:
    """A count table as JSON (state tokens joined by a tab), for caching a map step's result."""
    return json.dumps({"\t".join(s): dict(n) for s, n in counts.items()}, ensure_ascii=False,
                      separators=(",", ":"), sort_keys=True)


def counts_from_json(text: str) -> Counts:
    """Inverse of :func:`counts_to_json`."""
    return {tuple(k.split("\t")): {t: int(c) for t, c in v.items()} for k, v in json.loads(text).items()}


# --------------------------------------------------------------------------- the chain

def _pack(arr: array) -> str:
    if sys.byteorder != "little":  # pragma: no cover - big-endian hosts
        arr = array(arr.typecode, arr)
        arr.byteswap()
    return base64.b64encode(zlib.compress(arr.tobytes(), 6)).decode("ascii")


def _unpack(typecode: str, text: str) -> array:
    arr = array(typecode)
    arr.frombytes(zlib.decompress(base64.b64decode(text)))
    if sys.byteorder != "little":  # pragma: no cover - big-endian hosts
        arr.byteswap()
    return arr


class ChainModel(markovify.Chain):
    """A markovify chain packed into sorted arrays, with an explicit random generator.

    Tokens are numbered (0 = BEGIN, 1 = END, the rest sorted); a state of ``k`` tokens is the
    integer ``sum(id_i * V**(k-1-i))``; ``keys`` holds the state integers sorted, and the successors
    of ``keys[i]`` are ``nexts[offsets[i]:offsets[i+1]]`` with cumulative weights ``cum`` over the
    same range.  Looking up a state is a binary search, loading is a base64 decode, and nothing of
    the training text survives but its transition counts.

    markovify's :meth:`gen` and :meth:`walk` are inherited; :meth:`move` is overridden to draw from
    ``self.rng`` (or the generator passed to :meth:`walk_with`), never the global ``random``.
    """

    def __init__(self, corpus: Iterable[Sequence[str]] | None, state_size: int,
                 model: Mapping[tuple[str, ...], Mapping[str, int]] | None = None,
                 rng: random.Random | None = None) -> None:
        # Deliberately not calling markovify.Chain.__init__: it would build a dict-of-dicts model
        # and precompute a begin state from it; this class keeps the packed arrays instead.
        self.state_size = state_size
        self.compiled = True
        self.rng = rng if rng is not None else random.Random(0)
        table = model if model is not None else self.build(corpus or [], state_size)
        with _no_gc():
            self._load_counts(table)

    # -- construction
    def build(self, corpus: Iterable[Sequence[str]], state_size: int) -> Counts:  # type: ignore[override]
        """markovify's hook, answered by the map step so both paths count identically."""
        return count_transitions(corpus, state_size)

    @classmethod
    def from_counts(cls, counts: Mapping[tuple[str, ...], Mapping[str, int]],
                    state_size: int | None = None) -> ChainModel:
        """The model of a (merged, possibly pruned) count table; ``state_size`` from its keys."""
        if state_size is None:
            state_size = len(next(iter(counts))) if counts else 1
        return cls(None, state_size, model=counts)

    def _load_counts(self, counts: Mapping[tuple[str, ...], Mapping[str, int]]) -> None:
        k = self.state_size
        words: set[str] = set()
        for state, nxt in counts.items():
            if len(state) != k:
                raise ValueError(f"state {state!r} does not have size {k}")
            words.update(state)
            words.update(nxt)
        words.discard(BEGIN)
        words.discard(END)
        vocab = [BEGIN, END, *sorted(words)]
        ids = {w: i for i, w in enumerate(vocab)}
        v = len(vocab)
        if v ** k >= 2 ** 63:
            raise ValueError("vocabulary too large for this state size")
        # Weights are int32; a state would need two billion observations to overflow, so counts are
        # scaled down (keeping their proportions) rather than widening every array for that case.
        big = max((sum(n.values()) for n in counts.values()), default=0)
        if big >= 2**31:
            f = (2**31 - 1) / big
            counts = {st: {t: max(1, int(c * f)) for t, c in n.items()} for st, n in counts.items()}
        # Successors in token-string order (BEGIN/END aside), so equal tables give equal models
        # whatever order the merges inserted them in: the random draws then pick the same tokens.
        rows = []
        for state, nxt in counts.items():
            key = 0
            for w in state:
                key = key * v + ids[w]
            rows.append((key, sorted(nxt), nxt))
        rows.sort(key=itemgetter(0))
        keys, offsets, nexts, cum = array("q"), array("i", [0]), array("i"), array("i")
        for key, toks, nxt in rows:
            toks = [t for t in toks if nxt[t] > 0]
            if not toks:
                continue
            keys.append(key)
            nexts.extend([ids[t] for t in toks])
            cum.extend(accumulate([min(nxt[t], 2**31 - 1) for t in toks]))  # int32 overflow: clamp, see below
            offsets.append(len(nexts))
        self._set_arrays(vocab, keys, offsets, nexts, cum)

    def _set_arrays(self, vocab: list[str], keys: array, offsets: array, nexts: array, cum: array) -> None:
        self.vocab = vocab
        self._ids = {w: i for i, w in enumerate(vocab)}
        self.keys, self.offsets, self.nexts, self.cum = keys, offsets, nexts, cum

    # -- queries
    def __len__(self) -> int:
        return len(self.keys)

    @property
    def model(self) -> dict[tuple[str, ...], dict[str, int]]:  # type: ignore[override]
        """markovify's dict-of-dicts view (built on demand; for inspection and tests, not speed)."""
        out: dict[tuple[str, ...], dict[str, int]] = {}
        v, k = len(self.vocab), self.state_size
        for i, key in enumerate(self.keys):
            state = []
            for _ in range(k):
                key, r = divmod(key, v)
                state.append(self.vocab[r])
            lo, hi = self.offsets[i], self.offsets[i + 1]
            prev = 0
            nxt: dict[str, int] = {}
            for j in range(lo, hi):
                nxt[self.vocab[self.nexts[j]]] = self.cum[j] - prev
                prev = self.cum[j]
            out[tuple(reversed(state))] = nxt
        return out

    @model.setter
    def model(self, value: Any) -> None:  # markovify assigns self.model in compile(); keep arrays
        raise AttributeError("ChainModel is immutable; build a new one from counts")

    def _row(self, state: Sequence[str]) -> int:
        key = 0
        v = len(self.vocab)
        for w in state:
            i = self._ids.get(w)
            if i is None:
                return -1
            key = key * v + i
        i = bisect.bisect_left(self.keys, key)
        return i if i < len(self.keys) and self.keys[i] == key else -1

    def move(self, state: Sequence[str], rng: random.Random | None = None) -> str:
        """The next token after ``state``, drawn with ``rng`` (default ``self.rng``).

        An unknown state ends the sentence (markovify raises ``KeyError``); the output then lacks
        final punctuation and the filters drop it.
        """
        row = self._row(state)
        if row < 0:
            return END
        lo, hi = self.offsets[row], self.offsets[row + 1]
        r = (rng or self.rng).random() * self.cum[hi - 1]
        return self.vocab[self.nexts[bisect.bisect_right(self.cum, r, lo, hi)]]

    def compile(self, inplace: bool = False) -> ChainModel:
        """Already compiled: cumulative weights are what the arrays store."""
        return self

    def precompute_begin_state(self) -> None:
        """Nothing to precompute: the begin state is one binary search like any other."""

    def walk_with(self, rng: random.Random, init_state: tuple[str, ...] | None = None,
                  max_tokens: int = MAX_WALK_TOKENS) -> list[str] | None:
        """One sentence's tokens drawn with ``rng``; ``None`` if it runs past ``max_tokens``."""
        state = tuple(init_state) if init_state else (BEGIN,) * self.state_size
        out: list[str] = []
        while len(out) <= max_tokens:
            tok = self.move(state, rng)
            if tok == END:
                return out
            out.append(tok)
            state = state[1:] + (tok,)
        return None

    # -- serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain data: the vocabulary as a list, each array as base64 of zlib-compressed
        little-endian integers (int64 state keys, int32 for the rest)."""
        return {
            "format": FORMAT,
            "version": 1,
            "state_size": self.state_size,
            "vocab": self.vocab,
            "keys": _pack(self.keys),
            "offsets": _pack(self.offsets),
            "nexts": _pack(self.nexts),
            "cum": _pack(self.cum),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ChainModel:
        if d.get("format") != FORMAT or d.get("version") != 1:
            raise ValueError("not a drafter Markov chain (format/version mismatch)")
        inst = cls.__new__(cls)
        inst.state_size = int(d["state_size"])
        inst.compiled = True
        inst.rng = random.Random(0)
        inst._set_arrays(list(d["vocab"]), _unpack("q", d["keys"]), _unpack("i", d["offsets"]),
                         _unpack("i", d["nexts"]), _unpack("i", d["cum"]))
        return inst

    @classmethod
    def from_json(cls, json_thing: str | Mapping[str, Any]) -> ChainModel:  # type: ignore[override]
        obj = json.loads(json_thing) if isinstance(json_thing, str) else json_thing
        return cls.from_dict(obj)


# --------------------------------------------------------------------------- novelty index

class NoveltyIndex:
    """A set of hashes (32-bit by default, or 64-bit) of every character k-gram (default k = 8) of the corpus's
    :func:`novelty_key` text, from which the longest run a text shares with the corpus is bounded.

    ``longest_shared(text)`` finds the longest stretch of consecutive positions of ``text`` whose
    k-grams are all in the set and returns its length in characters (run + k - 1), or 0 when no
    k-gram is shared.  How it can err:

    * never too low for shared runs of k characters or more: every k-gram of a real shared run is
      in the set;
    * too high when neighbouring k-grams occur in *different* corpus places (a chain-like join of
      two sentences that overlap by k-1 characters) or on a hash collision (about n/2**bits per
      lookup for n stored k-grams: 5e-4 with 32 bits and an 8 MB corpus, so a stray hit now and
      then lengthens a run by a character); both make the test stricter, never laxer;
    * blind below k: a run of fewer than k shared characters reports 0, which is why
      :meth:`is_novel` counts an unseen text as sharing ``k - 1`` characters and the generator
      never emits fewer than 12 characters (7 ≤ 0.7 × 12).

    Memory and JSON: ``bits / 8`` bytes per distinct k-gram (base64 in JSON, so 32 bits costs
    about 1.4 × the UTF-8 size of the text indexed); loading is one base64 decode into a sorted
    array.  32 bits is the default because a collision can only make the test stricter.
    """

    def __init__(self, k: int = 8, bits: int = 32) -> None:
        if k < 2:
            raise ValueError("k must be at least 2")
        if bits not in (32, 64):
            raise ValueError("bits must be 32 or 64")
        self.k = k
        self.bits = bits
        self._typecode = "I" if bits == 32 else "Q"
        self._sorted = array(self._typecode)
        self._pending: set[int] = set()

    def _hashes(self, key: str) -> list[int]:
        k = self.k
        data = key.encode("utf-32-le")
        b2 = hashlib.blake2b
        fb = int.from_bytes
        size = self.bits // 8
        return [fb(b2(data[4 * i:4 * i + 4 * k], digest_size=size).digest(), "little")
                for i in range(len(key) - k + 1)]

    def add(self, text: str) -> None:
        """Index ``text`` (any length; line breaks split it, so no k-gram spans two paragraphs)."""
        for line in text.splitlines():
            key = novelty_key(line)
            if len(key) >= self.k:
                self._pending.update(self._hashes(key))

    def add_all(self, texts: Iterable[str]) -> NoveltyIndex:
        """Index several texts; returns ``self`` for chaining."""
        for t in texts:
            self.add(t)
        return self

    def _contains(self, h: int) -> bool:
        if h in self._pending:
            return True
        arr = self._sorted
        i = bisect.bisect_left(arr, h)
        return i < len(arr) and arr[i] == h

    def __len__(self) -> int:
        self._freeze()
        return len(self._sorted)

    def longest_shared(self, text: str) -> int:
        """Upper bound on the longest substring ``text`` shares with the indexed corpus (see class)."""
        key = novelty_key(text)
        best = run = 0
        for h in self._hashes(key):
            if self._contains(h):
                run += 1
                best = max(best, run)
            else:
                run = 0
        return best + self.k - 1 if best else 0

    def splices(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` leaves the corpus: ``(start, end)`` spans of its :func:`novelty_key`
        (same length as the text when it has no whitespace) that no indexed k-gram covers.

        A generated sentence is corpus runs joined at such spans.  A join at a clause boundary
        (the span holds punctuation) usually reads well; a join inside a clause is where a
        chain's output stops making sense.
        """
        key = novelty_key(text)
        k = self.k
        hits = [self._contains(h) for h in self._hashes(key)]
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(hits):
            if hits[i]:
                i += 1
                continue
            j = i
            while j < len(hits) and not hits[j]:
                j += 1
            spans.append((i, min(len(key), j + k - 1)))
            i = j
        return spans

    def is_novel(self, text: str, max_share: float = MAX_SHARE) -> bool:
        """True when at most ``max_share`` of ``text`` (in characters) can be a corpus substring."""
        n = len(novelty_key(text))
        if n == 0:
            return False
        shared = self.longest_shared(text) or min(self.k - 1, n)
        return shared <= max_share * n

    def merge(self, other: NoveltyIndex) -> NoveltyIndex:
        """The union of two indexes with the same k, as a new index (reduce step)."""
        if (other.k, other.bits) != (self.k, self.bits):
            raise ValueError(f"cannot merge indexes with k/bits {self.k}/{self.bits} and {other.k}/{other.bits}")
        out = NoveltyIndex(self.k, self.bits)
        out._pending = set(self._pending) | other._pending
        out._pending.update(self._sorted)
        out._pending.update(other._sorted)
        return out

    def _freeze(self) -> None:
        if self._pending:
            merged = set(self._sorted)
            merged |= self._pending
            self._sorted = array(self._typecode, sorted(merged))
            self._pending = set()

    def to_dict(self) -> dict[str, Any]:
        self._freeze()
        return {"format": NOVELTY_FORMAT, "version": 1, "k": self.k, "hash": f"blake2b-{self.bits}",
                "hashes": _pack(self._sorted)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NoveltyIndex:
        hash_name = str(d.get("hash", ""))
        if d.get("format") != NOVELTY_FORMAT or d.get("version") != 1 or hash_name not in ("blake2b-32", "blake2b-64"):
            raise ValueError("not a drafter novelty index (format/version/hash mismatch)")
        inst = cls(int(d["k"]), int(hash_name.rsplit("-", 1)[1]))
        inst._sorted = _unpack(inst._typecode, d["hashes"])
        return inst

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any]) -> NoveltyIndex:
        obj = json.loads(text) if isinstance(text, str) else text
        return cls.from_dict(obj)


# --------------------------------------------------------------------------- generation

def generate(model: ChainModel, novelty: NoveltyIndex, rng: random.Random, n: int,
             tries: int | None = None, must_include: Iterable[str] | None = None,
             max_share: float = MAX_SHARE) -> list[str]:
    """Up to ``n`` distinct sentences from ``model`` that pass every filter of :func:`rejection`.

    At most ``tries`` walks are made (default ``60 * n``), so a corpus too small for novel
    sentences yields fewer sentences, possibly none, and never an endless loop.  With
    ``must_include`` (theme terms) sentences containing a term come first; the walks continue until
    ``n`` such sentences are found or the tries run out, and other passing sentences fill the rest;
    terms that open some corpus sentence also seed half of the walks.
    A final ；is written as 。: the clause becomes a sentence of its own.
    """
    if n <= 0 or len(model) == 0:
        return []
    terms = [t for t in (must_include or ()) if t]
    budget = tries if tries is not None else 60 * n
    preferred: list[str] = []
    others: list[str] = []
    seen: set[str] = set()
    # Terms that open some corpus sentence can open a walk: every other walk then starts with one,
    # which finds term sentences far sooner than waiting for the chain to wander past a term.
    k = model.state_size
    starts = [(BEGIN,) * (k - 1) + (t,) for t in terms
              if k >= 2 and model._row((BEGIN,) * (k - 1) + (t,)) >= 0]
    for attempt in range(budget):
        if len(preferred) >= n or (not terms and len(others) >= n):
            break
        if starts and attempt % 2:
            init = starts[(attempt // 2) % len(starts)]
            tail = model.walk_with(rng, init)
            words = None if tail is None else [init[-1], *tail]
        else:
            words = model.walk_with(rng)
        if not words:
            continue
        text = "".join(words)
        if text.endswith("；"):
            text = text[:-1] + "。"
        key = novelty_key(text)
        if key in seen:
            continue
        seen.add(key)
        if rejection(text, novelty, max_share) is not None:
            continue
        if terms and any(t in text for t in terms):
            preferred.append(text)
        else:
            others.append(text)
    return (preferred + others)[:n]


class ChineseText(markovify.Text):
    """markovify's ``Text`` with Chinese hooks: our splitter, jieba tokens, no spaces, no
    ``well_formed`` regex (it drops every sentence with “” or （）, i.e. most official prose; the
    output filters of :func:`rejection` do that job instead), and a :class:`ChainModel` built
    through :func:`count_transitions`.

    It keeps no original text (``retain_original`` is forced off): use :func:`generate` with a
    :class:`NoveltyIndex` for filtered output; ``make_sentence`` gives raw walks.
    """

    def __init__(self, input_text: str | Iterable[str] | None, state_size: int | None = None,
                 chain: ChainModel | None = None,
                 parsed_sentences: list[list[str]] | None = None,
                 rng: random.Random | None = None) -> None:
        if chain is None:
            if parsed_sentences is None:
                parsed_sentences = [list(r) for r in self.generate_corpus(input_text or "")]
            if state_size is None:
                state_size = state_size_for(sum(len(r) for r in parsed_sentences))
            chain = ChainModel(parsed_sentences, state_size, rng=rng)
        elif rng is not None:
            chain.rng = rng
        super().__init__(None, state_size=chain.state_size, chain=chain, retain_original=False,
                         well_formed=False)

    def sentence_split(self, text: str) -> list[str]:
        return sentences(text)

    def sentence_join(self, sentences: Iterable[str]) -> str:
        return "".join(sentences)

    def word_split(self, sentence: str) -> list[str]:
        return tokenize(sentence)

    def word_join(self, words: Iterable[str]) -> str:
        return "".join(words)

    def test_sentence_input(self, sentence: str) -> bool:
        """Train on every sentence except web debris (the output filters handle the rest)."""
        return bool(sentence.strip()) and not _DEBRIS_RE.search(sentence)


def train(texts: Iterable[str], state_size: int | None = None,
          min_count: int = 1) -> tuple[ChainModel, NoveltyIndex]:
    """Chain and novelty index for some texts, built one text at a time through map/reduce.

    Each text is one map unit (an article or a paragraph).  All texts are tokenised first so the
    state size (:func:`state_size_for`, unless ``state_size`` is given) is known before counting.
    """
    per_text: list[list[list[str]]] = []
    index = NoveltyIndex()
    for text in texts:
        per_text.append([tokenize(s) for s in sentences(text) if not _DEBRIS_RE.search(s)])
        index.add(text)
    size = state_size or state_size_for(sum(len(r) for runs in per_text for r in runs))
    counts: Counts = {}
    for runs in per_text:
        _add_into(counts, count_transitions(runs, size))  # merge_counts without the copy
    if min_count > 1:
        counts = prune(counts, min_count)
    return ChainModel.from_counts(counts, size), index
