"""Mining and drafting on a corpus drafter was not fitted to: 175 public reports and speeches.

Skipped where the shared corpus is not present.  One mine per module (about ten seconds).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from drafter.cli import cli

EXTRA = Path(__file__).resolve().parents[2] / "shared" / "corpus-extra"
pytestmark = pytest.mark.skipif(not EXTRA.is_dir(), reason="corpus-extra not present")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("extra")
    env = {"DRAFTER_CACHE_DIR": str(base / "cache"), "DRAFTER_BANKS": str(base / "banks"), "DRAFTER_CORPUS": str(EXTRA)}
    out = run(env, "mine", "--format", "json")
    assert json.loads(out)["articles"] >= 175
    return env


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_report_skeletons_are_learned(env: dict[str, str]) -> None:
    rows = json.loads(run(env, "series", "--format", "json"))
    exact = [r for r in rows if re.search(r"[\u4e00-\u9fff]", r["skeleton"].replace("{", "").replace("}", ""))]
    assert len(exact) >= 100
    big = [r for r in exact if len(r["members"]) >= 4]
    assert big, "work reports repeat skeletons such as 加快{X} / 推进{X}"
    for r in big[:20]:
        heads = [h for ex in r["examples"] for h in ex]
        assert all(heads[i] for i in r["members"]) and all(s.split("#")[0].endswith(".txt") for s in r["sources"])


def test_banks_hold_report_and_speech_material(env: dict[str, str]) -> None:
    rows = json.loads(run(env, "bank", "list", "--format", "json"))
    by_cat: dict[str, set[str]] = {}
    for r in rows:
        by_cat.setdefault(r["category"], set()).add(r["text"])
    assert {"“两个维护”", "“四个意识”"} <= by_cat["提法"]
    assert len({"稳中求进", "真抓实干", "攻坚克难", "坚定不移"} & by_cat["四字格"]) >= 3
    assert "各位代表：" in by_cat["开头"]
    quotes = [r for r in rows if r["category"] == "引语"]
    assert any("同志" in r["speaker"] for r in quotes)
    debris = re.compile(r"下载|VIP|E-?mail|https?:|www\.|@|侵权|字号|温馨提示|客服|□|作者系|责任编辑")
    assert not [r["text"] for r in rows if debris.search(r["text"])]
    # traditional-character reports give structure but no bank entries
    assert not any(s.startswith("gwr_national_1954") for r in rows for s in r["sources"])


def test_themes_of_a_report_corpus(env: dict[str, str]) -> None:
    rows = {r["theme"]: r for r in json.loads(run(env, "themes", "--format", "json"))}
    assert rows["经济发展"]["article_count"] >= 50
    assert rows["科技创新"]["article_count"] >= 20
    assert rows["经济发展"]["articles"][0]["score"] >= rows["经济发展"]["articles"][-1]["score"]


@pytest.mark.parametrize("theme", ["科技创新", "经济发展"])
def test_drafts_on_a_report_corpus(env: dict[str, str], theme: str) -> None:
    d = json.loads(run(env, "new", "--theme", theme, "--seed", "3", "--format", "json"))
    heads = [s["heading"] for s in d["sections"]]
    assert len(heads) == 3 and max(map(len, heads)) / min(map(len, heads)) <= 2.2
    seeds = {"科技创新": ("科技", "创新", "研发", "人才", "技术"), "经济发展": ("经济", "发展", "产业", "投资", "消费", "市场")}[theme]
    for s in d["sections"]:
        text = s["heading"] + "".join(i["text"] for i in s["body"]) + "".join(i["text"] for c in s["children"] for i in c["body"])
        assert any(t in text for t in seeds)
    for s in d["sections"]:
        for it in s["body"]:
            if it["kind"] in ("corpus", "phrase"):
                file = it["source"].split("#")[0]
                assert (EXTRA / file).is_file() and not file.startswith(("gwr_national_1954", "cpc_congress_03"))
