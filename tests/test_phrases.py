"""Phrase banks on the shipped seed corpus and on small texts written here."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from drafter.corpus import Article, load_files
from drafter.errors import UsageError
from drafter.phrases import CATEGORIES, Phrase, category, merge_phrases, mine_article, prune

REPO = Path(__file__).resolve().parents[1]
# The debris the house rules name, written out here independently of the module's own patterns.
DEBRIS = re.compile(r"https?://|www\.|@|\.png|\.jpg|下载|VIP|客服|字号|分享|编者按|作者系|□")

SPEECH = (
    "同志们：",
    "今天，我们召开全市机关党建工作会议，主要任务是总结去年工作，部署今年任务。",
    "刚才，几位同志作了交流发言，讲得都很好，我完全同意。",
    "过去一年，全市机关党建工作取得新成效，但也存在一些薄弱环节。下面，我讲几点意见：",
    "一、提高政治站位，把握正确方向",
    "各级机关要胸怀大局、把握大势，增强“四个意识”、坚定“四个自信”、做到“两个维护”。"
    "王明同志在全市大会上强调：“机关党建要走在前、作表率。”我们要善作善成，久久为功。",
    "二、压实工作责任，推动落地见效",
    "各级党组织要压实责任，形成“一盘棋”格局，以钉钉子精神抓好落实。下面，再讲几点要求：",
    "同志们，新的一年任务艰巨、使命光荣。让我们更加紧密地团结起来，锐意进取、埋头苦干，为全市高质量发展作出新的更大贡献！",
)


def speech(**kw: object) -> Article:
    fields = {
        "file": "speech.txt",
        "title": "在全市机关党建工作会议上的讲话",
        "paragraphs": SPEECH,
        "positions": tuple(range(2, len(SPEECH) + 2)),
        "genre": "speech",
    }
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def texts(bank: list[Phrase], cat: str) -> set[str]:
    return {p.text for p in bank if p.category == cat}


@pytest.fixture(scope="module")
def seed_articles() -> list[Article]:
    return [a for _name, arts in load_files([REPO / "corpus"]) for a in arts]


@pytest.fixture(scope="module")
def seed_bank(seed_articles: list[Article]) -> list[Phrase]:
    return merge_phrases(p for a in seed_articles for p in mine_article(a))


# -- categories ---------------------------------------------------------------------------------------


def test_category_accepts_chinese_names_and_aliases() -> None:
    assert category("四字格") == "四字格"
    assert category("idiom") == "四字格"
    assert category("Quote") == "引语"
    assert category(" transition ") == "过渡"
    assert {category(en) for en in CATEGORIES.values()} == set(CATEGORIES)


def test_unknown_category_is_a_usage_error_listing_valid_names() -> None:
    with pytest.raises(UsageError) as err:
        category("slogans")
    msg = err.value.message
    assert "slogans" in msg and "\n" not in msg
    assert all(zh in msg and en in msg for zh, en in CATEGORIES.items())


# -- the seed corpus ----------------------------------------------------------------------------------


def test_seed_idioms(seed_bank: list[Phrase]) -> None:
    idioms = texts(seed_bank, "四字格")
    assert {"砥砺奋进", "踔厉奋发", "笃行不怠"} <= idioms
    for p in seed_bank:
        if p.category == "四字格":
            assert len(p.text) == 4 and p.origin in ("dict", "pattern")
            assert not re.search(r"[0-9A-Za-z０-９]", p.text)
            assert p.text[0] not in "的了和在是" and p.text[-1] not in "的了和在是"


def test_seed_slogans_keep_their_quotation_marks(seed_bank: list[Phrase]) -> None:
    slogans = texts(seed_bank, "提法")
    assert {"“四个意识”", "“两个维护”"} <= slogans
    for s in slogans:
        inner = s[1:-1]
        assert s[0] == "“" and s[-1] == "”" and 2 <= len(inner) <= 12
        assert not re.search(r"[，。！？；：,.!?;:]", inner)


def test_seed_quotation_with_speaker(seed_bank: list[Phrase]) -> None:
    quotes = [p for p in seed_bank if p.category == "引语"]
    youth = [
        p for p in quotes if p.text.replace(",", "，") == "一个民族只有寄望青春、永葆青春，才能兴旺发达。"
    ]
    assert len(youth) == 1
    q = youth[0]
    assert "习近平" in q.speaker and q.verb == "说道"
    assert any(s.startswith("000_") for s in q.sources)
    assert q.context.endswith("“" + q.text + "”") and "大会上说道" in q.context
    # the comma form: 李大钊先生曾说，“…”
    li = [p for p in quotes if p.speaker == "李大钊先生"]
    assert li and li[0].verb == "曾说" and li[0].text.startswith("勇往奋进以赴之")
    for p in quotes:
        assert p.speaker and p.verb and p.text in p.context


def test_seed_speech_frames_loosely(seed_bank: list[Phrase]) -> None:
    def from_004(cat: str) -> list[str]:
        return [
            p.text for p in seed_bank if p.category == cat and any(s.startswith("004_") for s in p.sources)
        ]

    assert any(t.startswith(("同志们", "今天")) for t in from_004("开头"))
    assert any("下面" in t and "意见" in t for t in from_004("过渡"))


def test_seed_sentences(seed_bank: list[Phrase]) -> None:
    sentences = [p for p in seed_bank if p.category == "句子"]
    assert {p.role for p in sentences} == {"opening", "body", "closing"}
    for p in sentences:
        assert 12 <= len(p.text) <= 80 and p.sources
    quoted = {p.context for p in seed_bank if p.category == "引语"}
    assert not any(p.text in q or q in p.text for p in sentences for q in quoted)


def test_no_entry_carries_debris(seed_bank: list[Phrase]) -> None:
    for p in seed_bank:
        assert not DEBRIS.search(p.text + p.context), p


def test_sources_point_at_real_paragraphs(seed_articles: list[Article], seed_bank: list[Phrase]) -> None:
    paragraphs = {a.source(i): para for a in seed_articles for i, para in enumerate(a.paragraphs)}
    for p in seed_bank:
        assert list(p.sources) == sorted(set(p.sources))
        if p.category in ("引语", "句子", "开头", "过渡", "结尾"):
            assert any(p.text in paragraphs[s] for s in p.sources), p


# -- a speech written here ----------------------------------------------------------------------------


def test_speech_openers_transitions_closers() -> None:
    bank = mine_article(speech())
    openers, transitions, closers = texts(bank, "开头"), texts(bank, "过渡"), texts(bank, "结尾")
    assert {"同志们：", SPEECH[1], SPEECH[2]} <= openers
    assert {"下面，我讲几点意见：", "下面，再讲几点要求："} <= transitions
    assert SPEECH[-1].split("。")[1] in closers  # 让我们……！
    assert all(p.genre == "speech" for p in bank if p.category in ("开头", "过渡", "结尾"))
    # a body sentence with a cue word is not an opener or closer
    assert not any("钉钉子" in t for t in openers | closers)


def test_speech_quote_slogans_and_idioms() -> None:
    bank = mine_article(speech())
    quote = [p for p in bank if p.category == "引语"]
    assert [(p.speaker, p.verb, p.text) for p in quote] == [
        ("王明同志", "强调", "机关党建要走在前、作表率。")
    ]
    assert quote[0].sources == ("speech.txt#7",)
    assert {"“四个意识”", "“四个自信”", "“两个维护”", "“一盘棋”"} <= texts(bank, "提法")
    assert {"胸怀大局", "把握大势", "善作善成", "久久为功"} <= texts(bank, "四字格")
    # the attributed quotation is not offered as the writer's own sentence
    assert not any("走在前" in t for t in texts(bank, "句子"))


def test_quote_needs_a_person() -> None:
    paras = (
        "他说：“我们一定要把这件事办好办实。”",
        "大家都说，“这是一项惠及千家万户的民生工程。”",
        "“发展是第一要务”是我们的共识，各项工作都要围绕发展来展开。",
        "鲁迅先生写道：“无穷的远方，无数的人们，都和我有关。”",
    )
    art = Article(file="q.txt", title="t", paragraphs=paras, positions=(1, 2, 3, 4))
    quotes = [p for p in mine_article(art) if p.category == "引语"]
    assert [(p.speaker, p.verb, p.sources) for p in quotes] == [("鲁迅先生", "写道", ("q.txt#4",))]


def test_flagged_article_yields_nothing() -> None:
    assert mine_article(speech()) != []
    assert mine_article(speech(flags=("traditional",))) == []
    assert mine_article(speech(flags=("conversion-artifacts",))) == []


def test_debris_never_becomes_an_entry() -> None:
    paras = (
        "字号：大 中 小 分享到：微信",
        "编者按：为深入学习贯彻会议精神，本报刊发此文。各级各部门要攻坚克难、砥砺奋进。",
        *SPEECH[1:4],
        "下载文档 VIP专免 网站客服：3074922707",
        "图片说明1.png",
        "□张三",
        "（作者系市委办公室干部）",
        "更多内容请访问 www.example.gov.cn 或发邮件至 office@example.cn，砥砺奋进。",
        SPEECH[-1],
    )
    art = Article(file="d.txt", title="t", paragraphs=paras, positions=tuple(range(1, len(paras) + 1)))
    bank = mine_article(art)
    assert bank and texts(bank, "开头") and texts(bank, "结尾")
    for p in bank:
        assert not DEBRIS.search(p.text + p.context), p


# -- merge and prune ----------------------------------------------------------------------------------


def test_merge_is_order_independent(seed_articles: list[Article]) -> None:
    items = [p for a in seed_articles for p in mine_article(a)]
    items += mine_article(speech()) + mine_article(speech(file="speech2.txt"))
    expected = merge_phrases(items)
    rng = random.Random(7)
    for _ in range(3):
        shuffled = items[:]
        rng.shuffle(shuffled)
        cut = rng.randrange(len(shuffled))
        # merging partial merges must give the same result as one merge
        assert merge_phrases(merge_phrases(shuffled[:cut]) + merge_phrases(shuffled[cut:])) == expected


def test_merge_sums_counts_and_unions_sources() -> None:
    a = mine_article(speech())
    b = mine_article(speech(file="speech2.txt"))
    merged = {p.key: p for p in merge_phrases(a + b)}
    p = merged[("开头", "同志们：", "")]
    assert p.count == 2 and p.sources == ("speech.txt#2", "speech2.txt#2")
    q = merged[("引语", "机关党建要走在前、作表率。", "王明同志")]
    assert q.count == 2 and q.verb == "强调"


def test_prune_thresholds_and_cap() -> None:
    pat = Phrase("四字格", "攻坚克难", 1, ("a#1",), origin="pattern")
    pat2 = Phrase("四字格", "善作善成", 2, ("a#1", "b#1"), origin="pattern")
    dic = Phrase("四字格", "与时俱进", 1, ("a#2",), origin="dict")
    sents = [
        Phrase("句子", f"这是第{i}个用来检验上限的句子。", 1, (f"a#{i}",), role="body", genre="speech")
        for i in range(10)
    ]
    other = Phrase("句子", "这是另一种体裁里用来检验上限的句子。", 1, ("c#1",), role="body", genre="report")
    out = prune([pat, pat2, dic, *sents, other], sentence_cap=3)
    assert pat not in out and pat2 in out and dic in out and other in out
    kept = [p for p in out if p.category == "句子" and p.genre == "speech"]
    assert len(kept) == 3
    assert prune(reversed([pat, pat2, dic, *sents, other]), sentence_cap=3) == out


def test_phrase_round_trips_through_dict(seed_bank: list[Phrase]) -> None:
    for p in seed_bank[:50] + [p for p in seed_bank if p.category == "引语"]:
        d = p.to_dict()
        assert isinstance(d["sources"], list)
        assert Phrase.from_dict(d) == p


# -- fast paths agree with the plain definitions ------------------------------------------------------


def test_within_article_merge_equals_merge_phrases(seed_articles: list[Article]) -> None:
    from drafter.phrases import _mine_rows

    for art in [*seed_articles, speech()]:
        rows = _mine_rows(art)
        plain = [Phrase(c, t, 1, (src,), sp, v, ctx, g, r, o) for c, t, sp, src, v, ctx, g, r, o in rows]
        assert mine_article(art) == merge_phrases(plain)
        # every field, not only the merge key
        assert [p.to_dict() for p in mine_article(art)] == [p.to_dict() for p in merge_phrases(plain)]


def test_rows_are_the_merged_phrases_as_rows(seed_articles: list[Article]) -> None:
    from drafter.phrases import _PHRASE_FIELDS, article_rows, bank_order
    from drafter.segment import tag

    for art in [*seed_articles, speech()]:
        want = [[getattr(p, f) if f != "sources" else list(p.sources) for f in _PHRASE_FIELDS] for p in mine_article(art)]
        rows = article_rows(art)
        assert sorted(rows, key=lambda r: bank_order(r[0], r[2], r[1], r[4])) == want
        # a segmentation handed in by the caller (with or without its words) gives the same rows
        tagged = [tag(p) for p in art.paragraphs]
        assert article_rows(art, tagged) == rows
        assert article_rows(art, tagged, [[w for w, _t in pairs] for pairs in tagged]) == rows


def test_debris_cues_match_the_case_insensitive_pattern() -> None:
    from drafter.phrases import _DEBRIS, _STRONG_DEBRIS, _debris_test, has_debris

    every_char = "".join(map(chr, range(0x110000)))
    for cues in (_DEBRIS, _STRONG_DEBRIS):
        # only a start character's own other case folds to it, so a case-sensitive scan suffices
        assert set(re.findall(f"[{re.escape(cues.starts)}]", every_char, re.IGNORECASE)) == set(cues.starts)
    samples = [
        "详见WWW.example.org。",
        "请访问 HTTPS://a.cn 获取",
        "网址是x.cn中文",  # \b fails inside the paragraph …
        "网址是x.cn",  # … but holds at a sentence's end
        "联系E-MAIL或email",
        "图片.JPG说明",
        "本文档仅供参考",
        "这是Vip通道",
        "分享到朋友圈",
        "干部群众踊跃参与讨论，气氛热烈。",
        "GDP增长3.5%，expectations remain.",
    ]
    for text in samples:
        assert has_debris(text) == bool(_DEBRIS.full.search(text))
        assert _STRONG_DEBRIS.search(text) == bool(_STRONG_DEBRIS.full.search(text))
        for i in range(len(text)):
            for j in range(i + 1, len(text) + 1):
                if has_debris(text[i:j]):
                    assert _debris_test(text) is has_debris  # a paragraph-level all-clear is never wrong


def _spans_by_characters(paragraph: str) -> list[tuple[int, int]]:
    """sentence_spans written as a plain walk over every character."""
    spans, depth, start, i, n = [], 0, 0, 0, len(paragraph)
    while i < n:
        ch, end = paragraph[i], -1
        if ch in "“「『〝":
            depth += 1
        elif ch in "”」』〞":
            depth = max(0, depth - 1)
            if depth == 0 and i > 0 and paragraph[i - 1] in "。！？!?…":
                end = i + 1
        elif ch in "。！？!?…" and (depth == 0 or i - start > 300):
            depth, end = 0, i + 1
        if end > 0:
            while end < n and paragraph[end] in "。！？!?…”」』〞’）)】":
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


def test_sentence_spans_match_a_character_walk() -> None:
    from drafter.phrases import sentence_spans

    rng = random.Random(7)
    alphabet = "大家好我们“”「」『』。！？!?…’）) \u3000\n，"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert sentence_spans(text) == _spans_by_characters(text), text
    long = "“" + "很长的引语" * 80 + "。后文。"
    assert sentence_spans(long) == _spans_by_characters(long)


def test_clause_candidates_are_every_clause_that_can_yield_an_idiom() -> None:
    from drafter.phrases import _CLAUSE_CANDIDATE, _MARKER_FIRST

    rng = random.Random(11)
    alphabet = '善作成大事难一是第首、，。“”"；：ab'
    cut = set('、，,；;：:。！？!?…“「『〝”」』〞"')
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        runs = [m.span() for m in re.finditer(f"[^{re.escape(''.join(cut))}]+", text)]
        wanted = [
            (s, e)
            for s, e in runs
            if e - s in (4, 8) or text[s] in _MARKER_FIRST or (e - s > 4 and text[e - 4] == text[e - 2])
        ]
        assert [m.span() for m in _CLAUSE_CANDIDATE.finditer(text)] == wanted, text
