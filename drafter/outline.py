"""Recovering the heading tree of a speech, article or report.

Chinese official texts announce their structure in a handful of ways, and a writer studying a model
text wants all of them in one tree:

* marked headings at the start of a line: ``一、`` ``（一）`` ``1.`` ``（1）`` ``第一，`` ``其一`` ``——``
  and Markdown ``#``;
* inline series inside a paragraph: ``一是…二是…``, ``一要…二要…``, ``第一，…第二，…``,
  ``首先…其次…最后…``;
* unmarked heading lines: a short line without sentence-final punctuation that titles the text after
  it;
* unmarked parallel lead sentences: several paragraphs (or stretches of one run-on paragraph) that
  open with a short sentence of the same shape (``守初心，为群众办实事。`` / ``勇担当，狠抓服务质量。``);
* unmarked topic sentences: consecutive paragraphs of a report that each open with a short
  one-clause sentence (``大力提振消费。`` / ``提高投资效益。``), however unequal in length.

Every marked kind is accepted only as a *series* that starts at one and counts up, because a lone
``二是`` or a numbered fact inside a sentence is not structure.  Unmarked kinds are accepted only as
a parallel set, because one short line alone is as likely a caption or a slogan as a heading.
Levels come from the order in which families appear: a family first seen inside another is deeper.

Everything here is plain string work with precompiled patterns, so one article costs well under a
millisecond per kilobyte and the function can run inside any map step.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from drafter.corpus import Article

__all__ = ["Heading", "outline", "FAMILIES"]

#: Marker families, in the rough outer-to-inner order writers use them (for documentation only:
#: levels are computed from each text's own nesting, never from this list).
FAMILIES = (
    "md", "part", "cn", "paren_cn", "num", "paren_num", "di", "inline_di", "qi",
    "inline_shi", "inline_yao", "seq", "dash", "line", "lead",
)


@dataclass(frozen=True)
class Heading:
    """One heading of an article.

    ``paragraph`` is 1-based into ``article.paragraphs`` so that provenance reads like the rest of
    the tool (``article.source(paragraph - 1)``).
    """

    level: int
    marker: str
    text: str
    paragraph: int
    family: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "marker": self.marker,
            "text": self.text,
            "paragraph": self.paragraph,
            "family": self.family,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Heading:
        return cls(
            level=int(d["level"]),
            marker=str(d.get("marker", "")),
            text=str(d["text"]),
            paragraph=int(d["paragraph"]),
            family=str(d.get("family", "")),
        )


# --------------------------------------------------------------------------------------------
# numbers

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _cn_value(s: str) -> int | None:
    """Value of a Chinese numeral up to 九十九 (一, 十, 十二, 二十, 二十三); None if malformed."""
    if not s:
        return None
    if "十" not in s:
        return _CN_DIGITS.get(s) if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    t = _CN_DIGITS.get(tens, 0 if tens else 1)
    o = _CN_DIGITS.get(ones, 0 if ones else None) if ones else 0
    if t == 0 or o is None:
        return None
    return t * 10 + o


# --------------------------------------------------------------------------------------------
# patterns

_N = "[一二三四五六七八九十]{1,3}"
_BOUNDARY = set("。；;：:！!？?，,、 \t\u3000")
_STOPS = set("。！？；：!?;:")
_SENT_END = set("。！？!?")
_OPEN_Q = set("“‘「『《(（")
_CLOSE_Q = set("”’」』》)）")
_TRAIL_MARKS = "。；;，,：:！!？?、…"  # taken off the end of a heading, with spaces
_LEAD_PUNCT = re.compile(r"[、，,：:．.\s]+")
# the characters the scan of _heading_text acts on: quotes, stops and spaces
_HEADING_MARKS = re.compile("[" + re.escape("".join(sorted(_OPEN_Q | _CLOSE_Q | _STOPS | {'"'}))) + r"\s]")
_COMMA = re.compile("[，,]")

# Block markers: only at the start of a line (or of a sentence inside a run-on line).
_BLOCK = [
    ("cn", re.compile(rf"({_N})\s*(、|[．.](?!\d))(?![一二三四五六七八九十]+[、线级类档])")),
    ("paren_cn", re.compile(rf"([（(]\s*({_N})\s*[）)])")),
    ("paren_num", re.compile(r"([（(]\s*(\d{1,2})\s*[）)])")),
    ("num", re.compile(r"(\d{1,2})(、|[.．](?![\d.．]))")),
    ("part", re.compile(rf"(第({_N})(?:部分|章|节|篇|讲))[\s、，,：:．.]*(?!第|[\d一二三四五六七八九十]+条)")),
]
# Inline markers: at the start of a line or right after punctuation inside a paragraph.
_INLINE = [
    ("di", re.compile(rf"第({_N})(是|[，,、：:])")),
    ("qi", re.compile(rf"其({_N})(是|[，,、：:])")),
    ("inline_shi", re.compile(rf"({_N})是(?![一二三四五六七八九十])")),
    ("inline_yao", re.compile(rf"({_N})要(?![一二三四五六七八九十])")),
    ("seq", re.compile(r"(首先|其次|再次|最后)(是|要|[，,：:])")),
]
# Where an inline marker may start.  Every alternative opens with a literal character (``{_N}[是要]`` is
# spelt out per leading numeral), so the engine finds candidate positions by a fast scan for those
# characters instead of trying each alternative at every position.  No two alternatives match at
# the same position, so their order does not matter.
_INLINE_SCAN = re.compile(
    "|".join(
        [
            rf"第{_N}(?:是|[，,、：:])",
            rf"其{_N}(?:是|[，,、：:])",
            *(rf"{d}[一二三四五六七八九十]{{0,2}}[是要]" for d in "一二三四五六七八九十"),
            "首先|其次|再次|最后",
        ]
    )
)
_DASH = re.compile(r"([—―]{1,3}|--)\s*(?=[^\s—―\-])")
_MD = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BOLD = re.compile(r"^\*\*(.+?)\*\*[：:]?$")
_MD_WRAP = re.compile(r"^(?:#{1,6}\s+|\*\*)(.+?)(?:\*\*)?$")
# The characters a _BLOCK match opens with, and a sentence end followed by one of them or by the
# first character of a _DASH: a match ends where a sentence that may open with a marker starts.
_BLOCK_OPENER = re.compile(r"[一二三四五六七八九十（(第]|\d")
_MARKED_SENTENCE = re.compile(r"[。！？!?]\s*(?=[一二三四五六七八九十（(第—―-]|\d)")
_SPACE = re.compile(r"\s")  # every _UNIT_SPLIT match opens with a space
_UNIT_SPLIT = re.compile(
    r"\s*\u3000+\s*|\s{2,}|(?<=[。！？；：”!?;:])\s+|(?<=[\u4e00-\u9fff”」』）)])\s(?=[\u4e00-\u9fff“「『《（(\d])"
)
_SEQ_VALUE = {"首先": 1, "其次": 2, "再次": 3}
_INLINE_KINDS = {"di", "qi", "inline_shi", "inline_yao", "seq"}
_INLINE_GAP = 8  # paragraphs allowed between two items of one inline series

_CJK = re.compile(r"[\u4e00-\u9fff]")
_NOT_HEADING_LINE = re.compile(
    r"(\d{4}\s*[-年./]\s*\d{1,2})|https?:|www\.|@|\.(png|jpe?g|gif|bmp|docx?|pdf|txt)\b|[□■/|｜]|"
    r"^[（(【\[].*[）)】\]]$|"
    r"^(编者按|编者的话|作者|来源|责任编辑|编辑|记者|通讯员|摘要|关键词|附件|注[:：])"
)
_MARKER_START = re.compile(
    rf"^(第{_N}|其{_N}|{_N}[是要、．.]|[（(]\s*({_N}|\d+)\s*[）)]|\d+[、.．]|[{_CIRCLED}]|首先|其次|再次|最后|[—―]|#)"
)
_NOT_LEAD = re.compile(r"[\dA-Za-z：:“”\"《/|｜]")
_CLAUSE = re.compile(r"[，,、；;]")
_SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]+[”’」』]?")
# a space followed by a sentence (a clause break within 30 characters, no further space before it),
# as opposed to the space between the two halves of a title (``守初心 担使命``)
_LOST_BREAK = re.compile(r"\s+[\u4e00-\u9fff“][^\s，,。！？!?；;：:]{1,29}[，,。！？!?；;：:]")
_TOPIC_BAD = re.compile(r"[\dA-Za-z：:\"《/|｜]")


# --------------------------------------------------------------------------------------------
# internal records
#
# Plain slotted dataclasses: these records are made by the ten thousand per report, and the
# __init__ of a frozen dataclass costs several times as much.  Nothing changes them once made.


@dataclass(slots=True)
class _Unit:
    """A line of text: a paragraph, or a stretch of a run-on paragraph set off by spaces."""

    para: int  # 0-based paragraph index
    start: int  # offset of the unit inside the paragraph
    text: str
    index: int  # running index over the whole article


@dataclass(slots=True)
class _Cand:
    kind: str
    n: int
    unit: int
    para: int
    pos: int  # offset of the marker inside the paragraph
    marker: str
    text: str
    line_start: bool  # marker opens its unit (not merely a sentence inside it)


def _unit_breaks(para: str) -> Iterator[re.Match[str]]:
    """``_UNIT_SPLIT.finditer(para)``, with the pattern tried only where a space is.

    Every match opens with a space, but the pattern opens with lookbehinds and alternatives, so
    the engine would try it at every position; a scan for spaces alone is many times faster (the
    lookbehinds still see the text before the space).  Most paragraphs hold no space at all, and
    every space except " " is unprintable, so a printable paragraph without " " needs no scan."""
    if " " not in para and para.isprintable():
        return
    pos = 0
    while (space := _SPACE.search(para, pos)) is not None:
        m = _UNIT_SPLIT.match(para, space.start())
        if m is None:
            pos = space.start() + 1
        else:
            yield m
            pos = m.end()


def _units(paragraphs: tuple[str, ...]) -> list[_Unit]:
    """Split paragraphs into units; long run-on paragraphs are cut where spaces show old breaks.

    A Markdown heading or bold line that carries its own marker (``## 一、总体要求``) is unwrapped,
    so that its marker family, not the Markdown syntax, decides its place in the tree."""
    out: list[_Unit] = []
    for p, para in enumerate(paragraphs):
        if len(para) < 120:
            stripped = para.strip()
            wrapped = _MD_WRAP.match(stripped)
            if wrapped and _MARKER_START.match(wrapped.group(1)):
                stripped = wrapped.group(1)
            if stripped:
                out.append(_Unit(p, para.find(stripped), stripped, len(out)))
            continue
        pos = 0
        for m in _unit_breaks(para):
            if m.start() > pos:
                out.append(_Unit(p, pos, para[pos : m.start()], len(out)))
            pos = m.end()
        if pos < len(para) and para[pos:].strip():
            out.append(_Unit(p, pos, para[pos:].rstrip(), len(out)))
    return out


def _trim_end(s: str) -> str:
    """``s`` without the stops, commas and spaces it ends with.

    ``rstrip`` does this many times faster than a ``[…]+$`` pattern, which the engine tries at
    every position; marks and spaces may alternate, hence the loop."""
    while True:
        trimmed = s.rstrip(_TRAIL_MARKS).rstrip()
        if len(trimmed) == len(s):
            return s
        s = trimmed


def _heading_text(s: str, start: int) -> str:
    """Heading text from ``start``: to the first stop outside quotes within 80 characters, else to
    the first comma after the tenth character, else to the end of the line."""
    lead = _LEAD_PUNCT.match(s, start)
    body = s[lead.end() if lead else start :]
    depth = 0
    end = None
    for m in _HEADING_MARKS.finditer(body, 0, min(len(body), 80)):  # other characters change nothing
        k = m.start()
        ch = body[k]
        if ch in _OPEN_Q:
            depth += 1
        elif ch in _CLOSE_Q:
            depth = max(0, depth - 1)
        elif ch == '"':
            depth = 0 if depth else 1
        elif depth == 0 and ch in _STOPS:
            end = k
            break
        elif depth == 0 and k >= 4 and ch.isspace() and _CJK.match(body[k - 1]) and _LOST_BREAK.match(body, k):
            end = k  # a space before a whole sentence is a paragraph break the source lost
            break
    if end is None:
        if len(body) <= 80:
            end = len(body)
        else:
            comma = _COMMA.search(body, 10)
            end = comma.start() if comma else 80
    return _trim_end(body[:end]).strip()


def _marker_starts(text: str) -> list[int]:
    """Where a block marker or a dash may open a line in a unit: at its start and, in a run-on unit,
    at the start of a sentence.

    Only sentences that open with a character some marker opens with are listed: the scan for
    them costs no more than a scan for every sentence end, and spares trying each marker pattern
    on every sentence of a long report."""
    if len(text) < 120:
        return [0]
    return [0] + [m.end() for m in _MARKED_SENTENCE.finditer(text)]


def _block_cands(u: _Unit, starts: list[int]) -> list[_Cand]:
    """Block markers at the start of the unit, or after a full stop inside a run-on unit (``starts``
    from :func:`_marker_starts`)."""
    out: list[_Cand] = []
    text = u.text
    for s in starts:
        if not _BLOCK_OPENER.match(text, s):
            continue
        for kind, rx in _BLOCK:
            m = rx.match(text, s)
            if not m:
                continue
            if kind == "cn":
                n, marker = _cn_value(m.group(1)), m.group(1) + m.group(2)
            elif kind == "paren_cn":
                n, marker = _cn_value(m.group(2)), m.group(1).replace(" ", "")
            elif kind == "paren_num":
                n, marker = int(m.group(2)), m.group(1).replace(" ", "")
            elif kind == "part":
                if s:
                    continue  # 第一章 inside a sentence is a citation
                n, marker = _cn_value(m.group(2)), m.group(1)
            else:
                n, marker = int(m.group(1)), m.group(1) + m.group(2)
            if not n:
                continue
            htext = _heading_text(text, m.end())
            if len(htext) >= 2:
                out.append(_Cand(kind, n, u.index, u.para, u.start + s, marker, htext, s == 0))
            break
    return out


def _inline_cands(u: _Unit) -> list[_Cand]:
    """Inline markers (一是, 第一，, 首先 …) at the start of the unit or right after punctuation."""
    out: list[_Cand] = []
    text = u.text
    for m0 in _INLINE_SCAN.finditer(text):
        s = m0.start()
        if s > 0 and text[s - 1] not in _BOUNDARY:
            continue
        for kind, rx in _INLINE:
            m = rx.match(text, s)
            if not m:
                continue
            if kind == "seq":
                word = m.group(1)
                n = _SEQ_VALUE.get(word, 0)  # 0 marks 最后: it closes whatever series is open
                marker = word
            else:
                n = _cn_value(m.group(1)) or -1
                if n < 0:
                    break
                lead = {"di": "第", "qi": "其"}.get(kind, "")
                tail = m.group(2) if kind in ("di", "qi") else m.group(0)[-1]
                marker = lead + m.group(1) + ("是" if tail == "是" else ("要" if tail == "要" else ""))
            htext = _heading_text(text, m.end())
            if len(htext) >= (2 if s == 0 else 4):  # 第一，改过来；第二，改不过来 is wording, not points
                out.append(_Cand(kind, n, u.index, u.para, u.start + s, marker, htext, s == 0))
            break
    return out


def _series(cands: list[_Cand], units: list[_Unit], keep_single: bool = False) -> list[list[_Cand]]:
    """Group candidates of one kind into series that start at one and count up.

    Several series of one kind may be open at once (a list 一、二、 nested inside item 四、 of an
    outer list that goes on with 五、), so a number continues the innermost open series it fits.
    Items of an inline kind must lie within a few paragraphs of each other and be separated by a
    full stop or semicolon: ``一是A，二是B`` inside one clause is a list of facts, not of points.
    With ``keep_single``, a lone line-start item one is kept when the kind also forms a real series
    elsewhere in the text (a section with a single ``（一）`` under a report's ``二、``)."""
    done: list[list[_Cand]] = []
    open_: list[list[_Cand]] = []
    for c in cands:
        if c.n == 1:
            open_.append([c])
            continue
        inline = c.kind in _INLINE_KINDS
        for j in range(len(open_) - 1, max(-1, len(open_) - 2) if inline else -1, -1):
            last = open_[j][-1]
            fits = c.n == last.n + 1 or (c.kind == "seq" and c.n == 0 and len(open_[j]) >= 2 and last.n != 0)
            # one number missing from a long line-start list is a dropped line, not a new list
            fits = fits or (not inline and c.line_start and len(open_[j]) >= 2 and c.n == last.n + 2)
            if fits and (not inline or _inline_ok(last, c, units)):
                done.extend(open_[j + 1 :])
                del open_[j + 1 :]
                open_[j].append(c)
                break
    done.extend(open_)
    real = any(len(s) >= 2 for s in done)
    kept = [s for s in done if len(s) >= 2 or (keep_single and real and s[0].line_start)]
    return sorted(kept, key=lambda s: (s[0].para, s[0].pos))


def _inline_ok(a: _Cand, b: _Cand, units: list[_Unit]) -> bool:
    """Whether ``b`` may follow ``a`` in one inline series."""
    if b.line_start and a.line_start:
        return True
    if b.para - a.para > _INLINE_GAP:
        return False
    if a.unit != b.unit:
        return True
    u = units[a.unit]
    between = u.text[a.pos - u.start : b.pos - u.start]
    return any(ch in "。！？；!?;" for ch in between)


# --------------------------------------------------------------------------------------------
# unmarked headings


def _norm(s: str) -> str:
    return re.sub(r"[\s\W_]+", "", s)


def _heading_lines(units: list[_Unit], taken: set[int], article: Article, first_body: int) -> list[_Cand]:
    """Short unmarked lines that title the text after them; kept only as a set of two or more."""
    skip = {_norm(x) for x in (article.title, article.subtitle, article.author) if x}
    out: list[_Cand] = []
    for k, u in enumerate(units):
        if k <= first_body or u.index in taken or k + 1 >= len(units):
            continue
        t = u.text.strip()
        n = len(t)
        if not 4 <= n <= 40 or t[-1] in "。！？；：!?;:，,、…" or any(ch in _SENT_END or ch in "：:" for ch in t):
            continue
        if _MD.match(t):
            continue
        if t[-1] in _OPEN_Q or t.count("“") != t.count("”") or t.count("《") != t.count("》"):
            continue  # a sentence cut before a quotation, not a title
        if len(_CJK.findall(t)) < 0.7 * len(t.replace(" ", "")) or _NOT_HEADING_LINE.search(t):
            continue
        if _norm(t) in skip or sum(ch.isdigit() for ch in t) >= 3 or _MARKER_START.match(t):
            continue
        prev, nxt = units[k - 1].text.rstrip(), units[k + 1].text
        if units[k - 1].index not in taken and prev and prev[-1] not in "。！？!?”’」』；;…）)":
            continue  # a fragment of a hard-wrapped paragraph, not a heading
        if len(nxt) <= n or not any(ch in "。！？!?" for ch in nxt):
            continue
        out.append(_Cand("line", 0, u.index, u.para, u.start, "", _trim_end(t), True))
    counts: dict[str, int] = {}
    for c in out:
        counts[_norm(c.text)] = counts.get(_norm(c.text), 0) + 1
    out = [c for c in out if counts[_norm(c.text)] == 1]  # a repeated line is a caption or credit
    if len(out) < 2 or len(out) > max(4, len(units) // 3):
        return []
    return out


def _markdown(units: list[_Unit]) -> list[tuple[_Cand, str]]:
    out: list[tuple[_Cand, str]] = []
    for u in units:
        t = u.text.strip()
        if not t.startswith(("#", "*")):  # what both patterns open with: most lines are spared them
            continue
        m = _MD.match(t)
        if m:
            out.append((_Cand("md", 0, u.index, u.para, u.start, m.group(1), _trim_end(m.group(2)), True), "md" + str(len(m.group(1)))))
            continue
        b = _BOLD.match(t)
        if b and len(b.group(1)) <= 40:
            out.append((_Cand("md", 0, u.index, u.para, u.start, "**", _trim_end(b.group(1)), True), "md_bold"))
    return out


def _signature(s: str) -> tuple[int, ...]:
    return tuple(len(c) for c in _CLAUSE.split(s))


def _shared_positions(texts: list[str]) -> int:
    """Characters that every text has at the same position, counted from the start or the end."""
    n = min(len(t) for t in texts)
    head = sum(1 for i in range(n) if len({t[i] for t in texts}) == 1)
    tail = sum(1 for i in range(1, n + 1) if len({t[-i] for t in texts}) == 1)
    return max(head, tail)


@dataclass(slots=True)
class _Lead:
    unit: int
    para: int
    pos: int
    text: str
    first: bool  # opens its unit
    full_stop: bool = False  # ends with 。 (a statement, not an exclamation or a question)
    quoted: bool = False  # holds quotation marks (kept apart: only topic leads may have them)


def _sentences(text: str) -> Iterator[re.Match[str]]:
    """``_SENTENCE.finditer(text)``, matched one sentence after the other from the start.

    Each sentence starts where the one before it ends, so nothing is lost; ``finditer`` would in
    addition retry the pattern at every position of a tail without a sentence end, each try running
    to the end of the text, which is quadratic in the length of that tail."""
    pos = 0
    while (m := _SENTENCE.match(text, pos)) is not None:
        yield m
        pos = m.end()


def _lead_candidates(units: list[_Unit], taken: set[int], first_body: int, paragraphs: tuple[str, ...]) -> list[_Lead]:
    """First sentences of units, and every sentence of a run-on paragraph that holds most of the text."""
    total = sum(len(p) for p in paragraphs) or 1
    runon = {i for i, p in enumerate(paragraphs) if len(p) >= 600 and len(p) >= 0.5 * total}
    out: list[_Lead] = []
    for k, u in enumerate(units):
        if k < first_body or u.index in taken:
            continue
        text = u.text
        sentences = _sentences(text) if u.para in runon else itertools.islice(_sentences(text), 1)
        for j, m in enumerate(sentences):
            rest = len(text) - m.end()
            if rest < 20:  # too near the end whatever the lead (tested first: it is cheap)
                continue
            sentence = m.group(0)
            core = _trim_end(sentence.strip()).strip()
            if not 4 <= len(core) <= 24 or rest < 1.5 * len(core) or _TOPIC_BAD.search(core) or _MARKER_START.match(core):
                continue
            pos = u.start + m.start() + (len(sentence) - len(sentence.lstrip()))
            stop = sentence.rstrip("”’」』")[-1:] == "。"
            out.append(_Lead(u.index, u.para, pos, core, j == 0, stop, bool(_NOT_LEAD.search(core))))
    return out


def _parallel_leads(leads: list[_Lead]) -> list[list[_Lead]]:
    """Sets of lead sentences of one shape, close together in the text.

    Shape is the clause rhythm: one-clause leads must have the same length; leads of several
    clauses must have the same number of clauses, the same first clause and the others within one
    character (``守初心，为群众办实事`` / ``敢作为，创新工作思路``).  A set is accepted when its
    members also share characters in the same positions (``新时代呼吁青年干部…`` / ``强担当需要青年
    干部…``), or, for paragraph leads, when the rhythm is tight and short enough to read as a heading.
    Shape alone is weak evidence, so sentences close together inside one paragraph (rhetorical
    parallelism) never count."""
    buckets: dict[tuple[int, ...], list[_Lead]] = {}
    for ld in leads:
        if ld.quoted:
            continue
        sig = _signature(ld.text)
        buckets.setdefault((len(sig), sig[0]) if len(sig) > 1 else (1, sig[0]), []).append(ld)
    chosen: list[list[_Lead]] = []
    for group in buckets.values():
        runs: list[list[_Lead]] = []
        for ld in group:
            prev = runs[-1][-1] if runs else None
            if prev is not None and prev.unit == ld.unit and ld.pos - prev.pos < 150:
                continue
            if prev is not None and ld.unit - prev.unit <= 8 and _same_rhythm(runs[-1][0].text, ld.text):
                runs[-1].append(ld)
            else:
                runs.append([ld])
        for run in runs:
            if not 2 <= len(run) <= 8:
                continue
            texts = [r.text for r in run]
            sig = _signature(texts[0])
            total = min(len(t) for t in texts)
            shared = _shared_positions(texts)
            all_first = all(r.first for r in run)
            rhythm = (
                len(run) >= 3 and all_first and len(sig) >= 2 and sum(sig) <= 16 and max(sig) <= 8
                and all(b.unit - a.unit <= 6 for a, b in zip(run, run[1:], strict=False))
            )
            overlap = len(run) >= 3 and 2 <= shared < total
            pair = len(run) == 2 and all_first and max(3, 0.3 * total) <= shared < total
            heads = {_CLAUSE.split(t)[0] for t in texts}
            if len(sig) >= 2 and len(heads) == 1:
                continue  # 五年来，我们… / 五年来，我们…: one opening clause repeated is rhetoric
            if rhythm or overlap or pair:
                chosen.append(run)
    return chosen


_NOT_TOPIC = re.compile(r"^(我|我们|这|那|但|而|同时|因此|所以|如果|虽然|今年|去年|当前|目前|过去|一年来)|[了的吗呢吧啊]$")


def _topic_leads(leads: list[_Lead], block_units: set[int]) -> list[list[_Lead]]:
    """Runs of paragraphs that each open with a short one-clause topic sentence (``大力提振消费。``
    / ``提高投资效益。``): the unmarked sub-points of a report section.

    Such leads differ in length, so the rhythm test of :func:`_parallel_leads` misses them; what
    makes them headings is that *consecutive* paragraphs all open this way.  Three in a row are
    enough anywhere; two only right under a marked heading (at most one paragraph in between),
    because two short openers in a row are common in plain prose."""
    out: list[list[_Lead]] = []
    run: list[_Lead] = []
    for ld in leads:
        ok = (
            ld.first and ld.full_stop and 4 <= len(ld.text) <= 16 and not _CLAUSE.search(ld.text)
            and not _NOT_TOPIC.search(ld.text) and not _TOPIC_BAD.search(ld.text)
            and not (ld.text.startswith("“") and ld.text.endswith("”"))
        )
        if not ok:
            continue
        if run and ld.unit == run[-1].unit + 1:
            run.append(ld)
            continue
        out.append(run)
        run = [ld]
    out.append(run)
    return [
        r for r in out
        if len(r) >= 3 or (len(r) == 2 and any(r[0].unit - d in block_units for d in (1, 2)))
    ]


def _same_rhythm(a: str, b: str) -> bool:
    sa, sb = _signature(a), _signature(b)
    if len(sa) != len(sb) or sa[0] != sb[0]:
        return False
    return all(abs(x - y) <= 1 for x, y in zip(sa[1:], sb[1:], strict=True))


# --------------------------------------------------------------------------------------------
# main entry


def outline(article: Article) -> tuple[Heading, ...]:
    """The heading tree of ``article`` in reading order, each heading with its nesting level."""
    units = _units(article.paragraphs)
    if not units:
        return ()
    found: list[tuple[_Cand, str, int]] = []  # candidate, family key, series id
    series_ids = itertools.count()

    def add(series: list[_Cand], fam: str) -> None:
        sid = next(series_ids)
        found.extend((c, fam, sid) for c in series)

    starts = [_marker_starts(u.text) for u in units]
    by_kind: dict[str, list[_Cand]] = {}
    for u, unit_starts in zip(units, starts, strict=True):
        for c in _block_cands(u, unit_starts):
            by_kind.setdefault(c.kind, []).append(c)
    block: list[_Cand] = []
    for kind in ("part", "cn", "paren_cn", "num", "paren_num"):
        for s in _series(by_kind.get(kind, []), units, keep_single=True):
            block.extend(s)
            add(s, kind)
    for run in _dash_runs(units, starts):
        block.extend(run)
        add(run, "dash")

    inline_by_kind: dict[str, list[_Cand]] = {}
    for u in units:
        for c in _inline_cands(u):
            inline_by_kind.setdefault(c.kind, []).append(c)
    block_keys = sorted((c.para, c.pos) for c in block if c.line_start)
    for kind in ("di", "qi", "inline_shi", "inline_yao", "seq"):
        for s in _series(inline_by_kind.get(kind, []), units):
            for part in _split_by_blocks(s, block_keys):
                if len(part) < 2 or part[0].n != 1:
                    continue
                fam = kind
                if kind == "di":
                    fam = "di" if all(c.line_start for c in part) else "inline_di"
                add(part, fam)

    for c, key in _markdown(units):
        add([c], key)
    taken = {c.unit for c, _, _ in found if c.line_start}
    first_body = next((k for k, u in enumerate(units) if len(u.text) >= 40 and any(ch in _SENT_END for ch in u.text)), 0)
    lines = _heading_lines(units, taken, article, first_body)
    add(lines, "line")
    taken |= {c.unit for c in lines}
    leads = _lead_candidates(units, taken, first_body, article.paragraphs)
    runs = _parallel_leads(leads)
    in_runs = {(ld.unit, ld.pos) for run in runs for ld in run}
    block_units = {c.unit for c in block if c.line_start}
    runs += [r for r in _topic_leads(leads, block_units) if not any((ld.unit, ld.pos) in in_runs for ld in r)]
    for run in runs:
        add([_Cand("lead", 0, ld.unit, ld.para, ld.pos, "", ld.text, ld.first) for ld in run], "lead")

    # one heading per position: the first family to claim a spot (block before inline) keeps it
    found.sort(key=lambda x: (x[0].para, x[0].pos))
    dedup: list[tuple[_Cand, str, int]] = []
    seen: set[tuple[int, int]] = set()
    for item in found:
        key = (item[0].para, item[0].pos)
        if key not in seen:
            seen.add(key)
            dedup.append(item)
    return _levels(dedup)


def _dash_runs(units: list[_Unit], starts: list[list[int]]) -> list[list[_Cand]]:
    """Lines (or sentences of a run-on line) opened by a dash, two or more close together: the
    parallel points of a report.  A dash after a title is a subtitle, and only one of them.
    ``starts`` holds the :func:`_marker_starts` of each unit."""
    runs: list[list[_Cand]] = []
    for u, unit_starts in zip(units, starts, strict=True):
        for s in unit_starts:
            m = _DASH.match(u.text, s)
            if not m:
                continue
            t = _heading_text(u.text, m.end())
            if len(t) < 4:
                continue
            c = _Cand("dash", 0, u.index, u.para, u.start + s, "——", t, s == 0)
            if runs and c.unit - runs[-1][-1].unit <= 4:
                runs[-1].append(c)
            else:
                runs.append([c])
    return [r for r in runs if len(r) >= 2]


def _split_by_blocks(series: list[_Cand], block_keys: list[tuple[int, int]]) -> list[list[_Cand]]:
    """Cut an inline series wherever a line-start block heading falls between two of its items."""
    parts: list[list[_Cand]] = [[series[0]]]
    for a, b in zip(series, series[1:], strict=False):
        if not (a.line_start and b.line_start) and any((a.para, a.pos) < k < (b.para, b.pos) for k in block_keys):
            parts.append([b])
        else:
            parts[-1].append(b)
    return parts


_CLOSABLE = {"inline_shi", "inline_yao", "inline_di", "qi", "seq", "dash"}


def _levels(found: list[tuple[_Cand, str, int]]) -> tuple[Heading, ...]:
    """Nesting from order of appearance: a family not yet open goes one level deeper than the
    innermost open one; a family already open closes everything inside it.  An inline series that
    has ended cannot hold what follows it, so it is closed before a new family opens."""
    last_of: dict[int, int] = {}
    for i, (_, _, sid) in enumerate(found):
        last_of[sid] = i
    stack: list[tuple[str, int]] = []
    out: list[Heading] = []
    for i, (c, fam, sid) in enumerate(found):
        fams = [f for f, _ in stack]
        if fam in fams:
            del stack[fams.index(fam) :]
        else:
            while stack and stack[-1][0] in _CLOSABLE and last_of[stack[-1][1]] < i:
                stack.pop()
        stack.append((fam, sid))
        family = "md" if fam.startswith("md") else fam
        out.append(Heading(len(stack), c.marker, c.text, c.para + 1, family))
    return tuple(out)
