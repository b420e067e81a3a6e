"""Properties over arbitrary and Chinese-heavy text: cleaning, outlines, mining and composing never
raise, cleaning is idempotent, headings point at their paragraphs, and every borrowed line of a
draft points at an existing file and paragraph."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from drafter.corpus import Article, clean_lines, clean_source
from drafter.errors import DrafterError
from drafter.sources import Source

SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PUNCT = st.sampled_from(list("，。、；：？！“”‘’（）《》——…·　 ") + ["\n", "\n\n", " ", "\t", "\u3000\u3000"])
MARKERS = st.sampled_from(
    ["一、", "二、", "三、", "（一）", "（二）", "(三)", "第一，", "第二，", "第三，", "一是", "二是", "三是",
     "1.", "2.", "1、", "# ", "## ", "**", "——", "其一，", "首先，", "□张三", "（作者系某某）", "摘要：", "2023年5月4日"]
)
WORDS = st.sampled_from(["坚持", "推进", "青年", "外事", "党建", "发展", "人民", "要把", "得更", "加强", "工作", "同志们：", "讲话", "心得体会"])
CHINESE = st.lists(st.one_of(CJK, PUNCT, MARKERS, WORDS, CJK, WORDS), min_size=0, max_size=300).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=400), CHINESE)


def _source(text: str) -> Source:
    return Source(path=Path("测试.txt"), name="测试.txt", text=text, encoding="utf-8", kind="txt")


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


@SETTINGS
@given(ANY_TEXT)
def test_clean_never_raises_and_keeps_positions_consistent(text):
    for a in clean_source(_source(text)):
        assert isinstance(a, Article)
        assert len(a.paragraphs) == len(a.positions)
        assert all(p.strip() for p in a.paragraphs)
        assert list(a.positions) == sorted(set(a.positions))


@SETTINGS
@given(ANY_TEXT)
def test_clean_is_idempotent(text):
    once = clean_lines(text)
    assert clean_lines("\n".join(once)) == once


@SETTINGS
@given(ANY_TEXT)
def test_outline_headings_occur_in_their_paragraph(text):
    from drafter.outline import outline

    for a in clean_source(_source(text)):
        for h in outline(a):
            assert 1 <= h.paragraph <= len(a.paragraphs)
            assert h.level >= 1
            assert _squash(h.text) in _squash(a.paragraphs[h.paragraph - 1]), (h, a.paragraphs[h.paragraph - 1])


@pytest.fixture(scope="module")
def terms():
    from drafter.themes import lexicon_terms, load_lexicons

    return lexicon_terms(load_lexicons(None))


@SETTINGS
@given(text=ANY_TEXT)
def test_analyse_article_never_raises(text, terms):
    import json

    from drafter.mine import analyse_article

    for k, a in enumerate(clean_source(_source(text))):
        data = analyse_article(a, f"测试#{k}", terms)
        json.dumps(data, ensure_ascii=False)  # what goes into the cache is plain JSON


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=CHINESE, theme=st.sampled_from(["外事", "外事", "青年"]), seed=st.integers(0, 10**6), genre=st.sampled_from(["speech", "article", "reflection"]))
def test_compose_from_tiny_corpus_never_raises_and_sources_exist(text, theme, seed, genre, monkeypatch):
    from drafter.compose import compose
    from drafter.lookup import Context
    from drafter.mine import mine
    from drafter.paths import shipped_corpus

    base = Path(tempfile.mkdtemp(prefix="drafter-prop-"))
    try:
        monkeypatch.setenv("DRAFTER_CACHE_DIR", str(base / "cache"))
        monkeypatch.setenv("DRAFTER_BANKS", str(base / "banks"))
        corpus = base / "corpus"
        corpus.mkdir()
        (corpus / "gen.txt").write_text(text or "。", encoding="utf-8")
        shutil.copyfile(shipped_corpus() / "004_afa0366009b13690.txt", corpus / "real.txt")
        try:
            ctx = Context(model=mine(corpus, jobs=1), corpus=corpus)
            draft = compose(ctx, theme, genre, 3, seed, None, None, None)
        except DrafterError:
            event("refused with a message")
            return  # a message for the writer (e.g. no article about the theme) is fine
        event("composed")
        paragraphs = {}
        for f in corpus.iterdir():
            try:
                src = _read(f)
            except DrafterError:
                continue
            paragraphs[f.name] = max((p for a in clean_source(src) for p in a.positions), default=0)
        for item in _items(draft):
            if item.kind in ("corpus", "phrase"):
                file, _, n = item.source.rpartition("#")
                assert file in paragraphs, item
                assert n.isdigit() and 1 <= int(n) <= paragraphs[file], item
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _read(path: Path) -> Source:
    from drafter.sources import read_source

    return read_source(path, path.name)


def _items(draft):
    yield from draft.opening
    stack = list(draft.sections)
    while stack:
        s = stack.pop()
        yield from s.body
        stack.extend(s.children)
    yield from draft.closing
