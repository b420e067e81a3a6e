"""Rendering a Draft: Markdown a writer edits and drafter re-reads, text for WPS, JSON, and GB/T 9704 .docx."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Pt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter.draft import Draft, Item, Section
from drafter.errors import DrafterError, UsageError
from drafter.render import GAP_RE, marker_label, render, write_output

SRC_004 = "004_afa0366009b13690.txt"
SRC_003 = "003_df1366c180e3263b.txt"
TITLE_004 = "市委书记在市委外事工作委员会第一次会议上的讲话"
TITLE_003 = "践行初心使命 扛起责任担当"


def speech() -> Draft:
    """A 外事 speech skeleton: 第一/第二 points with 一是/二是 sub-points, every kind of item."""
    return Draft(
        title="在全市外事工作会议上的讲话",
        genre="speech",
        theme="外事",
        seed=7,
        opening=(
            Item("同志们：", "template"),
            Item(
                "今天，我们召开【待补：会议名称】，主要任务是深入学习贯彻习近平外交思想，研究部署今年全市外事工作。",
                "template",
            ),
            Item("【待补：过去一年全市外事工作的主要成绩，2–3 个数据】", "template"),
            Item("下面，再讲几点意见：", "phrase", f"{SRC_004}#35"),
        ),
        sections=(
            Section(
                heading="要把习近平外交思想的指导地位树得更牢",
                marker="第一",
                level=1,
                heading_source=f"{SRC_004}#40",
                alternatives=(
                    (
                        "把牢政治方向，提高政治站位",
                        "树牢宗旨意识，践行外事为民",
                        "强化担当意识，狠抓工作落实",
                    ),
                ),
                children=(
                    Section(
                        heading="提高政治站位",
                        marker="一是",
                        level=2,
                        body=(
                            Item(
                                "党的领导是外事工作的生命线，是构建“大外事”格局的坚强保障。",
                                "corpus",
                                f"{SRC_003}#12",
                            ),
                        ),
                    ),
                    Section(
                        heading="加强统筹协调",
                        marker="二是",
                        level=2,
                        body=(
                            Item("【待补：本地做法】", "template"),
                            Item(
                                "增强“四个意识”、坚定“四个自信”、做到“两个维护”", "user", "banks/口号.txt#3"
                            ),
                        ),
                    ),
                ),
            ),
            Section(
                heading="要把党对外事工作的集中统一领导落得更实",
                marker="第二",
                level=1,
                body=(
                    Item(
                        "地方外事工作是党和国家对外工作的重要组成部分，对推动对外交往合作、促进地方改革发展具有重要意义。",
                        "corpus",
                        f"{SRC_004}#52",
                    ),
                    Item(
                        "要以更宽视野、更实举措拓展国际交往，不断提升城市国际化水平。",
                        "generated",
                        "markov:外事",
                    ),
                    Item("【待补：本地落实举措】", "template"),
                ),
            ),
        ),
        closing=(
            Item(
                "同志们，【待补：形势与任务一句】。让我们凝心聚力、砥砺前行，奋力开创全市外事工作新局面！",
                "template",
            ),
        ),
        sources=((SRC_004, TITLE_004), (SRC_003, TITLE_003)),
    )


def article() -> Draft:
    """A signed article: two-half title, subtitle, 一、 sections with （一） children and one unmarked section."""
    return Draft(
        title="百年峥嵘展风华 扬帆起航筑梦行",
        subtitle="——学习党史的几点体会",
        genre="article",
        theme="党史学习",
        seed=3,
        opening=(
            Item("【待补：学习背景一句】。回望百年党史，我们更加深刻地认识到初心使命的分量。", "template"),
        ),
        sections=(
            Section(
                heading="守初心，为群众办实事",
                marker="一、",
                level=1,
                body=(
                    Item(
                        "践行初心使命，就是要把群众的操心事、烦心事、揪心事办实办好。",
                        "corpus",
                        f"{SRC_003}#30",
                    ),
                ),
                children=(
                    Section(
                        heading="把牢政治方向",
                        marker="（一）",
                        level=2,
                        body=(Item("【待补：具体做法】", "template"),),
                    ),
                    Section(heading="树牢宗旨意识", marker="（二）", level=2),
                ),
            ),
            Section(
                heading="勇担当，狠抓服务质量",
                marker="二、",
                level=1,
                body=(Item("攻坚克难 · 砥砺前行 · 善作善成", "phrase", f"{SRC_004}#61"),),
            ),
            Section(
                heading="敢作为，创新工作思路",
                marker="",
                level=1,
                body=(Item("【待补：创新举措】", "template"),),
            ),
        ),
        closing=(Item("奋斗百年路，启航新征程。让我们以更加昂扬的姿态，书写新时代的崭新篇章。", "template"),),
        sources=((SRC_003, TITLE_003), (SRC_004, TITLE_004)),
    )


def all_items(draft: Draft) -> list[Item]:
    items = list(draft.opening)

    def walk(sections: tuple[Section, ...]) -> None:
        for s in sections:
            items.extend(s.body)
            walk(s.children)

    walk(draft.sections)
    return items + list(draft.closing)


def all_sections(draft: Draft) -> list[tuple[int, Section]]:
    out: list[tuple[int, Section]] = []

    def walk(sections: tuple[Section, ...], depth: int) -> None:
        for s in sections:
            out.append((depth, s))
            walk(s.children, depth + 1)

    walk(draft.sections, 1)
    return out


# --------------------------------------------------------------------------------------------------
# A reader for the documented Markdown layout, as ``fill`` will read it.

FOOTREF = re.compile(r"\[\^(\d+)\]$")


def parse_md(md: str) -> dict:
    body, _, apparatus = md.partition("\n---\n")
    notes = {}
    for line in apparatus.splitlines():
        m = re.match(r"\[\^(\d+)\]: ([^：]+)：(.+?)(?:（(.*)）)?$", line)
        if m:
            notes[int(m.group(1))] = {"label": m.group(2), "source": m.group(3), "title": m.group(4)}
    head, _, closing_part = body.partition("\n<!-- 结尾 -->\n")
    paras = [p.strip("\n") for p in head.split("\n\n") if p.strip()]
    meta = json.loads(re.fullmatch(r"<!-- drafter (.*) -->", paras[0].splitlines()[0]).group(1))
    title = paras[0].splitlines()[1]
    assert title.startswith("# ")

    def item(p: str) -> tuple[str, str | None]:
        assert "\n" not in p, p
        m = FOOTREF.search(p)
        text = FOOTREF.sub("", p)
        text = re.sub(r"\*\*(【待补[^】]*】)\*\*", r"\1", text)
        return text, notes[int(m.group(1))]["source"] if m else None

    out = {"meta": meta, "title": title[2:], "subtitle": "", "opening": [], "sections": [], "closing": []}
    rest = paras[1:]
    if rest and rest[0].startswith("——"):
        out["subtitle"] = rest.pop(0)[2:]
    current = None
    for p in rest:
        m = re.match(r"(#+) (.*)$", p)
        if m:
            text, src = item(m.group(2))
            current = {"depth": len(m.group(1)) - 1, "line": text, "source": src, "body": []}
            out["sections"].append(current)
        elif current is None:
            out["opening"].append(item(p))
        else:
            current["body"].append(item(p))
    out["closing"] = [item(p.strip("\n")) for p in closing_part.split("\n\n") if p.strip()]
    out["notes"] = notes
    out["apparatus"] = apparatus
    return out


def expected_line(s: Section) -> str:
    return marker_label(s.marker) + s.heading


def check_roundtrip(draft: Draft, md: str) -> None:
    parsed = parse_md(md)
    assert parsed["title"] == draft.title
    assert parsed["meta"] == {"genre": draft.genre, "theme": draft.theme, "seed": draft.seed}
    assert parsed["subtitle"] == draft.subtitle.lstrip("—")

    def want(i: Item) -> tuple[str, str | None]:
        return i.text, (i.source if i.kind != "template" and i.source else None)

    assert parsed["opening"] == [want(i) for i in draft.opening]
    assert parsed["closing"] == [want(i) for i in draft.closing]
    sections = all_sections(draft)
    assert [(s["depth"], s["line"], s["source"]) for s in parsed["sections"]] == [
        (d, expected_line(s), s.heading_source or None) for d, s in sections
    ]
    assert [s["body"] for s in parsed["sections"]] == [[want(i) for i in s.body] for _, s in sections]


# --------------------------------------------------------------------------------------------------
# Markdown


@pytest.mark.parametrize(
    ("marker", "label"),
    [
        ("第一", "第一，"),
        ("第三，", "第三，"),
        ("一、", "一、"),
        ("二", "二、"),
        ("一是", "一是"),
        ("三要", "三要"),
        ("（一）", "（一）"),
        ("(二)", "（二）"),
        ("1", "1."),
        ("2.", "2."),
        ("首先", "首先，"),
        ("", ""),
    ],
)
def test_marker_label_gives_official_punctuation(marker: str, label: str) -> None:
    assert marker_label(marker) == label


def test_speech_markdown_has_headings_items_gaps_and_footnotes() -> None:
    draft = speech()
    md = render(draft, "md")
    assert isinstance(md, str)
    lines = md.splitlines()
    assert "# 在全市外事工作会议上的讲话" in lines
    assert "## 第一，要把习近平外交思想的指导地位树得更牢[^2]" in lines
    assert "### 一是提高政治站位" in lines
    assert "### 二是加强统筹协调" in lines
    assert "## 第二，要把党对外事工作的集中统一领导落得更实" in lines
    for item in all_items(draft):
        for piece in GAP_RE.split(item.text):
            assert piece in md
        for gap in GAP_RE.findall(item.text):
            assert f"**{gap}**" in md
    # Footnote references sit only at line ends, and every one is defined.
    for line in lines:
        if not line.startswith("[^"):
            assert not re.search(r"\[\^\d+\](?!$)", line), line
    parsed = parse_md(md)
    borrowed = [i for i in all_items(draft) if i.kind != "template"]
    assert {n["source"] for n in parsed["notes"].values()} == {i.source for i in borrowed} | {f"{SRC_004}#40"}
    labels = {n["source"]: n["label"] for n in parsed["notes"].values()}
    assert labels["markov:外事"].startswith("模型生成")
    assert labels[f"{SRC_003}#12"] == "原文摘录"
    assert parsed["notes"][1]["title"] == TITLE_004
    # Template items carry no footnote.
    assert "同志们：\n" in md and "同志们：[^" not in md
    # The sources list names each file with its title, and bank files too.
    apparatus = parsed["apparatus"]
    assert f"- {SRC_004}：{TITLE_004}" in apparatus
    assert f"- {SRC_003}：{TITLE_003}" in apparatus
    assert "- banks/口号.txt" in apparatus
    assert "把牢政治方向，提高政治站位 / 树牢宗旨意识，践行外事为民 / 强化担当意识，狠抓工作落实" in apparatus
    check_roundtrip(draft, md)


def test_shared_source_shares_one_footnote() -> None:
    same = Item("攻坚克难、砥砺前行", "phrase", f"{SRC_004}#61")
    draft = Draft(title="标题", genre="speech", theme="外事", seed=1, opening=(same, same))
    md = render(draft, "md")
    assert md.count("砥砺前行[^1]") == 2
    assert "[^2]" not in md


def test_article_markdown_has_subtitle_and_article_markers() -> None:
    draft = article()
    md = render(draft, "md")
    lines = md.splitlines()
    assert "——学习党史的几点体会" in lines
    assert "## 一、守初心，为群众办实事" in lines
    assert "### （一）把牢政治方向" in lines
    assert "## 敢作为，创新工作思路" in lines
    assert "**【待补：具体做法】**" in lines
    check_roundtrip(draft, md)


def test_newline_inside_item_stays_one_paragraph() -> None:
    draft = Draft(
        title="标题", genre="speech", theme="", seed=0, opening=(Item("第一行\n第二行", "template"),)
    )
    md = render(draft, "md")
    assert "第一行 第二行" in md.splitlines()


def test_marker_already_in_heading_is_not_doubled() -> None:
    draft = Draft(
        title="标题", genre="speech", theme="", seed=0, sections=(Section("第一，要把方向把得更准", "第一"),)
    )
    assert "## 第一，要把方向把得更准" in render(draft, "md").splitlines()


CJK = st.text(
    alphabet="党的领导是外事工作生命线要把思想树得更牢一二三，。、“”：", min_size=1, max_size=20
).filter(lambda s: not s.startswith(("——", "一", "#")) and s.strip() == s)
ITEMS = st.lists(
    st.builds(
        Item,
        text=CJK,
        kind=st.sampled_from(["corpus", "phrase", "user", "generated", "template"]),
        source=st.sampled_from(["", f"{SRC_004}#1", "banks/四字格.txt#2", "markov:外事"]),
    ),
    max_size=3,
)
SECTIONS = st.lists(
    st.builds(
        Section,
        heading=CJK,
        marker=st.sampled_from(["第一", "一、", "（一）", ""]),
        body=ITEMS.map(tuple),
        children=st.lists(
            st.builds(
                Section,
                heading=CJK,
                marker=st.sampled_from(["一是", "（二）", ""]),
                level=st.just(2),
                body=ITEMS.map(tuple),
            ),
            max_size=2,
        ).map(tuple),
    ),
    max_size=3,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opening=ITEMS, sections=SECTIONS, closing=ITEMS, title=CJK)
def test_markdown_layout_reads_back(opening, sections, closing, title) -> None:
    draft = Draft(
        title=title,
        genre="speech",
        theme="外事",
        seed=1,
        opening=tuple(opening),
        sections=tuple(
            s for s in sections if not s.heading.startswith(marker_label(s.marker)) or not s.marker
        ),
        closing=tuple(closing),
    )
    check_roundtrip(draft, render(draft, "md"))


# --------------------------------------------------------------------------------------------------
# Plain text and JSON


def test_text_is_plain_indented_and_keeps_gaps_and_sources() -> None:
    draft = speech()
    text = render(draft, "text")
    assert isinstance(text, str)
    assert "#" not in text and "**" not in text and "[^" not in text and "<!--" not in text
    lines = text.splitlines()
    assert lines[0] == "在全市外事工作会议上的讲话"
    assert "同志们：" in lines  # the salutation stands flush left
    assert "　　第一，要把习近平外交思想的指导地位树得更牢" in lines
    assert "　　一是提高政治站位" in lines
    for item in all_items(draft):
        if item.text != "同志们：":
            assert "　　" + item.text in lines
    assert "【待补：会议名称】" in text
    tail = text[text.index("来源") :]
    assert SRC_004 in tail and TITLE_004 in tail and TITLE_003 in tail
    body = lines[1 : lines.index(next(line for line in lines if line.startswith("来源")))]
    for line in body:
        assert line == "" or line == "同志们：" or line.startswith("　　")


def test_text_article_has_subtitle_line() -> None:
    text = render(article(), "text")
    assert text.splitlines()[1] == "——学习党史的几点体会"
    assert "　　一、守初心，为群众办实事" in text.splitlines()


def test_json_round_trips() -> None:
    for draft in (speech(), article()):
        data = render(draft, "json")
        assert isinstance(data, str)
        assert "外事" in data or "党史" in data  # not \u-escaped
        assert Draft.from_dict(json.loads(data)) == draft


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--format"):
        render(speech(), "html")


# --------------------------------------------------------------------------------------------------
# .docx per GB/T 9704


def paragraph_fonts(p) -> set[str]:
    return {r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in p.runs if r.text}


def find_para(doc, text: str):
    return next(p for p in doc.paragraphs if p.text == text)


def test_docx_page_grid_and_fonts() -> None:
    data = render(speech(), "docx")
    assert isinstance(data, bytes)
    doc = Document(io.BytesIO(data))
    sec = doc.sections[0]

    def mm(length) -> float:  # stored in twips, so compare to a tenth of a millimetre
        return round(length.mm, 1)

    assert (mm(sec.page_width), mm(sec.page_height)) == (210, 297)
    assert [mm(x) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [
        37,
        35,
        28,
        26,
    ]
    grid = sec._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert grid.get(qn("w:linePitch")) == "579"
    # 28 characters of (16 pt + charSpace/4096) fill the 156 mm type area.
    pitch = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    assert abs(pitch * 28 - 156 / 25.4 * 72) < 0.1

    title = doc.paragraphs[0]
    assert title.text == "在全市外事工作会议上的讲话"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert paragraph_fonts(title) == {"方正小标宋简体"}
    assert {r.font.size for r in title.runs} == {Pt(22)}

    body = find_para(doc, "党的领导是外事工作的生命线，是构建“大外事”格局的坚强保障。")
    assert paragraph_fonts(body) == {"仿宋_GB2312"}
    run = body.runs[0]
    assert run.font.size == Pt(16)
    assert run._element.rPr.rFonts.get(qn("w:ascii")) == "仿宋_GB2312"
    assert run._element.rPr.rFonts.get(qn("w:hAnsi")) == "仿宋_GB2312"
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert body._p.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    normal = doc.styles["Normal"].paragraph_format
    assert normal.line_spacing == Pt(28.95)

    assert find_para(doc, "同志们：").paragraph_format.first_line_indent == 0

    h1 = find_para(doc, "第一，要把习近平外交思想的指导地位树得更牢")
    h2 = find_para(doc, "一是提高政治站位")
    assert paragraph_fonts(h1) == {"黑体"}
    assert paragraph_fonts(h2) == {"楷体_GB2312"}
    assert {r.font.size for r in h1.runs + h2.runs} == {Pt(16)}


def test_docx_third_level_heading_is_bold_fangsong() -> None:
    deep = Section("加强调查研究", "1.", 3, body=(Item("【待补：调研安排】", "template"),))
    draft = Draft(
        title="标题",
        genre="article",
        theme="",
        seed=0,
        sections=(
            Section("总体要求", "一、", children=(Section("工作目标", "（一）", 2, children=(deep,)),)),
        ),
    )
    doc = Document(io.BytesIO(render(draft, "docx")))
    h3 = find_para(doc, "1.加强调查研究")
    assert paragraph_fonts(h3) == {"仿宋_GB2312"}
    assert all(r.font.bold for r in h3.runs)
    assert paragraph_fonts(find_para(doc, "（一）工作目标")) == {"楷体_GB2312"}


def test_docx_footers_number_pages_odd_right_even_left() -> None:
    doc = Document(io.BytesIO(render(speech(), "docx")))
    assert doc.settings.odd_and_even_pages_header_footer
    sec = doc.sections[0]
    for footer, align in (
        (sec.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        assert not footer.is_linked_to_previous
        p = footer.paragraphs[0]
        assert p.alignment == align
        xml = p._p.xml
        assert "PAGE" in "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert [f.get(qn("w:fldCharType")) for f in p._p.iter(qn("w:fldChar"))] == [
            "begin",
            "separate",
            "end",
        ]
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert "宋体" in xml
        assert {r.font.size for r in p.runs} == {Pt(14)}


def test_docx_highlights_gaps_and_lists_sources_smaller() -> None:
    doc = Document(io.BytesIO(render(speech(), "docx")))
    opening = find_para(
        doc,
        "今天，我们召开【待补：会议名称】，主要任务是深入学习贯彻习近平外交思想，研究部署今年全市外事工作。",
    )
    marks = {r.text: r.font.highlight_color for r in opening.runs}
    assert marks["【待补：会议名称】"] == WD_COLOR_INDEX.YELLOW
    assert marks["今天，我们召开"] is None
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("来源：")
    listed = texts[start + 1 :]
    assert any(SRC_004 in t and TITLE_004 in t for t in listed)
    assert any(SRC_003 in t and TITLE_003 in t for t in listed)
    assert all(r.font.size < Pt(16) for p in doc.paragraphs[start:] for r in p.runs)
    # Every run names its East Asian font, so Word and WPS do not fall back to a Latin one.
    for p in doc.paragraphs:
        for r in p.runs:
            assert r._element.rPr.rFonts.get(qn("w:eastAsia"))


def test_docx_subtitle_is_centred() -> None:
    doc = Document(io.BytesIO(render(article(), "docx")))
    sub = doc.paragraphs[1]
    assert sub.text == "——学习党史的几点体会"
    assert sub.alignment == WD_ALIGN_PARAGRAPH.CENTER


# --------------------------------------------------------------------------------------------------
# Templates: override, errors, sandbox


def test_writer_folder_overrides_one_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "draft.md.j2").write_text(
        "标题：{{ title }}\n{% for s in sections %}* {{ s.line }}\n{% endfor %}", "utf-8"
    )
    monkeypatch.setenv("DRAFTER_TEMPLATES", str(tmp_path))
    md = render(speech(), "md")
    assert md.splitlines() == [
        "标题：在全市外事工作会议上的讲话",
        "* 第一，要把习近平外交思想的指导地位树得更牢",
        "* 第二，要把党对外事工作的集中统一领导落得更实",
    ]
    # The folder lacks draft.txt.j2: the shipped one is used.
    assert "　　第一，要把习近平外交思想的指导地位树得更牢" in render(speech(), "text")


def test_genre_template_wins_for_that_genre_only(tmp_path: Path) -> None:
    (tmp_path / "article.txt.j2").write_text("文章：{{ title }}\n", "utf-8")
    assert render(article(), "text", template_dir=tmp_path) == "文章：百年峥嵘展风华 扬帆起航筑梦行\n"
    assert render(speech(), "text", template_dir=tmp_path).startswith("在全市外事工作会议上的讲话\n")


def test_syntax_error_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "draft.md.j2"
    bad.write_text("# {{ title }}\n\n{% for p in opening %}\n{{ p.text | }}\n{% endfor %}\n", "utf-8")
    monkeypatch.setenv("DRAFTER_TEMPLATES", str(tmp_path))
    with pytest.raises(DrafterError) as err:
        render(speech(), "md")
    msg = err.value.message
    assert "draft.md.j2" in msg and "第 4 行" in msg and "\n" not in msg


def test_runtime_error_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "draft.txt.j2").write_text("{{ title }}\n\n{{ no_such_variable }}\n", "utf-8")
    monkeypatch.setenv("DRAFTER_TEMPLATES", str(tmp_path))
    with pytest.raises(DrafterError) as err:
        render(speech(), "text")
    msg = err.value.message
    assert str(tmp_path / "draft.txt.j2") in msg and "第 3 行" in msg and "no_such_variable" in msg
    assert "\n" not in msg


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    (tmp_path / "draft.md.j2").write_text("ok\n{{ ''.__class__.__mro__ }}\n", "utf-8")
    with pytest.raises(DrafterError) as err:
        render(speech(), "md", template_dir=tmp_path)
    assert "draft.md.j2" in err.value.message and "第 2 行" in err.value.message
    assert "__class__" in err.value.message and "\n" not in err.value.message


def test_missing_template_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTER_TEMPLATES", str(tmp_path / "nope"))
    with pytest.raises(DrafterError, match="DRAFTER_TEMPLATES"):
        render(speech(), "md")


# --------------------------------------------------------------------------------------------------
# write_output


def test_write_output_writes_and_refuses_to_clobber(tmp_path: Path) -> None:
    target = tmp_path / "初稿.md"
    write_output("第一稿", target, force=False)
    assert target.read_text("utf-8") == "第一稿\n"
    with pytest.raises(DrafterError, match="--force") as err:
        write_output("第二稿", target, force=False)
    assert str(target) in err.value.message
    assert target.read_text("utf-8") == "第一稿\n"
    write_output("第二稿", target, force=True)
    assert target.read_text("utf-8") == "第二稿\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["初稿.md"]  # no temp file left behind


def test_write_output_bytes_and_mode(tmp_path: Path) -> None:
    target = tmp_path / "初稿.docx"
    data = render(speech(), "docx")
    write_output(data, target, force=False)
    assert target.read_bytes() == data
    umask = os.umask(0)
    os.umask(umask)
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_output_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "没有的文件夹"
    with pytest.raises(DrafterError) as err:
        write_output("正文", missing / "初稿.md", force=True)
    assert str(missing) in err.value.message
    assert not missing.exists()


def test_write_output_to_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DrafterError):
        write_output("正文", tmp_path, force=True)
    assert tmp_path.is_dir()


def test_write_output_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "初稿.md"
    target.write_text("旧稿\n", "utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(DrafterError, match="初稿.md"):
        write_output("新稿", target, force=True)
    assert target.read_text("utf-8") == "旧稿\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["初稿.md"]


def test_write_output_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    write_output("同志们：", None, force=False)
    assert capsysbinary.readouterr().out.decode("utf-8") == "同志们：\n"


def test_docx_to_stdout_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="-o"):
        write_output(b"PK\x03\x04", None, force=False)
