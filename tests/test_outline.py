"""Heading recovery on short realistic texts, on the seeds, and through the reference scorer."""

from __future__ import annotations

import json
import random
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from drafter.corpus import Article, load_files
from drafter.outline import Heading, outline

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"


def art(*paragraphs: str, title: str = "测试文章", subtitle: str = "") -> Article:
    return Article(
        file="t.txt",
        title=title,
        subtitle=subtitle,
        paragraphs=tuple(paragraphs),
        positions=tuple(range(2, len(paragraphs) + 2)),
    )


def rows(a: Article) -> list[tuple[int, str, str, str]]:
    return [(h.level, h.family, h.marker, h.text) for h in outline(a)]


BODY = "我们要坚持以人民为中心的发展思想，扎实推进各项工作，确保取得实效，让人民群众有更多获得感。"


# ------------------------------------------------------------------ marked families and nesting


def test_report_nesting_cn_paren_num_and_inline():
    a = art(
        "各位代表：",
        "现在，我代表市人民政府，向大会报告政府工作，请予审议。",
        "一、过去一年工作回顾",
        "过去一年，全市经济运行稳中有进。" + BODY,
        "（一）坚持稳中求进，经济运行保持平稳",
        "全年地区生产总值增长5.2%。一是扩大有效投资。新开工重大项目120个。二是提振消费需求。社会消费品零售总额增长6%。三是稳定外贸外资。进出口总额创历史新高。",
        "（二）坚持改革创新，发展动能持续增强",
        "1.深化重点领域改革。" + BODY,
        "2.提升科技创新能力。" + BODY,
        "二、今年工作安排",
        "今年要重点做好以下工作。" + BODY,
        "（一）全力稳定经济增长",
        BODY,
    )
    got = rows(a)
    assert got == [
        (1, "cn", "一、", "过去一年工作回顾"),
        (2, "paren_cn", "（一）", "坚持稳中求进，经济运行保持平稳"),
        (3, "inline_shi", "一是", "扩大有效投资"),
        (3, "inline_shi", "二是", "提振消费需求"),
        (3, "inline_shi", "三是", "稳定外贸外资"),
        (2, "paren_cn", "（二）", "坚持改革创新，发展动能持续增强"),
        (3, "num", "1.", "深化重点领域改革"),
        (3, "num", "2.", "提升科技创新能力"),
        (1, "cn", "二、", "今年工作安排"),
        (2, "paren_cn", "（一）", "全力稳定经济增长"),
    ]
    assert [h.paragraph for h in outline(a)][:3] == [3, 5, 6]


def test_speech_di_with_inline_yao_and_paren_num():
    a = art(
        "同志们：",
        "今天召开这次会议，主要任务是总结去年工作，部署今年任务。下面，我讲几点意见：",
        "第一，要把政治建设摆在首位",
        "一要提高政治站位。" + BODY + "二要强化理论武装。" + BODY,
        "第二，要把作风建设抓得更实",
        "（1）严格执行各项规定。" + BODY,
        "（2）持续整治形式主义。" + BODY,
        "同志们，让我们更加紧密地团结起来，为实现今年目标任务而努力奋斗！",
    )
    assert rows(a) == [
        (1, "di", "第一", "要把政治建设摆在首位"),
        (2, "inline_yao", "一要", "提高政治站位"),
        (2, "inline_yao", "二要", "强化理论武装"),
        (1, "di", "第二", "要把作风建设抓得更实"),
        (2, "paren_num", "（1）", "严格执行各项规定"),
        (2, "paren_num", "（2）", "持续整治形式主义"),
    ]


def test_inline_di_qi_and_seq_series_inside_paragraphs():
    a = art(
        "开头的话。" + BODY,
        "做好这项工作，要把握三点。第一，坚持问题导向。" + BODY + "第二，坚持系统观念。" + BODY + "第三，坚持守正创新。" + BODY,
        "其中道理有二。其一，历史经验反复证明了这一点。" + BODY + "其二，现实需要迫切要求这样做。" + BODY,
        "具体来说，首先，要统一思想认识。" + BODY + "其次，要完善工作机制。" + BODY + "最后，要强化督促检查。" + BODY,
    )
    got = rows(a)
    assert [(f, m) for _, f, m, _ in got] == [
        ("inline_di", "第一"), ("inline_di", "第二"), ("inline_di", "第三"),
        ("qi", "其一"), ("qi", "其二"),
        ("seq", "首先"), ("seq", "其次"), ("seq", "最后"),
    ]
    assert got[0][3] == "坚持问题导向" and got[5][3] == "要统一思想认识"
    assert {lvl for lvl, *_ in got} == {1}


def test_dash_items_open_parallel_points():
    a = art(
        "过去一年，我们主要取得了以下成绩。" + BODY,
        "——经济运行稳中向好。地区生产总值增长6%。",
        "——改革开放持续深化。重点领域改革取得突破。",
        "——人民生活持续改善。居民收入稳步增长。",
        BODY,
    )
    assert rows(a) == [
        (1, "dash", "——", "经济运行稳中向好"),
        (1, "dash", "——", "改革开放持续深化"),
        (1, "dash", "——", "人民生活持续改善"),
    ]


def test_markdown_headings():
    a = art("# 总体要求", BODY, "## 主要任务", BODY, "## 保障措施", BODY)
    got = rows(a)
    assert [(lvl, fam, text) for lvl, fam, _, text in got] == [
        (1, "md", "总体要求"), (2, "md", "主要任务"), (2, "md", "保障措施"),
    ]


def test_markdown_wrapped_markers_keep_their_family():
    a = art("## 一、总体要求", BODY, "**（一）指导思想**", BODY, "**（二）工作目标**", BODY, "## 二、主要任务", BODY)
    assert [(lvl, fam, m, t) for lvl, fam, m, t in rows(a)] == [
        (1, "cn", "一、", "总体要求"),
        (2, "paren_cn", "（一）", "指导思想"),
        (2, "paren_cn", "（二）", "工作目标"),
        (1, "cn", "二、", "主要任务"),
    ]


def test_parts_hold_numbered_points():
    a = art(
        "开头。" + BODY,
        "第一部分 过去五年的工作",
        "第一，经济实力跃上新台阶。" + BODY,
        "第二，改革开放取得新突破。" + BODY,
        "第二部分 今后五年的目标任务",
        BODY,
        "依照第一章第三条的规定执行。" + BODY,
    )
    assert [(lvl, fam, m, t) for lvl, fam, m, t in rows(a)] == [
        (1, "part", "第一部分", "过去五年的工作"),
        (2, "di", "第一", "经济实力跃上新台阶"),
        (2, "di", "第二", "改革开放取得新突破"),
        (1, "part", "第二部分", "今后五年的目标任务"),
    ]


def test_heading_text_extent_rules():
    long_clause = "坚持把发展经济的着力点放在实体经济上，推进新型工业化，加快建设制造强国、质量强国、航天强国、交通强国、网络强国、数字中国，巩固优势产业领先地位，在关系安全发展的领域加快补齐短板"
    a = art(
        "开头。" + BODY,
        "一是" + long_clause + "。" + BODY,
        "二是加快发展现代服务业：" + BODY,
    )
    hs = outline(a)
    # no stop within 80 characters: the text runs to the first comma after the tenth character
    assert hs[0].text == "坚持把发展经济的着力点放在实体经济上"
    assert hs[1].text == "加快发展现代服务业"
    # a stop inside quotation marks does not end the heading
    b = art("开头。" + BODY, "一是坚持“中午不休息，周末预约接案”的做法；二是推行“一次办好”。" + BODY)
    assert outline(b)[0].text == "坚持“中午不休息，周末预约接案”的做法"


# ------------------------------------------------------------------ unmarked headings


def test_unmarked_heading_lines_title_the_text_after_them():
    a = art(
        "大道之行，壮阔无垠；共同意志，共同心声。",
        "全系统迅速掀起学习贯彻会议精神热潮。" + BODY,
        "高举伟大旗帜，凝聚奋进力量",
        "10月26日，机关党委召开全委会集体学习会议精神。" + BODY,
        "辉煌成就载史册，历史伟业启新程。",
        "绘就宏伟蓝图，展现光明前景",
        "蓝图已经绘就，号角已经吹响。" + BODY,
        "撸起袖子加油干，风雨无阻向前行",
        "美好的蓝图需要埋头苦干、团结奋斗才能变为现实。",
        "奋进新征程，扬帆再出发。" + BODY,
    )
    got = rows(a)
    assert [(lvl, fam, m, t) for lvl, fam, m, t in got] == [
        (1, "line", "", "高举伟大旗帜，凝聚奋进力量"),
        (1, "line", "", "绘就宏伟蓝图，展现光明前景"),
        (1, "line", "", "撸起袖子加油干，风雨无阻向前行"),
    ]


def test_parallel_lead_sentences_across_paragraphs():
    a = art(
        "站在新的历史起点上，我们倍感责任重大。" + BODY,
        "守初心，为群众办实事。始终站稳人民立场，把群众的事当作自己的事。" + BODY,
        "勇担当，狠抓服务质量。群众利益无小事，一枝一叶总关情。" + BODY,
        "敢作为，创新工作思路。风好正是扬帆时，不待扬鞭自奋蹄。" + BODY,
        "重担在肩思己任，初心不改行致远。" + BODY,
    )
    assert rows(a) == [
        (1, "lead", "", "守初心，为群众办实事"),
        (1, "lead", "", "勇担当，狠抓服务质量"),
        (1, "lead", "", "敢作为，创新工作思路"),
    ]


def test_parallel_sentences_inside_a_run_on_paragraph():
    filler = "志之所趋，无远弗届，穷山距海，不能限也。这是对青年的殷切寄语，我们要立担当作为的远大志向，始终以先锋形象用奋斗书写历史篇章，在关键时刻敢于直面矛盾，敢于担当作为，敢于攻坚克难。"
    text = (
        "新时代呼吁青年干部立鸿鹄志。" + filler * 2
        + " 强担当需要青年干部追高质量。" + filler + "一要突出问题导向。" + filler + "二要突出目标导向。" + filler
        + " 新起点号召青年干部做奋斗者。" + filler + "一是做信念坚定的学习者。" + filler + "二是做深化改革的推动者。" + filler
        + " 青年干部必将大有作为。"
    )
    got = rows(art(text))
    assert got == [
        (1, "lead", "", "新时代呼吁青年干部立鸿鹄志"),
        (1, "lead", "", "强担当需要青年干部追高质量"),
        (2, "inline_yao", "一要", "突出问题导向"),
        (2, "inline_yao", "二要", "突出目标导向"),
        (1, "lead", "", "新起点号召青年干部做奋斗者"),
        (2, "inline_shi", "一是", "做信念坚定的学习者"),
        (2, "inline_shi", "二是", "做深化改革的推动者"),
    ]
    # the same text without the spaces still shows its parallel sentences
    assert [t for _, f, _, t in rows(art(text.replace(" ", ""))) if f == "lead"] == [
        "新时代呼吁青年干部立鸿鹄志", "强担当需要青年干部追高质量", "新起点号召青年干部做奋斗者",
    ]


def test_run_on_text_separated_only_by_spaces():
    paras = [
        "各位代表：",
        "现在，我代表市人民政府，向大会报告政府工作，请予审议。",
        "一、过去一年工作回顾",
        "过去一年，全市经济运行稳中有进。" + BODY,
        "二、今年工作安排",
        "今年要重点做好以下工作。一是扩大有效投资。" + BODY + "二是提振消费需求。" + BODY,
        "三、加强政府自身建设",
        BODY,
    ]
    for sep in ("\u3000\u3000", " "):
        got = [(lvl, m, t) for lvl, _, m, t in rows(art(sep.join(paras)))]
        assert got == [
            (1, "一、", "过去一年工作回顾"),
            (1, "二、", "今年工作安排"),
            (2, "一是", "扩大有效投资"),
            (2, "二是", "提振消费需求"),
            (1, "三、", "加强政府自身建设"),
        ], sep


# ------------------------------------------------------------------ what is not a heading


def test_front_matter_and_salutations_are_not_headings():
    a = art(
        "在国际交往中心功能建设征程上奋勇前进",
        "日期：2022-09-27",
        "同志们：",
        "今天，我们召开全市外事工作会议。" + BODY,
        "下面，我讲几点意见：",
        BODY,
        "谢谢大家！",
        title="百年峥嵘展风华 扬帆起航筑梦行",
        subtitle="在国际交往中心功能建设征程上奋勇前进",
    )
    assert outline(a) == ()


def test_words_that_merely_contain_markers_are_not_headings():
    a = art(
        "市委外事工作委员会第一次会议审议通过了有关文件。" + BODY,
        "思想统一是行动一致的前提，这是做好工作的重要经验之一是我们的共识。" + BODY,
        "依照第一章第三条的规定，统一要求，严格执行。" + BODY,
        "一、二线城市房价总体平稳，三、四线城市库存明显下降。" + BODY,
        "二是要防范化解重大风险。" + BODY,
        "首先要看到成绩，也要看到不足。" + BODY,
    )
    assert outline(a) == ()


def test_numbered_facts_inside_a_sentence_are_not_headings():
    a = art(
        "全年完成三项任务：（一）新建道路20公里；（二）改造管网15公里；（三）新增绿地100公顷。" + BODY,
        "主要有两方面原因，一是投入不足，二是机制不顺，影响了工作成效。" + BODY,
        "优先保障重点领域，首先是教育，其次是医疗，最后是养老。" + BODY,
        "2022年，地区生产总值增长3.5%，1.2万户家庭受益。" + BODY,
        "2023.6 以来，各项指标持续向好。" + BODY,
    )
    assert outline(a) == ()


def test_lone_items_and_series_not_starting_at_one_are_ignored():
    a = art(
        "开头。" + BODY,
        "二、加强组织领导",
        BODY,
        "三、强化督促检查",
        BODY,
        "（一）完善工作机制",
        BODY,
    )
    assert outline(a) == ()


def test_hard_wrapped_lines_are_not_heading_lines():
    text = "党的十八大以来以习近平同志为核心的党中央高瞻远瞩总揽全局深刻把握新时代中国和世界发展大势提出一系列富有中国特色体现时代精神的新理念新主张新倡议形成了习近平外交思想。"
    lines = [text[i : i + 28] for i in range(0, len(text), 28)] * 3
    assert outline(art("开头。" + BODY, *lines)) == ()


def test_footnotes_are_not_headings():
    a = art(
        "马克思指出，人们自己创造自己的历史。" + BODY,
        BODY,
        "① 马克思",
        "《路易·波拿巴的雾月十八日》，人民出版社版，第8页。",
        "② 列宁",
        "《列宁选集》第4卷，人民出版社版，第1页。",
    )
    assert outline(a) == ()


def test_repeated_credit_lines_are_not_headings():
    a = art(BODY, "新华社记者", BODY, "新华社记者", BODY, "新华社记者", BODY)
    assert outline(a) == ()


# ------------------------------------------------------------------ data shape


def test_heading_round_trips_through_json():
    h = Heading(level=2, marker="（一）", text="坚持稳中求进", paragraph=5, family="paren_cn")
    d = json.loads(json.dumps(h.to_dict(), ensure_ascii=False))
    assert set(d) == {"level", "marker", "text", "paragraph", "family"}
    assert Heading.from_dict(d) == h


# ------------------------------------------------------------------ real text


@pytest.fixture(scope="module")
def seeds() -> dict[str, list[Article]]:
    return dict(load_files([ROOT / "corpus"]))


def test_seed_speech_has_its_two_points(seeds):
    (speech,) = [a for a in seeds["004_afa0366009b13690.txt"] if outline(a)]
    hs = outline(speech)
    assert [h.marker for h in hs][:2] == ["第一", "第二"]
    assert hs[0].text.startswith("要把以习近平外交思想为指导树得更牢")
    assert all(h.family == "di" and h.level == 1 for h in hs)


def test_seed_lead_sentences_are_found(seeds):
    texts = [h.text for a in seeds["003_df1366c180e3263b.txt"] for h in outline(a) if h.family == "lead"]
    assert texts == ["守初心，为群众办实事", "勇担当，狠抓服务质量", "敢作为，创新工作思路"]


def test_every_heading_points_at_its_paragraph(seeds):
    for arts in seeds.values():
        for a in arts:
            for h in outline(a):
                para = a.paragraphs[h.paragraph - 1]
                assert re.sub(r"\W", "", h.text)[:4] in re.sub(r"\W", "", para)


def test_national_report_outline_has_no_fact_lists():
    path = SHARED / "corpus-extra" / "gwr_national_2017.txt"
    if not path.exists():
        pytest.skip("shared corpus not available")
    (arts,) = [arts for _, arts in load_files([path])]
    hs = [h for a in arts for h in outline(a)]
    top = [h.text for h in hs if h.family == "cn"]
    assert top == ["2016年工作回顾", "2017年工作总体部署", "2017年重点工作任务"]
    assert all(h.level == 1 for h in hs if h.family == "cn")
    assert all(h.level == 2 for h in hs if h.family == "paren_cn")
    assert not [h for h in hs if re.match(r"^[一二三四五六七八九十]、", h.text)]


def test_scorer_on_seeds():
    scorer = SHARED / "eval" / "score_outline.py"
    gold = SHARED / "eval" / "seed-outlines.json"
    if not scorer.exists() or not gold.exists():
        pytest.skip("shared evaluation folder not available")
    cmd = shlex.join([sys.executable, "-m", "drafter", "outline", "--format", "json"])
    proc = subprocess.run(
        [sys.executable, str(scorer), str(gold), str(ROOT / "corpus"), "--cmd", cmd],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    m = re.search(r"outline F1=([\d.]+) P=([\d.]+) R=([\d.]+) level_acc=([\d.]+)", proc.stdout)
    assert m, proc.stdout + proc.stderr
    f1, level = float(m.group(1)), float(m.group(4))
    assert f1 >= 0.90 and level >= 0.90, proc.stdout


# ------------------------------------------------------------------ quick scans


def test_quick_scans_agree_with_the_patterns_they_stand_for():
    from drafter import outline as o

    inline_plain = re.compile(rf"第{o._N}(?:是|[，,、：:])|其{o._N}(?:是|[，,、：:])|{o._N}[是要]|首先|其次|再次|最后")
    sentence_starts = re.compile(r"(?<=[。！？!?])\s*")
    trail = re.compile(r"[。；;，,：:！!？?、…\s]+$")
    rng = random.Random(7)
    alphabet = list("一二三四五六七八九十第其首先次再最后是要章部分，,、：:。！？!?；;…“”（()）《》—―-#*12٣改革中文 ") + [
        "  ", "\u3000", "\t", "\xa0", "\x0b", "\x1c", "\u2028", "\n", "。 ", "—— ", "--", "（一）", "一、", "1.",
    ]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 160)))
        assert [m.span() for m in o._unit_breaks(text)] == [m.span() for m in o._UNIT_SPLIT.finditer(text)], text
        assert [m.span() for m in o._sentences(text)] == [m.span() for m in o._SENTENCE.finditer(text)], text
        assert [m.span() for m in o._INLINE_SCAN.finditer(text)] == [m.span() for m in inline_plain.finditer(text)], text
        assert o._trim_end(text) == trail.sub("", text), text
        # every sentence start where a block marker or a dash matches is listed
        starts = o._marker_starts(text)
        if len(text) >= 120:
            soft = [0] + [m.end() for m in sentence_starts.finditer(text)]
            opens = [s for s in soft if o._DASH.match(text, s) or any(rx.match(text, s) for _, rx in o._BLOCK)]
            assert set(opens) <= set(starts) <= set(soft), text
        for s in starts:
            if any(rx.match(text, s) for _, rx in o._BLOCK):
                assert o._BLOCK_OPENER.match(text, s), text


def test_space_shortcuts_hold_for_every_character():
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = re.findall(r"\s", everything)
    # _unit_breaks skips printable paragraphs without " "; _trim_end strips what rstrip() strips
    assert all(ch == " " or not ch.isprintable() for ch in spaces)
    assert "".join(spaces) == "".join(ch for ch in everything if ch.isspace())


def test_long_lines_without_breaks_have_no_headings():
    # a sentence pattern retried at every position once made these take minutes (speed itself is
    # measured in benchmarks/); a line that never breaks is prose, not a run of headings
    for para in ("加强改革创新发展" * 5000, "一二三四五六七八九十是要" * 3000, "a, b, c " * 5000):
        assert not outline(art(para, BODY))
