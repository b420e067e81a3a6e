"""Parallel headings aligned into skeletons: real series from the seeds and from public reports."""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter.errors import UsageError
from drafter.series import (
    Series,
    align,
    fill,
    fits,
    is_parallel,
    merge_series,
    normalize,
    rhythm,
    series_from_headings,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus"
EXTRA = Path("/work/shared/corpus-extra")

# Sibling series as they stand in the seed documents (markers such as 一、 or 一要 left out).
YAO_BA = ["要把以习近平外交思想为指导树得更牢", "要把加强党对外事工作的领导落得更实"]
PIN_WU = [
    "从品悟党百年非凡奋斗历程的思想伟力中，筑牢信仰之基，磨炼“刚劲”",
    "从品悟党推进革命、建设、改革的宝贵经验中，克服艰难险阻，夯实“韧劲”",
    "从品悟党不断推进自我革命的伟大斗争精神中，勇立时代潮头，锻造“闯劲”",
]
SHOU = ["守初心，为群众办实事", "勇担当，狠抓服务质量", "敢作为，创新工作思路"]
TU_CHU = ["突出问题导向", "突出目标导向", "突出对标先进", "突出文化传承"]
WAI_SHI = [
    "把牢政治方向，健全体制机制，切实加强党对外事工作的统一领导和归口管理",
    "树牢宗旨意识，永葆为民情怀，积极践行“外事为民”“外事便民”“外事惠民”",
    "强化创新意识，激发内生动能，着力构建“后疫情”时代对外交往新格局",
    "强化担当意识，切实转变作风，有力锻造素质过硬的外事干部队伍",
]
GAO_JU = ["高举伟大旗帜,凝聚奋进力量", "绘就宏伟蓝图,展现光明前景", "撸起袖子加油干,风雨无阻向前行"]
ALL_SEED_SERIES = [YAO_BA, PIN_WU, SHOU, TU_CHU, WAI_SHI, GAO_JU]


def _src(name: str, n: int) -> list[str]:
    return [f"{name}#{i + 1}" for i in range(n)]


def _split(headings: list[str], name: str = "seed") -> tuple[Series | None, Series | None]:
    """(exact, rhythm-only) series of one sibling series."""
    found = series_from_headings(headings, _src(name, len(headings)))
    exact = [s for s in found if s.exact]
    loose = [s for s in found if s.coverage == 0]
    assert len(exact) <= 1 and len(loose) <= 1 and len(found) == len(exact) + len(loose)
    return (exact[0] if exact else None), (loose[0] if loose else None)


def _round_trips(s: Series) -> None:
    for i in s.members:
        h = s.headings[i]
        values = fits(s, h)
        assert values is not None, (s.skeleton, h)
        assert fill(s, values) == h


def test_seed_series_are_real_text():
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(SEEDS.glob("*.txt")))
    for series in ALL_SEED_SERIES:
        for h in series:
            assert h in text


def test_two_headings_give_prefix_verb_and_adjective_slots():
    s = align(YAO_BA)
    assert s.skeleton.startswith("要把") and "得更" in s.constant
    assert s.slot_names == ("X", "V", "A")
    assert s.slots["V"] == ("树", "落")
    assert s.slots["A"] == ("牢", "实")
    assert s.slots["X"] == ("以习近平外交思想为指导", "加强党对外事工作的领导")
    assert s.slot_pos["V"] == ("v", "v")
    exact, _ = _split(YAO_BA)
    assert exact is not None and exact.skeleton == s.skeleton and exact.members == (0, 1)
    _round_trips(exact)


def test_three_clause_series_keeps_frame_and_quoted_slot():
    exact, loose = _split(PIN_WU)
    assert exact is not None and exact.members == (0, 1, 2)
    assert exact.skeleton.startswith("从品悟党")
    for piece in ("中，", "“", "劲”"):
        assert piece in exact.constant
    assert len(exact.slots) == 4
    assert ("刚", "韧", "闯") in exact.slots.values()
    assert exact.slots["V"] == ("磨炼", "夯实", "锻造")
    assert ("筑牢信仰之基", "克服艰难险阻", "勇立时代潮头") in exact.slots.values()
    # The enumeration comma 、 inside the first clause is not a break: one rhythm for all three.
    assert exact.rhythm == "18-20，6，4"
    assert loose is not None and loose.members == (0, 1, 2)
    _round_trips(exact)


def test_no_shared_words_gives_rhythm_only():
    exact, loose = _split(SHOU)
    assert exact is None
    assert loose is not None and loose.coverage == 0 and not loose.exact
    assert loose.rhythm == "3，6"
    assert loose.constant == "，"
    first, second = loose.slot_names
    assert loose.slots[first] == ("守初心", "勇担当", "敢作为")
    assert loose.slots[second] == ("为群众办实事", "狠抓服务质量", "创新工作思路")
    _round_trips(loose)


def test_unmarked_items_share_their_verb():
    exact, loose = _split(TU_CHU)
    assert exact is not None
    assert exact.skeleton == "突出{X}"
    assert exact.slots["X"] == ("问题导向", "目标导向", "对标先进", "文化传承")
    assert exact.coverage == pytest.approx(1 / 3, abs=1e-3)
    assert loose is not None and loose.rhythm == "6"
    assert fits(exact, "突出系统观念") == {"X": "系统观念"}
    assert fits(exact, "突出") is None
    assert fits(exact, "把牢政治方向") is None


def test_three_of_four_share_words():
    exact, loose = _split(WAI_SHI)
    assert exact is not None
    assert exact.members == (1, 2, 3)
    assert "意识，" in exact.constant
    assert len(exact.headings) == 4 and len(exact.sources) == 4
    assert exact.slots[exact.slot_names[0]] == ("树牢宗旨", "强化创新", "强化担当")
    assert fits(exact, WAI_SHI[0]) is None
    assert loose is not None and loose.members == (0, 1, 2, 3)
    assert loose.rhythm.startswith("6，6，")
    _round_trips(exact)
    _round_trips(loose)


def test_equal_halves_with_half_width_commas():
    exact, loose = _split(GAO_JU)
    assert exact is None
    assert loose is not None
    assert loose.rhythm == "6-7，6-7"
    assert loose.headings[0] == "高举伟大旗帜，凝聚奋进力量"
    assert [rhythm([h]) for h in GAO_JU] == ["6，6", "6，6", "7，7"]
    for h in GAO_JU:
        values = fits(loose, h)
        assert values is not None and fill(loose, values) == normalize(h)


def test_unequal_lengths_leave_a_slot_empty_in_one_member():
    pair = ["加强和改善宏观调控，促进经济平稳较快发展。", "提高宏观调控水平，保持经济平稳较快发展。"]
    s = align(pair)
    assert "宏观调控" in s.constant and s.skeleton.endswith("经济平稳较快发展。")
    optional = [name for name, fillers in s.slots.items() if "" in fillers]
    assert len(optional) == 1 and s.slots[optional[0]] == ("", "水平")
    assert all(any(f) for f in s.slots.values())
    assert s.rhythm == "8-9，10。"
    _round_trips(s)


def test_stray_shared_characters_do_not_become_skeleton():
    s = align(YAO_BA)
    # 外 (外交 / 对外) and 导 (指导 / 领导) are shared in order but are not words of the skeleton.
    assert "外" not in s.constant and "导" not in s.constant


def test_one_character_opening_that_cuts_a_word_is_not_skeleton():
    # 加 of 加大 / 加强 is shared but is no word of either heading (items of a work report).
    s = align(["加大生态环境保护和建设力度", "加强资源保护和合理利用"])
    assert not s.skeleton.startswith("加")
    assert "保护和" in s.constant
    assert "".join(s.slots[name][0] for name in s.slot_names[:2]) == "加大生态环境"
    assert s.slots["V"] == ("加大", "加强")
    # 做 of 做…者 is a word of its own and stays.
    t = align(["做深化改革的推动者", "做企业群众的服务者"])
    assert t.skeleton.startswith("做{") and t.skeleton.endswith("者")


def test_fill_and_fits():
    s = align(YAO_BA)
    assert (
        fill(s, {"X": "以人民为中心的发展思想为指引", "V": "扎", "A": "深"})
        == "要把以人民为中心的发展思想为指引扎得更深"
    )
    with pytest.raises(UsageError):
        fill(s, {"X": "以人民为中心"})
    assert fits(s, "要求把工作做得更好") is None


def test_braces_in_headings_are_escaped():
    s = align(["{甲}方案一", "{甲}方案二"])
    assert s.constant == "{甲}方案"
    _round_trips(s)


def test_json_round_trip():
    for series in ALL_SEED_SERIES:
        for s in series_from_headings(series, _src("x", len(series))):
            d = json.loads(json.dumps(s.to_dict(), ensure_ascii=False))
            for key in ("skeleton", "rhythm", "slots", "examples", "sources", "themes"):
                assert key in d
            assert Series.from_dict(d) == s


def test_series_needs_matching_sources():
    with pytest.raises(UsageError):
        series_from_headings(TU_CHU, ["a#1"])
    with pytest.raises(UsageError):
        align(["只有一个标题"])


def test_merge_joins_the_same_skeleton_from_two_articles():
    # 问题导向 / 目标导向 would share 导向, so each article gets a pair that shares only 突出.
    first, second = [TU_CHU[0], TU_CHU[2]], [TU_CHU[1], TU_CHU[3]]
    b = series_from_headings(second, ["b.txt#7", "b.txt#9"])
    a = series_from_headings(first, ["a.txt#3", "a.txt#5"])
    merged = merge_series(b + a)
    (tu_chu,) = [s for s in merged if s.skeleton == "突出{X}"]
    assert tu_chu.examples == (tuple(first), tuple(second))
    assert tu_chu.sources == ("a.txt#3", "a.txt#5", "b.txt#7", "b.txt#9")
    assert tu_chu.members == (0, 1, 2, 3)
    assert tu_chu.slots["X"] == ("问题导向", "对标先进", "目标导向", "文化传承")
    assert tu_chu.coverage == pytest.approx(1 / 3, abs=1e-3)
    _round_trips(tu_chu)
    # Merging a result again, or the same article twice, changes nothing.
    assert merge_series(merged + a) == merge_series(merged) == merged


def test_merge_is_independent_of_order():
    items = []
    for k, series in enumerate(ALL_SEED_SERIES):
        items += series_from_headings(series, _src(f"s{k}", len(series)))
    items += series_from_headings([TU_CHU[3], TU_CHU[0]], _src("t", 2))
    expected = [s.to_dict() for s in merge_series(items)]
    rng = random.Random(7)
    for _ in range(20):
        shuffled = items[:]
        rng.shuffle(shuffled)
        assert [s.to_dict() for s in merge_series(shuffled)] == expected
        # Reducing in two steps (a cached part first) gives the same list as one step.
        k = rng.randrange(len(shuffled))
        assert [s.to_dict() for s in merge_series(merge_series(shuffled[:k]) + shuffled[k:])] == expected


def test_is_parallel():
    for series in ALL_SEED_SERIES:
        assert is_parallel(series)
    # Different break pattern and no shared words (two items of one work report).
    assert not is_parallel(["着力改善民生，加快发展社会事业。", "全面实施科教兴国战略和人才强国战略。"])
    # Far apart in length.
    assert not is_parallel([TU_CHU[0], PIN_WU[0]])
    assert not is_parallel([TU_CHU[0]])


# --- public work reports -----------------------------------------------------------------------

_ITEM = re.compile(r"^（([一二三四五六七八九十]+)）(.+)$")


def _report_series(name: str) -> list[tuple[list[str], list[str]]]:
    """（一）（二）… runs of a report, each heading cut at its first full stop."""
    path = EXTRA / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    runs: list[tuple[list[str], list[str]]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        m = _ITEM.match(line.strip())
        if not m:
            continue
        if m.group(1) == "一":
            runs.append(([], []))
        if runs:
            runs[-1][0].append(m.group(2).split("。")[0])
            runs[-1][1].append(f"{name}#{n}")
    return runs


def test_report_series_with_shared_lead_and_tail():
    runs = _report_series("prov2026_山东省.txt")
    skeletons = {}
    for headings, sources in runs:
        for s in series_from_headings(headings, sources):
            _round_trips(s)
            if s.exact:
                skeletons[s.skeleton] = s
    assert "{X}迈出坚实步伐" in skeletons and len(skeletons["{X}迈出坚实步伐"].members) == 6
    assert "奋力推进{X}" in skeletons and len(skeletons["奋力推进{X}"].members) == 10
    assert skeletons["奋力推进{X}"].sources[0] == "prov2026_山东省.txt#47"


def test_report_series_with_two_frames():
    runs = _report_series("prov2026_新疆维吾尔自治区.txt")
    headings, sources = runs[-1]
    exact, loose = _split(headings, "xj")
    assert exact is not None and len(exact.members) == len(headings) == 4
    for piece in ("建设，把", "作为政府的"):
        assert piece in exact.constant
    assert loose is not None and loose.rhythm.startswith("6，")
    _round_trips(exact)


def test_report_series_rhythm():
    (run,) = _report_series("gwr_national_2019.txt")
    headings, sources = run
    assert len(headings) == 10
    found = series_from_headings(headings, sources)
    loose = [s for s in found if s.coverage == 0]
    assert loose and len(loose[0].members) >= 6
    assert re.fullmatch(r"\d+(-\d+)?，\d+(-\d+)?", loose[0].rhythm)
    for s in found:
        _round_trips(s)
        assert all(0 <= i < 10 for i in s.members)


# --- properties --------------------------------------------------------------------------------

_short = st.text(min_size=0, max_size=12)
_chinese = st.text(alphabet="要把加强党的领导落得更实，、“”突出问题导向发展建设意识", min_size=1, max_size=14)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_short, min_size=2, max_size=6))
def test_align_never_raises_and_members_fit(headings):
    s = align(headings)
    assert len(s.members) == len(headings)
    for name, fillers in s.slots.items():
        assert any(fillers), name
    _round_trips(s)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_chinese, min_size=2, max_size=6))
def test_series_members_fit_their_skeleton(headings):
    for s in series_from_headings(headings, _src("h", len(headings))):
        assert len(s.members) >= 2
        _round_trips(s)
        assert Series.from_dict(s.to_dict()) == s


@given(_short)
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


def test_matching_blocks_equal_difflib() -> None:
    from difflib import SequenceMatcher

    from drafter.series import _matching_blocks

    rng = random.Random(3)
    for _ in range(5000):
        alphabet = rng.choice(["ab", "abc", "加强党的领导，", "的一是"])
        a = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        expected = tuple(tuple(m) for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
        assert _matching_blocks(a, b) == expected, (a, b)


# --- the shortcuts of the search give what the plain search gives ---------------------------------

_WORDS = ["要把", "加强", "党的", "领导", "得更", "实", "牢", "发展", "建设", "意识", "的", "和", "新"]
_MARKS = ["，", "、", "；", "“", "”", " ", "。"]


def _random_series(rng: random.Random) -> list[str]:
    """Headings that share some words (a stem, here and there) and not others, marks included."""

    def piece() -> str:
        return "".join(rng.choice(_WORDS if rng.random() < 0.8 else _MARKS) for _ in range(rng.randint(0, 4)))

    stem = piece()
    return [
        normalize(rng.choice([stem + piece(), piece() + stem, piece() + stem + piece(), piece()]))
        for _ in range(rng.randint(2, 9))
    ]


def _exact_members_plainly(texts: list[str]) -> tuple[list[int], list[Any]] | None:
    """The exact-series search as its docstring tells it: every pair aligned, every heading tried."""
    from drafter.series import _MAX_SEEDS, _add, _profile, _prune, _runs, _solid_cols

    def score(cols: list[Any]) -> int:
        return sum(len(run) ** 2 for run in _runs(cols))

    n = len(texts)
    if n < 2:
        return None
    full = _profile(texts)
    if _solid_cols(full, texts):
        return list(range(n)), full
    seeds = []
    for i, j in itertools.combinations(range(n), 2):
        cols = _profile([texts[i], texts[j]])
        if _solid_cols(cols, [texts[i], texts[j]]):
            seeds.append((-score(cols), (i, j), cols))
    seeds.sort(key=lambda s: (s[0], s[1]))
    best = None
    for _, (i, j), cols in seeds[:_MAX_SEEDS]:
        members = [i, j]
        for k in range(n):
            trial = [*(texts[m] for m in members), texts[k]]
            if k not in members and _solid_cols(grown := _prune(_add(cols, texts[k]), trial), trial):
                cols, members = grown, [*members, k]
        order = sorted(range(len(members)), key=lambda x: members[x])
        key = (-len(members), -score(cols), tuple(sorted(members)))
        if best is None or key < best[0]:
            best = (key, sorted(members), [(ch, tuple(pos[x] for x in order)) for ch, pos in cols])
    return None if best is None else (best[1], best[2])


def _rhythm_members_plainly(texts: list[str]) -> list[int]:
    """The rhythm-only search trying every window of every break pattern, longest first."""
    from drafter.series import _clauses, _shared_rhythm, _similar_length

    groups: dict[tuple[str, ...], list[int]] = {}
    for i, t in enumerate(texts):
        groups.setdefault(_clauses(t)[1], []).append(i)
    best: list[int] = []
    for idx in groups.values():
        by_len = sorted(idx, key=lambda i: (len(texts[i]), i))
        for lo in range(len(by_len)):
            for hi in range(len(by_len), lo + 1, -1):
                window = sorted(by_len[lo:hi])
                if len(window) < max(2, len(best)):
                    break
                if len(window) == len(best) and window > best:
                    continue
                if _similar_length([texts[i] for i in window]) and _shared_rhythm([texts[i] for i in window]):
                    best = window
                    break
    return best


def test_exact_search_skips_only_candidates_that_cannot_share_words() -> None:
    from drafter.series import _exact_members

    rng = random.Random(11)
    found = 0
    for _ in range(800):
        texts = _random_series(rng)
        expected = _exact_members_plainly(texts)
        assert _exact_members(texts) == expected, texts
        found += expected is not None and len(expected[0]) < len(texts)
    assert found > 50  # the subset search, not only the whole series, was exercised


def test_pair_shortcuts_agree_with_the_pair_profile() -> None:
    from drafter.series import (
        _block_runs,
        _may_keep_words,
        _pair_blocks,
        _pair_may_share_words,
        _profile,
        _runs,
        _solid_cols,
        _text_reach,
    )

    rng = random.Random(12)
    for _ in range(3000):
        a, b = _random_series(rng)[:2]
        cols = _profile([a, b])
        solid = _solid_cols(cols, [a, b])
        blocks = _pair_blocks(a, b)
        assert (blocks is not None) == solid, (a, b)
        if solid:
            assert _may_keep_words(_text_reach(a), _text_reach(b)) and _pair_may_share_words(a, b)
            assert blocks is not None and _block_runs(a, blocks) == _runs(cols)


def test_rhythm_search_grows_windows_as_the_plain_search_finds_them() -> None:
    from drafter.series import _rhythm_members

    rng = random.Random(13)
    for _ in range(1500):
        patterns = [
            [rng.choice("，；： 。") for _ in range(rng.randrange(3))] for _ in range(rng.randint(1, 3))
        ]
        texts = []
        for _ in range(rng.choice([2, 3, 4, 6, 9, 15, 30])):
            clauses = ["".join(rng.choice(_WORDS) for _ in range(rng.randrange(5))) for _ in range(3)]
            marks = rng.choice(patterns)
            texts.append(
                normalize(clauses[0] + "".join(m + c for m, c in zip(marks, clauses[1:], strict=False)))
            )
        assert _rhythm_members(texts) == _rhythm_members_plainly(texts), texts


def test_normalize_skips_only_passes_that_change_nothing() -> None:
    from drafter.series import _PUNCT_SPACE, _STRAY_SPACE, _full_width

    rng = random.Random(14)
    alphabet = ' \u3000\t,;:!?()"“”，。12ab加强党年、'
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        plain = re.sub(r"\s+", " ", text.replace("\u3000", " ")).strip()
        assert normalize(text) == _PUNCT_SPACE.sub("", _full_width(_STRAY_SPACE.sub("", plain))), text
