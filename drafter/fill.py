"""Filling a writer's outline: keep every line the writer wrote, add material under empty headings.

Writers do not take a generated draft as it is.  They reword the headings, reorder and delete
points, add headings of their own, or type an outline from scratch, and then want material under
*their* headings.  ``fill`` reads such an outline (the Markdown or plain text that ``drafter new``
wrote, edited by hand, or any text with 公文 numbering), rebuilds a :class:`~drafter.draft.Draft`
from it, and gives each heading that has neither body nor sub-points the same kind of suggestions
the composer gives: corpus sentences matched to the heading's words, a generated sentence, a bank
entry, and a 【待补】 gap for the facts only the writer knows.

Two promises shape the code:

* The writer's words are kept exactly.  A heading line is split into marker and heading only when
  the renderer prints the same characters back; a paragraph without a footnote is the writer's
  own (kind ``user``, source ``OUTLINE.md#LINE``), and one that still holds a 【待补】 gap is
  template text waiting for facts.
* Filling is idempotent.  A section with any body line is never touched, footnotes are read back
  into kind and source, and the apparatus (footnotes, sources, alternative headings) is parsed and
  rebuilt rather than copied, so ``fill`` on its own output prints the same bytes again.

The Markdown layout read here is the one documented in :mod:`drafter.render`.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from drafter.draft import Draft, Item, Section
from drafter.errors import DrafterError, UsageError
from drafter.render import GAP_RE, HEADING_LABEL, KIND_LABELS, heading_line, md_unescape

#: Source name for an outline given as text rather than a file.
DEFAULT_NAME = "OUTLINE.md"

_HEADER_RE = re.compile(r"^<!--\s*drafter\s+(.*?)\s*-->$")
_END_RE = re.compile(r"^<!--\s*结尾\s*-->$")
_COMMENT_RE = re.compile(r"^<!--.*-->$")
_RULE_RE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_NOTE_REF_RE = re.compile(r"\[\^(\d+)\]$")
_NOTE_DEF_RE = re.compile(r"^\[\^(\d+)\]:\s*(.*)$")
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_BOLD_RE = re.compile(r"^\*\*(.+)\*\*$")
_BOLD_GAP_RE = re.compile(r"\*\*(【待补[^【】\n]*】)\*\*")
_SOURCES_HEAD_RE = re.compile(r"^来源(?:（[^）]*）)?[：:]$")
_ALTS_HEAD_RE = re.compile(r"^备选标题[：:]$")

_CN = "一二三四五六七八九十百零〇两"
#: Marker families at line start, outer to inner as GENRE.md lists them; the key names the family.
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("di", re.compile(rf"^第[{_CN}]+[，,、]")),
    ("cn", re.compile(rf"^[{_CN}]+、")),
    ("paren_cn", re.compile(rf"^[（(][{_CN}]+[）)]")),
    ("paren_num", re.compile(r"^[（(]\d{1,2}[）)]")),
    ("num", re.compile(r"^\d{1,2}[.．、](?!\d)")),
    ("inline_shi", re.compile(rf"^[{_CN}]+是(?=\S)")),
    ("inline_yao", re.compile(rf"^[{_CN}]+要(?=\S)")),
)
#: A marked line is a heading only when it is one short sentence; a longer one is a paragraph
#: that opens with an inline series (``一是加强领导。要……``).
_HEADING_MAX = 60
_SENTENCE_END = "。！？；!?;"
_TITLE_MAX = 40
_CLOSING_START = ("同志们，", "同志们,", "让我们")
#: A salutation line (``同志们：``) is a formula, not the writer's own material.
_SALUTATION_RE = re.compile(r"^[^，。；！？,.;!?]{0,12}(?:们|领导|来宾)[：:]$")

_KIND_OF_LABEL = {label: kind for kind, label in KIND_LABELS.items()}
_BODY_LABELS = set(_KIND_OF_LABEL)


# --------------------------------------------------------------------------------------------------
# Reading the outline file.


def read_outline(path: Path | str) -> tuple[str, str]:
    """``(text, name)`` of an outline file, in whatever Chinese encoding it was saved.

    Errors name the file and what to do, so the writer never meets a traceback over a typo.
    """
    from drafter.sources import decode, display_name, read_source

    path = Path(path)
    shown = display_name(str(path))
    if not path.exists():
        raise DrafterError(f"提纲文件 {shown} 不存在：请检查路径拼写")
    if path.is_dir():
        raise DrafterError(f"{shown} 是文件夹：请给出提纲文件，例如 {shown}/提纲.md")
    if path.suffix.lower() in (".docx", ".pdf"):
        text = read_source(path).text
    else:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DrafterError(f"无法读取提纲文件 {shown}（{exc.strerror or exc}）：请检查文件权限") from exc
        text, _enc = decode(raw, path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DrafterError(f"提纲文件 {shown} 是空的：请至少写一个小标题，例如 第一，…… 或 ## 一、……")
    return text, path.name


# --------------------------------------------------------------------------------------------------
# Parsing.


@dataclass(frozen=True)
class Apparatus:
    """What follows the ``---`` line: footnotes, source files, alternative heading series."""

    notes: dict[int, tuple[str, str]]  # number -> (label, source as written, title removed)
    sources: tuple[tuple[str, str], ...]
    alternatives: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class _Heading:
    """A heading line while the tree is being built."""

    family: str
    rank: int  # Markdown depth for ``#`` headings, 0 otherwise
    heading: str
    marker: str
    source: str


def _clean(line: str) -> str:
    """A line without its indent (ASCII or full-width) and trailing spaces."""
    return line.strip().strip("\u3000").strip()


def _unbold_gaps(text: str) -> str:
    """``**【待补：x】**`` -> ``【待补：x】``: the renderer adds the bold (and the escapes) again."""
    return md_unescape(_BOLD_GAP_RE.sub(r"\1", text))


def _is_apparatus_line(line: str) -> bool:
    return bool(
        not line
        or _NOTE_DEF_RE.match(line)
        or _SOURCES_HEAD_RE.match(line)
        or _ALTS_HEAD_RE.match(line)
        or line.startswith("- ")
    )


def _apparatus_start(lines: list[str]) -> int:
    """Index of the first apparatus line (``---`` or a ``来源：`` head), or ``len(lines)``.

    A ``---`` the writer put between paragraphs is not the apparatus: only one followed by nothing
    but footnotes, source lists and alternative headings is.
    """
    cleaned = [_clean(ln) for ln in lines]
    for i, line in enumerate(cleaned):
        if _SOURCES_HEAD_RE.match(line):
            return i
        if line == "---" and all(_is_apparatus_line(x) for x in cleaned[i + 1 :]):
            return i
    return len(lines)


def _split_note(rest: str, titles: dict[str, str]) -> str:
    """The source of a footnote ``类别：SOURCE（标题）``, with the title the renderer appends removed."""
    for m in re.finditer("（", rest):
        source, title = rest[: m.start()], rest[m.start() + 1 :]
        if title.endswith("）") and titles.get(source.split("#", 1)[0].strip()) == title[:-1]:
            return source.strip()
    if not titles:  # no source list to check against: a trailing （…） is the title
        m = re.match(r"^(.*?)（(.*)）$", rest)
        if m:
            return m.group(1).strip()
    return rest.strip()


def parse_apparatus(lines: list[str]) -> Apparatus:
    """Footnotes, the ``来源：`` list and the ``备选标题：`` list from the lines after ``---``."""
    raw_notes: dict[int, tuple[str, str]] = {}
    sources: list[tuple[str, str]] = []
    alternatives: list[tuple[str, tuple[str, ...]]] = []
    block = ""
    for ln in lines:
        line = _clean(ln)
        if not line or line == "---":
            continue
        m = _NOTE_DEF_RE.match(line)
        if m:
            label, sep, rest = m.group(2).partition("：")
            if sep:
                raw_notes[int(m.group(1))] = (label.strip(), rest.strip())
            continue
        if _SOURCES_HEAD_RE.match(line):
            block = "sources"
            continue
        if _ALTS_HEAD_RE.match(line):
            block = "alternatives"
            continue
        item = line[2:].strip() if line.startswith("- ") else line
        if block == "sources":
            parts = re.split(r"[：\u3000]", item, maxsplit=1)
            file = parts[0].strip()
            title = parts[1].strip() if len(parts) > 1 else ""
            if file:
                sources.append((file, title))
        elif block == "alternatives" and "：" in item:
            head, _sep, series = item.rpartition("：") if " / " not in item else _split_alt(item)
            heads = tuple(h.strip() for h in series.split(" / ") if h.strip())
            if head and heads:
                alternatives.append((head.strip(), heads))
    titles = {f: t for f, t in sources if t}
    notes = {n: (label, _split_note(rest, titles)) for n, (label, rest) in raw_notes.items()}
    return Apparatus(notes, tuple(sources), tuple(alternatives))


def _split_alt(item: str) -> tuple[str, str, str]:
    """``标题：甲 / 乙 / 丙``: the heading ends at the last ``：`` before the first `` / ``."""
    first = item.index(" / ")
    cut = item.rfind("：", 0, first)
    if cut < 0:
        return "", "", item
    return item[:cut], "：", item[cut + 1 :]


def _marker_family(text: str) -> tuple[str, str]:
    """``(family, marker as printed)`` of a line that starts with official numbering, else ``("", "")``."""
    for family, pattern in _MARKERS:
        m = pattern.match(text)
        if m:
            return family, m.group(0)
    return "", ""


def _one_sentence(text: str) -> bool:
    body = text[:-1]
    return len(text) <= _HEADING_MAX and not any(ch in body for ch in _SENTENCE_END)


def _split_heading(text: str, family: str, printed: str) -> tuple[str, str]:
    """``(marker, heading)`` such that the renderer prints ``text`` back exactly.

    The marker is stored as the composer stores it (``第一`` for ``第一，``) when the renderer's
    punctuation reproduces what the writer typed; otherwise the whole line stays the heading, so a
    half-width ``第一,`` is never "corrected" behind the writer's back.
    """
    if printed:
        rest = text[len(printed) :]
        bare = printed[:-1] if family == "di" else printed
        for marker in dict.fromkeys((bare, printed)):
            if heading_line(Section(heading=rest, marker=marker)) == text:
                return marker, rest
    return "", text


def _looks_like_title(text: str) -> bool:
    return (
        len(text) <= _TITLE_MAX
        and not _marker_family(text)[0]
        and text[-1] not in "。！？；：，,.;:!?"
        and not text.startswith("——")
    )


def _is_salutation(text: str) -> bool:
    return bool(_SALUTATION_RE.match(text))


def _item(text: str, label: str, source: str, own: str) -> Item:
    """A body line: drafter's kind and source when its footnote says so, else the writer's own.

    A line that still holds a 【待补】 gap, or a bare salutation, is template text: footnoting it as
    the writer's material would only clutter the apparatus.
    """
    if label in _BODY_LABELS and source:
        return Item(text, _KIND_OF_LABEL[label], source)
    if GAP_RE.search(text) or _is_salutation(text):
        return Item(text, "template", "")
    return Item(text, "user", own)


def parse_outline(text: str, name: str = DEFAULT_NAME) -> tuple[Draft, dict[str, Any]]:
    """The outline as a Draft, and the ``<!-- drafter {...} -->`` header's fields (empty when absent).

    The Draft's genre, theme and seed come from the header (``speech``, ``""`` and ``0`` without
    one); :func:`request` decides what the fill uses.  Raises :class:`DrafterError` when the text
    has no heading at all, because then there is nothing to fill under.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta: dict[str, Any] = {}
    end = _apparatus_start(lines)
    apparatus = parse_apparatus(lines[end:])
    notes = apparatus.notes

    title: str | None = None
    subtitle = ""
    opening: list[Item] = []
    closing: list[Item] = []
    flat: list[tuple[_Heading, list[Item]]] = []
    in_closing = False
    saw_end = False
    seen_content = False

    for number, raw in enumerate(lines[:end], start=1):
        line = _clean(raw)
        if not line:
            continue
        header = _HEADER_RE.match(line)
        if header and not seen_content and not meta:
            try:
                value = json.loads(header.group(1))
            except ValueError:
                value = None
            if not isinstance(value, dict):
                raise DrafterError(
                    f"{name} 第 {number} 行的 drafter 头部无法读取：请改回 <!-- drafter {{\"theme\": \"外事\"}} --> 的样子，或删去该行并用 --theme 指定主题"
                )
            meta = value
            continue
        if _END_RE.match(line):
            in_closing = saw_end = True
            continue
        if _COMMENT_RE.match(line) or _RULE_RE.match(line):
            continue

        note = 0
        ref = _NOTE_REF_RE.search(line)
        if ref:
            note = int(ref.group(1))
            line = line[: ref.start()].rstrip()
        line = _unbold_gaps(line)
        label, source = notes.get(note, ("", ""))
        first = not seen_content
        seen_content = True
        if not line:
            continue

        if in_closing:
            closing.append(_item(line, label, source, f"{name}#{number}"))
            continue
        md = _MD_HEADING_RE.match(line)
        if md and len(md.group(1)) == 1 and title is None and not flat and not opening:
            title = md.group(2).strip()
            continue
        if first and not md and _looks_like_title(line) and not _BOLD_RE.match(line):
            title = line
            continue
        if title is not None and not subtitle and not flat and not opening and line.startswith("——"):
            subtitle = line.lstrip("—-－ ")
            continue

        heading: tuple[str, int, str] | None = None  # (family, rank, text)
        if md:
            heading = ("md", len(md.group(1)), md.group(2).strip())
        elif label not in _BODY_LABELS:
            bold = _BOLD_RE.match(line)
            if bold and not GAP_RE.fullmatch(bold.group(1)):
                heading = ("bold", 0, line)
            else:
                family, _printed = _marker_family(line)
                if family and _one_sentence(line):
                    heading = (family, 0, line)
        if heading is None:
            (flat[-1][1] if flat else opening).append(_item(line, label, source, f"{name}#{number}"))
            continue
        family, rank, htext = heading
        marker_family, printed = _marker_family(htext)
        marker, head = _split_heading(htext, marker_family, printed)
        hsource = source if label == HEADING_LABEL else ""
        flat.append((_Heading(family, rank, head, marker, hsource), []))

    if not flat:
        raise DrafterError(
            f"{name} 里没有找到小标题：请用 第一，…… / 一、…… / （一）…… / 一是…… 或 ## 开头的行标出要点，再运行 drafter fill"
        )
    if not saw_end:
        body = flat[-1][1]
        for k, it in enumerate(body):
            if it.text.startswith(_CLOSING_START):
                closing = body[k:]
                del body[k:]
                break

    sections = _tree(flat)
    sections = _attach_alternatives(sections, apparatus.alternatives)
    if title == "【待补：标题】":  # what the renderer writes for a missing title
        title = ""
    draft = Draft(
        title=title or "",
        subtitle=subtitle,
        genre=str(meta.get("genre") or "speech"),
        theme=str(meta.get("theme") or ""),
        seed=_int(meta.get("seed")) or 0,
        opening=tuple(opening),
        sections=sections,
        closing=tuple(closing),
        sources=(),
    )
    return replace(draft, sources=_used_sources(draft, apparatus.sources)), meta


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _tree(flat: list[tuple[_Heading, list[Item]]]) -> tuple[Section, ...]:
    """Nest the headings: ``#`` depth where given, else the order in which marker families appear.

    A family already open closes everything below it (a sibling); a new family opens one level
    deeper, which is how 第一， → 一是 and 一、 → （一） → 1. nest in practice.
    """
    depths: list[int] = []
    stack: list[tuple[str, int]] = []
    for h, _body in flat:
        key = (h.family, h.rank)
        if h.family == "md":
            while stack and not (stack[-1][0] == "md" and stack[-1][1] < h.rank):
                stack.pop()
        elif key in stack:
            del stack[stack.index(key) :]
        stack.append(key)
        depths.append(len(stack))

    def build(start: int, depth: int) -> tuple[list[Section], int]:
        out: list[Section] = []
        i = start
        while i < len(flat) and depths[i] >= depth:
            h, body = flat[i]
            children, nxt = build(i + 1, depths[i] + 1)
            out.append(
                Section(
                    heading=h.heading,
                    marker=h.marker,
                    level=depth,
                    body=tuple(body),
                    children=tuple(children),
                    heading_source=h.source,
                )
            )
            i = nxt
        return out, i

    top, _ = build(0, 1)
    return tuple(top)


def _attach_alternatives(
    sections: tuple[Section, ...], alternatives: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[Section, ...]:
    """Give each alternative series back to the section whose heading line it names.

    A series whose heading the writer reworded or deleted goes to the first section: the series
    are alternatives for the whole top level, offered where the composer put them.
    """
    if not alternatives or not sections:
        return sections

    def find(secs: tuple[Section, ...], line: str, path: tuple[int, ...]) -> tuple[int, ...] | None:
        for i, s in enumerate(secs):
            if heading_line(s) == line:
                return (*path, i)
            inner = find(s.children, line, (*path, i))
            if inner:
                return inner
        return None

    by_path: dict[tuple[int, ...], list[tuple[str, ...]]] = {}
    for line, series in alternatives:
        where = find(sections, line, ()) or (0,)
        by_path.setdefault(where, []).append(series)

    def apply(secs: tuple[Section, ...], path: tuple[int, ...]) -> tuple[Section, ...]:
        out = []
        for i, s in enumerate(secs):
            here = (*path, i)
            kids = apply(s.children, here)
            alts = tuple(by_path.get(here, ()))
            out.append(replace(s, children=kids, alternatives=s.alternatives + alts))
        return tuple(out)

    return apply(sections, ())


def walk(sections: tuple[Section, ...]) -> list[Section]:
    """Every section, depth first, in reading order."""
    from drafter.compose import walk_sections

    return list(walk_sections(sections))


def all_items(draft: Draft) -> list[Item]:
    """Every item of a draft in reading order."""
    from drafter.compose import all_items as items_of

    return items_of(draft.opening, draft.sections, draft.closing)


def _file(source: str) -> str:
    return source.split("#", 1)[0].strip()


def _used_sources(draft: Draft, listed: tuple[tuple[str, str], ...], titles: dict[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """The listed source files still quoted somewhere (in their listed order), then new ones.

    A file whose every line the writer deleted leaves the list; a file the fill borrowed from
    joins it with its title, so footnotes can name the article.
    """
    used: list[str] = []
    for it in all_items(draft):
        if it.kind in ("corpus", "phrase", "user") and it.source:
            used.append(_file(it.source))
    used.extend(_file(s.heading_source) for s in walk(draft.sections) if s.heading_source)
    wanted = dict.fromkeys(f for f in used if f)
    out = [(f, t) for f, t in listed if f in wanted]
    have = {f for f, _t in out}
    for f in wanted:
        if f not in have and titles and f in titles:
            out.append((f, titles[f]))
            have.add(f)
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# Filling.


@dataclass(frozen=True)
class FillRequest:
    """A parsed outline with the theme, genre and seed the fill will use."""

    draft: Draft
    theme: str
    genre: str
    seed: int
    seed_drawn: bool  # True when neither --seed nor the header gave one (the CLI reports it)


@dataclass(frozen=True)
class Filled:
    """The filled draft and the heading lines that received suggestions (empty when none did)."""

    draft: Draft
    filled: tuple[str, ...]


def request(
    text: str,
    name: str = DEFAULT_NAME,
    theme: str | None = None,
    genre: str | None = None,
    seed: int | None = None,
) -> FillRequest:
    """Parse the outline and settle theme, genre and seed: option first, then the header.

    Done before any mining, so a bad outline or a missing theme fails at once.
    """
    from drafter.compose import genre_of

    draft, meta = parse_outline(text, name)
    theme = (theme or "").strip() or str(meta.get("theme") or "").strip()
    if not theme:
        raise UsageError(f"{name} 里没有记录主题：请用 --theme 指定，例如 drafter fill {name} --theme 外事")
    genre_name = genre or str(meta.get("genre") or "") or "speech"
    genre = genre_of(genre_name)
    drawn = False
    if seed is None:
        seed = _int(meta.get("seed"))
    if seed is None:
        seed = random.SystemRandom().randrange(1, 2**31)
        drawn = True
    return FillRequest(draft=draft, theme=theme, genre=genre, seed=seed, seed_drawn=drawn)


def _words(heading: str) -> str:
    """The heading's own words for matching: gaps say nothing about the topic."""
    return GAP_RE.sub("", heading)


def fill_request(ctx: Any, req: FillRequest) -> Filled:
    """Add suggestions under every empty leaf heading, and to an empty opening or closing.

    Sections are visited in reading order with one ``random.Random(seed)``, and every line already
    in the outline counts as used, so a suggestion never repeats the writer's or another one.
    """
    from drafter.compose import closing_items, gather, opening_items, section_body, subpoint_body

    mat = gather(ctx, req.theme, req.genre)
    rng = random.Random(req.seed)
    draft = req.draft
    mat.used.update(it.text for it in all_items(draft))
    filled: list[str] = []

    opening = draft.opening
    if not opening:
        opening = tuple(opening_items(mat, rng, req.genre))
        filled.append("（开头）")

    def fill_sections(secs: tuple[Section, ...]) -> tuple[Section, ...]:
        out = []
        for s in secs:
            if s.children:
                out.append(replace(s, children=fill_sections(s.children)))
                continue
            if s.body:
                out.append(s)
                continue
            words = _words(s.heading) or mat.theme
            if s.level <= 1:
                body = section_body(mat, rng, words, 4)
            else:
                body = subpoint_body(mat, rng, words)
            filled.append(heading_line(s))
            out.append(replace(s, body=tuple(body)))
        return tuple(out)

    sections = fill_sections(draft.sections)

    closing = draft.closing
    if not closing:
        closing = tuple(closing_items(mat, rng, req.genre))
        filled.append("（结尾）")

    out = replace(
        draft,
        genre=req.genre,
        theme=mat.theme,
        seed=req.seed,
        opening=opening,
        sections=sections,
        closing=closing,
    )
    return Filled(replace(out, sources=_used_sources(out, draft.sources, mat.titles)), tuple(filled))


def fill(
    path_or_text: Path | str,
    theme: str | None = None,
    genre: str | None = None,
    seed: int | None = None,
    corpus: Path | str | None = None,
) -> Draft:
    """Library entry point of ``drafter fill``: the outline with suggestions under its empty headings.

    ``path_or_text`` is a file path, or the outline itself when it is a str holding a line break.
    """
    from drafter.lookup import Context
    from drafter.mine import load_model
    from drafter.paths import default_corpus

    if isinstance(path_or_text, str) and "\n" in path_or_text:
        text, name = path_or_text, DEFAULT_NAME
    else:
        text, name = read_outline(path_or_text)
    req = request(text, name, theme, genre, seed)
    folder = Path(corpus) if corpus else default_corpus()
    if not folder.is_dir():
        raise DrafterError(f"{folder}：语料文件夹不存在，请用 --corpus 指定一个存在的文件夹")
    ctx = Context(model=load_model(folder, progress=False), corpus=folder)
    return fill_request(ctx, req).draft


__all__ = ["FillRequest", "Filled", "fill", "fill_request", "parse_outline", "read_outline", "request"]
