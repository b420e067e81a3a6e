"""The commands end to end on the shipped corpus: mine, series, bank, themes, new.

Each test runs the real command line (click's runner, same process) against a cache folder of its
own, so nothing outside temporary folders is written.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter.cli import cli

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
NUMBER = re.compile(r"[0-9０-９]|百分之|[一二三四五六七八九十两几百千]+(?:万|亿|个百分点)")
GAP = re.compile(r"【待补[^】]*】")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("drafter")
    return {"DRAFTER_CACHE_DIR": str(base / "cache"), "DRAFTER_BANKS": str(base / "banks"), "DRAFTER_CORPUS": str(CORPUS)}


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    if code:  # failures go through main(), the one error path
        proc = run_main(env, *args)
        assert proc.returncode == code, proc.stderr
        return proc.stdout
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def run_main(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Through ``python -m drafter`` so the one error path (``main``) is exercised."""
    return subprocess.run([sys.executable, "-m", "drafter", *args], capture_output=True, text=True, env={**_base_env(), **env}, timeout=120)


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("DRAFTER_")}


def walk(sections: list[dict]) -> list[dict]:
    out = []
    for s in sections:
        out.append(s)
        out.extend(walk(s.get("children", [])))
    return out


# --- mine / series / bank / themes --------------------------------------------------------------


def test_mine_reports_the_model(env: dict[str, str]) -> None:
    data = json.loads(run(env, "mine", "--format", "json"))
    assert data["files"] == 5 and data["articles"] == 8
    assert data["series"] > 5
    assert set(data["phrases"]) >= {"四字格", "提法", "引语"}
    assert Path(data["model"]).is_file()
    assert not Path(data["model"]).is_relative_to(CORPUS)


def test_series_contains_the_skeletons_of_the_genre_table(env: dict[str, str]) -> None:
    rows = json.loads(run(env, "series", "--format", "json"))
    for r in rows:
        assert set(r) >= {"skeleton", "rhythm", "slots", "examples", "sources", "themes"}

    def find(*words: str) -> dict:
        for r in rows:
            heads = [h for ex in r["examples"] for h in ex]
            if all(any(w in h for h in heads) for w in words) and r["sources"]:
                return r
        raise AssertionError(f"no series with {words}")

    r = find("树得更牢", "落得更实")
    assert "要把" in r["skeleton"] and "得更" in r["skeleton"] and r["sources"][0].startswith("004_")
    r = find("磨炼“刚劲”", "锻造“闯劲”")
    assert "从品悟党" in r["skeleton"] and "劲”" in r["skeleton"]
    r = find("守初心", "勇担当", "敢作为")
    assert re.match(r"^3，", r["rhythm"])
    r = find("突出问题导向", "突出文化传承")
    assert r["skeleton"].startswith("突出")
    r = find("把牢政治方向", "强化担当意识")
    assert "意识" in r["skeleton"] or "，" in r["skeleton"]
    r = find("高举伟大旗帜", "撸起袖子加油干")
    assert "，" in r["skeleton"] and r["sources"][0].startswith("002_")


def test_bank_list_has_the_expected_entries_without_debris(env: dict[str, str]) -> None:
    rows = json.loads(run(env, "bank", "list", "--format", "json"))
    texts = {r["text"] for r in rows}
    for phrase in ("砥砺奋进", "踔厉奋发", "笃行不怠"):
        assert phrase in texts
    assert any("四个意识" in t for t in texts) and any("两个维护" in t for t in texts)
    quote = [r for r in rows if r["category"] == "引语" and "一个民族只有寄望青春、永葆青春，才能兴旺发达" in r["text"]]
    assert quote and "习近平" in quote[0]["speaker"] and quote[0]["sources"][0].startswith("000_")
    debris = re.compile(r"\.(?:png|jpe?g|docx?)|下载|VIP|E-?mail|https?:|www\.|@|侵权|字号|温馨提示|客服|展开>>|□|作者系")
    assert not [r["text"] for r in rows if debris.search(r["text"])]


def test_bank_search_by_word_category_and_speaker(env: dict[str, str]) -> None:
    rows = json.loads(run(env, "bank", "list", "quote", "--speaker", "习近平", "--format", "json"))
    assert rows and all(r["category"] == "引语" and "习近平" in r["speaker"] for r in rows)
    rows = json.loads(run(env, "bank", "list", "--grep", "意识", "--format", "json"))
    assert rows and all("意识" in r["text"] or "意识" in r.get("context", "") for r in rows)
    run(env, "bank", "list", "nonsense", code=2)


def test_hand_added_entry_survives_remining_and_minus_line_removes(env: dict[str, str], tmp_path: Path) -> None:
    banks = Path(env["DRAFTER_BANKS"])
    run(env, "bank", "add", "四字格", "守正笃实")
    run(env, "mine", "--force")
    rows = json.loads(run(env, "bank", "list", "四字格", "--format", "json"))
    mine = [r for r in rows if r["text"] == "守正笃实"]
    assert mine and mine[0]["sources"][0].startswith(f"{banks.name}/四字格.txt#")
    assert any(r["text"] == "砥砺奋进" for r in rows)
    run(env, "bank", "remove", "四字格", "砥砺奋进")
    rows = json.loads(run(env, "bank", "list", "四字格", "--format", "json"))
    assert not any(r["text"] == "砥砺奋进" for r in rows)
    assert "-砥砺奋进" in (banks / "四字格.txt").read_text(encoding="utf-8").replace("- ", "-")
    # restore for the other tests: strike the strike
    (banks / "四字格.txt").write_text("砥砺奋进\n", encoding="utf-8")


def test_themes_rank_the_theme_articles(env: dict[str, str]) -> None:
    rows = {r["theme"]: r for r in json.loads(run(env, "themes", "--format", "json"))}
    waishi = [a["file"][:3] for a in rows["外事"]["articles"]]
    assert {"000", "003", "004"} <= set(waishi)
    youth = [a["file"][:3] for a in rows["青年"]["articles"]]
    assert {"000", "001"} <= set(youth)
    assert rows["外事"]["terms"] and rows["外事"]["articles"][0]["score"] >= rows["外事"]["articles"][-1]["score"]


# --- new ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("genre", ["speech", "讲话", "article", "署名文章", "reflection", "心得体会"])
def test_new_every_genre_has_the_shape_of_its_genre(env: dict[str, str], genre: str) -> None:
    d = json.loads(run(env, "new", "--theme", "外事", "--genre", genre, "--seed", "7", "--format", "json"))
    assert d["title"] and d["opening"] and d["closing"] and len(d["sections"]) == 3
    for s in d["sections"]:
        assert s["heading"] and (s["body"] or s["children"])
    if d["genre"] == "speech":
        assert d["opening"][0]["text"] == "同志们："
        assert [s["marker"] for s in d["sections"]] == ["第一", "第二", "第三"]
        assert all(2 <= len(s["children"]) <= 4 for s in d["sections"])
        assert any(i["text"].startswith(("让我们", "同志们")) for i in d["closing"])
    else:
        assert d["subtitle"]
        assert [s["marker"] for s in d["sections"]] in (["一、", "二、", "三、"], ["", "", ""])


def test_new_items_are_traceable_and_state_no_invented_facts(env: dict[str, str]) -> None:
    def squash(text: str) -> str:
        # layout aside: no whitespace, one punctuation width, and a character repeated across a
        # page break (优势 / 势，) counted once, as cleaning joins it
        text = re.sub(r"\s+", "", text).replace(",", "，").replace(":", "：")
        return re.sub(r"(.)\1+", r"\1", text)

    corpus_text = {p.name: squash(p.read_text(encoding="utf-8")) for p in CORPUS.glob("*.txt")}
    for seed in (1, 2, 3):
        d = json.loads(run(env, "new", "--theme", "外事", "--seed", str(seed), "--format", "json"))
        items = list(d["opening"]) + [i for s in walk(d["sections"]) for i in s["body"]] + list(d["closing"])
        kinds = {i["kind"] for i in items}
        assert {"corpus", "template"} <= kinds
        for it in items:
            assert it["kind"] in {"corpus", "phrase", "user", "generated", "template"}
            if it["kind"] in ("corpus", "phrase"):
                file = it["source"].split("#")[0]
                assert file in corpus_text and not file.startswith("001_")  # flagged text is never quoted
                assert squash(it["text"])[:20] in corpus_text[file]
            if it["kind"] in ("generated", "template", "user"):
                assert not NUMBER.search(GAP.sub("", it["text"])), it
            if it["kind"] == "generated":
                assert "“" not in it["text"]
        for text in [d["title"]] + [s["heading"] for s in walk(d["sections"])]:
            assert not NUMBER.search(GAP.sub("", text))


def test_new_is_deterministic_and_seeds_differ(env: dict[str, str]) -> None:
    a = run(env, "new", "--theme", "青年", "--seed", "11", "--format", "json")
    b = run(env, "new", "--theme", "青年", "--seed", "11", "--format", "json")
    assert a == b
    heads = {tuple(s["heading"] for s in json.loads(run(env, "new", "--theme", "青年", "--seed", str(k), "--format", "json"))["sections"]) for k in range(1, 6)}
    assert len(heads) == 5


def test_new_headings_are_parallel_and_offer_alternatives(env: dict[str, str]) -> None:
    for seed in range(1, 6):
        d = json.loads(run(env, "new", "--theme", "外事", "--seed", str(seed), "--format", "json"))
        lens = [len(s["heading"]) for s in d["sections"]]
        assert max(lens) / min(lens) <= 2.2
        for s in d["sections"]:
            kids = [len(c["heading"]) for c in s["children"]]
            if kids:
                assert max(kids) / min(kids) <= 2.2
        alts = d["sections"][0]["alternatives"]
        assert len(alts) <= 3 and all(len(a) == 3 for a in alts)


def test_new_seed_is_reported_when_not_given(env: dict[str, str]) -> None:
    proc = run_main(env, "new", "--theme", "外事", "--format", "json")
    assert proc.returncode == 0
    seed = json.loads(proc.stdout)["seed"]
    assert f"--seed {seed}" in proc.stderr


def test_new_formats(env: dict[str, str], tmp_path: Path) -> None:
    md = run(env, "new", "--theme", "外事", "--seed", "3")
    assert md.startswith("<!-- drafter") and "\n# 在外事工作会议上的讲话" in md and "[^1]" in md
    text = run(env, "new", "--theme", "外事", "--seed", "3", "--format", "text")
    assert "#" not in text and "同志们：" in text
    out = tmp_path / "x.docx"
    run(env, "new", "--theme", "外事", "--seed", "3", "--format", "docx", "-o", str(out))
    import docx

    doc = docx.Document(str(out))
    section = doc.sections[0]
    assert abs(section.page_width.mm - 210) < 0.5 and abs(section.top_margin.mm - 37) < 0.5
    xml = doc.element.xml
    assert "仿宋_GB2312" in xml and "方正小标宋简体" in xml and "黑体" in xml
    run(env, "new", "--theme", "外事", "--seed", "3", "--format", "docx", "-o", str(out), code=1)
    run(env, "new", "--theme", "外事", "--seed", "3", "--format", "docx", "-o", str(out), "--force")


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["new", "--theme", "航天"], 1, "航天"),
        (["new", "--theme", "外事", "--points", "0"], 2, "--points"),
        (["new", "--theme", "外事", "--points", "99"], 2, "--points"),
        (["new", "--theme", "外事", "--genre", "poem"], 2, "poem"),
        (["new", "--theme", "外事", "--format", "pdf"], 2, "pdf"),
        (["new", "--theme", "外事", "-o", "/nonexistent-dir/x.md"], 1, "nonexistent-dir"),
        (["new", "--theme", "外事", "--format", "docx"], 2, "-o"),
    ],
)
def test_new_bad_input(env: dict[str, str], args: list[str], code: int, needle: str) -> None:
    proc = run_main(env, *args)
    assert proc.returncode == code, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("提示")]
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_theme_names_the_closest_themes(env: dict[str, str]) -> None:
    proc = run_main(env, "new", "--theme", "航天")
    assert "相近的主题" in proc.stderr and "drafter themes" in proc.stderr


def test_new_on_a_one_article_corpus_falls_back_without_failing(env: dict[str, str], tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "a.txt").write_text(
        "在全市青年工作会议上的讲话\n同志们：\n今天，我们召开全市青年工作会议，研究部署青年工作。\n"
        "第一，要把青年思想引领抓得更实\n青年是国家的希望，青年工作要坚持党的领导，服务青年成长成才。\n"
        "第二，要把青年发展环境建得更好\n要为青年干事创业搭建平台，让青年在新时代奋斗中建功立业。\n"
        "同志们，让我们携手奋进，为青年工作再上新台阶而努力奋斗！\n",
        encoding="utf-8",
    )
    d = json.loads(run({**env, "DRAFTER_CORPUS": str(tiny)}, "new", "--theme", "青年", "--seed", "1", "--format", "json"))
    assert len(d["sections"]) == 3 and d["opening"] and d["closing"]
    for it in [i for s in walk(d["sections"]) for i in s["body"]]:
        if it["kind"] in ("corpus", "phrase"):
            assert it["source"].startswith("a.txt#")


@pytest.mark.skipif(not (SHARED / "eval" / "check_draft.py").is_file(), reason="shared eval scripts not present")
@pytest.mark.parametrize("genre", ["speech", "article"])
def test_draft_checker_passes_on_the_shipped_corpus(env: dict[str, str], genre: str) -> None:
    cmd = f"{sys.executable} -m drafter new"
    proc = subprocess.run(
        [sys.executable, str(SHARED / "eval" / "check_draft.py"), "--strict", "--theme", "外事",
         "--terms", "外事,对外,国际,外交,涉外,开放,友城,友好城市,领事,侨,港澳,出入境,出访,来访,全球,世界,一带一路,人类命运共同体,中国故事,外宣,使领馆,外籍,海外",
         "--default-corpus", str(CORPUS), "--cmd", cmd, "--extra", f"--genre {genre}"],
        capture_output=True, text=True, env={**_base_env(), **env}, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passed=7/7" in proc.stdout


def test_length_scales_sub_points_and_suggestions(env: dict[str, str]) -> None:
    def size(length: str) -> tuple[int, int]:
        d = json.loads(run(env, "new", "--theme", "外事", "--seed", "4", "--length", length, "--format", "json"))
        return sum(len(s["children"]) for s in d["sections"]), sum(len(s["body"]) for s in walk(d["sections"]))

    short, long = size("1500"), size("9000")
    assert long[0] > short[0] and long[1] > short[1]


def test_suggested_sentences_do_not_run_on_into_the_next_point(env: dict[str, str]) -> None:
    # the shipped corpus has 开辟……“绿色通道”；三是努力打造海外民生工程。 : half of two points
    import re

    runs_on = re.compile(r"[；;，,][一二三四五六七八九十]是")
    seen = 0
    for seed in range(1, 9):
        d = json.loads(run(env, "new", "--theme", "外事", "--seed", str(seed), "--format", "json"))
        for s in walk(d["sections"]):
            for item in s["body"]:
                if item["kind"] == "corpus":
                    seen += 1
                    assert not runs_on.search(item["text"]), item
    assert seen > 40
