"""What each theme is about: seed lexicons, per-article term statistics, and a learned theme index.

A theme is what a writer asks for (``外事``, ``青年``, ``党建`` …), and a theme is a lexicon.  The
shipped lexicons (``themes.toml`` next to this module) hold the vocabulary any office writer would
list; a writer's own ``banks/themes.toml`` adds themes or replaces them.  Hand-made lists are short
and miss the words a given corpus actually uses, so the index *expands* every theme with the terms
that are distinctive of the articles the seed terms point at (``联合国``, ``各国``, ``互联互通`` for 外事
in a year of leaders' speeches; ``县域``, ``双循环``, ``便利化`` for 经济发展 in work reports).

The work is split the way the rest of drafter is:

* map: :func:`article_terms` turns one :class:`~drafter.corpus.Article` into a :class:`TermStats`
  (pure, JSON-able, cacheable per file);
* reduce: :func:`build_themes` turns all stats into a :class:`ThemeIndex` that scores every article
  against every theme;
* ask: :func:`resolve` maps whatever name the writer typed to a lexicon, building one on the fly for
  a word the corpus is about and refusing honestly (naming the nearest themes) when it is about
  nothing in the corpus.

Scores are seed-term densities (per 1,000 characters, damped with ``log1p`` per term so that breadth
beats repetition), plus learned terms at a lower weight and a bonus when the title names the theme;
a length floor keeps a 300-character note from outscoring a 20,000-character report on one mention.
Everything is deterministic: inputs are processed in sorted order and ties break by name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import sha1
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drafter.errors import DrafterError
from drafter.segment import cut

if TYPE_CHECKING:
    from drafter.corpus import Article  # the drafting path reads themes without loading the cleaning rules
    from drafter.termtable import TermTable

try:  # pragma: no cover - which branch runs depends on the interpreter
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

SHIPPED_THEMES = Path(__file__).with_name("themes.toml")

#: A score is weighted occurrences per 1,000 characters.  A core seed term is strong evidence, a
#: broad seed term (``世界``, ``发展``) is common outside the theme too, a learned term is only as good
#: as the corpus it was learned from.
CORE_WEIGHT = 1.0
BROAD_WEIGHT = 0.4
EXPANSION_WEIGHT = 0.3
#: Per-term density caps (per 1,000 characters), so one word repeated does not make a theme: ``发展``
#: runs at 10 per 1,000 in any official text.
CORE_CAP = 10.0
BROAD_CAP = 4.0
#: Broad and learned terms together add at most this much each: they sharpen the ranking, the core
#: terms decide (five broad terms of 机关事务, 保障 节约 机关 管理 服务, are in every work report).
BROAD_TOTAL_CAP = 1.5
EXPANSION_CAP = 1.5
#: Added once when the article's title contains the theme's name, an alias or a core term.
TITLE_BONUS = 2.0
#: Densities are taken over at least this many characters, so short texts are not over-rated.
LENGTH_FLOOR = 800
#: An article scoring at least this much is listed as being about the theme.
ABOUT_SCORE = 5.0
#: Core terms a lexicon needs for the full :data:`ABOUT_SCORE`; a lexicon with fewer core terms (an
#: ad-hoc theme is one word) gets a proportionally lower bar, as it has fewer words to be found by,
#: and proportionally lower caps on broad and learned terms, so those alone never clear the bar.
FULL_LEXICON = 5
#: How many learned terms a theme keeps.
EXPANSION_SIZE = 30
#: Texts shorter than this are judged by hits, not density (a heading, a sentence, a paragraph).
SHORT_TEXT = 300

_ALLOWED_KEYS = {"terms", "broad", "aliases", "extend"}
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")

#: Function words and the filler verbs/adverbs of official prose: they are in every article, so they
#: say nothing about what one article is about and would crowd out the terms that do.
STOPWORDS = frozenset(
    """
    我们 你们 他们 她们 它们 咱们 自己 大家 本人 这个 那个 这些 那些 这样 那样 这种 那种 这里 那里 这是
    就是 也是 还是 都是 不是 只是 而是 可以 可能 能够 应该 应当 需要 必须 已经 正在 还要 就要 一个 一些
    一种 一切 一定 一直 一样 一起 一方面 另一方面 一步 没有 进行 通过 以及 及其 其中 其他 其它 以上 以下
    之一 之间 之后 之前 以来 以后 以前 当前 目前 今天 今年 去年 明年 同时 因此 所以 因为 由于 但是 而且
    并且 或者 如果 虽然 不仅 只有 才能 要求 特别 尤其 更加 非常 十分 进一步 不断 坚持 加强 推进 推动 实现
    提高 做好 开展 问题 方面 工作 全面 积极 切实 深入 持续 努力 认真 充分 重要 主要 各项 有关 相关 各种
    有效 显著 取得 作为 成为 具有 对于 关于 为了 按照 根据 围绕 结合 不能 不会 不要 不得 什么 怎么 怎样
    如何 为什么 那么 这么 多少 几个 各个 每个 所有 任何 有些 许多 很多 更好 更多 更大 较大 比较 方面
    同志 同志们 时候 时间 地方 情况 当中 其实 还有 然后 于是 即使 尽管 甚至 以便 以免 从而 进而 此外
    另外 总之 例如 比如 包括 等等 有的 大力 着力 认为 表示 指出 强调 提出 坚决 确保 始终 必然
    也好 也要 还是 这次 此次 今后 多年 近年来 一年 两年 本报 记者 新华社 日电 全文 多亿
    """.split()
)

# Characters that exist only in traditional script: a text dense in them is converted before counting,
# so seed terms written in simplified characters still match (early congress reports, Hong Kong texts).
_TRADITIONAL_ONLY = frozenset("們這說國會發對與為義產黨經濟進來時實當體關種無從後動開學問題歷應們麼過還這")


# ---------------------------------------------------------------------------------------------------
# Lexicons


@dataclass(frozen=True)
class Lexicon:
    """The vocabulary of one theme.

    ``terms`` are core seed terms, ``broad`` weaker seed terms, ``expansion`` terms learned from the
    corpus (empty until an index fills them in).  ``origin`` is ``shipped``, ``user`` or ``corpus``
    (an ad-hoc theme built from a word the corpus uses).
    """

    name: str
    terms: tuple[str, ...]
    broad: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    expansion: tuple[str, ...] = ()
    origin: str = "shipped"

    def seeds(self) -> tuple[str, ...]:
        """Core then broad seed terms, without duplicates."""
        return _unique(self.terms + self.broad)

    def all_terms(self) -> tuple[str, ...]:
        """Seed terms then learned terms, without duplicates."""
        return _unique(self.terms + self.broad + self.expansion)

    def weights(self) -> dict[str, float]:
        """Weight of each term in a score; a term listed twice keeps its strongest role."""
        w: dict[str, float] = {}
        for t in self.expansion:
            w[t] = EXPANSION_WEIGHT
        for t in self.broad:
            w[t] = BROAD_WEIGHT
        for t in self.terms:
            w[t] = CORE_WEIGHT
        return w

    def names(self) -> tuple[str, ...]:
        """The theme's name and aliases: what a title can say to announce the theme."""
        return _unique((self.name,) + self.aliases)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "terms": list(self.terms),
            "broad": list(self.broad),
            "aliases": list(self.aliases),
            "expansion": list(self.expansion),
            "origin": self.origin,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Lexicon:
        return cls(
            name=d["name"],
            terms=tuple(d.get("terms", ())),
            broad=tuple(d.get("broad", ())),
            aliases=tuple(d.get("aliases", ())),
            expansion=tuple(d.get("expansion", ())),
            origin=d.get("origin", "shipped"),
        )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for it in items:
        if it and it not in seen:
            seen[it] = None
    return tuple(seen)


_BARE_HEADER = re.compile(r"^(\s*)\[([^\[\]\"'.#]+?)\](\s*(?:#.*)?)$", re.M)


def _quote_headers(text: str) -> str:
    """Quote ``[外事]`` as ``["外事"]``: TOML allows only ASCII bare keys, writers will not know that.

    Only single-name headers are touched, so line numbers in later errors still match the file.
    """
    return _BARE_HEADER.sub(lambda m: f'{m.group(1)}["{m.group(2).strip()}"]{m.group(3)}', text)


def _line_of(text: str, name: str) -> int:
    """Line of the ``[name]`` table header, so errors about a theme point at it (0 when not found)."""
    pattern = re.compile(r"^\s*\[\s*\"?" + re.escape(name) + r"\"?\s*\]\s*(#.*)?$")
    for i, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return i
    return 0


def _parse_lexicons(path: Path, origin: str) -> dict[str, tuple[Lexicon, bool]]:
    """Read one themes file: ``{name: (lexicon, extend)}`` in file order; errors name file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DrafterError(f"{path}：不是 UTF-8 编码的文本，请另存为 UTF-8 后重试") from exc
    except OSError as exc:
        raise DrafterError(f"{path}：无法读取主题词表（{exc.strerror or exc}），请检查文件路径与权限") from exc
    try:
        data = tomllib.loads(_quote_headers(text))
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        where = f"第 {m.group(1)} 行" if m else "某处"
        raise DrafterError(
            f"{path}：{where}不是合法的 TOML（{exc}）；格式应为 [主题名] 下写 terms = [\"词1\", \"词2\"]"
        ) from exc
    out: dict[str, tuple[Lexicon, bool]] = {}
    for name, table in data.items():
        line = _line_of(text, name)
        where = f"第 {line} 行" if line else f"主题“{name}”"
        if not isinstance(table, dict):
            raise DrafterError(f"{path}：{where}“{name}”应是一张表，请写成 [{name}] 下加 terms = [\"词1\", \"词2\"]")
        unknown = sorted(set(table) - _ALLOWED_KEYS)
        if unknown:
            raise DrafterError(
                f"{path}：{where}主题“{name}”有不认识的键 {'、'.join(unknown)}；只能用 terms、broad、aliases、extend"
            )
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("terms", "broad", "aliases"):
            value = table.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise DrafterError(f"{path}：{where}主题“{name}”的 {key} 应是字符串列表，如 {key} = [\"词1\", \"词2\"]")
            lists[key] = _unique(_norm(v).strip() for v in value)
        extend = table.get("extend", False)
        if not isinstance(extend, bool):
            raise DrafterError(f"{path}：{where}主题“{name}”的 extend 只能是 true 或 false")
        name_n = _norm(name).strip()
        if not name_n:
            raise DrafterError(f"{path}：{where}有一个空的主题名，请给主题起个名字")
        if not lists["terms"] and not extend:
            raise DrafterError(f"{path}：{where}主题“{name}”没有 terms，请至少写一个核心词")
        lex = Lexicon(name_n, lists["terms"], lists["broad"], lists["aliases"], (), origin)
        out[name_n] = (lex, extend)
    return out


def load_lexicons(user_file: Path | None = None) -> dict[str, Lexicon]:
    """The shipped lexicons, with the writer's own themes file laid over them.

    A user theme with a shipped theme's name replaces it, unless it says ``extend = true``, in which
    case its terms, broad terms and aliases are added to the shipped ones.  A missing user file is
    not an error (most writers never create one); a malformed one is, naming the file and line.
    """
    merged = {name: lex for name, (lex, _ext) in _parse_lexicons(SHIPPED_THEMES, "shipped").items()}
    if user_file is not None and Path(user_file).exists():
        for name, (lex, extend) in _parse_lexicons(Path(user_file), "user").items():
            base = merged.get(name)
            if extend and base is not None:
                lex = Lexicon(
                    name,
                    _unique(base.terms + lex.terms),
                    _unique(base.broad + lex.broad),
                    _unique(base.aliases + lex.aliases),
                    (),
                    "user",
                )
            elif extend and not lex.terms:
                raise DrafterError(f"{user_file}：主题“{name}”写了 extend = true，但没有同名的内置主题可以扩充；请写出 terms")
            merged[name] = lex
    # An alias never shadows a theme's own name: the name wins, the alias is dropped.
    names = set(merged)
    return {
        name: Lexicon(lex.name, lex.terms, lex.broad, tuple(a for a in lex.aliases if a not in names or a == name),
                      lex.expansion, lex.origin)
        for name, lex in merged.items()
    }


def lexicon_terms(lexicons: Mapping[str, Lexicon]) -> tuple[str, ...]:
    """Every seed term, name and alias of the lexicons, sorted: what :func:`article_terms` counts."""
    terms: set[str] = set()
    for lex in lexicons.values():
        terms.update(lex.seeds())
        terms.update(lex.names())
    return tuple(sorted(t for t in terms if t))


def find_lexicon(lexicons: Mapping[str, Lexicon], name: str) -> Lexicon | None:
    """The lexicon called ``name`` or having it as an alias (names first, then aliases in sorted order)."""
    key = _norm(name).strip()
    if key in lexicons:
        return lexicons[key]
    for n in sorted(lexicons):
        if key in lexicons[n].aliases:
            return lexicons[n]
    return None


@lru_cache(maxsize=1)
def _shipped_terms() -> tuple[str, ...]:
    return lexicon_terms(load_lexicons(None))


# ---------------------------------------------------------------------------------------------------
# Counting


# CJK unified ideographs are their own NFKC form and take part in no canonical composition (no
# two-character decomposition holds one), so normalisation never reaches across them.
_IDEOGRAPH_RUN = re.compile("([\u4e00-\u9fff]+)")
_PIECEWISE_NORM = 64
#: The compatibility characters of everyday Chinese prose (full-width punctuation, the ideographic
#: space, the ellipsis), each with its compatibility decomposition.
_COMMON_COMPAT = tuple((ch, unicodedata.normalize("NFKD", ch)) for ch in "，；：！？（）％．\u3000…")


def _norm(text: str) -> str:
    """NFKC (full-width letters and digits become half-width) so ``ＧＤＰ`` and ``GDP`` count alike.

    A long text first has its commonest compatibility characters replaced by their decompositions:
    that leaves its NFKD form, and so its NFKC form, as it was, and most Chinese texts are then NFKC
    already, which a C-level quick check confirms.  Any other text is normalised piece by piece
    between runs of ideographs, each distinct piece once: the same result as normalising it whole,
    as ideographs are stable and block composition, but several times faster on Chinese text, where
    the pieces are a few recurring punctuation marks.
    """
    if len(text) < _PIECEWISE_NORM:
        return unicodedata.normalize("NFKC", text)
    for wide, narrow in _COMMON_COMPAT:
        text = text.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", text):
        return text
    parts = _IDEOGRAPH_RUN.split(text)
    between = parts[0::2]  # the split alternates: piece between runs, run, piece, ..., piece
    done = {piece: unicodedata.normalize("NFKC", piece) for piece in set(between)}
    # a text has thousands of pieces and a few dozen distinct ones: map them in C
    parts[0::2] = map(done.__getitem__, between)
    return "".join(parts)


_TRADITIONAL_MARK = re.compile("[" + "".join(sorted(_TRADITIONAL_ONLY)) + "]")


def _looks_traditional(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    # one regex scan finds every marker character, a third of the time of one count per marker
    hits = len(_TRADITIONAL_MARK.findall(sample))
    return hits >= 20 and hits * 200 >= len(sample)


def _prepare(text: str, traditional: bool = False) -> str:
    """The text terms are counted in: normalised, simplified, whitespace removed (PDF wraps split words)."""
    text = _norm(text)
    if traditional or _looks_traditional(text):
        from drafter.simplified import to_simplified

        text = to_simplified(text)
    # str.split() and the regex ``\s`` know the same whitespace characters; the split is faster
    return "".join(text.split())


@lru_cache(maxsize=64)
def _count_plan(terms: frozenset[str]) -> tuple[dict[str, int], dict[str, tuple[tuple[str, int], ...]]]:
    """Each term's rank, longest first, and the longer terms that contain it and how often.

    Depends on the term list only, so it is worked out once per list, not once per text.
    """
    uniq = sorted(terms, key=lambda t: (-len(t), t))
    rank = {t: i for i, t in enumerate(uniq)}
    containers = {
        t: tuple((u, u.count(t)) for u in uniq[:i] if len(u) > len(t) and t in u) for i, t in enumerate(uniq)
    }
    return rank, containers


@lru_cache(maxsize=64)
def _automaton(terms: frozenset[str]) -> tuple[Any, frozenset[str]]:
    """An Aho-Corasick automaton of the terms, and the terms whose occurrences can overlap.

    One pass of the automaton finds every occurrence of every term; a ``str.count`` per term (a
    few hundred passes over each article) was half the cost of counting an article's words.
    """
    import ahocorasick

    auto = ahocorasick.Automaton()
    for t in sorted(terms):
        auto.add_word(t, t)
    auto.make_automaton()
    # a term can overlap itself only if some proper prefix of it is also its suffix (哈哈哈)
    bordered = frozenset(t for t in terms if any(t[:k] == t[-k:] for k in range(1, len(t))))
    return auto, bordered


def _raw_counts(text: str, terms: frozenset[str]) -> dict[str, int]:
    """``text.count(t)`` for every term that occurs: non-overlapping occurrences, leftmost first.

    The automaton reports every occurrence, overlapping ones too.  A term that cannot overlap itself
    has as many non-overlapping occurrences as reported ones, so those are tallied in C; the rare
    term that can (``哈哈``) is recounted with ``str.count`` itself, one pass over the text.
    """
    auto, bordered = _automaton(terms)
    raw = Counter(map(itemgetter(1), auto.iter(text)))
    for t in bordered & raw.keys():
        raw[t] = text.count(t)
    return raw


def count_terms(text: str, terms: Iterable[str]) -> dict[str, int]:
    """Occurrences of each term in ``text``, each occurrence credited to the longest term covering it.

    ``青少年`` is not also counted as ``少年``: a term's raw count minus what its longer containing
    terms already claimed.  Only terms that occur are returned.
    """
    wanted = frozenset(t for t in terms if t)
    if not wanted:
        return {}
    raw = _raw_counts(text, wanted)
    rank, containers = _count_plan(wanted)
    final: dict[str, int] = {}
    # only the terms that occur, longest first: a term that does not occur claims nothing, and an
    # article holds a few dozen of the hundreds of terms
    for t in sorted(raw, key=rank.__getitem__):
        n = raw[t]
        for u, times in containers[t]:
            n -= final.get(u, 0) * times
        if n > 0:
            final[t] = n
    return final


def _content_words(text: str) -> list[str]:
    return [w for w in cut(text) if _is_content_word(w)]


def _is_content_word(word: str) -> bool:
    """Two or more Chinese characters and not a stopword: a word that can say what a text is about."""
    return len(word) >= 2 and word not in STOPWORDS and _CJK.match(word) is not None


#: Words already judged by :func:`_is_content_word`: a corpus reuses its vocabulary across articles,
#: so after the first few articles nearly every word is known and only set operations remain.
_CONTENT: set[str] = set()
_NOT_CONTENT: set[str] = set()
_KNOWN_MAX = 200_000


def _keep_content_words(counts: dict[str, int]) -> None:
    """Delete from ``counts`` every word that is not a content word, keeping the others in order.

    Each distinct word is judged once; an article's few thousand distinct words are sorted into
    known and unknown by set operations (each walking the article's words, never the whole
    vocabulary) instead of a Python call per word.  Known non-content words are gathered before
    the unknown ones are sought, so a word another thread judges in between is gathered or judged
    again, never missed.
    """
    if len(_CONTENT) + len(_NOT_CONTENT) >= _KNOWN_MAX:
        _CONTENT.clear()
        _NOT_CONTENT.clear()
    drop = _NOT_CONTENT.intersection(counts)
    for w in set(counts).difference(_CONTENT, drop):
        if _is_content_word(w):
            _CONTENT.add(w)
        else:
            _NOT_CONTENT.add(w)
            drop.add(w)
    for w in drop:
        del counts[w]


@dataclass(frozen=True)
class TermStats:
    """What one article says, in counts: the map step's output, plain data for JSON and caching.

    ``counts`` holds content words (segmented, two or more Chinese characters, stopwords removed),
    ``tokens`` their total; ``seed_counts`` substring counts of the seed terms (so one-character and
    multi-word terms count too); ``seed_key`` fingerprints the term list that was counted, so a later
    change to the lexicons is noticed instead of silently read as zero.
    """

    chars: int
    tokens: int
    counts: dict[str, int] = field(default_factory=dict)
    seed_counts: dict[str, int] = field(default_factory=dict)
    seed_key: str = ""

    def to_dict(self, counts: bool = True) -> dict[str, Any]:
        """Plain data; ``counts=False`` leaves out the word counts (the bulky part)."""
        return {
            "chars": self.chars,
            "tokens": self.tokens,
            **({"counts": dict(sorted(self.counts.items()))} if counts else {}),
            "seed_counts": dict(sorted(self.seed_counts.items())),
            "seed_key": self.seed_key,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TermStats:
        return cls(
            chars=int(d["chars"]),
            tokens=int(d["tokens"]),
            counts={str(k): int(v) for k, v in d.get("counts", {}).items()},
            seed_counts={str(k): int(v) for k, v in d.get("seed_counts", {}).items()},
            seed_key=str(d.get("seed_key", "")),
        )


def terms_key(terms: Iterable[str]) -> str:
    """A short fingerprint of a term list (order-free)."""
    return sha1("\n".join(sorted(set(terms))).encode("utf-8")).hexdigest()[:16]


def article_terms(
    article: Article, terms: Iterable[str] | None = None, words: Sequence[Sequence[str]] | None = None
) -> TermStats:
    """Count the words of one article (title and paragraphs) and the seed terms in it.

    ``terms`` defaults to every term of the shipped lexicons; pass :func:`lexicon_terms` of the
    writer's lexicons to count their own terms exactly.  Words are counted line by line (title,
    then each paragraph), so a heading never fuses with the next paragraph into one word;
    ``words`` is :func:`~drafter.segment.cut` of those lines when the caller has it already.
    """
    seed_terms, seed_key = _seed_terms(None if terms is None else tuple(terms))
    lines = (article.title,) + tuple(article.paragraphs)
    text = _norm("\n".join(lines))
    if "traditional" in article.flags or _looks_traditional(text):
        from drafter.simplified import to_simplified

        text = to_simplified(text)
        converted = text.split("\n")
        # the conversion maps text to text line for line; the given words are of the old spelling
        lines, words = (tuple(converted), None) if len(converted) == len(lines) else ((text,), None)
    if words is None or len(words) != len(lines):
        words = [cut(line) for line in lines]
    # PDF wraps leave spaces inside words: a line holding whitespace is segmented without it
    per_line = (cut("".join(line.split())) if _WHITESPACE.search(line) else w for line, w in zip(lines, words))
    counts = dict(Counter(chain.from_iterable(per_line)))
    # Each distinct word is judged, not each occurrence (an article repeats its words many times)
    _keep_content_words(counts)
    text = "".join(text.split())
    return TermStats(
        chars=len(text),
        tokens=sum(counts.values()),
        counts=counts,
        seed_counts=count_terms(text, seed_terms),
        seed_key=seed_key,
    )


_WHITESPACE = re.compile(r"\s")


@lru_cache(maxsize=16)
def _seed_terms(terms: tuple[str, ...] | None) -> tuple[tuple[str, ...], str]:
    """The terms :func:`article_terms` counts (normalised, sorted) and their fingerprint, per term list.

    Cached because the same list is passed for every article of a corpus.
    """
    seed = _shipped_terms() if terms is None else tuple(sorted(set(_norm(t) for t in terms if t)))
    return seed, terms_key(seed)


def article_id(file: str, index: int, count: int) -> str:
    """The id an article goes by: ``FILE`` when the file holds one article, else ``FILE::k`` (1-based)."""
    return file if count == 1 else f"{file}::{index + 1}"


def corpus_stats(
    loaded: Iterable[tuple[str, list[Article]]], terms: Iterable[str] | None = None
) -> tuple[dict[str, TermStats], dict[str, str]]:
    """Stats and titles for the output of :func:`drafter.corpus.load_files`, keyed by :func:`article_id`."""
    term_list = None if terms is None else tuple(terms)
    stats: dict[str, TermStats] = {}
    titles: dict[str, str] = {}
    for file, articles in loaded:
        for k, art in enumerate(articles):
            aid = article_id(file, k, len(articles))
            stats[aid] = article_terms(art, term_list)
            titles[aid] = art.title
    return stats, titles


# ---------------------------------------------------------------------------------------------------
# Scoring


def _score(counts: Mapping[str, int], lexicon: Lexicon, chars: int, title: str = "") -> float:
    """Weighted occurrences per 1,000 characters, capped per term, plus the title bonus.

    Linear in the counts, so a long report that has one section on a theme scores what that section's
    share of the text deserves; the caps keep one repeated word from making a theme on its own.
    """
    span = max(chars, LENGTH_FLOOR) / 1000.0
    core, broad, learned, scale = _term_classes(lexicon)
    seed = wide = extra = 0.0
    for t, c in sorted(counts.items()):
        d = c / span
        if t in core:
            seed += CORE_WEIGHT * min(d, CORE_CAP)
        elif t in broad:
            wide += BROAD_WEIGHT * min(d, BROAD_CAP)
        elif t in learned:
            extra += EXPANSION_WEIGHT * min(d, BROAD_CAP)
    total = seed + min(wide, BROAD_TOTAL_CAP * scale) + min(extra, EXPANSION_CAP * scale)
    if title and _title_names(title, lexicon):
        total += TITLE_BONUS
    return total


@lru_cache(maxsize=256)
def _term_classes(lexicon: Lexicon) -> tuple[frozenset[str], frozenset[str], frozenset[str], float]:
    """The core, broad and learned terms of a lexicon (each term in its strongest class) and its
    :func:`_scale`: the same for every article scored, and building the index scores thousands."""
    core = frozenset(lexicon.terms) | frozenset(lexicon.names())
    broad = frozenset(lexicon.broad) - core
    learned = frozenset(lexicon.expansion) - core - broad
    return core, broad, learned, _scale(lexicon)


def _title_names(title: str, lexicon: Lexicon) -> bool:
    title = _prepared_title(title)
    return any(t in title for t in lexicon.names() + lexicon.terms)


@lru_cache(maxsize=4096)
def _prepared_title(title: str) -> str:
    # a title is tested against every theme, twice, when the index is built
    return _prepare(title)


def term_hits(text: str, lexicon: Lexicon) -> int:
    """How many times the lexicon's terms (seed and learned) occur in ``text``, overlaps counted once."""
    return sum(count_terms(_prepare(text), lexicon.all_terms() + lexicon.names()).values())


def text_score(text: str, lexicon: Lexicon, title: str = "") -> float:
    """The score an article with this text and title gets for the theme (all terms counted exactly)."""
    prepared = _prepare(text)
    counts = count_terms(prepared, _weights_with_names(lexicon))
    return round(_score(counts, lexicon, len(prepared), title), 4)


def is_about(text: str, lexicon: Lexicon) -> bool:
    """Whether a heading, sentence, paragraph or whole text is about the theme.

    Short texts (under :data:`SHORT_TEXT` characters) need one core term, or enough weaker hits to
    add up to one; longer texts need the score an article needs (:func:`about_threshold`).
    """
    prepared = _prepare(text)
    weights = _weights_with_names(lexicon)
    hits = count_terms(prepared, weights)
    if len(prepared) < SHORT_TEXT:
        return sum(weights[t] * c for t, c in hits.items()) >= CORE_WEIGHT
    return _score(hits, lexicon, len(prepared)) >= about_threshold(lexicon)


def _scale(lexicon: Lexicon) -> float:
    core = len(set(lexicon.terms) | set(lexicon.names()))
    return min(1.0, core / FULL_LEXICON)


def about_threshold(lexicon: Lexicon) -> float:
    """The score at which an article counts as being about the theme (see :data:`FULL_LEXICON`)."""
    return ABOUT_SCORE * _scale(lexicon)


def _weights_with_names(lexicon: Lexicon) -> dict[str, float]:
    w = lexicon.weights()
    for n in lexicon.names():
        w.setdefault(n, CORE_WEIGHT)
    return w


# ---------------------------------------------------------------------------------------------------
# The index


@dataclass(frozen=True)
class ThemeInfo:
    """One theme as the corpus sees it: its terms best first and the articles about it, best first."""

    theme: str
    terms: tuple[str, ...]
    articles: tuple[tuple[str, str, float], ...]
    article_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "terms": list(self.terms),
            "articles": [list(a) for a in self.articles],
            "article_count": self.article_count,
        }


@dataclass(frozen=True)
class ArticleInfo:
    """What the index keeps about an article to score new themes later: title and sizes."""

    title: str
    chars: int
    tokens: int


@dataclass(frozen=True)
class ThemeIndex:
    """Every article scored against every theme, plus the term postings an ad-hoc theme needs.

    ``scores[theme][article_id]`` holds the non-zero scores; ``lexicons`` the lexicons with their
    learned ``expansion``; ``vocab[term][article_id]`` the counts of every term that occurs at least
    twice in the corpus (seed terms by substring, other words as segmented), from which
    :meth:`add` scores a theme the index was not built with.
    """

    lexicons: dict[str, Lexicon]
    scores: dict[str, dict[str, float]]
    articles: dict[str, ArticleInfo]
    vocab: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def canonical(self, name: str) -> str | None:
        """The theme a name or alias stands for, if the index has it."""
        lex = find_lexicon(self.lexicons, name)
        return lex.name if lex else None

    def lexicon(self, theme: str) -> Lexicon:
        """The lexicon of a theme (name or alias) with its learned terms."""
        name = self.canonical(theme)
        if name is None:
            raise DrafterError(f"没有名为“{theme}”的主题；可用 drafter themes 查看全部主题")
        return self.lexicons[name]

    def score(self, article_id: str, theme: str) -> float:
        """The article's score for the theme (0.0 when it never mentions it)."""
        name = self.canonical(theme)
        if name is None:
            return 0.0
        return self.scores.get(name, {}).get(article_id, 0.0)

    def articles_for(self, theme: str, min_score: float | None = None) -> list[tuple[str, str, float]]:
        """``(article_id, title, score)`` for articles scoring at least ``min_score``, best first.

        ``min_score`` defaults to the theme's :func:`about_threshold`: the articles about the theme.
        """
        name = self.canonical(theme)
        if name is None:
            return []
        if min_score is None:
            min_score = about_threshold(self.lexicons[name])
        rows = [(aid, self.articles[aid].title, s) for aid, s in self.scores.get(name, {}).items() if s >= min_score]
        return sorted(rows, key=lambda r: (-r[2], r[0]))

    def about(self, article_id: str, theme: str) -> bool:
        """Whether the article is about the theme (its score reaches the theme's threshold)."""
        name = self.canonical(theme)
        return name is not None and self.score(article_id, name) >= about_threshold(self.lexicons[name])

    def themes_of(self, article_id: str) -> list[str]:
        """The themes an article is about, best first (ties by name)."""
        names = [n for n in self.lexicons if self.about(article_id, n)]
        return sorted(names, key=lambda n: (-self.score(article_id, n), n))

    def theme(self, theme: str) -> ThemeInfo:
        """One theme's terms (seed then learned, best first) and its articles."""
        name = self.canonical(theme)
        if name is None:
            raise DrafterError(f"没有名为“{theme}”的主题；可用 drafter themes 查看全部主题")
        lex = self.lexicons[name]
        arts = tuple(self.articles_for(name))
        weights = lex.weights()
        seeds = lex.seeds()
        used = {t: sum(self.vocab.get(t, {}).get(a[0], 0) for a in arts) * weights[t] for t in seeds}
        # Seed terms the theme's articles use, most used first; then the learned terms; then the
        # seed terms this corpus never uses (still part of the theme, just no evidence here).
        ranked = sorted((t for t in seeds if used[t] > 0), key=lambda t: (-used[t], seeds.index(t)))
        unused = [t for t in seeds if used[t] <= 0]
        return ThemeInfo(name, _unique(tuple(ranked) + lex.expansion + tuple(unused)), arts, len(arts))

    def themes(self) -> list[ThemeInfo]:
        """All themes, those with the most articles first (ties by name)."""
        infos = [self.theme(n) for n in self.lexicons]
        return sorted(infos, key=lambda i: (-i.article_count, i.theme))

    def article_counts(self) -> dict[str, int]:
        """How many articles each theme has, in :meth:`themes` order, without ranking any terms
        (what a summary of the corpus shows, read without turning postings into maps)."""
        counts = {n: len(self.articles_for(n)) for n in self.lexicons}
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def add(self, lexicon: Lexicon) -> ThemeIndex:
        """A copy of the index that also scores ``lexicon`` (from the stored postings)."""
        lexicons = dict(self.lexicons)
        lexicons[lexicon.name] = lexicon
        scores = dict(self.scores)
        scores[lexicon.name] = _score_from_vocab(lexicon, self.vocab, self.articles)
        return ThemeIndex(lexicons, scores, self.articles, self.vocab)

    def to_dict(self) -> dict[str, Any]:
        order = {a: i for i, a in enumerate(sorted(self.articles))}
        return {
            "lexicons": [self.lexicons[n].to_dict() for n in sorted(self.lexicons)],
            "scores": {n: dict(sorted(self.scores[n].items())) for n in sorted(self.scores)},
            "articles": {
                a: {"title": i.title, "chars": i.chars, "tokens": i.tokens} for a, i in sorted(self.articles.items())
            },
            # Postings as flat [article number, count, …] lists over the sorted article ids: the
            # largest part of the index, a third of the size of {article_id: count} maps.
            "vocab": self.vocab.flat(order) if isinstance(self.vocab, _Postings) else _flat_postings(self.vocab, order),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ThemeIndex:
        lexicons = {lx["name"]: Lexicon.from_dict(lx) for lx in d["lexicons"]}
        ids = sorted(d["articles"])
        return cls(
            lexicons=lexicons,
            scores={n: {a: float(s) for a, s in sc.items()} for n, sc in d["scores"].items()},
            articles={a: ArticleInfo(i["title"], int(i["chars"]), int(i["tokens"])) for a, i in d["articles"].items()},
            vocab=_Postings(d.get("vocab", {}), ids),
        )


def _flat_postings(vocab: Mapping[str, Mapping[str, int]], order: Mapping[str, int]) -> dict[str, list[int]]:
    """Postings as flat ``[article number, count, …]`` lists over the sorted article ids."""
    return {t: [x for a in sorted(p) for x in (order[a], p[a])] for t, p in sorted(vocab.items())}


class _Postings(Mapping[str, Mapping[str, int]]):
    """Term postings read from a saved index, each term's list turned into a map when first asked.

    A draft looks up a few dozen terms; turning all of a large corpus's postings into maps up
    front was a tenth of a draft's time.
    """

    def __init__(self, flat: Mapping[str, list[int]], ids: list[str]) -> None:
        self._flat, self._ids = flat, ids
        self._done: dict[str, dict[str, int]] = {}

    def __getitem__(self, term: str) -> dict[str, int]:
        got = self._done.get(term)
        if got is None:
            p, ids = self._flat[term], self._ids
            got = self._done[term] = {ids[p[i]]: int(p[i + 1]) for i in range(0, len(p), 2)}
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self._flat)

    def __len__(self) -> int:
        return len(self._flat)

    def __contains__(self, term: object) -> bool:
        return term in self._flat

    def flat(self, order: Mapping[str, int]) -> dict[str, list[int]]:
        """:func:`_flat_postings` of these postings (the saved lists again when the ids agree)."""
        if [a for a, _i in sorted(order.items(), key=lambda kv: kv[1])] == self._ids:
            return {t: list(self._flat[t]) for t in sorted(self._flat)}
        return _flat_postings(self, order)


def _estimate(term: str, lookup: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Per-article counts of a term from postings; a phrase the segmenter splits (``乡村振兴``) is
    estimated as the smallest count of its parts, an upper bound that is exact when they always
    occur together."""
    if term in lookup:
        return dict(lookup[term])
    parts = _content_words(_norm(term))
    if len(parts) < 2 or "".join(parts) != _norm(term) or any(p not in lookup for p in parts):
        return {}
    common = set.intersection(*(set(lookup[p]) for p in parts))
    return {a: min(lookup[p][a] for p in parts) for a in common}


def _score_from_vocab(
    lexicon: Lexicon, vocab: Mapping[str, Mapping[str, int]], articles: Mapping[str, ArticleInfo]
) -> dict[str, float]:
    per_article: dict[str, dict[str, int]] = {a: {} for a in articles}
    for t in sorted(_weights_with_names(lexicon)):
        for a, c in _estimate(t, vocab).items():
            if a in per_article:
                per_article[a][t] = c
    out: dict[str, float] = {}
    for a in sorted(per_article):
        info = articles[a]
        s = _score(per_article[a], lexicon, info.chars, info.title)
        if s > 0:
            out[a] = round(s, 4)
    return out


def _article_counts(stats: TermStats, term: str, counted: bool) -> int:
    """One term's count in one article: exact substring count when it was counted, else from words."""
    if term in stats.seed_counts:
        return stats.seed_counts[term]
    if counted:
        return 0
    if term in stats.counts:
        return stats.counts[term]
    return _estimate(term, {p: {"x": stats.counts[p]} for p in _content_words(_norm(term)) if p in stats.counts}).get(
        "x", 0
    )


def build_themes(
    stats: Mapping[str, TermStats] | TermTable,
    titles: Mapping[str, str],
    lexicons: Mapping[str, Lexicon],
) -> ThemeIndex:
    """Reduce per-article stats into a :class:`ThemeIndex`: expand each theme, score every article.

    Step 1 scores every article on every theme's seed terms alone.  Step 2 learns up to
    :data:`EXPANSION_SIZE` terms for each theme from its members, the articles reaching
    :data:`ABOUT_SCORE`, each weighted by its seed score times the theme's share of the article's
    seed scores: a government work report touches every theme, so it counts for little in each, while
    a speech at a youth congress defines 青年.  Without the share, the theme most long reports touch
    would learn the vocabulary of long reports (加快, 实施, 提升) instead of its own.  Step 3 rescores
    every article with seed and learned terms and the title bonus.

    ``stats`` is the stats by article id, or the same already laid out as a
    :class:`~drafter.termtable.TermTable` (what the mining reduce builds, to keep a large corpus's
    counts compact).
    """
    from drafter.termtable import TermTable

    table = (stats if isinstance(stats, TermTable) else TermTable.of(stats)).build()
    ids = table.ids
    names = sorted(lexicons)
    key = terms_key(lexicon_terms(lexicons))
    profile = table.profile()
    articles = {aid: ArticleInfo(titles.get(aid, ""), int(table.chars[i]), int(table.tokens[i])) for i, aid in enumerate(ids)}
    slow: dict[int, TermStats] = {}

    def article_counts(i: int, weights: Iterable[str]) -> dict[str, int]:
        found = table.seed_counts[i]
        if table.seed_keys[i] == key:  # every seed term was counted exactly in the map step
            return {t: c for t in weights if (c := found.get(t, 0))}
        if i not in slow:  # counted for another term list: estimate the missing terms from words
            slow[i] = TermStats(int(table.chars[i]), int(table.tokens[i]), table.counts_of(i), found, table.seed_keys[i])
        return {t: c for t in weights if (c := _article_counts(slow[i], t, False))}

    seed_counts: dict[str, list[dict[str, int]]] = {}
    seed_scores: dict[str, list[float]] = {}
    for name in names:
        seed_lex = _without_expansion(lexicons[name])
        weights = sorted(_weights_with_names(seed_lex))
        seed_counts[name] = [article_counts(i, weights) for i in range(len(ids))]
        seed_scores[name] = [
            _score(seed_counts[name][i], seed_lex, int(table.chars[i]), articles[aid].title) for i, aid in enumerate(ids)
        ]

    out_lex: dict[str, Lexicon] = {}
    scores: dict[str, dict[str, float]] = {}
    for name in names:
        lex = lexicons[name]
        members: dict[str, float] = {}
        for i, aid in enumerate(ids):
            sc = seed_scores[name][i]
            if sc >= about_threshold(lex):
                members[aid] = sc * sc / sum(seed_scores[n][i] for n in names)
        exclude = set(_weights_with_names(lex))
        expansion = tuple(table.expand(members, exclude, EXPANSION_SIZE, profile))
        full = Lexicon(lex.name, lex.terms, lex.broad, lex.aliases, expansion, lex.origin)
        out_lex[name] = full
        learned = [(t, table.column(t)) for t in expansion]
        theme_scores: dict[str, float] = {}
        for i, aid in enumerate(ids):
            counts = dict(seed_counts[name][i])
            for t, col in learned:
                if col.get(i):
                    counts[t] = col[i]
            sc = _score(counts, full, int(table.chars[i]), articles[aid].title)
            if sc > 0:
                theme_scores[aid] = round(sc, 4)
        scores[name] = theme_scores

    return ThemeIndex(out_lex, scores, articles, _postings(table))


def _without_expansion(lex: Lexicon) -> Lexicon:
    return Lexicon(lex.name, lex.terms, lex.broad, lex.aliases, (), lex.origin)


def _postings(table: TermTable) -> _Postings:
    """Term → article → count: seed terms (by substring) everywhere they occur, other words where an
    article uses them at least twice and three times in the corpus in all.

    A word an article uses once cannot make it *about* that word, so dropping those keeps the index
    small (a tenth of the full table) without changing what :func:`resolve` can find.  Built as the
    flat lists the index is saved as, and read as maps only where asked.
    """
    flat = dict(table.postings(min_count=2, min_total=3))
    found: dict[str, dict[int, int]] = {}
    for i, counts in enumerate(table.seed_counts):
        for t, c in counts.items():
            found.setdefault(t, {})[i] = c
    for t, by_article in found.items():
        if t in flat:
            p = flat[t]
            merged = dict(zip(p[0::2], p[1::2]))
        else:
            merged = {r: n for r, n in table.column(t).items() if n >= 2}
        merged.update(by_article)
        flat[t] = [x for r in sorted(merged) for x in (r, merged[r])]
    return _Postings(dict(sorted(flat.items())), table.ids)


# ---------------------------------------------------------------------------------------------------
# Asking for a theme


def _similarity(key: str, term: str) -> float:
    """How close a requested name is to one term: equal, one inside the other, or sharing characters."""
    if term == key:
        return 3.0
    if key in term or term in key:
        return 1.0 + min(len(term), len(key)) / max(len(term), len(key))
    shared = set(key) & set(term)
    return len(shared) / len(set(key) | set(term)) if len(shared) >= 2 else 0.0


def _closest(name: str, index: ThemeIndex, limit: int = 2, skip: str = "") -> list[str]:
    """Themes nearest to a name nothing is about, among the themes that have articles.

    First the themes whose terms hold the name (``航天`` is a 科技创新 term) or resemble it; then
    the themes whose articles overlap most with the nearest one's (what its articles are also about);
    then the themes with the most articles.  Ties break by name.
    """
    key = _norm(name).strip()
    infos = [i for i in index.themes() if i.article_count > 0 and i.theme != skip]
    if not infos:
        infos = [i for i in index.themes() if i.theme != skip]
    sim = {
        i.theme: max((_similarity(key, t) for t in _lexicon_words(index.lexicons[i.theme])), default=0.0) for i in infos
    }
    ranked = sorted(infos, key=lambda i: (-sim[i.theme], -i.article_count, i.theme))
    if not ranked:
        return []
    anchor = {a[0] for a in ranked[0].articles}

    def overlap(info: ThemeInfo) -> float:
        arts = {a[0] for a in info.articles}
        return len(arts & anchor) / len(arts | anchor) if arts | anchor else 0.0

    rest = sorted(ranked[1:], key=lambda i: (-sim[i.theme], -overlap(i), -i.article_count, i.theme))
    return [i.theme for i in [ranked[0]] + rest][:limit]


def _lexicon_words(lexicon: Lexicon) -> tuple[str, ...]:
    """Name, aliases and every term of a lexicon: what a requested name is compared with."""
    return _unique(lexicon.names() + lexicon.all_terms())


def resolve(
    index: ThemeIndex,
    name: str,
    lexicons: Mapping[str, Lexicon] | None = None,
    min_articles: int = 2,
) -> Lexicon:
    """The lexicon to draft a theme from, or an honest refusal.

    A known theme (name or alias, in the index or in ``lexicons``) with articles about it comes back
    with its learned terms.  An unknown name that at least ``min_articles`` articles are about (it
    is in their title, or they use it once per 1,000 characters) becomes an ad-hoc theme: the name
    plus the terms most distinctive of those articles; ``index.add(lexicon)`` scores it.  Anything
    else raises :class:`DrafterError` naming the closest themes.
    """
    key = _norm(name).strip()
    hint = "可用 drafter themes 查看全部主题"
    if not key:
        raise DrafterError(f"主题名为空；请给出一个主题，{hint}")
    known = index.canonical(key)
    if known is None and lexicons:
        lex = find_lexicon(lexicons, key)
        if lex is not None:
            index = index.add(lex)
            known = lex.name
    if known is not None:
        if index.articles_for(known):
            return index.lexicons[known]
        near = _closest(key, index, skip=known)
        raise DrafterError(f"没有关于“{name}”的文章；相近的主题：{'、'.join(near)}。{hint}")

    bare = Lexicon(key, (key,), origin="corpus")
    seed_scores = _score_from_vocab(bare, index.vocab, index.articles)
    members = {a: sc for a, sc in seed_scores.items() if sc >= about_threshold(bare)}
    if members and len(members) >= min(min_articles, len(index.articles)):
        from drafter.termtable import TermTable

        exclude = {key} | set(_content_words(key))
        expansion = tuple(TermTable.of(_stats_from_vocab(index)).expand(members, exclude, EXPANSION_SIZE // 2))
        return Lexicon(key, (key,), (), (), expansion, "corpus")
    near = _closest(key, index)
    raise DrafterError(f"没有关于“{name}”的文章；相近的主题：{'、'.join(near)}。{hint}")


def _stats_from_vocab(index: ThemeIndex) -> dict[str, TermStats]:
    """Per-article word counts rebuilt from the postings (words seen once in the corpus are gone)."""
    counts: dict[str, dict[str, int]] = {a: {} for a in index.articles}
    for t, p in index.vocab.items():
        if _CJK.match(t) and len(t) >= 2 and t not in STOPWORDS:
            for a, c in p.items():
                counts[a][t] = c
    return {a: TermStats(info.chars, info.tokens, counts[a]) for a, info in index.articles.items()}
