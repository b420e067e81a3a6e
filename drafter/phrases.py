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

import hashlib
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from drafter.errors import UsageError
from drafter.segment import tag

if TYPE_CHECKING:  # drafting reads the banks without loading the cleaning rules
    from drafter.corpus import Article

CATEGORIES: dict[str, str] = {
    "四字格": "idiom",
    "提法": "slogan",
    "引语": "quote",
    "开头": "opener",
    "过渡": "transition",
    "结尾": "closer",
    "句子": "sentence",
}
_ORDER = {name: i for i, name in enumerate(CATEGORIES)}
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

# Web-page and download-site debris, bylines and editor's notes: never part of an entry.
_DEBRIS = re.compile(
    r"https?:|www\.|\.(?:com|cn|net|org)\b|@|\.(?:png|jpe?g|gif|bmp|webp)|下载|VIP|客服|字号|分享|编者按|作者系|□"
    r"|E-?mail|侵权|温馨提示|展开>>|收起<<|本文档|本站|责任编辑|扫码|二维码|点击|关闭本页|打印本页"
    r"|著作权法|公有领域|维基|版权失效|Public domain|相关报道|相关阅读|延伸阅读|※",
    re.IGNORECASE,
)
# A paragraph with any of these is chrome through and through: skip all of it.
_STRONG_DEBRIS = re.compile(
    r"https?:|www\.|@|\.(?:png|jpe?g|gif|bmp|webp)|下载|VIP|客服|字号|分享[到赚]|编者按|作者系|□|温馨提示|展开>>|收起<<|本文档"
    r"|著作权法|公有领域|维基|Public domain|相关报道|相关阅读|延伸阅读",
    re.IGNORECASE,
)


def has_debris(text: str) -> bool:
    """True when ``text`` carries web debris (URL, @, image name, 下载, VIP, 客服, 字号, 分享, 编者按 …)."""
    return bool(_DEBRIS.search(text))


def _is_prose(paragraph: str) -> bool:
    """A paragraph of running text: Chinese words and punctuation, no page chrome, not a byline."""
    p = paragraph.strip()
    if not _HAN_RE.search(p) or _STRONG_DEBRIS.search(p):
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
    spans: list[tuple[int, int]] = []
    depth, start, i, n = 0, 0, 0, len(paragraph)
    while i < n:
        ch = paragraph[i]
        end = -1
        if ch in _OPEN_Q:
            depth += 1
        elif ch in _CLOSE_Q:
            depth = max(0, depth - 1)
            if depth == 0 and i > 0 and paragraph[i - 1] in _ENDS:
                end = i + 1
        elif ch in _ENDS and (depth == 0 or i - start > 300):
            depth = 0
            end = i + 1
        if end > 0:
            while end < n and (paragraph[end] in _ENDS or paragraph[end] in _TRAIL):
                end += 1
            spans.append((start, end))
            start = i = end
            continue
        i += 1
    if start < n and paragraph[start:].strip():
        spans.append((start, n))
    out = []
    for s, e in spans:
        while s < e and paragraph[s].isspace():
            s += 1
        while e > s and paragraph[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


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


def _idiom_ok(text: str, origin: str, tags: list[tuple[str, str]] | None = None) -> bool:
    """Shape checks on a 4-character candidate.

    With the words known, a function word is a one-character first/last word (把握大势 starts with
    the verb 把握, not the preposition 把) or a preposition/conjunction word; without them, the first
    and last characters are checked.
    """
    if len(text) != 4 or not _ALL_HAN.match(text):
        return False
    if origin == "dict":
        return text[0] not in _DICT_BAD_START and text[-1] not in _DICT_BAD_END
    if set(text) & set("的了和与及或"):
        return False
    if tags:
        (w0, t0), (w1, _t1) = tags[0], tags[-1]
        if t0.startswith(("p", "c")) or (len(w0) == 1 and w0 in _BAD_START):
            return False
        return not (len(w1) == 1 and w1 in _BAD_END)
    return text[0] not in _BAD_START and text[-1] not in _BAD_END


def _tags_ok(tags: list[tuple[str, str]]) -> bool:
    """Reject names, places, numbers, pronouns; and bare noun compounds (政治意识 is a term, not a 四字格)."""
    if any(t.startswith(_BANNED_TAGS) for _w, t in tags):
        return False
    return not (len(tags) > 1 and all(t in _NOUNISH for _w, t in tags))


def _is_term(text: str, pos: str) -> bool:
    """A single 4-character noun made of two nouns (官僚主义, 妇女儿童) is a term, not a 四字格;
    攻坚克难 is tagged a noun too, but its halves are not nouns."""
    if pos in ("i", "l") or _shaped(text):
        return False
    halves = [tag(text[:2]), tag(text[2:])]
    return all(len(h) == 1 and h[0][1] in _NOUN_HALF for h in halves)


class _Tokens(list):  # type: ignore[type-arg]
    """Token offsets with their start and end columns, for bisecting (idiom checks ask thousands of spans)."""

    starts: list[int]
    ends: list[int]


def _token_offsets(tags: list[tuple[str, str]]) -> list[tuple[int, int, str, str]]:
    out, pos = _Tokens(), 0
    for w, t in tags:
        out.append((pos, pos + len(w), w, t))
        pos += len(w)
    out.starts = [a for a, _b, _w, _t in out]
    out.ends = [b for _a, b, _w, _t in out]
    return out


def _tags_in(tokens: list[tuple[int, int, str, str]], s: int, e: int) -> list[tuple[str, str]] | None:
    """Tags of the tokens covering exactly ``[s, e)``, or None when a token straddles a boundary."""
    if isinstance(tokens, _Tokens):
        # offsets are increasing, so the tokens inside [s, e) are one slice
        inside = [(w, t) for _a, _b, w, t in tokens[bisect_left(tokens.starts, s) : bisect_right(tokens.ends, e)]]
    else:
        inside = [(w, t) for a, b, w, t in tokens if a >= s and b <= e]
    if sum(len(w) for w, _t in inside) != e - s:
        return None
    return inside


def _clauses(paragraph: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, punctuation before, punctuation after)`` for each clause between punctuation."""
    out = []
    prev, start = "^", 0
    for m in re.finditer(f'[{_CLAUSE_PUNCT}{_OPEN_Q}{_CLOSE_Q}"]', paragraph + "。"):
        s = m.start()
        if s > start:
            out.append((start, min(s, len(paragraph)), prev, m.group() if s < len(paragraph) else "$"))
        prev, start = m.group(), m.end()
    return out


def _shaped(text: str) -> bool:
    """ABAC (善作善成) or ABCB (大事难事): repetition that marks a coined four-character unit."""
    return (
        len(text) == 4
        and (text[0] == text[2] or text[1] == text[3])
        and text[0] != text[1]
        and text[2] != text[3]
    )


def _couplet(tokens: list[tuple[int, int, str, str]], s: int, e: int) -> bool:
    """An 8-character clause made of two parallel 4-character halves (same word classes, or both
    reduplicated): 聚焦聚力善作善成 is a couplet, 保持社会和谐稳定 is one phrase cut in the middle."""
    left, right = _tags_in(tokens, s, s + 4), _tags_in(tokens, s + 4, e)
    if not left or not right:
        return False
    text = "".join(w for w, _t in left + right)
    if _shaped(text[:4]) and _shaped(text[4:]):
        return True
    return len(left) == 2 and [t[0] for _w, t in left] == [t[0] for _w, t in right]


def _mine_idioms(paragraph: str, tokens: list[tuple[int, int, str, str]], src: str) -> list[Phrase]:
    found: list[tuple[str, str]] = []
    for _a, _b, w, t in tokens:
        if len(w) == 4 and t in ("i", "l") and _idiom_ok(w, "dict"):
            found.append((w, "dict"))
    dict_words = {w for w, _o in found}
    for s, e, before, after in _clauses(paragraph):
        clause = paragraph[s:e]
        m = _MARKER.match(clause)
        if m and before in "^。！？!?；;：:":
            s += m.end()
            clause = paragraph[s:e]
        cands: list[tuple[int, int]] = []
        tail = clause[-4:]
        three_three = len(clause) >= 6 and clause[-6] == clause[-3]  # 新产业新业态 is 3+3, not 业新业态
        if (
            len(clause) > 4
            and after != "$"
            and tail[0] == tail[2]
            and len(set(tail)) == 3
            and not three_three
        ):
            # ABAC at the end of a clause (要善作善成，) even when the segmenter cut it elsewhere
            if tail not in dict_words and _idiom_ok(tail, "pattern") and _tags_ok(tag(tail)):
                found.append((tail, "pattern"))
        if len(clause) == 4:
            # a clause of its own inside a run of clauses; a sentence-initial 4-character clause
            # followed by a comma is usually a connective (总的来看，实践证明，), so it needs a 、 run
            in_run = before in "、，,；;" or after == "、"
            if in_run and not (before in "^。！？!?" and after != "、"):
                cands.append((s, e))
        elif len(clause) == 8 and _couplet(tokens, s, e):
            cands += [(s, s + 4), (s + 4, e)]
        for a, b in cands:
            text = paragraph[a:b]
            tags = _tags_in(tokens, a, b)
            if text in dict_words or tags is None or not _idiom_ok(text, "pattern", tags):
                continue
            if not _tags_ok(tags) or (len(tags) == 1 and _is_term(text, tags[0][1])):
                continue
            if all(t in ("i", "l") for _w, t in tags) and len(tags) == 1:
                found.append((text, "dict"))
            else:
                found.append((text, "pattern"))
    # two adjacent 2-character words forming a 4-character unit: the unit must close where the
    # phrase closes (punctuation, 的/地/得, a conjunction), otherwise 提高政治(站位) and 开展党史(学习)
    # would be taken for phrases
    padded = [*tokens, (0, 0, "。", "x")]
    for k in range(len(tokens) - 1):
        (_a1, _b1, w1, t1), (_a2, _b2, w2, t2) = tokens[k], tokens[k + 1]
        if len(w1) != 2 or len(w2) != 2:
            continue
        nxt, prev_tag = padded[k + 2][2], tokens[k - 1][3] if k else "x"
        if not (nxt in _RIGHT_EDGE or nxt[0] in _CLAUSE_PUNCT + _CLOSE_Q) or prev_tag in _NOUNISH:
            continue
        text = w1 + w2
        if text in dict_words or not _idiom_ok(text, "pattern", [(w1, t1), (w2, t2)]):
            continue
        if (_shaped(text) or (t1 in _HEAD_TAGS and t2 in _TAIL_TAGS and t1 != "d")) and _tags_ok(
            [(w1, t1), (w2, t2)]
        ):
            found.append((text, "pattern"))
    return [Phrase("四字格", text, 1, (src,), origin=origin) for text, origin in found]


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


def _speaker_ok(speaker: str) -> bool:
    if not (2 <= len(speaker) <= 16) or not re.fullmatch(f"[{_HAN}·]+", speaker):
        return False
    tags = tag(speaker)
    if any(t == "r" for _w, t in tags):
        return False  # 他 / 我们 / 大家 say things too, but we cannot say who
    if _TITLE_END.search(speaker):
        return True
    return bool(tags) and tags[-1][1].startswith("nr") and len(tags[-1][0]) >= 2


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
    verb = re.sub(f"^(曾经|曾)?(?:{_ADVERBS})*", lambda v: v.group(1) or "", m.group("verb"))
    return speaker, verb


def _mine_quotes(paragraph: str, spans: list[tuple[int, int]], src: str) -> tuple[list[Phrase], set[int]]:
    """提法 and 引语 of one paragraph, and the indexes of sentences holding an attributed quote."""
    out: list[Phrase] = []
    quoted: set[int] = set()
    for si, (s, e) in enumerate(spans):
        sentence = paragraph[s:e]
        prev: tuple[str, str] | None = None
        prev_end = 0
        for m in _QUOTE.finditer(sentence):
            inner = m.group(1)
            if has_debris(inner):
                prev = None
                continue
            if 2 <= len(inner) <= 12 and not _SENT_PUNCT.search(inner) and len(_HAN_RE.findall(inner)) >= 2:
                if not re.search(r"[A-Za-z《》]", inner):
                    out.append(Phrase("提法", f"“{inner}”", 1, (src,)))
            between = sentence[prev_end : m.start()]
            if prev and re.fullmatch(r"\s*[，,、]?\s*(?:和|及|以及|并)?\s*", between):
                who = prev  # “…”，“…”: a second quote under the same lead-in
            else:
                who = _attribution(sentence[: m.start()])
                if (
                    who
                    and not re.search(r"[：:，,]\s*$", sentence[: m.start()])
                    and not _SENT_PUNCT.search(inner)
                ):
                    who = None  # 提出“一盘棋”: a quoted term, not a quotation
            prev, prev_end = who, m.end()
            if who and len(_HAN_RE.findall(inner)) >= 4:
                context = sentence[: m.end()]
                if not has_debris(context):
                    out.append(Phrase("引语", inner, 1, (src,), speaker=who[0], verb=who[1], context=context))
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


def _starts_with_time_comma(sentence: str) -> bool:
    """``今天，`` ``刚才，`` ``近年来，`` ``2022年，``: a time word (or date) then a comma."""
    m = re.match(r"^([^，,。：:]{1,8})[，,]", sentence)
    if not m:
        return False
    head = m.group(1)
    if re.fullmatch(r"[0-9０-９一二三四五六七八九〇零]{2,4}年", head):
        return True
    tags = tag(head)
    return bool(tags) and tags[0][1] == "t" and all(t in ("t", "f", "m") for _w, t in tags)


def _is_salutation(sentence: str) -> bool:
    s = sentence.strip()
    return len(s) <= 30 and s[-1:] in "：:" and bool(_ADDRESS.search(s)) and not re.search(r"\d", s)


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
    if re.match(r"^(?:下面|接下来)[，,]", s) and len(s) <= 60:
        return "过渡"
    if where == "last":
        if re.match(r"^[^，,]{1,6}们[，,！!]", s) or "让我们" in s or s[-1:] in "！!":
            return "结尾"
        if tail and _CLOSER_CUES.search(s):
            return "结尾"
    return ""


def _sentence_ok(sentence: str) -> bool:
    if not (12 <= len(sentence) <= 80) or has_debris(sentence):
        return False
    if sentence.rstrip(_TRAIL)[-1:] not in _ENDS:
        return False  # headings and broken fragments have no terminator
    if len(_HAN_RE.findall(sentence)) < 0.6 * len(sentence):
        return False
    opens = sum(sentence.count(c) for c in _OPEN_Q)
    closes = sum(sentence.count(c) for c in _CLOSE_Q)
    return opens == closes


def _body(paragraphs: tuple[str, ...]) -> list[int]:
    """Indexes of the prose paragraphs between any page chrome at the head and the tail.

    A paragraph of strong debris in the first or last fifth of a text (a site header, an editor's
    note, a licence notice) means everything before/after it is chrome too, even lines that look
    like prose on their own (a licence notice hard-wrapped into fragments).
    """
    n = len(paragraphs)
    lo, hi = 0, n
    for i, p in enumerate(paragraphs):
        if _STRONG_DEBRIS.search(p):
            if i < max(3, n // 5):
                lo = i + 1
            elif i >= n - max(3, n // 5):
                hi = min(hi, i)
    return [i for i in range(lo, hi) if _is_prose(paragraphs[i])]


def mine_article(article: Article) -> list[Phrase]:
    """All phrase-bank entries of one article, merged within the article (the map step)."""
    if not article.quotable:
        return []
    raw: list[Phrase] = []
    prose = _body(article.paragraphs)
    first, last = set(prose[:3]), set(prose[-2:])
    sentences: list[tuple[int, str, bool]] = []  # (paragraph index, sentence, attributed quote inside)
    for i in prose:
        para = article.paragraphs[i]
        src = article.source(i)
        tokens = _token_offsets(tag(para))
        raw += [p for p in _mine_idioms(para, tokens, src) if not has_debris(p.text)]
        spans = sentence_spans(para)
        quotes, quoted = _mine_quotes(para, spans, src)
        raw += quotes
        for si, (s, e) in enumerate(spans):
            sent = para[s:e]
            sentences.append((i, sent, si in quoted))
            if has_debris(sent):
                continue
            where = "first" if i in first else "last" if i in last else "middle"
            salute = re.match(r"^[^。！？：:]{1,30}[：:]", sent)
            if where == "first" and salute and salute.end() < len(sent) and _is_salutation(salute.group()):
                raw.append(Phrase("开头", salute.group(), 1, (src,), genre=article.genre))
            kind = _frame_kind(sent, where, si == 0, si == len(spans) - 1)
            if kind and len(sent) <= 150:
                raw.append(Phrase(kind, sent, 1, (src,), genre=article.genre))
    if sentences:
        # the article's very first and very last sentences are its opener and closer whatever their cue
        for (i, sent, _q), kind in ((sentences[0], "开头"), (sentences[-1], "结尾")):
            if 8 <= len(sent) <= 80 and not has_debris(sent) and sent.rstrip(_TRAIL)[-1:] in _ENDS + "：:":
                raw.append(Phrase(kind, sent, 1, (article.source(i),), genre=article.genre))
    n = len(sentences)
    edge = max(1, math.ceil(n * 0.1))
    for k, (i, sent, is_quote) in enumerate(sentences):
        if is_quote or not _sentence_ok(sent):
            continue
        role = "opening" if k < edge else "closing" if k >= n - edge else "body"
        raw.append(Phrase("句子", sent, 1, (article.source(i),), genre=article.genre, role=role))
    # a sentence repeated as both the article's first sentence and a cue match counts once
    seen: set[tuple[str, str, str]] = set()
    unique: list[Phrase] = []
    for p in raw:
        k3 = (p.category, p.text, p.sources[0])
        if p.category in ("开头", "结尾") and k3 in seen:
            continue
        seen.add(k3)
        unique.append(p)
    return merge_phrases(unique)


# ---------------------------------------------------------------------------------------------------
# reduce


@dataclass
class _Acc:
    first: Phrase
    count: int = 0
    sources: set[str] = field(default_factory=set)
    origin: str = ""
    best: tuple[str, ...] = ()


def _sort_key(p: Phrase) -> tuple[int, int, str, str]:
    return (_ORDER.get(p.category, len(_ORDER)), -p.count, p.text, p.speaker)


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
    return sorted(out, key=_sort_key)


def _stable_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


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
        pool.sort(key=lambda p: (-p.count, _stable_hash(p.text), p.text))
        kept += pool[:sentence_cap]
    return sorted(kept, key=_sort_key)
