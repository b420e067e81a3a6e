"""Phrase banks mined from articles: the stock material writers reuse.

A writer drafting a speech does not invent its 四字格, slogans, quotations and set phrases; they
borrow them from texts they trust, and they need to know where each came from.  This module turns
one :class:`~drafter.corpus.Article` into :class:`Phrase` entries (:func:`mine_article`, the map
step: a pure function of one article), merges entries corpus-wide (:func:`merge_phrases`, the
reduce step: associative, commutative, order-independent) and trims the merged banks
(:func:`prune`, run once after the full merge because its thresholds are corpus-wide).

Categories (Chinese name, English alias):

- 四字格 ``idiom``: four-character phrases.  ``origin="dict"`` when the segmenter tags a 4-character
  word as idiom (``i``) or fixed phrase (``l``); ``origin="pattern"`` when found by structure: a
  4-character clause inside a run of clauses (``胸怀大局、砥砺奋进，``), either half of a 4+4 clause
  (``聚焦聚力善作善成``), or two adjacent 2-character words forming a 4-character unit (verb/adjective
  + content word, or the reduplicated shapes ABAC ``善作善成`` and ABCB ``大事难事``), or an ABAC
  unit closing a clause whatever the segmenter made of it (``要善作善成，``).  Pattern
  finds are noisy one by one, so :func:`prune` keeps them only when they recur corpus-wide.
- 提法 ``slogan``: a quoted string of 2–12 characters with no sentence punctuation inside
  (``“四个意识”``, ``“两个维护”``, ``“一盘棋”``).  The text KEEPS its quotation marks, normalised to
  full-width ``“…”``, because that is how a slogan is always written in a draft; the characters
  inside are verbatim.
- 引语 ``quote``: words inside quotation marks attributed to a named speaker by a lead-in of the shape
  ``SPEAKER [在…上] [曾/多次…] VERB [：，] “…”``.  ``text`` is exactly what is inside the quotes,
  ``context`` the lead-in sentence through the closing quote.  A quote with no identifiable person
  (a pronoun, a document, nobody) is not an 引语: a misattributed quotation is the worst error a
  draft can carry.
- 开头 ``opener`` / 过渡 ``transition`` / 结尾 ``closer``: whole sentences, verbatim, chosen by position
  (first three prose paragraphs / anywhere / last two prose paragraphs), by shape (a short line ending
  in a colon; a time word followed by a comma; an exclamation) and by broad cue words of the genre
  (see ``_OPENER_CUES``, ``_TRANSITION_*``, ``_CLOSER_CUES``).  They record the article's genre.
- 句子 ``sentence``: every clean sentence of 12–80 characters with its role by position in the
  article (``opening`` first ~10 % of sentences, ``closing`` last ~10 %, ``body`` the rest),
  measured over sentences rather than paragraphs so that a text pasted as one run-on paragraph
  still gets an opening and a closing.  Attributed quotations are left out (they belong to the
  speaker, not to the writer's own voice).

Texts whose wording must not be copied (``article.quotable`` False) yield nothing, and no entry may
carry web debris (URLs, image names, download-site chrome, bylines): see :func:`has_debris`.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from itertools import accumulate, compress
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from drafter.bankorder import CATEGORIES, bank_order, spread_order
from drafter.errors import UsageError
from drafter.segment import tag

if TYPE_CHECKING:  # drafting reads the banks without loading the cleaning rules
    from drafter.corpus import Article

_ALIASES = {alias: name for name, alias in CATEGORIES.items()}


def category(name: str) -> str:
    """The Chinese category name for ``name`` given in Chinese or as its English alias."""
    key = name.strip()
    if key in CATEGORIES:
        return key
    if key.lower() in _ALIASES:
        return _ALIASES[key.lower()]
    valid = "、".join(f"{zh}（{en}）" for zh, en in CATEGORIES.items())
    raise UsageError(f"未知的短语类别“{name}”，请改用以下之一：{valid}")


@dataclass(frozen=True)
class Phrase:
    """One phrase-bank entry; ``sources`` are ``FILE#N`` positions, sorted and deduplicated."""

    category: str
    text: str
    count: int
    sources: tuple[str, ...]
    speaker: str = ""
    verb: str = ""
    context: str = ""
    genre: str = ""
    role: str = ""
    origin: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two entries the same entry when merging."""
        return (self.category, self.text, self.speaker)

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in _PHRASE_FIELDS}
        d["sources"] = list(self.sources)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Phrase:
        kw = {k: v for k, v in d.items() if k in _PHRASE_FIELD_SET}
        kw["sources"] = tuple(sorted(set(kw.get("sources", ()))))
        kw["count"] = int(kw.get("count", 1))
        return cls(**kw)


# field names looked up once: dataclasses.fields() per call was a tenth of the reduce
_PHRASE_FIELDS = tuple(f.name for f in fields(Phrase))
_PHRASE_FIELD_SET = frozenset(_PHRASE_FIELDS)


# ---------------------------------------------------------------------------------------------------
# Text primitives

_HAN = r"\u3400-\u9fff"
_HAN_RE = re.compile(f"[{_HAN}]")
_ALL_HAN = re.compile(f"^[{_HAN}]+$")
_OPEN_Q = "“「『〝"
_CLOSE_Q = "”」』〞"
_ENDS = "。！？!?…"
_TRAIL = "”」』〞’）)】"
_CLAUSE_PUNCT = "、，,；;：:。！？!?…"
_SENT_PUNCT = re.compile(r"[，,。！？!?；;：:、…]")


class _Cues:
    """Cue strings searched case-insensitively, quickly in text where no Latin cue can start.

    ``re`` matches about ten times slower with IGNORECASE, and only the Latin cues have case.  Each
    Latin cue starts with a character that no character but its own other case folds to (``h``
    ``w`` ``v`` ``e`` ``p`` ``.`` ``@``), so a case-sensitive ``trigger`` search for those
    characters or a Chinese cue finds nothing in text that has no cue.  The trigger looks at no
    context, so a paragraph it clears has no cue in any of its sentences either.
    """

    def __init__(self, latin: tuple[str, ...], han: tuple[str, ...]) -> None:
        lower = {(cue[1] if cue.startswith("\\") else cue[0]).lower() for cue in latin}
        self.starts = "".join(sorted(lower | {c.upper() for c in lower}))
        self.full = re.compile("|".join(latin + han), re.IGNORECASE)
        # two searches: one alternation of both is several times slower than the pair
        self.han = re.compile("|".join(han))
        self.latin = re.compile(f"[{re.escape(self.starts)}]")

    def trigger(self, text: str) -> bool:
        """False only when no substring of ``text`` can hold a cue."""
        return self.han.search(text) is not None or self.latin.search(text) is not None

    def search(self, text: str) -> bool:
        if self.han.search(text):
            return True  # Chinese cues have no case
        return self.latin.search(text) is not None and self.full.search(text) is not None


# Web-page and download-site debris, bylines and editor's notes: never part of an entry.
_DEBRIS = _Cues(
    (r"https?:", r"www\.", r"\.(?:com|cn|net|org)\b", "@", r"\.(?:png|jpe?g|gif|bmp|webp)", "VIP", "E-?mail")
    + ("Public domain",),
    tuple(
        "下载|客服|字号|分享|编者按|作者系|□|侵权|温馨提示|展开>>|收起<<|本文档|本站|责任编辑|扫码|二维码|点击"
        "|关闭本页|打印本页|著作权法|公有领域|维基|版权失效|相关报道|相关阅读|延伸阅读|※".split("|")
    ),
)
# A paragraph with any of these is chrome through and through: skip all of it.
_STRONG_DEBRIS = _Cues(
    (r"https?:", r"www\.", "@", r"\.(?:png|jpe?g|gif|bmp|webp)", "VIP", "Public domain"),
    tuple(
        "下载|客服|字号|分享[到赚]|编者按|作者系|□|温馨提示|展开>>|收起<<|本文档|著作权法|公有领域|维基"
        "|相关报道|相关阅读|延伸阅读".split("|")
    ),
)


def has_debris(text: str) -> bool:
    """True when ``text`` carries web debris (URL, @, image name, 下载, VIP, 客服, 字号, 分享, 编者按 …)."""
    return _DEBRIS.search(text)


def _no_debris(_text: str) -> bool:
    return False


def _debris_test(paragraph: str) -> Callable[[str], bool]:
    """:func:`has_debris` for substrings of ``paragraph``; a constant False when the paragraph is clean."""
    return has_debris if _DEBRIS.trigger(paragraph) else _no_debris


def _is_prose(paragraph: str, strong: bool | None = None) -> bool:
    """A paragraph of running text: Chinese words and punctuation, no page chrome, not a byline.

    ``strong`` is whether the paragraph has strong debris, when already known.
    """
    p = paragraph.strip()
    if not _HAN_RE.search(p) or (_STRONG_DEBRIS.search(p) if strong is None else strong):
        return False
    if p[0] in "(（【[［" and p[-1] in ")）】]］":
        return False  # bylines and notes in brackets: (作者:李宇莎)
    return bool(_SENT_PUNCT.search(p))


def sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence; quotations are never cut in the middle.

    A sentence ends at 。！？ outside quotation marks (trailing closing marks stay with it), or at a
    closing quotation mark right after a terminator (``…说道：“……兴旺发达。”``).  Leftover text after
    the last terminator is a sentence of its own, which is how ``下面，再讲几点意见：`` at the end
    of a paragraph is seen.  An unbalanced opening quote stops protecting after 300 characters.
    """
    out: list[tuple[int, int]] = []
    depth, start, n = 0, 0, len(paragraph)
    # only quotation marks and terminators change anything, so jump from one to the next
    for m in _SPAN_MARKS.finditer(paragraph):
        i = m.start()
        if i < start:
            continue  # trailing marks already taken into the previous sentence
        ch = m.group()
        end = -1
        if ch in _OPEN_Q:
            depth += 1
        elif ch in _CLOSE_Q:
            depth = max(0, depth - 1)
            if depth == 0 and i > 0 and paragraph[i - 1] in _ENDS:
                end = i + 1
        elif depth == 0 or i - start > 300:
            depth = 0
            end = i + 1
        if end > 0:
            end = _TRAILING.match(paragraph, end).end()
            _add_trimmed(out, paragraph, start, end)
            start = end
    if start < n:
        _add_trimmed(out, paragraph, start, n)
    return out


_SPAN_MARKS = re.compile(f"[{_OPEN_Q}{_CLOSE_Q}{_ENDS}]")
_TRAILING = re.compile(f"[{_ENDS}{_TRAIL}]*")


def _add_trimmed(out: list[tuple[int, int]], paragraph: str, s: int, e: int) -> None:
    """Append ``(s, e)`` narrowed past surrounding whitespace, unless nothing but whitespace is left."""
    if not (paragraph[s].isspace() or paragraph[e - 1].isspace()):
        out.append((s, e))
        return
    piece = paragraph[s:e]
    core = piece.strip()
    if core:
        s += len(piece) - len(piece.lstrip())
        out.append((s, s + len(core)))


# ---------------------------------------------------------------------------------------------------
# 四字格

# Characters that make a 4-character string a fragment of a longer sentence rather than a phrase
# when they stand at its start or end.  Tagged idioms are only checked against particles, since
# real idioms do start with 与/以/为 (与时俱进, 以身作则): they are checked against prepositions of
# place and time and the particles only (在讲话中, 从现在起, 今年以来 are not phrases).
_BAD_START = set("的了着和与及或并而且在是把被对从向以为于将就也都又这那其等个之所们")
_BAD_END = set("的了着和与及或并而且在是把被对从向以为于将就也都又这那其等个所们中上下里得地")
_NOUNISH = {"n", "nr", "ns", "nt", "nz", "nrfg", "nrt", "ng", "vn", "f", "s"}
_BANNED_TAGS = ("nr", "ns", "nt", "m", "t", "r", "q", "u", "eng", "x")
_NOUN_HALF = {"n", "nr", "ns", "nt", "nz", "ng", "j", "nrfg", "nrt", "s"}
_RIGHT_EDGE = {"和", "与", "及", "并", "而"}
_DICT_BAD_START = set("在从对把被将于的了和是")
_DICT_BAD_END = set("的了着中上下里来起")
_HEAD_TAGS = {"v", "vd", "a", "ad", "d"}
_TAIL_TAGS = {"v", "vn", "a", "an", "n"}
_MARKER = re.compile(
    r"^(?:[一二三四五六七八九十]+(?:是|要|者)|第[一二三四五六七八九十]+[，,、]?|首先|其次|再次|最后|同时)"
)


def _idiom_ok(text: str, origin: str, tags: Sequence[tuple[str, str]] | None = None) -> bool:
    """Shape checks on a 4-character candidate.

    With the words known, a function word is a one-character first/last word (把握大势 starts with
    the verb 把握, not the preposition 把) or a preposition/conjunction word; without them, the first
    and last characters are checked.
    """
    if len(text) != 4 or not _ALL_HAN.match(text):
        return False
    if origin == "dict":
        return text[0] not in _DICT_BAD_START and text[-1] not in _DICT_BAD_END
    if not _PARTICLES.isdisjoint(text):
        return False
    if tags:
        (w0, t0), (w1, _t1) = tags[0], tags[-1]
        if t0.startswith(("p", "c")) or (len(w0) == 1 and w0 in _BAD_START):
            return False
        return not (len(w1) == 1 and w1 in _BAD_END)
    return text[0] not in _BAD_START and text[-1] not in _BAD_END


_PARTICLES = frozenset("的了和与及或")


def _tags_ok(tags: Sequence[tuple[str, str]]) -> bool:
    """Reject names, places, numbers, pronouns; and bare noun compounds (政治意识 is a term, not a 四字格)."""
    if any(t.startswith(_BANNED_TAGS) for _w, t in tags):
        return False
    return not (len(tags) > 1 and all(t in _NOUNISH for _w, t in tags))


@lru_cache(maxsize=1 << 16)
def _tag_short(text: str) -> tuple[tuple[str, str], ...]:
    """Tags of a short string (a half of a 四字格, a speaker, a time word).

    The same few thousand short strings recur in every article of a corpus; segmenting each once
    is cheaper than segmenting it at every occurrence.  Bounded, so a long run cannot grow it.
    """
    return tuple(tag(text))


def _is_term(text: str, pos: str) -> bool:
    """A single 4-character noun made of two nouns (官僚主义, 妇女儿童) is a term, not a 四字格;
    攻坚克难 is tagged a noun too, but its halves are not nouns."""
    if pos in ("i", "l") or _shaped(text):
        return False
    halves = [_tag_short(text[:2]), _tag_short(text[2:])]
    return all(len(h) == 1 and h[0][1] in _NOUN_HALF for h in halves)


class _Tokens:
    """A paragraph's ``(word, tag)`` pairs with the column each word starts at.

    Built by C-level calls only (``map``, ``accumulate``, ``str.join``): a paragraph has hundreds
    of words and most of them are never looked at one by one.  ``marked`` is the words with a NUL
    before each, so that regular expressions can pick out the few words worth a closer look.
    """

    __slots__ = ("pairs", "bounds", "marked")

    def __init__(self, pairs: list[tuple[str, str]], words: list[str] | None = None) -> None:
        self.pairs = pairs
        if words is None:
            words = list(map(itemgetter(0), pairs))
        self.bounds = list(accumulate(map(len, words), initial=0))
        self.marked = "\x00" + "\x00".join(words)
        if self.marked.count("\x00") > max(len(words), 1):  # a NUL inside a word: never a Chinese one
            self.marked = "\x00" + "\x00".join(w.replace("\x00", " ") for w in words)


def _tags_in(tokens: _Tokens, s: int, e: int) -> list[tuple[str, str]] | None:
    """Tags of the tokens covering exactly ``[s, e)``, or None when a token straddles a boundary."""
    # offsets are increasing, so the tokens inside [s, e) are one slice
    bounds, n = tokens.bounds, len(tokens.pairs)
    lo, hi = bisect_left(bounds, s, 0, n), bisect_right(bounds, e, 1, n + 1) - 1
    if hi <= lo or bounds[hi] - bounds[lo] != e - s:
        return None
    return tokens.pairs[lo:hi]


def _shaped(text: str) -> bool:
    """ABAC (善作善成) or ABCB (大事难事): repetition that marks a coined four-character unit."""
    return (
        len(text) == 4
        and (text[0] == text[2] or text[1] == text[3])
        and text[0] != text[1]
        and text[2] != text[3]
    )


def _couplet(tokens: _Tokens, s: int, e: int) -> bool:
    """An 8-character clause made of two parallel 4-character halves (same word classes, or both
    reduplicated): 聚焦聚力善作善成 is a couplet, 保持社会和谐稳定 is one phrase cut in the middle."""
    left, right = _tags_in(tokens, s, s + 4), _tags_in(tokens, s + 4, e)
    if not left or not right:
        return False
    text = "".join(w for w, _t in left + right)
    if _shaped(text[:4]) and _shaped(text[4:]):
        return True
    return len(left) == 2 and [t[0] for _w, t in left] == [t[0] for _w, t in right]


_MARKER_FIRST = frozenset("一二三四五六七八九十第首其再最同")  # what a _MARKER match can start with
_MARKER_BEFORE = "^。！？!?；;：:"
# Clauses are the runs between punctuation marks.  The only ones that can yield a 四字格 are those
# of 4 or 8 characters, those that may start with a _MARKER (which is cut off first, shortening
# them), and those ending in ABAC; this picks them out of a paragraph in one pass.
_CUT = re.escape(f'{_CLAUSE_PUNCT}{_OPEN_Q}{_CLOSE_Q}"')
_CLAUSE = f"[^{_CUT}]"
_CLAUSE_CANDIDATE = re.compile(
    f"(?<!{_CLAUSE})(?:{_CLAUSE}{{4}}|{_CLAUSE}{{8}}|[{''.join(sorted(_MARKER_FIRST))}]{_CLAUSE}*"
    f"|{_CLAUSE}+({_CLAUSE}){_CLAUSE}\\1{_CLAUSE})(?!{_CLAUSE})"
)
# Two 2-character words followed by where a phrase closes: a clause mark or closing quote starting
# the next word, a conjunction of _RIGHT_EDGE as the whole next word, or the end of the paragraph;
# searched in _Tokens.marked.  Only Chinese words can make a 四字格 (see _idiom_ok).
_UNIT_EDGE = re.escape(_CLAUSE_PUNCT + _CLOSE_Q)
_RIGHT_EDGE_RE = re.escape("".join(sorted(_RIGHT_EDGE)))
_UNIT = re.compile(
    f"\x00([{_HAN}]{{2}})(?=\x00([{_HAN}]{{2}})(?:\\Z|\x00(?:[{_UNIT_EDGE}]|[{_RIGHT_EDGE_RE}](?:\\Z|\x00))))"
)


_DICT_TAGS = frozenset(("i", "l"))


def _mine_idioms(paragraph: str, tokens: _Tokens) -> list[tuple[str, str]]:
    """``(text, origin)`` of each 四字格 found in one paragraph, ``tokens`` being its segmentation."""
    pairs, marked = tokens.pairs, tokens.marked
    # the few words tagged idiom (i) or fixed phrase (l) are picked out at C speed first
    tagged = compress(pairs, map(_DICT_TAGS.__contains__, map(itemgetter(1), pairs)))
    found = [(w, "dict") for w, _t in tagged if len(w) == 4 and _idiom_ok(w, "dict")]
    dict_words = {w for w, _o in found}
    size = len(paragraph)
    for m in _CLAUSE_CANDIDATE.finditer(paragraph):
        s, e = m.span()
        before, after = paragraph[s - 1] if s else "^", paragraph[e] if e < size else "$"
        if paragraph[s] in _MARKER_FIRST and before in _MARKER_BEFORE:
            marker = _MARKER.match(paragraph[s:e])
            if marker:
                s += marker.end()
        n = e - s
        if (
            n > 4
            and after != "$"
            and paragraph[e - 4] == paragraph[e - 2]
            and not (n >= 6 and paragraph[e - 6] == paragraph[e - 3])  # 新产业新业态 is 3+3, not 业新业态
        ):
            tail = paragraph[e - 4 : e]
            # ABAC at the end of a clause (要善作善成，) even when the segmenter cut it elsewhere
            if (
                len(set(tail)) == 3
                and tail not in dict_words
                and _idiom_ok(tail, "pattern")
                and _tags_ok(_tag_short(tail))
            ):
                found.append((tail, "pattern"))
        if n == 4:
            # a clause of its own inside a run of clauses; a sentence-initial 4-character clause
            # followed by a comma is usually a connective (总的来看，实践证明，), so it needs a 、 run
            in_run = before in "、，,；;" or after == "、"
            if not in_run or (before in "^。！？!?" and after != "、"):
                continue
            cands = [(s, e)]
        elif n == 8 and _couplet(tokens, s, e):
            cands = [(s, s + 4), (s + 4, e)]
        else:
            continue
        for a, b in cands:
            text = paragraph[a:b]
            cand_tags = _tags_in(tokens, a, b)
            if text in dict_words or cand_tags is None or not _idiom_ok(text, "pattern", cand_tags):
                continue
            if not _tags_ok(cand_tags) or (len(cand_tags) == 1 and _is_term(text, cand_tags[0][1])):
                continue
            if all(t in ("i", "l") for _w, t in cand_tags) and len(cand_tags) == 1:
                found.append((text, "dict"))
            else:
                found.append((text, "pattern"))
    # two adjacent 2-character words forming a 4-character unit: the unit must close where the
    # phrase closes (punctuation, 的/地/得, a conjunction), otherwise 提高政治(站位) and 开展党史(学习)
    # would be taken for phrases
    k, counted = -1, 0
    for m in _UNIT.finditer(marked):
        # the word's index is the number of NULs before its own; counted incrementally
        k += marked.count("\x00", counted, m.start() + 1)
        counted = m.start() + 1
        if k and pairs[k - 1][1] in _NOUNISH:
            continue
        (w1, t1), (w2, t2) = pairs[k], pairs[k + 1]
        # _idiom_ok, _shaped and _tags_ok for two Chinese 2-character words, cheapest tests first
        if not (t1 in _HEAD_TAGS and t2 in _TAIL_TAGS and t1 != "d") and not (
            (w1[0] == w2[0] or w1[1] == w2[1]) and w1[0] != w1[1] and w2[0] != w2[1]
        ):
            continue
        text = w1 + w2
        if text in dict_words or not _PARTICLES.isdisjoint(text) or t1.startswith(("p", "c")):
            continue
        if _tags_ok([(w1, t1), (w2, t2)]):
            found.append((text, "pattern"))
    return found


# ---------------------------------------------------------------------------------------------------
# 提法 and 引语

_QUOTE = re.compile(r"[“「〝]([^“”「」〝〞]*)[”」〞]")
_VERBS = (
    "说道|说过|说|讲道|讲过|讲|指出|强调|寄语|要求|提出|告诫|写道|指示|勉励|嘱托|嘱咐|谈到|谈及|表示|批示|"
    "坦言|感慨|回忆|阐述|宣告|宣布|号召|云|曰"
)
_ADVERBS = "曾经|曾|也|还|多次|反复|深刻|明确|郑重|一再|生动|深情|特别|再次|进一步|亲切|殷切|鲜明|所"
_LEAD = re.compile(
    rf"^(?P<speaker>.+?)(?:在(?P<occasion>.{{1,40}}?)(?:上|中|时|期间|之际|里))?"
    rf"(?P<verb>(?:{_ADVERBS})*(?:{_VERBS})(?:过|道)?)(?:的那样|的)?$"
)
_CONNECTIVE = re.compile(
    r"^(?:这|那|也|正|恰|诚|就|好)*(?:如同|如|像|是)|^(?:对此|为此|同时|因此|所以|当年|早年|曾经)"
)
# Titles and forms of address that make the words before a speech verb a speaker.  General terms
# of Chinese official and public life, not names.
_TITLES = (
    "总书记|书记|主席|副主席|委员长|总理|副总理|同志|先生|女士|部长|省长|市长|县长|区长|局长|厅长|"
    "主任|院长|校长|院士|教授|老师|专家|将军|领袖|导师|伟人|古人|前人|先贤|先哲|哲人|圣人|先辈|前辈"
)
_TITLE_END = re.compile(f"(?:{_TITLES})$")


_SPEAKER_CHARS = re.compile(f"[{_HAN}·]+")


def _speaker_ok(speaker: str) -> bool:
    if not (2 <= len(speaker) <= 16) or not _SPEAKER_CHARS.fullmatch(speaker):
        return False
    tags = _tag_short(speaker)
    if any(t == "r" for _w, t in tags):
        return False  # 他 / 我们 / 大家 say things too, but we cannot say who
    if _TITLE_END.search(speaker):
        return True
    return bool(tags) and tags[-1][1].startswith("nr") and len(tags[-1][0]) >= 2


_VERB_ADVERBS = re.compile(f"^(曾经|曾)?(?:{_ADVERBS})*")


def _attribution(lead: str) -> tuple[str, str] | None:
    """``(speaker, verb)`` when ``lead`` (text before an opening quote) attributes it to a person."""
    lead = lead.rstrip()
    clause = lead.rstrip("：:，, ")
    for sep in "，,；;：:”“（(":
        clause = clause.rsplit(sep, 1)[-1]
    m = _LEAD.match(clause)
    if not m:
        return None
    speaker = _CONNECTIVE.sub("", m.group("speaker"))
    if not _speaker_ok(speaker):
        return None
    # keep 曾/曾经 (曾说 tells a past saying from a present instruction); drop 还/一再/所/多次
    verb = _VERB_ADVERBS.sub(lambda v: v.group(1) or "", m.group("verb"))
    return speaker, verb


# One mined entry before merging: (category, text, speaker, source, verb, context, genre, role,
# origin).  Plain tuples: an article yields thousands, and most merge into an entry seen before.
_Row = tuple[str, str, str, str, str, str, str, str, str]

_NOT_SLOGAN = re.compile(r"[A-Za-z《》]")
_SAME_LEAD = re.compile(r"\s*[，,、]?\s*(?:和|及|以及|并)?\s*")
_LEAD_PUNCT_END = re.compile(r"[：:，,]\s*$")


def _mine_quotes(
    paragraph: str, spans: list[tuple[int, int]], src: str, debris: Callable[[str], bool] = has_debris
) -> tuple[list[_Row], set[int]]:
    """提法 and 引语 of one paragraph, and the indexes of sentences holding an attributed quote."""
    out: list[_Row] = []
    quoted: set[int] = set()
    if not _QUOTE.search(paragraph):
        return out, quoted  # a quotation inside a sentence is a quotation inside the paragraph
    for si, (s, e) in enumerate(spans):
        sentence = paragraph[s:e]
        prev: tuple[str, str] | None = None
        prev_end = 0
        for m in _QUOTE.finditer(sentence):
            inner = m.group(1)
            if debris(inner):
                prev = None
                continue
            if 2 <= len(inner) <= 12 and not _SENT_PUNCT.search(inner) and len(_HAN_RE.findall(inner)) >= 2:
                if not _NOT_SLOGAN.search(inner):
                    out.append(("提法", f"“{inner}”", "", src, "", "", "", "", ""))
            between = sentence[prev_end : m.start()]
            if prev and _SAME_LEAD.fullmatch(between):
                who = prev  # “…”，“…”: a second quote under the same lead-in
            else:
                who = _attribution(sentence[: m.start()])
                if (
                    who
                    and not _LEAD_PUNCT_END.search(sentence[: m.start()])
                    and not _SENT_PUNCT.search(inner)
                ):
                    who = None  # 提出“一盘棋”: a quoted term, not a quotation
            prev, prev_end = who, m.end()
            if who and len(_HAN_RE.findall(inner)) >= 4:
                context = sentence[: m.end()]
                if not debris(context):
                    out.append(("引语", inner, who[0], src, who[1], context, "", "", ""))
                    quoted.add(si)
    return out, quoted


# ---------------------------------------------------------------------------------------------------
# 开头 / 过渡 / 结尾 / 句子

# Broad cue words of the genre, not lists of particular sentences:
# - openers: a meeting being held or an occasion marked (召开, 举行, 值此, 很高兴), the task stated
#   (主要任务, 这次会议), the speaker presenting (我代表);
# - transitions: a lead-in to the points that follow (下面, 接下来, 以下, 几点, 如下, 几个方面);
# - closers: an appeal (让我们, 携手, 共同努力, 奋斗, 贡献, 前进, 新征程, 新篇章, 新局面, 新的更大).
_ADDRESS = re.compile(r"(?:同志们|各位|尊敬的|朋友们|同学们|同事们|来宾|代表们|女士们|先生们)")
_OPENER_CUES = re.compile(r"召开|举行|值此|很高兴|主要任务|这次会议|此次会议|今天的会|我代表|首先")
_TRANSITION_START = re.compile(r"^(?:下面|接下来|以下|最后|此外|另外|为此|对此|借此机会|这里|同时)[，,]?")
_TRANSITION_CUES = re.compile(
    r"几点|如下|以下|几个方面|几项|讲几|谈几|提几|[两三四五六七八九十]点(?:意见|要求|看法|体会)"
)
_CLOSER_CUES = re.compile(r"让我们|携起手来|携手|共同努力|奋斗|贡献|前进|新征程|新篇章|新局面|新的更大|谢谢")


_TIME_HEAD = re.compile(r"^([^，,。：:]{1,8})[，,]")
_YEAR = re.compile(r"[0-9０-９一二三四五六七八九〇零]{2,4}年")


def _starts_with_time_comma(sentence: str) -> bool:
    """``今天，`` ``刚才，`` ``近年来，`` ``2022年，``: a time word (or date) then a comma."""
    m = _TIME_HEAD.match(sentence)
    if not m:
        return False
    head = m.group(1)
    if _YEAR.fullmatch(head):
        return True
    tags = _tag_short(head)
    return bool(tags) and tags[0][1] == "t" and all(t in ("t", "f", "m") for _w, t in tags)


_DIGIT = re.compile(r"\d")


def _is_salutation(sentence: str) -> bool:
    s = sentence.strip()
    return len(s) <= 30 and s[-1:] in "：:" and bool(_ADDRESS.search(s)) and not _DIGIT.search(s)


_NEXT_POINTS = re.compile(r"^(?:下面|接下来)[，,]")
_CLOSING_ADDRESS = re.compile(r"^[^，,]{1,6}们[，,！!]")


def _frame_kind(sentence: str, where: str, lead: bool, tail: bool) -> str:
    """Which of 开头/过渡/结尾 a sentence is.

    ``where`` is ``first`` (first three prose paragraphs), ``last`` (last two) or ``middle``;
    ``lead``/``tail`` say whether the sentence starts/ends its paragraph.  Cue words alone are too
    common in the body to decide, so they count only for a paragraph's lead sentence (openers) or
    its final sentence (closers).
    """
    s = sentence
    if where == "first":
        if _is_salutation(s) or _starts_with_time_comma(s) or (lead and _OPENER_CUES.search(s)):
            return "开头"
    if s[-1:] in "：:" and len(s) <= 40 and not _is_salutation(s) and s[0] not in "［[【(（":
        if _TRANSITION_START.match(s) or _TRANSITION_CUES.search(s):
            return "过渡"
    if len(s) <= 60 and _NEXT_POINTS.match(s):
        return "过渡"
    if where == "last":
        if _CLOSING_ADDRESS.match(s) or "让我们" in s or s[-1:] in "！!":
            return "结尾"
        if tail and _CLOSER_CUES.search(s):
            return "结尾"
    return ""


_NON_HAN_RE = re.compile(f"[^{_HAN}]")
_OPEN_Q_RE = re.compile(f"[{_OPEN_Q}]")
_CLOSE_Q_RE = re.compile(f"[{_CLOSE_Q}]")
_ANY_Q_RE = re.compile(f"[{_OPEN_Q}{_CLOSE_Q}]")


def _sentence_ok(sentence: str, debris: bool | None = None) -> bool:
    """A clean 句子; ``debris`` is :func:`has_debris` of the sentence when already known."""
    if not (12 <= len(sentence) <= 80):
        return False
    if sentence.rstrip(_TRAIL)[-1:] not in _ENDS:
        return False  # headings and broken fragments have no terminator
    if has_debris(sentence) if debris is None else debris:
        return False
    # counting the few non-Chinese characters is cheaper than counting the Chinese ones
    if len(sentence) - len(_NON_HAN_RE.findall(sentence)) < 0.6 * len(sentence):
        return False
    if not _ANY_Q_RE.search(sentence):
        return True
    return len(_OPEN_Q_RE.findall(sentence)) == len(_CLOSE_Q_RE.findall(sentence))


def _body(paragraphs: tuple[str, ...]) -> list[int]:
    """Indexes of the prose paragraphs between any page chrome at the head and the tail.

    A paragraph of strong debris in the first or last fifth of a text (a site header, an editor's
    note, a licence notice) means everything before/after it is chrome too, even lines that look
    like prose on their own (a licence notice hard-wrapped into fragments).
    """
    n = len(paragraphs)
    lo, hi = 0, n
    strong = [_STRONG_DEBRIS.search(p) for p in paragraphs]
    for i, chrome in enumerate(strong):
        if chrome:
            if i < max(3, n // 5):
                lo = i + 1
            elif i >= n - max(3, n // 5):
                hi = min(hi, i)
    # no strong cue begins or ends with whitespace, so stripping a paragraph keeps its verdict
    return [i for i in range(lo, hi) if _is_prose(paragraphs[i], strong[i])]


_SALUTE = re.compile(r"^[^。！？：:]{1,30}[：:]")


def _mine_rows(
    article: Article,
    tagged: Sequence[list[tuple[str, str]]] | None = None,
    words: Sequence[list[str]] | None = None,
) -> list[_Row]:
    """Every entry of one article, one row per occurrence, before merging.

    ``tagged`` is :func:`~drafter.segment.tag` of each paragraph when the caller has it already (the
    map step segments a paragraph once for phrases, theme words and Markov tokens), and ``words``
    its words alone, when the caller has taken them out too.
    """
    if not article.quotable:
        return []
    genre = article.genre
    rows: list[_Row] = []
    prose = _body(article.paragraphs)
    first, last = set(prose[:3]), set(prose[-2:])
    # (source, sentence, attributed quote inside, debris inside)
    sentences: list[tuple[str, str, bool, bool]] = []
    # a sentence repeated as both the article's first sentence and a cue match counts once
    framed: set[tuple[str, str, str]] = set()

    def frame(kind: str, text: str, src: str) -> None:
        if (kind, text, src) not in framed:
            framed.add((kind, text, src))
            rows.append((kind, text, "", src, "", "", genre, "", ""))

    for i in prose:
        para = article.paragraphs[i]
        src = article.source(i)
        debris = _debris_test(para)
        clean = debris is _no_debris
        pairs = tag(para) if tagged is None else tagged[i]
        for text, origin in _mine_idioms(para, _Tokens(pairs, None if words is None or tagged is None else words[i])):
            if clean or not debris(text):
                rows.append(("四字格", text, "", src, "", "", "", "", origin))
        spans = sentence_spans(para)
        quotes, quoted = _mine_quotes(para, spans, src, debris)
        rows += quotes
        where = "first" if i in first else "last" if i in last else "middle"
        final = len(spans) - 1
        for si, (s, e) in enumerate(spans):
            sent = para[s:e]
            dirty = not clean and debris(sent)
            sentences.append((src, sent, si in quoted, dirty))
            if dirty:
                continue
            if where == "middle" and sent[-1] not in "：:" and not sent.startswith(("下面", "接下来")):
                continue  # in the body only a colon or a 下面/接下来 lead-in can make a 过渡 (_frame_kind)
            if where == "first":
                salute = _SALUTE.match(sent)
                if salute and salute.end() < len(sent) and _is_salutation(salute.group()):
                    frame("开头", salute.group(), src)
            kind = _frame_kind(sent, where, si == 0, si == final)
            if kind and len(sent) <= 150:
                frame(kind, sent, src)
    if sentences:
        # the article's very first and very last sentences are its opener and closer whatever their cue
        for (src, sent, _q, dirty), kind in ((sentences[0], "开头"), (sentences[-1], "结尾")):
            if 8 <= len(sent) <= 80 and not dirty and sent.rstrip(_TRAIL)[-1:] in _ENDS + "：:":
                frame(kind, sent, src)
    n = len(sentences)
    edge = max(1, math.ceil(n * 0.1))
    for k, (src, sent, is_quote, dirty) in enumerate(sentences):
        if is_quote or not _sentence_ok(sent, dirty):
            continue
        role = "opening" if k < edge else "closing" if k >= n - edge else "body"
        rows.append(("句子", sent, "", src, "", "", genre, role, ""))
    return rows


def article_rows(
    article: Article,
    tagged: Sequence[list[tuple[str, str]]] | None = None,
    words: Sequence[list[str]] | None = None,
) -> list[list[Any]]:
    """All phrase-bank entries of one article, merged within the article, as positional rows
    ``[category, text, count, sources, speaker, verb, context, genre, role, origin]``: what the map
    step stores, built without a :class:`Phrase` per entry.

    The merge rule is :func:`merge_phrases`'s (the row whose source, verb, context, genre and role
    sort first describes the entry, counts add up, sources are unioned, ``dict`` origin wins).  Rows
    come in the order their entries first occur: the reduce does not depend on the order, so the
    map does not spend time sorting them.
    """
    out: dict[tuple[str, str, str], list[Any]] = {}
    # entries seen more than once (few): their sources and the rank of the row describing them
    again: dict[tuple[str, str, str], tuple[set[str], tuple[str, ...]]] = {}
    for row in _mine_rows(article, tagged, words):
        key = row[:3]
        entry = out.get(key)
        if entry is None:
            out[key] = [row[0], row[1], 1, [row[3]], row[2], row[4], row[5], row[6], row[7], row[8]]
            continue
        entry[2] += 1
        seen = again.get(key)
        if seen is None:
            seen = ({entry[3][0]}, (entry[3][0], *entry[5:9]))
        sources, best = seen
        sources.add(row[3])
        rank = row[3:8]
        if rank < best:
            entry[5:9] = row[4:8]
            best = rank
        again[key] = (sources, best)
        if row[8] == "dict" or not entry[9]:
            entry[9] = row[8]
    for key, (sources, _best) in again.items():
        out[key][3] = sorted(sources)
    return list(out.values())


def mine_article(article: Article, tagged: Sequence[list[tuple[str, str]]] | None = None) -> list[Phrase]:
    """All phrase-bank entries of one article, merged within the article, in bank order."""
    out = [
        Phrase(cat, text, count, tuple(sources), speaker, verb, context, genre, role, origin)
        for cat, text, count, sources, speaker, verb, context, genre, role, origin in article_rows(article, tagged)
    ]
    return sorted(out, key=sort_key)


# ---------------------------------------------------------------------------------------------------
# reduce


@dataclass
class _Acc:
    first: Phrase
    count: int = 0
    sources: set[str] = field(default_factory=set)
    origin: str = ""
    best: tuple[str, ...] = ()


def sort_key(p: Phrase) -> tuple[int, int, str, str]:
    """:func:`bank_order` of a :class:`Phrase`."""
    return bank_order(p.category, p.count, p.text, p.speaker)


def merge_phrases(items: Iterable[Phrase]) -> list[Phrase]:
    """Merge entries with the same (category, text, speaker): counts summed, sources unioned.

    The descriptive fields (verb, context, genre, role) are taken from the entry whose smallest
    source sorts first, and origin is ``dict`` when any entry is ``dict``, so the result is the
    same whatever order the inputs arrive in and however they were grouped into partial merges.
    Output is sorted by category, then descending count, then text.
    """
    acc: dict[tuple[str, str, str], _Acc] = {}
    for p in items:
        a = acc.get(p.key)
        rank = (min(p.sources) if p.sources else "", p.verb, p.context, p.genre, p.role)
        if a is None:
            a = acc[p.key] = _Acc(first=p, best=rank)
        elif rank < a.best:
            a.first, a.best = p, rank
        a.count += p.count
        a.sources.update(p.sources)
        if p.origin == "dict" or not a.origin:
            a.origin = p.origin
    out = [
        replace(a.first, count=a.count, sources=tuple(sorted(a.sources)), origin=a.origin)
        for a in acc.values()
    ]
    return sorted(out, key=sort_key)


def prune(phrases: Iterable[Phrase], *, min_pattern_count: int = 2, sentence_cap: int = 5000) -> list[Phrase]:
    """Trim fully merged banks: rare pattern 四字格 go, 句子 are capped per (role, genre).

    Pattern 四字格 seen once in the whole corpus are more often accidents of segmentation than
    phrases.  句子 are kept up to ``sentence_cap`` per (role, genre): the most frequent first, then a
    spread chosen by a content hash (not alphabetical, which would favour sentences starting with 一).
    """
    kept: list[Phrase] = []
    pools: dict[tuple[str, str], list[Phrase]] = {}
    for p in phrases:
        if p.category == "四字格" and p.origin == "pattern" and p.count < min_pattern_count:
            continue
        if p.category == "句子":
            pools.setdefault((p.role, p.genre), []).append(p)
            continue
        kept.append(p)
    for pool in pools.values():
        pool.sort(key=lambda p: spread_order(p.count, p.text))
        kept += pool[:sentence_cap]
    return sorted(kept, key=sort_key)
