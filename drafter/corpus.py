"""Turning raw sources into clean articles.

Real corpora are web pages saved as text, PDF extractions and newspaper issues: they carry download
banners, image captions, hard wraps every ~28 characters, words split across page breaks, a second
copy of the text, several articles in one file.  This module applies general rules for each kind of
noise (never rules fitted to one file) and yields :class:`Article` objects whose every paragraph
knows its position in the source file, so provenance (``FILE#N``) is exact everywhere later.

The pipeline, in order:
  1. characters: zero-width marks and NULs dropped, full-width digits/letters made ASCII;
  2. lines: run-on lines split at paragraph gaps (runs of spaces, full-width spaces);
  3. debris: download prompts, banners, page counters, image names, photo credits, metadata lines
     (dates and authors are kept aside as metadata);
  4. duplicates: a second copy of text already seen (a ``摘要:`` block) is dropped;
  5. joins: hard-wrapped lines and page-broken paragraphs rejoined;
  6. punctuation width unified inside Chinese text;
  7. overlong paragraphs split at heading markers, then at sentence ends;
  8. articles: split at bylines (``□作者``) and ``（作者系……）`` lines; title, subtitle, author, date,
     editor's note and genre recognised; traditional text and conversion artifacts flagged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from drafter.sources import Source

# ---------------------------------------------------------------------------------------------
# The Article


@dataclass(frozen=True)
class Article:
    """One cleaned article.

    ``paragraphs[i]`` came from paragraph ``positions[i]`` (1-based) of the cleaned file, so
    provenance is written ``f"{file}#{positions[i]}"``.  ``flags`` holds ``"traditional"`` or
    ``"conversion-artifacts"`` for texts whose structure may be learned but which must never be quoted.
    """

    file: str
    title: str
    paragraphs: tuple[str, ...]
    positions: tuple[int, ...]
    subtitle: str = ""
    author: str = ""
    date: str = ""
    genre: str = "article"
    flags: tuple[str, ...] = ()
    editor_note: str = ""

    @property
    def quotable(self) -> bool:
        """False for texts whose wording must not be copied into drafts."""
        return not self.flags

    def source(self, index: int) -> str:
        """Provenance of paragraph ``index`` (0-based): ``FILE#N``."""
        return f"{self.file}#{self.positions[index]}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["paragraphs"] = list(self.paragraphs)
        d["positions"] = list(self.positions)
        d["flags"] = list(self.flags)
        return d

    def clean_dict(self) -> dict[str, Any]:
        """The shape ``drafter clean --format json`` prints for one article."""
        keys = ("title", "subtitle", "author", "date", "genre", "flags", "editor_note", "paragraphs", "positions")
        d = self.to_dict()
        return {k: d[k] for k in keys}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Article:
        return cls(
            **{
                **d,
                "paragraphs": tuple(d["paragraphs"]),
                "positions": tuple(d["positions"]),
                "flags": tuple(d.get("flags", ())),
            }
        )


# ---------------------------------------------------------------------------------------------
# 1. characters

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZERO_WIDTH = "\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff\u00ad\x00"  # inside a character class
_FULLWIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "\u00a0": " ",
        "\u301d": "“",
        "\u301e": "”",
        "\u301f": "”",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
    }
)


# ``str.translate`` looks every character of a non-ASCII text up in the table; a regex over the few
# characters to drop or map touches only those, which is several times faster on Chinese text, and
# one pass for both kinds halves the scanning.
_FULLWIDTH_MAP: dict[str, str] = {chr(k): str(v) for k, v in _FULLWIDTH.items()}
_CHARS_TO_FIX = re.compile("[" + _ZERO_WIDTH + "".join(re.escape(c) for c in sorted(_FULLWIDTH_MAP)) + "]")


def _fixed_char(m: re.Match[str]) -> str:
    """The replacement of a full-width character, or nothing for an invisible mark."""
    return _FULLWIDTH_MAP.get(m.group(), "")


def normalize_chars(text: str) -> str:
    """Drop invisible marks, make full-width digits and letters ASCII, unify odd quote marks."""
    return _CHARS_TO_FIX.sub(_fixed_char, text)


# ---------------------------------------------------------------------------------------------
# 2. lines

_GAP = re.compile(r"(?:\u3000|[ \t]){2,}|\u3000")
_SENTENCE_GAP = re.compile(rf"(?<=[。！？!?”…])[ \t]+(?=[{CJK}“（《])")
_LEAD_SEGMENT = re.compile(rf"^([^\s。！？；]{{2,40}}?)[ \t]+(?=[{CJK}“《])")
RUN_ON = 200  # a line longer than this is a candidate for paragraph recovery


def split_run_on(line: str) -> list[str]:
    """Recover paragraphs from a line that lost its breaks.

    Web copies and some exports keep paragraphs apart only by runs of spaces or full-width
    spaces, or by a single space after a sentence end; short unpunctuated segments at the start
    of such a line are its title lines.
    """
    if len(line) <= RUN_ON:
        return [line]
    parts: list[str] = []
    # the gaps are spaces, tabs and full-width spaces: a line without any is left as it is
    if " " in line or "\t" in line or "\u3000" in line:
        for chunk in _GAP.split(line):
            parts.extend(_SENTENCE_GAP.split(chunk) if " " in chunk or "\t" in chunk else (chunk,))
    else:
        parts.append(line)
    out: list[str] = []
    for part in parts:
        part = part.strip()
        # a long part, or a numbered heading glued to its first sentence by one space
        while len(part) > RUN_ON or (HEADING_START.match(part) and len(part) > _TITLE_MAX):
            m = _LEAD_SEGMENT.match(part) if " " in part or "\t" in part else None
            if not m:
                break
            out.append(m.group(1))
            part = part[m.end() :].strip()
        if part:
            out.append(part)
    return out


# ---------------------------------------------------------------------------------------------
# 3. debris

_UI_WORDS = {
    "下载", "下载文档", "立即下载", "分享", "分享到", "收藏", "打印", "全屏", "加大", "还原", "减小", "展开",
    "收起", "海报", "举报", "关闭", "关闭本页", "关闭窗口", "本页", "返回", "顶部", "返回顶部", "字号", "字体",
    "大", "中", "小", "默认", "分享赚钱", "点赞", "评论", "打印本页", "纠错", "扫一扫", "微信", "微博",
    "QQ", "VIP", "VIP专免", "侵权投诉", "投诉", "复制链接", "上一篇", "下一篇", "阅读", "次", "浏览", "我要纠错",
    "在手机上阅读", "手机版", "二维码", "摘要", "查看", "更多", "相关阅读", "推荐阅读", "免费", "专免",
}
_UI_SPLIT = re.compile(r"[\s:：【】\[\]|｜/>《》<«»·•,，。、()（）-]+")
_STRONG_WORDS = (
    "下载文档|下载前|放心下载|文档下载|下载收益|无法下载|成功下载|客服|侵权投诉|VIP|温馨提示|分享赚钱|关闭本页|"
    "本文档由|用户上传|可能关注|相关文档|扫码|二维码|版权归|版权所有|版权声明|联系我们|网站地图|"
    "ICP备|公网安备|免责声明|原创声明|转载请|本站|本网|浏览次数|点击数|阅读量|责任编辑|编辑：|编辑:"
).split("|")
_STRONG_DEBRIS = re.compile("|".join(_STRONG_WORDS), re.IGNORECASE)
# A quick necessary test before _STRONG_DEBRIS, which is slow on long lines (case-insensitive
# alternations are tried branch by branch at every character): the words without Latin letters as
# a case-sensitive alternation (scanned by their first characters), and for the others any character
# that matches a Latin letter ignoring case (ASCII letters, dotted and dotless i, long s, Kelvin sign).
_STRONG_UNCASED = re.compile("|".join(w for w in _STRONG_WORDS if not re.search("[A-Za-z]", w)))
_CASED_LETTER = re.compile("[A-Za-z\u0130\u0131\u017f\u212a]")
_URL = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.[\w.-]+|E-?mail", re.IGNORECASE)
_FILE_NAME = re.compile(r"\.(?:png|jpe?g|gif|bmp|webp|tiff?|docx?|pdf|pptx?|xlsx?|wps|txt)\)?$", re.IGNORECASE)
_PAGE_COUNTER = re.compile(
    r"^(?:\d{1,4}|[-—–－]+\s*\d{1,4}\s*[-—–－]+|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|"
    r"\d+\s*/\s*\d+|共\s*\d+\s*页|\d+\s*页|\d+(?:\.\d+)?\s*[KMG]B|\d+\+|第\s*\d+\s*期|ID[:：]?\s*\d+)$",
    re.IGNORECASE,
)
_PHOTO_CREDIT = re.compile(r"(?:记者|通讯员|摄影).{0,20}摄|^(?:图|摄影|图片|供图|图源)\s*[:：/／]|摄$|^[（(].{0,30}摄[）)]$")
_META = re.compile(
    r"^(?:日期|时间|发布时间|发布日期|发表时间|来源|文章来源|信息来源|作者|编辑|责任编辑|字号|字体|"
    r"浏览次数|点击数|ID|大小|页数|格式|类型|分类|关键词|标签)\s*[:：]\s*(.*)$"
)
_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_SUMMARY = re.compile(r"^摘\s*要\s*[:：]?$")
_KEYWORD_LINE = re.compile(rf"^(?:[0-9A-Za-z{CJK}]{{1,6}}\s+){{4,}}[0-9A-Za-z{CJK}]{{1,6}}$")
_SALUTATION = re.compile(r"^(?:同志们|各位|尊敬的|亲爱的|老师们|同学们|朋友们|女士们|先生们).{0,40}[：:！!，,]$")


def _is_ui_line(line: str) -> bool:
    if len(line) > 40:  # checked first: most lines are long and need no split
        return False
    tokens = [t for t in _UI_SPLIT.split(line) if t]
    return bool(tokens) and all(t in _UI_WORDS or t.isdigit() for t in tokens)


def _may_be_url(line: str) -> bool:
    """False only when :data:`_URL` cannot match ``line``: each of its forms holds ``:``, ``.``,
    ``@`` or an ``m`` of either case, and substring tests are far faster than the pattern (whose
    e-mail form is tried, and backtracks, at every position)."""
    return "." in line or ":" in line or "@" in line or "m" in line or "M" in line


def _may_be_banner(line: str) -> bool:
    """False only when :data:`_STRONG_DEBRIS` cannot match ``line``."""
    return _STRONG_UNCASED.search(line) is not None or _CASED_LETTER.search(line) is not None


def debris_kind(line: str) -> str:
    """Why a line is web/file debris (``""`` when it is text worth keeping).

    Short lines are judged by shape (buttons, counters, file names); long lines only by phrases
    that never occur in official prose (download prompts, customer service, copyright banners).
    """
    s = line.strip()
    if not s:
        return "blank"
    if _may_be_url(s) and ((len(s) <= 60 and _URL.search(s)) or _URL.match(s)):
        return "url"
    if len(s) <= 80 and _FILE_NAME.search(s):
        return "file-name"
    if _PAGE_COUNTER.match(s):
        return "counter"
    if _is_ui_line(s):
        return "ui"
    if _may_be_banner(s) and _STRONG_DEBRIS.search(s) and (len(s) <= 150 or len(_STRONG_DEBRIS.findall(s)) >= 2):
        return "banner"
    if len(s) <= 40 and _PHOTO_CREDIT.search(s):
        return "photo-credit"
    if len(s) <= 60 and _KEYWORD_LINE.match(s):
        return "keywords"
    if _SUMMARY.match(s):
        return "summary"
    return ""


@dataclass
class _Meta:
    """Metadata noticed while removing debris: the first date, author and source seen."""

    date: str = ""
    author: str = ""

    def take(self, line: str) -> None:
        m = _META.match(line.strip())
        value = m.group(1).strip() if m else ""
        if m and line.strip().startswith("作者") and not self.author:
            self.author = _clean_author(value)
        d = _DATE.search(line)
        if d and not self.date and len(line.strip()) <= 60:
            self.date = f"{int(d.group(1)):04d}-{int(d.group(2)):02d}-{int(d.group(3)):02d}"


def _clean_author(value: str) -> str:
    value = _FILE_NAME.sub("", value).strip(" ()（）")
    return re.split(r"[\s,，;；]", value)[0] if value else ""


# ---------------------------------------------------------------------------------------------
# 4. duplicates


def squash(text: str) -> str:
    """Text modulo layout: no whitespace, one punctuation width (used to compare copies)."""
    # str.split() knows the whitespace of the regex ``\s`` and is several times faster than a sub
    text = "".join(text.split())
    for a, b in _WIDTH_PAIRS:
        if a in text:
            text = text.replace(a, b)
    return text


_WIDTH_PAIRS = tuple(zip(",:;?!()", "，：；？！（）"))
_ELLIPSIS = re.compile(r"(?:\.{2,}|…+|。{2,})\s*$")


def _strip_ellipsis(line: str) -> str:
    """``_ELLIPSIS.sub("", line)``, skipping the regex (slow: tried at every position) when the
    line does not end, before trailing whitespace, in marks it could remove."""
    tail = line.rstrip()
    if tail.endswith(("..", "…", "。。")):
        return _ELLIPSIS.sub("", line)
    return line


class _SeenText:
    """The text kept so far, to recognise a second copy of it (a ``摘要`` block, a reposted body).

    A copy starts where a kept paragraph starts, so only lines whose opening matches the opening
    of an earlier line are compared in full; that keeps the check linear in the file size.
    """

    _KEY = 20

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: set[str] = set()
        self.exact: set[str] = set()

    def add(self, line: str) -> None:
        self.add_squashed(squash(line))

    def add_squashed(self, text: str) -> None:
        """:meth:`add` for a line already passed through :func:`squash`."""
        self.parts.append(text)
        self.exact.add(text)
        if len(text) >= self._KEY:
            self.starts.add(text[: self._KEY])

    def is_copy(self, line: str, squashed: str | None = None) -> bool:
        """Whether ``line`` repeats kept text; ``squashed`` is ``squash(line)`` when known."""
        stripped = _strip_ellipsis(line)
        text = squashed if squashed is not None and stripped is line else squash(stripped)
        if len(text) < 30:
            return False
        if text in self.exact:
            return True
        if text[: self._KEY] not in self.starts:
            return False
        return text in "".join(self.parts)


# ---------------------------------------------------------------------------------------------
# 5. joins

_CN_NUM = "一二三四五六七八九十百零〇"
HEADING_START = re.compile(
    rf"^(?:[{_CN_NUM}]+\s*[、.．]|[（(]\s*[{_CN_NUM}\d]+\s*[)）]|\d+\s*[、.．](?!\d)|第[{_CN_NUM}]+\s*[，,、：:是]|"
    rf"[{_CN_NUM}]+是|其[{_CN_NUM}]+[，,、]|——|#+\s|\*\*)"
)
_TERMINAL = "。！？!?…”’」』）)；;：:"
_SENTENCE_END = "。！？!?…"
_CONTINUATION_START = re.compile(r"^[，,、。；;：:！!？?）)》”’]")
_BYLINE = re.compile(r"^(?:□|■|◎|○)\s*(\S{2,8})$|^(?:作者|文|撰文)\s*[:：/／|]\s*(\S{2,8})$|^[/／]\s*(\S{2,4})$")
_END_NOTE = re.compile(r"^[（(]\s*作者(?:系|为|单位|是|简介|[:：])?.{0,80}[)）]$")


def _width(line: str) -> float:
    """Display width in character cells: CJK and full-width count 1, ASCII half.

    Computed from the UTF-8 length (ASCII 1 byte, CJK 3 bytes) because it runs on every line.
    """
    n = len(line)
    ascii_count = (3 * n - len(line.encode("utf-8", "surrogatepass"))) / 2
    return n - 0.5 * max(0.0, ascii_count)


def wrap_width(lines: list[str]) -> float | None:
    """The column at which a hard-wrapped file was wrapped, or None when it is not wrapped.

    PDF extractions and some text exports break every line at a fixed width; then most lines
    have (nearly) the same display width and a mid-sentence ending.
    """
    widths = [round(_width(ln)) for ln in lines if 8 <= len(ln) <= 120]
    if len(widths) < 0.3 * len(lines):
        return None
    if len(widths) < 6:
        return None
    common, _ = Counter(widths).most_common(1)[0]
    best = max(range(common - 2, common + 3), key=lambda w: sum(1 for x in widths if w - 2 <= x <= w + 1))
    near = sum(1 for x in widths if best - 2 <= x <= best + 1)
    if best > 80 or best < 12 or near < 0.35 * len(widths):
        return None
    return float(best)


def _is_heading_line(line: str) -> bool:
    """A short line that opens a new point (marker, byline or note), which must never be joined on."""
    return bool(HEADING_START.match(line) or _BYLINE.match(line) or _END_NOTE.match(line))


def rejoin(lines: list[str], wrap: float | None) -> list[str]:
    """Join hard-wrapped lines and paragraphs broken by a page break.

    A line is continued when the next one starts with punctuation that cannot start a paragraph;
    when the file is hard-wrapped and the line is full width without a sentence end, or is a short
    unpunctuated tail inside a paragraph (a page break); and, in any file, when a long paragraph
    stops without closing punctuation and the next one does not open a new point.  A character
    repeated on both sides of a break (``优势`` / ``势，``) is kept once.
    """
    out: list[str] = []
    continued = False
    for line in lines:
        if out:
            prev = out[-1]
            join = False
            if _CONTINUATION_START.match(line) or prev[-1] in "《“（(":
                join = True
            elif len(line) <= 2 and _title_like(prev) and len(prev) <= 20:
                join = True  # a title broken before its last character
            elif not _is_heading_line(line) and not _SALUTATION.match(prev):
                last = prev[-1]
                # outside a hard-wrapped file, a line that ends in closing punctuation (most do) is
                # never continued: the tests below are skipped for it
                if wrap or last not in _TERMINAL:
                    prev_is_heading = _is_heading_line(prev) and not re.search(r"[。！？；]", prev)
                    if wrap and not prev_is_heading:
                        full = _width(prev) >= wrap - 2.5
                        if full and last not in _SENTENCE_END:
                            join = True
                        elif continued and last not in _TERMINAL and not re.match(r"[，,、]", last):
                            join = True
                        elif continued and last in "，,、":
                            join = True
                    broken = len(prev) >= 50 or bool(_SENTENCE_PUNCT.search(prev[:-1])) or (len(prev) >= 36 and "，" in prev)
                    if not join and broken and last not in _TERMINAL and not prev_is_heading:
                        join = True
            if join:
                if prev[-1] == line[0] and "\u4e00" <= line[0] <= "\u9fff" and not wrap:
                    line = line[1:]
                out[-1] = prev + line
                continued = True
                continue
        out.append(line)
        continued = False
    return out


# ---------------------------------------------------------------------------------------------
# 6. punctuation width

_PUNCT = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_CJKISH = re.compile(rf"[{CJK}\u3000-\u303f\uff00-\uffef“”‘’《》]")


_HALF_PUNCT = re.compile("[,:;?!]")
_PAREN_GROUP = re.compile(r"\(([^()]{0,60})\)")


def unify_punctuation(text: str) -> str:
    """Make ``, : ; ? ! ( )`` full width where they touch Chinese text.

    ASCII punctuation inside numbers (``1,000``, ``15:08``), Latin words and URLs is left alone.
    Marks are judged left to right, each seeing the one before it as already converted (so a run
    ``,,`` after Chinese text turns full width as a whole); only the marks are visited, not every
    character, as most paragraphs have none or a few.
    """
    if "(" in text:
        text = _PAREN_GROUP.sub(_paren, text)
    # substring tests find a paragraph without marks (most of them) faster than the regex scan
    if "," not in text and ":" not in text and ";" not in text and "?" not in text and "!" not in text:
        return text
    n = len(text)
    last = -2  # index of the last mark made full width

    def convert(m: re.Match[str]) -> str:
        nonlocal last
        i = m.start()
        c = m.group()
        before = (_PUNCT[text[i - 1]] if i - 1 == last else text[i - 1]) if i else ""
        after = text[i + 1] if i + 1 < n else ""
        if before.isdigit() and after.isdigit():
            return c
        if (before and _CJKISH.match(before)) or (after and _CJKISH.match(after)) or (not after and before and _CJKISH.match(before)):
            last = i
            return _PUNCT[c]
        return c

    return _HALF_PUNCT.sub(convert, text)


def _paren(m: re.Match[str]) -> str:
    inner = m.group(1)
    start, end = m.start(), m.end()
    whole = m.string
    around = (whole[start - 1] if start else "") + (whole[end] if end < len(whole) else "")
    if _CJKISH.search(inner) or _CJKISH.search(around):
        return f"（{inner}）"
    return m.group(0)


# ---------------------------------------------------------------------------------------------
# 7. overlong paragraphs

MAX_PARAGRAPH = 1000
_SPLIT_AT_MARKER = re.compile(
    rf"(?<=[。！？；])\s*(?=(?:第[{_CN_NUM}]+[，、]|[{_CN_NUM}]+、|[（(][{_CN_NUM}]+[)）]))"
)
_SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]+[”’」』）)]*|[^。！？!?]+$")


def split_long(paragraph: str, limit: int = MAX_PARAGRAPH) -> list[str]:
    """Split a paragraph over ``limit`` characters at heading markers, then at sentence ends."""
    if len(paragraph) <= limit * 1.5:
        return [paragraph]
    out: list[str] = []
    for piece in _SPLIT_AT_MARKER.split(paragraph):
        if len(piece) <= limit * 1.5:
            out.append(piece)
            continue
        buf = ""
        for sent in _SENTENCE.findall(piece):
            if buf and len(buf) + len(sent) > limit:
                out.append(buf)
                buf = ""
            buf += sent
            while len(buf) > limit * 2:  # a "sentence" with no end at all
                out.append(buf[:limit])
                buf = buf[limit:]
        if buf:
            out.append(buf)
    return [p for p in out if p.strip()]


# ---------------------------------------------------------------------------------------------
# 8. articles

_TITLE_MAX = 64
_DATELINE = re.compile(r"^[（(]?\d{4}年\d{1,2}月\d{1,2}日|^——")
_SIGNATURE = re.compile(r"(?:总理|主席|省长|市长|县长|区长|书记|部长|主任|局长|代表)\s*\S{0,4}$|^\S{2,4}$")
_STRONG_TITLE = re.compile(r"(?:工作报告|的报告|上的讲话|上的致辞|上的发言|上的主旨演讲|讲话提纲)$")
_TITLE_DATE_AUTHOR = re.compile(r"^(.{4,}?)[（(](\d{4}年\d{1,2}月\d{1,2}日)[)）]\s*(\S{2,4})?$")
_SENTENCE_PUNCT = re.compile(r"[。！？；!?;]")
_SPEECH_TITLE = re.compile(r"(?:讲话|致辞|发言|报告会上|动员会上|座谈会上|大会上|会议上|仪式上|典礼上|论坛上|开幕式上)")
_REFLECTION_TITLE = re.compile(r"心得|体会|感悟|感想|学习.{0,6}有感|读后感|观后感|思考")
_REPORT_TITLE = re.compile(r"报告|工作报告|规划|纲要")
_EDITOR_NOTE = re.compile(r"^[【\[]?\s*编者按\s*[】\]]?\s*[:：]?\s*")


def _title_like(line: str) -> bool:
    return (
        0 < len(line) <= _TITLE_MAX
        and not _SENTENCE_PUNCT.search(line)
        and not line.endswith(("：", ":", "，", ","))
        and not _SALUTATION.match(line)
        and not HEADING_START.match(line)
    )


def _is_body(line: str) -> bool:
    return (len(line) >= 12 and bool(_SENTENCE_PUNCT.search(line))) or bool(_SALUTATION.match(line)) or bool(HEADING_START.match(line))


def _split_title(line: str) -> tuple[str, str]:
    """``主标题——副标题`` → (main, subtitle)."""
    if "——" in line and not line.startswith("——"):
        main, _, sub = line.partition("——")
        return main.strip(), sub.strip()
    return line.strip(), ""


def _guess_genre(title: str, paragraphs: list[str]) -> str:
    head = "".join(paragraphs[:2])[:200]
    if _SPEECH_TITLE.search(title) or (paragraphs and _SALUTATION.match(paragraphs[0]) and "代表" not in paragraphs[0]):
        return "speech"
    if _REPORT_TITLE.search(title) or re.match(r"^各位代表", head):
        return "report"
    if _REFLECTION_TITLE.search(title):
        return "reflection"
    body = "".join(paragraphs)
    if body and body.count("我") / max(1, len(body)) > 0.008 and "我们" not in body[:200]:
        return "reflection"
    return "article"


_ARTIFACT_COLLOCATIONS = re.compile(
    r"跨越式开展|开展理念|开展机遇|开展态势|开展路径|开展标杆|可持续开展|经济社会开展|开展大局|开展成就|"
    r"开展大势|开展新格局|开展阶段|效劳者|效劳群众|为人民效劳|效劳大局|信念坚决"
)


_CJK_RUN = re.compile(rf"[{CJK}]+")


@lru_cache(maxsize=1)
def _conversion_triggers() -> tuple[frozenset[str], re.Pattern[str], dict[str, tuple[str, ...]]] | None:
    """Patterns that find every place where zhconv's zh-cn conversion could change a text.

    The conversion replaces the longest dictionary entry at each position; an entry that maps to
    itself leaves its text as it was.  So a text holding no entry that maps to something else comes
    back unchanged, and that is the case of almost every simplified text.  Such entries are single
    characters (one set) or phrases; only phrases holding none of those
    characters need testing on their own.  None when the dictionary cannot be read (then every
    sample is converted).
    """
    try:
        from drafter.simplified import conversion_table

        table = conversion_table()
    except Exception:  # pragma: no cover - a zhconv without the table this relies on
        return None
    changing = [k for k, v in table.items() if k and k != v]
    singles = {k for k in changing if len(k) == 1}
    phrases = sorted(k for k in changing if len(k) > 1 and not any(ch in singles for ch in k))
    # A set and isdisjoint() test the ~4,700 single characters eight times faster than a regex class.
    # An alternation of ~500 phrases is tried phrase by phrase at every position.  Far faster: find
    # the places where a first character of a phrase is followed by a second character of one (two
    # character classes; many common characters start a phrase, far fewer pairs do) and test only
    # the phrases starting there.
    by_first: dict[str, tuple[str, ...]] = {}
    for k in phrases:
        by_first[k[0]] = by_first.get(k[0], ()) + (k,)
    firsts = "".join(re.escape(ch) for ch in sorted(by_first))
    seconds = "".join(re.escape(ch) for ch in sorted({k[1] for k in phrases}))
    first_re = re.compile(f"[{firsts}](?=[{seconds}])" if by_first else "(?!)")
    return frozenset(singles), first_re, by_first


def _may_convert(sample: str) -> bool:
    """False only when ``zhconv.convert(sample, "zh-cn") == sample`` for certain."""
    triggers = _conversion_triggers()
    if triggers is None:
        return True
    singles, first_re, by_first = triggers
    if not singles.isdisjoint(sample):
        return True
    return any(sample.startswith(by_first[m.group()], m.start()) for m in first_re.finditer(sample))


def detect_flags(text: str) -> tuple[str, ...]:
    """Flag text still in traditional characters, or marked by a traditional→simplified pass.

    Traditional: a share of characters that a traditional→simplified conversion would change.
    Conversion artifacts: word swaps such a pass makes (开展 for 发展, 效劳 for 服务, 坚决 for 坚定),
    recognised by collocations that mainland official prose does not use and by a word appearing
    where its everyday counterpart never does.
    """
    from drafter.simplified import to_simplified

    sample = text[:2500]
    cjk = sum(map(len, _CJK_RUN.findall(sample)))  # counted by runs: a few dozen matches, not thousands
    if cjk and _may_convert(sample):
        converted = to_simplified(sample)
        changed = sum(1 for a, b in zip(sample, converted) if a != b)
        if changed >= 10 and changed / cjk >= 0.01:
            return ("traditional",)
    score = len(_ARTIFACT_COLLOCATIONS.findall(text))
    kaizhan = text.count("开展")
    if kaizhan >= 6 and text.count("发展") * 2 < kaizhan:
        score += 2
    if text.count("效劳") >= 2 and text.count("服务") == 0:
        score += 1
    return ("conversion-artifacts",) if score >= 3 else ()


@dataclass
class _Block:
    text: str
    pos: int


def _article(file: str, blocks: list[_Block], meta: _Meta, title: str = "", subtitle: str = "", author: str = "") -> Article | None:
    """Build one article from its blocks: separate header lines, notes and body."""
    editor_note = ""
    body: list[_Block] = []
    header: list[str] = []
    seen_body = False
    for b in blocks:
        t = b.text
        m = _BYLINE.match(t)
        if m and not seen_body:
            author = author or next(g for g in m.groups() if g)
            continue
        if _END_NOTE.match(t):
            inner = t.strip("()（） ")
            if inner.startswith("作者") and (inner[2:3] in (":", "：")):
                author = author or _clean_author(inner[3:])
            continue
        if _EDITOR_NOTE.match(t) and len(t) > 8:
            editor_note = _EDITOR_NOTE.sub("", t)
            continue
        if not seen_body and not _is_body(t):
            header.append(t)
            continue
        seen_body = True
        body.append(b)
    if not title:
        title, subtitle = _pick_title(header)
    # header lines repeated at the top of the body (title printed twice) are not body text
    repeats = {squash(x) for x in (title, subtitle, f"{title}——{subtitle}") if x}
    body = [b for b in body if len(b.text) > 100 or squash(b.text) not in repeats]
    if not body:
        return None
    paras = [b.text for b in body]
    if not title:
        title = _title_from_file(file)
    text = "".join(paras)
    return Article(
        file=file,
        title=title,
        subtitle=subtitle,
        author=author or meta.author,
        date=meta.date,
        genre=_guess_genre(title, paras),
        flags=detect_flags(title + text),
        paragraphs=tuple(paras),
        positions=tuple(b.pos for b in body),
        editor_note=editor_note,
    )


def _pick_title(header: list[str]) -> tuple[str, str]:
    """Choose the title among the lines above the body.

    Preference: a ``主标题——副标题`` line; else a line printed twice (sites repeat the title above
    the body); else the last title-like line before the body (earlier ones are site headers and
    series kickers), with a following short line as subtitle when the title line is itself the
    first of two.
    """
    cands = [h for h in header if _title_like(h) or ("——" in h and len(h) <= 90)]
    for h in cands:
        if "——" in h and not h.startswith("——"):
            return _split_title(h)
    plain = [h for h in cands if not _DATELINE.match(h) and not _SIGNATURE.search(h)]
    for h in plain:
        if _STRONG_TITLE.search(_TITLE_DATE_AUTHOR.sub(r"\1", h)):
            m = _TITLE_DATE_AUTHOR.match(h)
            return (m.group(1).strip(), "") if m else (h, "")
    dated = [h for h in cands if _DATELINE.match(h) and h.startswith("——")]
    if plain and dated and header.index(dated[0]) > header.index(plain[0]):
        return plain[0], dated[0].lstrip("—")
    cands = plain or cands
    counts = Counter(squash(h) for h in cands)
    for h in cands:
        if counts[squash(h)] > 1:
            return h, ""
    titles = [h for h in cands if _title_like(h)]
    if not titles:
        return "", ""
    if len(titles) >= 2 and titles[-1].startswith("——"):
        return titles[-2], titles[-1].lstrip("—")
    return titles[-1], ""


def _title_from_file(file: str) -> str:
    stem = Path(file).stem
    parts = [p for p in re.split(r"[_\s]+", stem) if re.search(rf"[{CJK}]", p)]
    return max(parts, key=len) if parts else stem


def _split_articles(file: str, blocks: list[_Block], meta: _Meta) -> list[Article]:
    """One article, or several when bylines show a collection (a newspaper page, a special issue)."""
    bylines = [i for i, b in enumerate(blocks) if _BYLINE.match(b.text)]
    if len(bylines) < 2:
        art = _article(file, blocks, meta)
        return [art] if art else []
    starts = [i - 1 if i > 0 and _title_like(blocks[i - 1].text) else i for i in bylines]
    articles: list[Article] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(blocks)
        span = blocks[start:end]
        title = subtitle = ""
        if start < bylines[k]:
            title, subtitle = _split_title(span[0].text)
            span = span[1:]
        # stop at the closing author note; what follows it is not this article's body
        for j, b in enumerate(span):
            if _END_NOTE.match(b.text):
                tail = span[j + 1 :]
                span = span[: j + 1]
                trailing = _article(file, tail, _Meta()) if any(_is_body(t.text) and len(t.text) >= 60 for t in tail) else None
                break
        else:
            trailing = None
        # short lines between byline and body: kicker / subtitle
        if not subtitle:
            for b in span:
                if _BYLINE.match(b.text):
                    continue
                if _is_body(b.text):
                    break
                if _title_like(b.text):
                    subtitle = b.text
                    break
        art = _article(file, span, _Meta(date=meta.date), title=title, subtitle=subtitle)
        if art:
            articles.append(art)
        if trailing:
            articles.append(trailing)
    return articles


# ---------------------------------------------------------------------------------------------
# the pipeline


_GLUED_CREDIT = re.compile(rf"((?:新华社|人民日报|中新社|本报)?记者[ \t\u3000]*[{CJK}]{{2,4}}(?:[ \t\u3000、]+[{CJK}]{{2,4}})*[ \t\u3000]*/?[ \t\u3000]*摄)")
"""A photo credit glued into running text (``…讲话。 新华社记者 鞠鹏/摄第一，…``) gets lines of its own."""


_INNER_SPACE = re.compile(rf"(?<=[{CJK}])[ \t]+(?=[{CJK}“”，。；：！？、（）])|(?<=[，。；：！？、（）“”])[ \t]+")
"""Spaces left inside Chinese text of a long paragraph (web spacing, PDF layout), dropped."""


def _split_glued_credits(lines: list[str]) -> list[str]:
    """Give the photo credits glued into running text lines of their own.

    :data:`_GLUED_CREDIT` never spans a line break and needs ``记者``; it has no fixed first
    character the engine could search for, so it is tried only on the lines holding ``记者``
    rather than run over the whole file."""
    out: list[str] = []
    for line in lines:
        if "记者" in line:
            out.extend(_GLUED_CREDIT.sub(r"\n\1\n", line).split("\n"))
        else:
            out.append(line)
    return out


def clean_lines(text: str, meta: _Meta | None = None) -> list[str]:
    """Steps 1–7: raw text → clean paragraphs of one file (before splitting into articles)."""
    meta = meta if meta is not None else _Meta()
    text = normalize_chars(text)
    raw = text.split("\n")
    if "摄" in text:  # the pattern needs it; most files have no credit at all
        raw = _split_glued_credits(raw)
    lines: list[str] = []
    for line in raw:
        for part in split_run_on(line.strip()):
            part = part.strip(" \t\u3000")
            if part:
                lines.append(part)
    kept: list[tuple[str, str]] = []  # line, squash(line)
    seen = _SeenText()
    skip_ui = False
    for line in lines:
        if _META.match(line) and len(line) <= 80:
            meta.take(line)
            continue
        if len(line) <= 30 and _DATE.fullmatch(line.strip("（）() ")):
            meta.take(line)
            continue
        kind = debris_kind(line)
        if kind:
            if kind == "summary":
                skip_ui = True
            if kind in ("url", "banner") and not meta.date:
                meta.take(line) if len(line) <= 60 else None
            continue
        squashed = squash(line)
        if seen.is_copy(line, squashed):
            continue
        if skip_ui and _ELLIPSIS.search(line) and len(line) > 60:
            continue
        kept.append((line, squashed))
        seen.add_squashed(squashed)
    # a title printed twice in a row (page header + body header) keeps its first copy
    deduped: list[str] = []
    last = None
    for line, squashed in kept:
        if deduped and squashed == last:
            continue
        deduped.append(line)
        last = squashed
    joined = rejoin(deduped, wrap_width(deduped))
    out: list[str] = []
    for para in joined:
        para = unify_punctuation(para)
        if len(para) > _TITLE_MAX and (" " in para or "\t" in para):
            para = _INNER_SPACE.sub("", para)
        out.extend(split_long(para))
    return out


def clean_source(source: Source) -> list[Article]:
    """Clean one source and split it into articles (possibly none, when nothing is left)."""
    meta = _Meta()
    paragraphs = clean_lines(source.text, meta)
    blocks = [_Block(text=p, pos=i + 1) for i, p in enumerate(paragraphs)]
    return _split_articles(source.name, blocks, meta)


def load_files(paths: Iterable[Path], on_skip: Callable[[Path, str], None] | None = None) -> list[tuple[str, list[Article]]]:
    """Read and clean files and folders: ``[(file name, [Article, ...]), ...]`` in sorted order."""
    from drafter.sources import iter_sources

    return [(s.name, clean_source(s)) for s in iter_sources(paths, on_skip)]
