"""Draft -> Markdown, plain text, JSON and .docx: the only place a draft becomes a file.

Why several formats: the writer edits the Markdown (and hands it back to ``drafter fill``), pastes the
plain text into Word/WPS, keeps the JSON for tools, and prints the .docx laid out per GB/T 9704-2012.
Markdown and plain text come from jinja2 templates (``templates/draft.md.j2``, ``templates/draft.txt.j2``)
so a writer can change the layout without touching code; the .docx is built in Python because its
typography (fonts per level, grid, page numbers) cannot be expressed in a text template.

Templates are looked up in order: the ``template_dir`` argument, the folder named by the environment
variable ``DRAFTER_TEMPLATES``, then the shipped ``templates/`` folder, so a writer's folder only needs
the files it changes.  For each format the names tried are ``{genre}.{ext}.j2`` then ``draft.{ext}.j2``
(``speech.md.j2`` changes speeches only).  Templates run in a jinja2 sandbox: a template may come
from a colleague, and must not reach Python internals.

Markdown layout (``drafter fill`` parses exactly this; keep both in step):

1. Line 1 is ``<!-- drafter {JSON} -->`` with ``genre``, ``theme`` and ``seed``; a Markdown viewer hides it.
2. ``# 标题`` on its own line.  An empty title is written as the gap ``【待补：标题】``.
3. For a subtitle, the next paragraph is ``——副题``.
4. The opening: one item per paragraph, paragraphs separated by one blank line.
5. Each section is one heading line, ``#`` repeated (depth + 1) times: ``## `` for a top-level section,
   ``### `` for its children, and so on.  After the hashes comes the marker with its punctuation
   (``第一，`` ``一、`` ``一是`` ``（一）`` ``1.``; nothing for an unmarked heading), then the heading.
   The section's body items follow as paragraphs, then its children.
6. The line ``<!-- 结尾 -->`` and then the closing items, one per paragraph.  It is written even when the
   closing is empty, so the parser never has to guess where the last section's body ends.
7. A line ``---``.  Everything after it is apparatus, not draft text:
   footnote definitions ``[^N]: 类别：SOURCE`` (plus ``（文章标题）`` when the file's title is known),
   the list ``来源：`` with one ``- FILE：标题`` line per file, and, when any section has them,
   ``备选标题：`` with one ``- 标记标题：甲 / 乙 / 丙`` line per alternative series.

Inside the text: an item's text is written verbatim on one line (a newline inside it becomes a
space); a gap ``【待补：…】`` is wrapped in ``**…**``; an item or heading with a source ends with a
footnote reference ``[^N]``, always at the end of its line.  Items of kind ``template`` carry no
footnote.  One footnote number is shared by all items with the same kind and source.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drafter.draft import Draft, Item, Section
from drafter.errors import DrafterError, UsageError
from drafter.paths import shipped_templates

FORMATS = ("md", "text", "json", "docx")

#: A gap for a fact only the writer knows: ``【待补：会议名称】`` (also a bare ``【待补】``).
GAP_RE = re.compile(r"【待补[^【】\n]*】")

#: What a reader sees in place of an item's kind, in footnotes.
KIND_LABELS = {
    "corpus": "原文摘录",
    "phrase": "语料短语",
    "user": "自建素材",
    "generated": "模型生成，请核改",
}
HEADING_LABEL = "标题出处"

#: A salutation (``同志们：``) stands flush left in a speech, as the 主送机关 line does in a 公文.
_SALUTATION_RE = re.compile(
    r"^[^，。；！？,.;!?]{0,14}(同志们|朋友们|来宾们?|领导|代表们?|女士们|先生们|同学们|青年们)[：:]$"
)

_TEMPLATE_EXT = {"md": "md", "text": "txt"}


# --------------------------------------------------------------------------------------------------
# Preparation shared by every format: markers, footnote numbers, the list of source files.


def marker_label(marker: str) -> str:
    """The marker as printed before a heading: ``第一`` -> ``第一，``, ``一`` -> ``一、``.

    Markers in a Draft are stored bare or with their own punctuation, depending on the family;
    official numbering has one correct form per family, so the renderer supplies it rather than
    trusting every producer of Drafts to get it right.
    """
    m = marker.strip()
    if not m:
        return ""
    m = m.replace("(", "（").replace(")", "）")
    if m.endswith(","):
        m = m[:-1] + "，"
    if m[-1] in "、，．.。：:）":
        return m
    if m.startswith("第") or m in ("首先", "其次", "再次", "最后"):
        return m + "，"
    if m.isdigit():
        return m + "."
    if all(ch in "一二三四五六七八九十百零〇两" for ch in m):
        return m + "、"
    return m  # 一是, 一要, 其一 … read straight into the heading


def heading_line(section: Section) -> str:
    """Marker plus heading, without doubling a marker the heading already starts with."""
    label = marker_label(section.marker)
    heading = _one_line(section.heading) or "【待补：小标题】"
    bare = section.marker.strip()
    # 一、 + 一流营商环境 must stay 一、一流…; only a heading that repeats the marker with its punctuation is trimmed.
    if label and (
        heading.startswith(label)
        or (
            bare
            and heading[len(bare) : len(bare) + 1] in ("，", "、", ",", ".", "．")
            and heading.startswith(bare)
        )
    ):
        return heading
    return label + heading


def _one_line(text: str) -> str:
    """An item is one paragraph: a stray newline must not split it (the ``fill`` parser reads lines)."""
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def _source_file(source: str) -> str:
    """``004_x.txt#12`` -> ``004_x.txt``; ``banks/四字格.txt#3`` -> ``banks/四字格.txt``."""
    return source.split("#", 1)[0].strip()


@dataclass(frozen=True)
class Note:
    """One footnote: what kind of borrowing, from where."""

    number: int
    label: str
    source: str
    title: str


@dataclass(frozen=True)
class Para:
    """One item as the templates see it; ``note`` is its footnote number or 0."""

    text: str
    kind: str
    source: str
    note: int
    flush: bool


@dataclass(frozen=True)
class Sec:
    """One section as the templates see it; ``depth`` 1 is top level."""

    depth: int
    level: int
    marker: str
    label: str
    heading: str
    line: str
    note: int
    body: tuple[Para, ...]
    children: tuple[Sec, ...]
    alternatives: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class SourceRef:
    """A file borrowed from, with its title when the draft knows it."""

    file: str
    title: str


@dataclass(frozen=True)
class AltRef:
    """Alternative parallel series offered for one section."""

    line: str
    series: tuple[str, ...]


@dataclass(frozen=True)
class Prepared:
    """Everything a template needs, already numbered, so templates stay readable."""

    title: str
    subtitle: str
    genre: str
    theme: str
    seed: int
    meta_json: str
    opening: tuple[Para, ...]
    sections: tuple[Sec, ...]
    closing: tuple[Para, ...]
    notes: tuple[Note, ...]
    sources: tuple[SourceRef, ...]
    alternatives: tuple[AltRef, ...]

    def context(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class _Numberer:
    """Footnote numbers in order of first appearance, one per (label, source)."""

    def __init__(self, titles: dict[str, str]) -> None:
        self.titles = titles
        self.notes: dict[tuple[str, str], Note] = {}

    def number(self, label: str, source: str) -> int:
        source = source.strip()
        if not source:
            return 0
        key = (label, source)
        if key not in self.notes:
            title = self.titles.get(_source_file(source), "")
            self.notes[key] = Note(len(self.notes) + 1, label, source, title)
        return self.notes[key].number


def prepare(draft: Draft) -> Prepared:
    """Number footnotes, label markers and collect source files: the part templates cannot do well."""
    titles = {f: t for f, t in draft.sources}
    numberer = _Numberer(titles)
    files: dict[str, str] = dict(draft.sources)

    def para(item: Item) -> Para:
        text = _one_line(item.text)
        note = 0
        if item.kind != "template":
            note = numberer.number(KIND_LABELS.get(item.kind, item.kind), item.source)
            if note and item.kind in ("corpus", "phrase", "user"):
                files.setdefault(_source_file(item.source), "")
        return Para(text, item.kind, item.source, note, bool(_SALUTATION_RE.match(text)))

    alternatives: list[AltRef] = []

    def sec(section: Section, depth: int) -> Sec:
        line = heading_line(section)
        note = numberer.number(HEADING_LABEL, section.heading_source)
        body = tuple(para(i) for i in section.body)
        children = tuple(sec(c, depth + 1) for c in section.children)
        alts = tuple(tuple(_one_line(h) for h in series) for series in section.alternatives if series)
        alternatives.extend(AltRef(line, series) for series in alts)
        return Sec(
            depth=depth,
            level=section.level,
            marker=section.marker,
            label=marker_label(section.marker),
            heading=_one_line(section.heading),
            line=line,
            note=note,
            body=body,
            children=children,
            alternatives=alts,
        )

    opening = tuple(para(i) for i in draft.opening)
    sections = tuple(sec(s, 1) for s in draft.sections)
    closing = tuple(para(i) for i in draft.closing)
    meta = json.dumps({"genre": draft.genre, "theme": draft.theme, "seed": draft.seed}, ensure_ascii=False)
    return Prepared(
        title=_one_line(draft.title) or "【待补：标题】",
        subtitle=_one_line(draft.subtitle).lstrip("—-－ "),
        genre=draft.genre,
        theme=draft.theme,
        seed=draft.seed,
        meta_json=meta.replace("<", "\\u003c").replace(">", "\\u003e"),
        opening=opening,
        sections=sections,
        closing=closing,
        notes=tuple(numberer.notes.values()),
        sources=tuple(SourceRef(f, t) for f, t in files.items() if f),
        alternatives=tuple(alternatives),
    )


# --------------------------------------------------------------------------------------------------
# Templates: lookup, sandbox, and errors a writer can act on.


def template_dirs(template_dir: Path | None = None) -> list[Path]:
    """The folders searched for templates, writer's first, shipped last."""
    dirs: list[Path] = []
    if template_dir is not None:
        if not template_dir.is_dir():
            raise DrafterError(f"模板文件夹 {template_dir} 不存在：请给出一个存在的文件夹")
        dirs.append(template_dir)
    env = os.environ.get("DRAFTER_TEMPLATES", "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise DrafterError(
                f"环境变量 DRAFTER_TEMPLATES 指向的文件夹 {path} 不存在：请改正路径，或取消该变量以使用内置模板"
            )
        dirs.append(path)
    dirs.append(shipped_templates())
    return dirs


def md_escape(text: str) -> str:
    """Corpus text is data, never Markdown: angle brackets become entities (no raw HTML reaches a
    previewer) and a line cannot open as a footnote definition, heading or list item."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"^(\[\^|#|[-*+] |\d+[.)] )", r"\\\1", text)


def md_unescape(text: str) -> str:
    """The inverse of :func:`md_escape`, for reading a Markdown outline back."""
    text = re.sub(r"^\\(\[\^|#|[-*+] |\d+[.)] )", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _md_gaps(text: str) -> str:
    return GAP_RE.sub(lambda m: f"**{m.group(0)}**", md_escape(text))


def _environment(dirs: Sequence[Path]):  # -> SandboxedEnvironment (jinja2 imported lazily)
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs], encoding="utf-8"),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        bytecode_cache=_bytecode_cache(jinja2),
    )
    env.filters["gaps"] = _md_gaps
    return env


def _bytecode_cache(jinja2: Any) -> Any:
    """Compiled templates kept in the cache folder, so a draft does not recompile them each run.

    jinja2 keys the cache by template name and source checksum, so an edited template is recompiled.
    """
    from drafter.paths import cache_dir

    folder = cache_dir() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def template_names(fmt: str, genre: str) -> list[str]:
    """Names tried for one format, most specific first."""
    ext = _TEMPLATE_EXT[fmt]
    names = []
    if re.fullmatch(r"[a-z][a-z0-9_-]*", genre or ""):
        names.append(f"{genre}.{ext}.j2")
    names.append(f"draft.{ext}.j2")
    return names


def _error_location(exc: BaseException, dirs: Sequence[Path], fallback: str) -> tuple[str, int | None]:
    """The template file and line a runtime error happened in, from jinja's rewritten traceback."""
    roots = [str(d.resolve()) for d in dirs]
    found: tuple[str, int | None] = (fallback, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        try:
            resolved = str(Path(name).resolve())
        except (OSError, ValueError):
            continue
        if any(resolved.startswith(root + os.sep) for root in roots):
            found = (name, frame.lineno)
    return found


def render_template(prepared: Prepared, fmt: str, genre: str, template_dir: Path | None = None) -> str:
    """Render one text format through its template, turning every template fault into a DrafterError."""
    import jinja2
    from jinja2.sandbox import SecurityError

    dirs = template_dirs(template_dir)
    env = _environment(dirs)
    names = template_names(fmt, genre)
    try:
        template = env.select_template(names)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or names[-1]
        raise DrafterError(
            f"模板 {where} 第 {exc.lineno} 行语法错误（{_short(exc.message or str(exc))}）：请改正该行，或删除该文件以使用内置模板"
        ) from exc
    except jinja2.TemplatesNotFound as exc:
        folders = "、".join(str(d) for d in dirs)
        raise DrafterError(
            f"找不到模板 {names[-1]}（已查找 {folders}）：请重新安装 drafter，或在 DRAFTER_TEMPLATES 文件夹中放入该文件"
        ) from exc
    filename = template.filename or template.name or names[-1]
    try:
        return template.render(prepared.context())
    except SecurityError as exc:
        where, line = _error_location(exc, dirs, filename)
        raise DrafterError(
            f"模板 {where} 第 {line or '?'} 行试图访问不安全的属性（{_short(str(exc))}）：模板只能使用草稿数据，请删去该表达式"
        ) from exc
    except jinja2.TemplateSyntaxError as exc:  # an {% include %} of a broken file
        where = exc.filename or exc.name or filename
        raise DrafterError(
            f"模板 {where} 第 {exc.lineno} 行语法错误（{_short(exc.message or str(exc))}）：请改正该行，或删除该文件以使用内置模板"
        ) from exc
    except Exception as exc:  # any runtime fault inside a template is the template's, not drafter's
        where, line = _error_location(exc, dirs, filename)
        raise DrafterError(
            f"模板 {where} 第 {line or '?'} 行运行出错（{type(exc).__name__}: {_short(str(exc))}）：请对照内置模板文件夹中的 README.md 改正该行，或删除该文件以使用内置模板"
        ) from exc


def _short(text: str, limit: int = 120) -> str:
    """Keep an error message to one line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------
# The entry point.


def render(draft: Draft, fmt: str = "md", template_dir: Path | None = None) -> str | bytes:
    """Render a draft: ``md`` / ``text`` / ``json`` give str, ``docx`` gives bytes."""
    if fmt == "json":
        return json.dumps(draft.to_dict(), ensure_ascii=False, indent=2)
    if fmt in ("md", "text"):
        return render_template(prepare(draft), fmt, draft.genre, template_dir)
    if fmt == "docx":
        return render_docx(draft)
    raise UsageError(f"未知的输出格式 {fmt!r}：--format 可选 {'、'.join(FORMATS)}")


# --------------------------------------------------------------------------------------------------
# .docx per GB/T 9704-2012 (党政机关公文格式).

PAGE_W_MM, PAGE_H_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 37, 35, 28, 26
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
PAGE_NUMBER_PT = 14  # 四号
SOURCES_PT = 12  # 小四: apparatus, visibly not part of the text
LINE_PITCH_TWIPS = 579  # 28.95 pt: 22 lines in the 225 mm type area

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_L1 = "黑体"
FONT_L2 = "楷体_GB2312"
FONT_PAGE = "宋体"


def char_space() -> int:
    """``w:charSpace`` for 28 characters per line.

    Word computes the character pitch as the default font size plus charSpace/4096 pt; the type
    area is 156 mm wide, so each of 28 characters gets 15.79 pt, a little under the 16 pt font size.
    """
    width_pt = (PAGE_W_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM) / 25.4 * 72
    return round((width_pt / CHARS_PER_LINE - BODY_PT) * 4096)


def heading_font(depth: int) -> tuple[str, bool]:
    """GB/T 9704 fonts by numbering level: 一、 黑体, （一） 楷体, 1. 仿宋 bold, deeper 仿宋."""
    if depth <= 1:
        return FONT_L1, False
    if depth == 2:
        return FONT_L2, False
    if depth == 3:
        return FONT_BODY, True
    return FONT_BODY, False


def _set_fonts(rpr_owner, name: str) -> None:
    """Name the font for East Asian and Latin text alike; Word and WPS read eastAsia for Chinese."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    rfonts.set(qn("w:hint"), "eastAsia")


def _run(paragraph, text: str, font: str, size: float, bold: bool = False, highlight: bool = False):
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    if bold:
        run.font.bold = True
    if highlight:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    _set_fonts(run._element, font)
    return run


def _runs_with_gaps(paragraph, text: str, font: str, size: float, bold: bool = False) -> None:
    """Split text so each 【待补…】 gap is its own highlighted run: the writer must not miss one."""
    pos = 0
    for m in GAP_RE.finditer(text):
        if m.start() > pos:
            _run(paragraph, text[pos : m.start()], font, size, bold)
        _run(paragraph, m.group(0), font, size, bold, highlight=True)
        pos = m.end()
    if pos < len(text):
        _run(paragraph, text[pos:], font, size, bold)


def _indent_chars(paragraph, chars: int, size: float = BODY_PT) -> None:
    """First-line indent in characters (``w:firstLineChars``) with the equivalent twips for old readers."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph.paragraph_format.first_line_indent = Pt(size * chars)
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        ind.set(qn("w:firstLineChars"), str(chars * 100))


def _outline_level(paragraph, depth: int) -> None:
    """Headings show in the navigation pane without Word's built-in (blue, Calibri) heading styles."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement("w:outlineLvl")
    el.set(qn("w:val"), str(min(depth - 1, 8)))
    paragraph._p.get_or_add_pPr().append(el)


def _page_number(paragraph) -> None:
    """``— N —`` with a PAGE field, so every page numbers itself."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field_char(kind: str) -> None:
        run = _run(paragraph, "", FONT_PAGE, PAGE_NUMBER_PT)
        fc = OxmlElement("w:fldChar")
        fc.set(qn("w:fldCharType"), kind)
        run._r.append(fc)

    _run(paragraph, "— ", FONT_PAGE, PAGE_NUMBER_PT)
    field_char("begin")
    instr_run = _run(paragraph, "", FONT_PAGE, PAGE_NUMBER_PT)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    instr_run._r.append(instr)
    field_char("separate")
    _run(paragraph, "1", FONT_PAGE, PAGE_NUMBER_PT)
    field_char("end")
    _run(paragraph, " —", FONT_PAGE, PAGE_NUMBER_PT)


def _setup_document(doc) -> None:
    """Page, grid, default fonts, and even/odd footers: the frame every 公文 page shares."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    # Defaults: strip theme fonts (they would override the named ones) and make 仿宋 16 pt the base,
    # which is also what the grid's character pitch is measured against.
    rpr_default = doc.styles.element.find(qn("w:docDefaults"))
    if rpr_default is not None:
        for rfonts in rpr_default.iter(qn("w:rFonts")):
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                rfonts.attrib.pop(qn(attr), None)
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                rfonts.set(qn(attr), FONT_BODY)
        for sz in rpr_default.iter(qn("w:sz"), qn("w:szCs")):
            sz.set(qn("w:val"), str(BODY_PT * 2))
        for lang in rpr_default.iter(qn("w:lang")):
            lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element, FONT_BODY)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_TWIPS / 20)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.widow_control = False

    section = doc.sections[0]
    section.page_width = Mm(PAGE_W_MM)
    section.page_height = Mm(PAGE_H_MM)
    section.top_margin = Mm(MARGIN_TOP_MM)
    section.bottom_margin = Mm(MARGIN_BOTTOM_MM)
    section.left_margin = Mm(MARGIN_LEFT_MM)
    section.right_margin = Mm(MARGIN_RIGHT_MM)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(25)  # page number about 7 mm below the type area
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    grid.set(qn("w:charSpace"), str(char_space()))

    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align, side in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
    ):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.alignment = align
        # 单页码居右空一字，双页码居左空一字 (one character from the edge of the type area).
        if side == "right":
            p.paragraph_format.right_indent = Pt(PAGE_NUMBER_PT)
        else:
            p.paragraph_format.left_indent = Pt(PAGE_NUMBER_PT)
        p.paragraph_format.first_line_indent = Pt(0)
        _page_number(p)


def _body_paragraph(doc, para: Para) -> None:
    from docx.shared import Pt

    p = doc.add_paragraph()
    if para.flush:
        p.paragraph_format.first_line_indent = Pt(0)
    else:
        _indent_chars(p, 2)
    _runs_with_gaps(p, para.text, FONT_BODY, BODY_PT)


def _sections_docx(doc, sections: Iterable[Sec]) -> None:
    for s in sections:
        font, bold = heading_font(s.depth)
        p = doc.add_paragraph()
        _indent_chars(p, 2)
        _outline_level(p, s.depth)
        p.paragraph_format.keep_with_next = True
        _runs_with_gaps(p, s.line, font, BODY_PT, bold)
        for para in s.body:
            _body_paragraph(doc, para)
        _sections_docx(doc, s.children)


def render_docx(draft: Draft) -> bytes:
    """The draft as a .docx laid out per GB/T 9704-2012, ready for WPS or Word.

    Fonts are named even when the machine lacks them: the file is opened on office machines
    that have the 公文 fonts installed, and Word/WPS substitute on machines that do not.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    prepared = prepare(draft)
    doc = Document()
    _setup_document(doc)
    props = doc.core_properties
    props.title = prepared.title
    props.author = ""
    props.last_modified_by = ""
    props.comments = f"drafter · {draft.genre} · {draft.theme} · seed {draft.seed}"

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.paragraph_format.keep_with_next = True
    _runs_with_gaps(title, prepared.title, FONT_TITLE, TITLE_PT)
    if prepared.subtitle:
        sub = doc.add_paragraph()
        sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
        sub.paragraph_format.first_line_indent = Pt(0)
        _runs_with_gaps(sub, "——" + prepared.subtitle, FONT_L2, BODY_PT)
    doc.add_paragraph()  # 标题下空一行

    for para in prepared.opening:
        _body_paragraph(doc, para)
    _sections_docx(doc, prepared.sections)
    for para in prepared.closing:
        _body_paragraph(doc, para)

    if prepared.sources:
        doc.add_paragraph()
        head = doc.add_paragraph()
        _sources_format(head)
        _run(head, "来源：", FONT_BODY, SOURCES_PT, bold=True)
        for ref in prepared.sources:
            p = doc.add_paragraph()
            _sources_format(p)
            _run(p, ref.file + (f"　{ref.title}" if ref.title else ""), FONT_BODY, SOURCES_PT)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _sources_format(paragraph) -> None:
    """Apparatus lines: smaller, off the 28.95 pt grid so they do not look like body text."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(20)
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    # Schema order: pStyle, keepNext, keepLines, pageBreakBefore, framePr, widowControl, numPr,
    # suppressLineNumbers, pBdr, shd, tabs, suppressAutoHyphens, kinsoku, wordWrap,
    # overflowPunct, topLinePunct, autoSpaceDE, autoSpaceDN, bidi, adjustRightInd, snapToGrid, spacing …
    ppr = paragraph._p.get_or_add_pPr()
    spacing = ppr.find(qn("w:spacing"))
    if spacing is not None:
        spacing.addprevious(snap)
    else:
        ppr.append(snap)


# --------------------------------------------------------------------------------------------------
# Writing the result.


def _new_file_mode() -> int:
    """0o666 minus the umask: what the file would have got from a plain open()."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_output(data: str | bytes, path: Path | None, force: bool = False) -> None:
    """Print to stdout, or write a file atomically: the writer never finds half a draft.

    A str that does not end in a newline gets one, so the last line of a text file is a line.
    Without ``force`` an existing file is never replaced, even by a file that appears while the
    draft is being written (the final step is a hard link, which fails if the name exists).
    """
    if isinstance(data, str) and not data.endswith("\n"):
        data += "\n"
    if path is None:
        if isinstance(data, bytes):
            raise UsageError("docx 是二进制文件，不能输出到终端：请用 -o FILE.docx 指定输出文件")
        out = getattr(sys.stdout, "buffer", None)
        if out is not None:
            sys.stdout.flush()
            out.write(data.encode("utf-8"))
            out.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
        return

    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise DrafterError(f"输出文件夹 {parent} 不存在：请先创建它，或换一个 -o 路径")
    if path.is_dir():
        raise DrafterError(f"输出路径 {path} 是一个文件夹：请在 -o 后给出文件名，例如 {path / '初稿.md'}")
    if path.exists() and not force:
        raise DrafterError(f"文件 {path} 已存在：如要覆盖，请加 --force，或换一个 -o 路径")
    blob = data.encode("utf-8") if isinstance(data, str) else data

    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode()
        fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise DrafterError(f"无法在 {parent} 中写入（{exc.strerror or exc}）：请检查权限或磁盘空间") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if force:
            os.replace(tmp, path)
        else:
            _link_no_clobber(tmp, path)
        from drafter.atomic import fsync_dir

        fsync_dir(parent)
    except DrafterError:
        raise
    except OSError as exc:
        raise DrafterError(f"写入 {path} 失败（{exc.strerror or exc}）：请检查权限或磁盘空间") from exc
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)


def _link_no_clobber(tmp: Path, path: Path) -> None:
    """Put tmp at path unless something is already there."""
    try:
        os.link(tmp, path)
    except FileExistsError as exc:
        raise DrafterError(f"文件 {path} 已存在：如要覆盖，请加 --force，或换一个 -o 路径") from exc
    except OSError:
        # File systems without hard links (FAT, some network shares): check, then rename.
        if path.exists():
            raise DrafterError(f"文件 {path} 已存在：如要覆盖，请加 --force，或换一个 -o 路径") from None
        os.replace(tmp, path)
