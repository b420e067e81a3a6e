"""Cleaning and splitting, each rule checked on real text from the seeds and on text written here."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from drafter.corpus import (
    Article,
    clean_lines,
    clean_source,
    debris_kind,
    detect_flags,
    load_files,
    rejoin,
    split_long,
    split_run_on,
    unify_punctuation,
    wrap_width,
)
from drafter.sources import Source, read_source

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
EXTRA = ROOT.parent / "shared" / "corpus-extra"
DEBRIS = re.compile(
    r"\.(?:png|jpe?g|gif|docx?|pdf)\b|下载|VIP|E-?mail|https?:|www\.|@|侵权|页数|字号|温馨提示|客服|展开>>|收起<<|□|作者系|关闭本页|分享到"
)


def seed(prefix: str) -> list[Article]:
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    return clean_source(read_source(path))


def src(text: str, name: str = "t.txt") -> Source:
    return Source(path=Path(name), name=name, text=text, encoding="utf-8", kind="txt")


# --- debris -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "下载文档",
        "VIP专免",
        "侵权投诉",
        "关闭本页 打印",
        "【 字体：",
        "分享到:",
        "收藏 分享赚钱",
        "温馨提示:",
        "网站客服:3074922707",
        "E-mail:zqgg8840@sina.com",
        "国管局门户网站 www.ggj.gov.cn 2022-11-23 15:08",
        "青春心向党  喜迎二十大系列(二)1.png",
        "作者:李宇莎.jpg",
        "2023年党办干部“解放思想对标先进”署名文章.docx",
        "第 3 页 共 14 页",
        "— 2 —",
        "14 页",
        "16.53KB",
        "新华社记者 李学仁 摄",
        "展开>>",
        "收起<<",
        "此文档下载收益归作者所有",
        "3. 下载前请仔细阅读文档内容,确认文档内容符合您的需求后进行下载,若出现内容与标题不符可向本站投诉处理。",
    ],
)
def test_debris_lines_are_recognised(line: str) -> None:
    assert debris_kind(line)


@pytest.mark.parametrize(
    "line",
    [
        "同志们:",
        "第一,要把以习近平外交思想为指导树得更牢",
        "高举伟大旗帜,凝聚奋进力量",
        "党的领导是对外工作的生命线，也是我国对外工作的最大特色和最大优势。",
        "加强知识产权保护，完善版权运用和管理机制。",
        "习近平",
    ],
)
def test_text_lines_are_kept(line: str) -> None:
    assert debris_kind(line) == ""


def test_no_debris_survives_in_any_seed() -> None:
    for _name, arts in load_files([CORPUS]):
        for a in arts:
            for text in (a.title, a.subtitle, *a.paragraphs):
                assert not DEBRIS.search(text), text[:60]


# --- wraps, page breaks, duplicates ------------------------------------------------------------


def test_hard_wrapped_speech_is_rejoined_without_mid_sentence_ends() -> None:
    (art,) = seed("004")
    assert art.title == "市委书记在市委外事工作委员会第一次会议上的讲话"
    assert art.genre == "speech"
    assert art.paragraphs[0] == "同志们："
    # every paragraph ends a sentence or is a heading, except the last (the page is cut off there)
    for p in art.paragraphs[:-1]:
        assert p[-1] in "。！？：”" or p.startswith("第"), p[-30:]
    body = "".join(art.paragraphs)
    assert "自觉用习近平外交思想武装头脑" in body  # a line broken at a page end is joined back


def test_summary_copy_is_removed() -> None:
    (art,) = seed("004")
    body = "".join(art.paragraphs)
    assert "摘要" not in body and "展开" not in body
    assert body.count("今天，我们召开市委外事工作委员会第一次会议") == 1


def test_wrap_width_detects_wrapped_and_unwrapped_text() -> None:
    raw = read_source(next(CORPUS.glob("004_*.txt"))).text.split("\n")
    assert 25 <= (wrap_width([ln for ln in raw if ln.strip()]) or 0) <= 32
    paragraphs = ["这是一个完整的段落，讲清楚了一件事。" * k for k in range(1, 9)]
    assert wrap_width(paragraphs) is None


def test_word_split_across_page_break_is_rejoined() -> None:
    arts = seed("003")
    body = "".join(p for a in arts for p in a.paragraphs)
    assert "起跑线，南通外事工作" in body
    assert "线，南通外事工作" not in [p[:9] for a in arts for p in a.paragraphs]


def test_character_repeated_across_break_is_dropped() -> None:
    lines = ["我们要深入学习贯彻讲话精神，发挥国际友城资源集聚的优势，积极拓展对外交流合作的渠道和优", "势，为我市开展国际交流牵线搭桥。"]
    (joined,) = rejoin(lines, None)
    assert "渠道和优势，为我市" in joined and "优势势" not in joined


def test_heading_lines_are_never_joined_onto() -> None:
    lines = ["下面，我讲几点意见：", "第一，要把学习贯彻抓得更实", "党的领导是根本保证，是我们最大的政治优势和制度优势，必须始终坚持", "第二，要把工作作风转得更好"]
    out = rejoin(lines, None)
    assert out[1] == "第一，要把学习贯彻抓得更实"
    assert out[-1] == "第二，要把工作作风转得更好"


# --- run-on text -------------------------------------------------------------------------------


def test_run_on_paragraph_separated_by_spaces_is_split() -> None:
    (art,) = seed("001")
    assert art.title == "融汇知新担当作为"
    assert art.paragraphs[0].startswith("新时代呼吁青年干部立鸿鹄志。")
    assert any(p.startswith("强担当需要青年干部追高质量。") for p in art.paragraphs)
    assert any(p.startswith("新起点号召青年干部做奋斗者。") for p in art.paragraphs)


def test_full_width_space_paragraphs_are_recovered() -> None:
    line = "关于做好当前工作的意见：" + "　　" + "一段话讲清楚一件事，写得很长很长。" * 12 + "　　" + "另一段话讲另一件事，也写得很长。" * 12
    parts = split_run_on(line)
    assert len(parts) == 3 and parts[1].startswith("一段话") and parts[2].startswith("另一段话")


def test_file_without_separators_is_split_into_paragraphs() -> None:
    sentence = "我们要坚持以人民为中心的发展思想，不断增强人民群众的获得感、幸福感、安全感。"
    text = "一、总体要求" + sentence * 150 + "二、重点任务" + sentence * 150
    paras = clean_lines(text)
    assert len(paras) >= 6
    assert all(len(p) <= 1500 for p in paras)
    assert "".join(paras).replace(" ", "") == unify_punctuation(text)


def test_split_long_prefers_heading_markers() -> None:
    s = "这是一句很长的话，用来填满段落。"
    text = s * 80 + "二、第二部分的标题。" + s * 80
    parts = split_long(text)
    assert any(p.startswith("二、第二部分") for p in parts)


# --- punctuation and characters ---------------------------------------------------------------


def test_punctuation_width_unified_only_inside_chinese() -> None:
    assert unify_punctuation("同志们:今天,我们召开会议(扩大)!") == "同志们：今天，我们召开会议（扩大）！"
    assert unify_punctuation("增长1,000元,时间15:08") == "增长1,000元，时间15:08"
    assert unify_punctuation("see http://a.b/c?x=1,2 ok") == "see http://a.b/c?x=1,2 ok"


def test_full_width_digits_and_zero_width_marks() -> None:
    (p,) = clean_lines("２０２２年\u200b是极不平凡的一年，我们见证了共青团成立１００周年。")
    assert p == "2022年是极不平凡的一年，我们见证了共青团成立100周年。"


# --- articles ---------------------------------------------------------------------------------


def test_newspaper_issue_splits_into_four_articles() -> None:
    arts = seed("003")
    assert [a.title for a in arts] == ["品悟党史 接续奋斗", "践行初心使命 扛起责任担当", "感悟思想伟力 赓续精神血脉", "永葆初心 全心全意为人民服务"]
    assert [a.author for a in arts] == ["戴峰", "吴瑕", "潘强", "王猛"]
    assert all("阅读收获正能量" not in p for a in arts for p in a.paragraphs)
    assert all(not p.startswith("（作者系") for a in arts for p in a.paragraphs)


def test_title_subtitle_author_date_and_editor_note() -> None:
    (art,) = seed("000")
    assert art.title == "百年峥嵘展风华 扬帆起航筑梦行"
    assert art.subtitle == "在国际交往中心功能建设征程上奋勇前进"
    assert art.author == "李宇莎"
    assert art.date == "2022-09-27"
    assert art.editor_note.startswith("今年是中国共青团成立100周年")
    assert not any(p.startswith("编者按") for p in art.paragraphs)
    assert art.paragraphs[0].startswith("2022年，是极不平凡的一年")
    (art2,) = seed("002")
    assert (art2.title, art2.author) == ("昂扬奋进共绘美好蓝图", "唐棣")
    assert art2.subtitle.startswith("机关事务系统干部职工")


def test_positions_point_at_the_paragraphs_of_the_cleaned_file() -> None:
    for _name, arts in load_files([CORPUS]):
        seen: list[int] = []
        for a in arts:
            assert len(a.positions) == len(a.paragraphs)
            assert list(a.positions) == sorted(a.positions)
            seen.extend(a.positions)
        assert len(seen) == len(set(seen))
    (art,) = seed("004")
    assert art.source(0) == f"{art.file}#{art.positions[0]}"


def test_conversion_artifacts_flagged() -> None:
    (art,) = seed("001")
    assert "conversion-artifacts" in art.flags and not art.quotable
    for prefix in ("000", "002", "004"):
        assert all(a.flags == () for a in seed(prefix))


def test_traditional_text_flagged() -> None:
    text = "從第一屆全國人民代表大會第三次會議閉幕以來，已經整整一年了。這是偉大的轉變的一年。" * 5
    assert detect_flags(text) == ("traditional",)
    assert detect_flags("从第一届全国人民代表大会第三次会议闭幕以来，已经整整一年了。" * 5) == ()


def test_genre_guess() -> None:
    speech = clean_source(src("在全市青年工作会议上的讲话\n同志们：\n今天，我们召开全市青年工作会议，主要任务是总结工作、部署任务。\n"))
    assert speech[0].genre == "speech"
    reflection = clean_source(src("学习党的二十大精神心得体会\n通过学习，我深刻认识到党的二十大精神的重大意义，我将立足岗位做好本职工作。\n"))
    assert reflection[0].genre == "reflection"


@pytest.mark.skipif(not EXTRA.is_dir(), reason="corpus-extra not present")
def test_corpus_extra_every_file_yields_clean_articles() -> None:
    files = load_files([EXTRA])
    assert len(files) >= 170
    flagged = {name for name, arts in files for a in arts if "traditional" in a.flags}
    for name, arts in files:
        assert arts and any(a.paragraphs for a in arts), name
        for a in arts:
            assert max(len(p) for p in a.paragraphs) <= 3000, name
    assert any(n.startswith("cpc_congress_03") for n in flagged)
    assert any(n.startswith("gwr_national_1954") for n in flagged)
    assert not any(n.startswith(("prov", "xi2020", "cpc_congress_2")) for n in flagged)


# --- fast paths give the results of the plain rules ----------------------------------------------


def _unify_reference(text: str) -> str:
    """The rule of unify_punctuation written character by character, as it was first written."""
    from drafter.corpus import _CJKISH, _PUNCT, _paren

    text = re.sub(r"\(([^()]{0,60})\)", _paren, text)
    chars = list(text)
    for i, c in enumerate(chars):
        if c in _PUNCT:
            before = chars[i - 1] if i else ""
            after = chars[i + 1] if i + 1 < len(chars) else ""
            if before.isdigit() and after.isdigit():
                continue
            if (before and _CJKISH.match(before)) or (after and _CJKISH.match(after)):
                chars[i] = _PUNCT[c]
    return "".join(chars)


def test_unify_punctuation_matches_the_character_rule() -> None:
    rng = random.Random(5)
    alphabet = list(",:;?!()（）1２a中文 \u3000“”²x，")
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        assert unify_punctuation(text) == _unify_reference(text), text
    # a run of marks after Chinese text turns full width as a whole, each seeing the one before it
    assert unify_punctuation("好,,a") == "好，，a"
    assert unify_punctuation("1,,2") == "1,,2"


def test_quick_checks_never_skip_a_match() -> None:
    from drafter.corpus import (
        _ELLIPSIS,
        _STRONG_DEBRIS,
        _may_be_banner,
        _strip_ellipsis,
        normalize_chars,
        squash,
    )

    for line in ("VIP专享", "vİp", "ıcp备12345号", "本站声明", "编辑:张三"):
        assert _STRONG_DEBRIS.search(line) and _may_be_banner(line)
    assert not _may_be_banner("正文内容，没有横幅")
    for line in ("未完待续……", "未完。。 ", "句末。", "a..\t", "a.", "…", ""):
        assert _strip_ellipsis(line) == _ELLIPSIS.sub("", line)
    assert normalize_chars("ＧＤＰ增长５％\u00a0〝好〞\u200b") == "GDP增长5％ “好”"
    assert squash("a ,b\u3000\n c") == "a，bc"


def test_detect_flags_quick_check_agrees_with_conversion() -> None:
    import zhconv

    from drafter.corpus import _may_convert

    for text in ("从第一届全国人民代表大会第三次会议闭幕以来", "我們這個國家的發展", "沈默是金", "反覆强调", ""):
        if not _may_convert(text):
            assert zhconv.convert(text, "zh-cn") == text
    assert _may_convert("我們這個國家")


def test_quick_checks_agree_with_the_patterns_they_stand_for() -> None:
    from drafter.corpus import (
        _FULLWIDTH,
        _GLUED_CREDIT,
        _URL,
        _ZERO_WIDTH,
        _conversion_triggers,
        _may_be_url,
        _may_convert,
        _split_glued_credits,
        normalize_chars,
    )

    rng = random.Random(9)
    pieces = list("中文记者摄/、 \t\u3000\nmM.:@aEe-ＡＢ１２\u200b\u2028\u00ad\x00\u00a0〝〞") + [
        "新华社", "人民日报", "本报", "张三", "李四", "www.", "http://", "e-mail", "a@b.cn", "ＷＷＷ．",
    ]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 20)))
        assert normalize_chars(text) == re.sub(f"[{_ZERO_WIDTH}]", "", text).translate(_FULLWIDTH), text
        if _URL.search(text):
            assert _may_be_url(text), text
    credit_pieces = ["新华社", "人民日报", "本报", "记者", "记者", "张三", "李四", "中文", " ", "、", "/", "摄", "摄", "\n", "。"]
    for _ in range(5000):
        text = "".join(rng.choice(credit_pieces) for _ in range(rng.randrange(0, 16)))
        whole = _GLUED_CREDIT.sub(r"\n\1\n", text).split("\n")
        assert _split_glued_credits(text.split("\n")) == whole, text

    triggers = _conversion_triggers()
    assert triggers is not None
    singles, _, by_first = triggers
    phrases = [k for ks in by_first.values() for k in ks]
    common = "我们的国家发展经济社会一个人上下大中小"
    for _ in range(3000):
        parts = [rng.choice(common) for _ in range(rng.randrange(0, 12))]
        if rng.random() < 0.5:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(phrases))
        if rng.random() < 0.5:  # a phrase cut after its first character
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(phrases)[0])
        text = "".join(parts)
        expected = not singles.isdisjoint(text) or any(k in text for k in phrases)
        assert _may_convert(text) == expected, text


def test_simplified_conversion_loads_without_pkg_resources() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from drafter.simplified import conversion_table, to_simplified\n"
        "print(to_simplified('國家發展，為人民服務'))\n"
        "print(sys.modules.get('pkg_resources', 'absent') is None)\n"  # not left blocked
        "print(conversion_table()['發'])\n"
        "import pkg_resources\n"  # still importable afterwards
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["国家发展，为人民服务", "False", "发"]
