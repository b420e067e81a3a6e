"""``drafter fill`` on real outlines: drafter's own Markdown edited by hand, plain text, and outlines
typed from scratch, all filled from the shipped corpus.

What must hold: every line the writer wrote comes back unchanged and in order, every heading ends up
with material under it, and filling a filled outline changes nothing.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter.cli import cli
from drafter.compose import compose
from drafter.draft import KINDS, Draft, Section
from drafter.fill import FillRequest, fill, fill_request, parse_outline, request
from drafter.render import heading_line, render

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SEED = 11
NOTE_REF = re.compile(r"\[\^\d+\]$")
GAP = re.compile(r"【待补[^】]*】")

SCRATCH = """关于做好新时代外事工作的几点思考

第一，要把外事为民的理念树得更牢
一是加强对外交往
二是服务对外开放
第二，要把友城合作落得更实
今年我们新结好友城，交流项目有了新进展。
第三，要把讲好中国故事做得更细
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    base = tmp_path_factory.mktemp("fill")
    values = {"DRAFTER_CACHE_DIR": str(base / "cache"), "DRAFTER_BANKS": str(base / "banks"), "DRAFTER_CORPUS": str(CORPUS)}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in values.items():
            mp.setenv(k, v)
        mp.delenv("DRAFTER_DEBUG", raising=False)
        yield values


@pytest.fixture(scope="module")
def ctx(env: dict[str, str]):  # -> drafter.lookup.Context
    from drafter.lookup import Context
    from drafter.mine import load_model

    return Context(model=load_model(CORPUS, progress=False), corpus=CORPUS)


@pytest.fixture(scope="module")
def outline_md(env: dict[str, str]) -> str:
    return run(env, "new", "--theme", "外事", "--seed", str(SEED), "--format", "md")


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def content(md: str, hashes: bool = True) -> list[str]:
    """The draft text lines of a Markdown outline: no header, comments, apparatus or footnote refs,
    and gaps without the bold Markdown puts around them."""
    out = []
    for line in md.split("\n"):
        line = line.strip()
        if line == "---":
            break
        if not line or line.startswith("<!--"):
            continue
        line = re.sub(r"\*\*(【待补[^】]*】)\*\*", r"\1", NOTE_REF.sub("", line))
        if not hashes:
            line = line.lstrip("#").strip()
        out.append(line)
    return out


def in_order(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


def walk(sections: tuple[Section, ...]) -> list[Section]:
    out: list[Section] = []
    for s in sections:
        out.append(s)
        out.extend(walk(s.children))
    return out


def leaves(draft: Draft) -> list[Section]:
    return [s for s in walk(draft.sections) if not s.children]


# --------------------------------------------------------------------------------------------------
# Parsing drafter's own Markdown.


def test_parse_reads_back_what_compose_built(ctx) -> None:
    composed = compose(ctx, "外事", "speech", 3, SEED)
    parsed, meta = parse_outline(render(composed, "md"), "初稿.md")
    assert meta == {"genre": "speech", "theme": composed.theme, "seed": SEED}
    assert (parsed.title, parsed.subtitle) == (composed.title, composed.subtitle)
    a, b = walk(composed.sections), walk(parsed.sections)
    assert [heading_line(s) for s in a] == [heading_line(s) for s in b]
    assert [(s.marker, s.level, s.heading_source, s.alternatives) for s in a] == [
        (s.marker, s.level, s.heading_source, s.alternatives) for s in b
    ]
    pairs = list(zip(composed.opening, parsed.opening)) + list(zip(composed.closing, parsed.closing))
    for x, y in zip(a, b):
        assert len(x.body) == len(y.body)
        pairs += list(zip(x.body, y.body))
    assert len(composed.opening) == len(parsed.opening) and len(composed.closing) == len(parsed.closing)
    for want, got in pairs:
        assert got.text == want.text
        if want.kind != "template" or GAP.search(want.text):  # borrowed lines keep kind and source
            assert (got.kind, got.source) == (want.kind, want.source)
    assert set(parsed.sources) <= set(composed.sources)


def test_marker_punctuation_the_writer_typed_is_kept() -> None:
    draft, meta = parse_outline("第一,加强组织领导\n一是压实责任\n二是健全机制。\n第二，狠抓落实\n", "x.txt")
    assert meta == {}
    assert [heading_line(s) for s in draft.sections] == ["第一,加强组织领导", "第二，狠抓落实"]
    assert [heading_line(c) for c in draft.sections[0].children] == ["一是压实责任", "二是健全机制。"]
    assert draft.sections[1].marker == "第二" and draft.sections[1].heading == "狠抓落实"


def test_numbering_nests_outer_to_inner() -> None:
    text = "一、总体要求\n（一）指导思想\n1.坚持党的领导\n2.坚持人民至上\n（二）目标任务\n二、重点工作\n"
    draft, _ = parse_outline(text, "x.txt")
    assert draft.title == "" and [s.heading for s in draft.sections] == ["总体要求", "重点工作"]
    first = draft.sections[0]
    assert [c.marker for c in first.children] == ["（一）", "（二）"]
    assert [g.marker for g in first.children[0].children] == ["1.", "2."]
    assert [s.level for s in walk(draft.sections)] == [1, 2, 3, 3, 2, 1]


def test_a_long_numbered_paragraph_is_body_not_heading() -> None:
    text = "## 第一，加强组织领导\n\n一是压实责任。要把责任落实到每个岗位，做到层层有人管。\n"
    draft, _ = parse_outline(text, "x.md")
    top = draft.sections[0]
    assert not top.children and [i.kind for i in top.body] == ["user"]
    assert top.body[0].source == "x.md#3"


# --------------------------------------------------------------------------------------------------
# Filling.


def _edit(md: str) -> tuple[str, str, str]:
    """Delete the second point with its body, reword the third, empty one sub-point, add a point."""
    lines = md.split("\n")
    tops = [i for i, ln in enumerate(lines) if ln.startswith("## ")]
    assert len(tops) == 3
    del lines[tops[1] : tops[2]]
    tops = [i for i, ln in enumerate(lines) if ln.startswith("## ")]
    reworded = "## 第三，要把外事为民的好事办实办好"
    lines[tops[1]] = reworded
    sub = next(i for i, ln in enumerate(lines) if ln.startswith("### "))
    nxt = next(i for i in range(sub + 1, len(lines)) if lines[i].startswith("#"))
    del lines[sub + 1 : nxt]
    lines.insert(sub + 1, "")
    emptied = NOTE_REF.sub("", lines[sub])
    added = "## 第四，要把外事干部队伍建设抓得更紧"
    end = lines.index("<!-- 结尾 -->")
    lines[end:end] = [added, ""]
    return "\n".join(lines), emptied, added


def test_fill_keeps_every_line_of_an_edited_outline(env: dict[str, str], outline_md: str, tmp_path: Path) -> None:
    edited, emptied, added = _edit(outline_md)
    src = tmp_path / "提纲.md"
    src.write_text(edited, encoding="utf-8")
    out = run(env, "fill", str(src))

    assert in_order(content(edited), content(out))
    before, _ = parse_outline(edited, "提纲.md")
    after, meta = parse_outline(out, "提纲.md")
    assert meta["seed"] == SEED and meta["theme"] == "外事"
    for s in leaves(after):
        assert s.body, heading_line(s)
    # what already had lines is untouched, line for line, kind for kind
    old = {heading_line(s): s.body for s in walk(before.sections) if s.body}
    for s in walk(after.sections):
        if heading_line(s) in old:
            assert s.body == old[heading_line(s)]
    # the writer's new point and the emptied sub-point got corpus material matched to the theme
    new_point = next(s for s in walk(after.sections) if "## " + heading_line(s) == added)
    kinds = [i.kind for i in new_point.body]
    assert "corpus" in kinds and kinds[-1] == "template" and GAP.search(new_point.body[-1].text)
    corpus_files = {p.name for p in CORPUS.iterdir()}
    assert all(i.source.split("#")[0] in corpus_files for i in new_point.body if i.kind == "corpus")
    sub = next(s for s in walk(after.sections) if "### " + heading_line(s) == emptied)
    assert sub.body[-1].text == "【待补：具体举措】" and len(sub.body) >= 2
    # nothing from the deleted point came back
    deleted = [ln for ln in content(outline_md) if ln not in content(edited) and ln.startswith("## ")]
    assert deleted and not any(ln in content(out) for ln in deleted)


def test_fill_twice_changes_nothing(env: dict[str, str], outline_md: str, tmp_path: Path) -> None:
    edited, _emptied, _added = _edit(outline_md)
    first, second, third = tmp_path / "a.md", tmp_path / "b.md", tmp_path / "c.md"
    first.write_text(edited, encoding="utf-8")
    run(env, "fill", str(first), "-o", str(second))
    run(env, "fill", str(second), "-o", str(third))
    assert second.read_bytes() != first.read_bytes().rstrip(b"\n") + b"\n"
    assert third.read_bytes() == second.read_bytes()


def test_fill_an_outline_typed_from_scratch(env: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "提纲.txt"
    src.write_text(SCRATCH, encoding="utf-8")
    out = run(env, "fill", str(src), "--theme", "外事", "--seed", "3")
    typed = [ln for ln in SCRATCH.split("\n") if ln.strip()]
    assert in_order(typed, content(out, hashes=False))

    draft, meta = parse_outline(out, "提纲.txt")
    assert meta == {"genre": "speech", "theme": "外事", "seed": 3}
    assert draft.title == typed[0]
    assert [s.marker for s in draft.sections] == ["第一", "第二", "第三"]
    assert [c.marker for c in draft.sections[0].children] == ["一是", "二是"]
    assert all(s.body for s in leaves(draft))
    assert draft.opening and draft.closing  # both were empty, both got suggestions
    own = draft.sections[1].body
    line = SCRATCH.split("\n").index(typed[5]) + 1
    assert [(i.text, i.kind, i.source) for i in own] == [(typed[5], "user", f"提纲.txt#{line}")]

    again = tmp_path / "again.md"
    again.write_text(out, encoding="utf-8")
    assert run(env, "fill", str(again)) == out


def test_fill_reads_the_plain_text_format(env: dict[str, str], tmp_path: Path) -> None:
    text = run(env, "new", "--theme", "外事", "--seed", str(SEED), "--format", "text")
    src = tmp_path / "稿子.txt"
    src.write_text(text, encoding="utf-8")
    out = run(env, "fill", str(src), "--theme", "外事", "--seed", "1", "--format", "json")
    d = json.loads(out)
    assert len(d["sections"]) == 3 and all(len(s["children"]) >= 2 for s in d["sections"])
    heads = [ln.strip() for ln in text.split("\n") if re.match(r"^\u3000*第[一二三]，", ln)]
    assert [heading_line(Section.from_dict(s)) for s in d["sections"]] == heads
    body_lines = [ln.strip() for ln in text.split("来源")[0].split("\n") if ln.strip()]
    assert in_order(body_lines[1:], content(run(env, "fill", str(src), "--theme", "外事", "--seed", "1"), hashes=False))


def test_json_output_has_the_draft_shape(env: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "提纲.txt"
    src.write_text(SCRATCH, encoding="utf-8")
    d = json.loads(run(env, "fill", str(src), "--theme", "外事", "--seed", "3", "--format", "json"))
    assert set(d) == {"title", "subtitle", "genre", "theme", "seed", "opening", "sections", "closing", "sources"}
    assert Draft.from_dict(d).to_dict() == d
    draft = Draft.from_dict(d)
    items = list(draft.opening) + [i for s in walk(draft.sections) for i in s.body] + list(draft.closing)
    assert {i.kind for i in items} <= set(KINDS) and {"user", "corpus", "template"} <= {i.kind for i in items}
    quoted = {i.source.split("#")[0] for i in items if i.kind == "corpus"}
    assert quoted <= {f for f, _t in draft.sources}


def test_library_fill_takes_text_and_settles_options(env: dict[str, str], ctx) -> None:
    draft = fill(SCRATCH, theme="外事", seed=3, corpus=CORPUS)
    assert draft.seed == 3 and all(s.body for s in leaves(draft))
    req = request(render(draft, "md"), "x.md")
    assert isinstance(req, FillRequest) and (req.theme, req.genre, req.seed, req.seed_drawn) == ("外事", "speech", 3, False)
    assert fill_request(ctx, req).filled == ()
    drawn = request(SCRATCH, "x.txt", theme="外事")
    assert drawn.seed_drawn and drawn.seed > 0


# --------------------------------------------------------------------------------------------------
# Errors: one Chinese line, the right exit code, no traceback.


@pytest.mark.parametrize(
    ("name", "text", "extra", "code", "needle"),
    [
        ("缺失.md", None, ["--theme", "外事"], 1, "缺失.md"),
        ("空.md", "  \n\n", ["--theme", "外事"], 1, "空.md"),
        ("无标题.md", "同志们：\n\n今天我们开会，研究外事工作。\n", ["--theme", "外事"], 1, "无标题.md"),
        ("提纲.md", SCRATCH, ["--theme", "航天"], 1, "航天"),
        ("提纲.md", SCRATCH, [], 2, "--theme"),
        ("提纲.md", SCRATCH, ["--theme", "外事", "--genre", "poem"], 2, "poem"),
    ],
)
def test_bad_input(
    env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str | None,
    extra: list[str],
    code: int,
    needle: str,
) -> None:
    from drafter.cli import invoke

    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["drafter", "fill", str(path), *extra])
    with pytest.raises(SystemExit) as exc:
        invoke()
    assert exc.value.code == code
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("提示")]
    assert len(lines) == 1 and needle in lines[0], err
    assert "Traceback" not in err and re.search(r"[\u4e00-\u9fff]", lines[0])
