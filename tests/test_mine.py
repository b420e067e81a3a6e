"""Mining: determinism across engines and job counts, incremental re-analysis, cache repair."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import drafter.bankmerge as bankmerge
import drafter.mine as mine_mod
from drafter.model import SCHEMA, cache_root, load_cached, model_path

SEED = Path(__file__).resolve().parent.parent / "corpus"
EXTRA = Path(__file__).resolve().parents[2] / "shared" / "corpus-extra"


@pytest.fixture()
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of three seed files and a private cache folder."""
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "corpus"
    folder.mkdir()
    for p in sorted(SEED.glob("*.txt"))[:3]:
        dst = folder / p.name
        dst.write_bytes(p.read_bytes())
        dst.chmod(0o644)
    return folder


@pytest.fixture()
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the map step analyses from now on."""
    seen: list[str] = []
    monkeypatch.setattr(mine_mod, "_map_hooks", [seen.append])
    return seen


def _model_bytes(corpus: Path) -> bytes:
    return model_path(corpus).read_bytes()


def test_jobs_give_identical_bytes(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine_mod.mine(corpus, jobs=1)
    one = _model_bytes(corpus)
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache2"))
    mine_mod.mine(corpus, jobs=2)
    assert _model_bytes(corpus) == one


def test_force_remine_is_identical(corpus: Path) -> None:
    mine_mod.mine(corpus, jobs=1)
    first = _model_bytes(corpus)
    mine_mod.mine(corpus, jobs=2, force=True)
    assert _model_bytes(corpus) == first


def test_changed_file_is_the_only_one_reanalysed(corpus: Path, analysed: list[str]) -> None:
    mine_mod.mine(corpus, jobs=1)
    assert len(analysed) == 3
    analysed.clear()
    target = sorted(corpus.glob("*.txt"))[1]
    target.write_text(target.read_text(encoding="utf-8") + "\n我们要坚持实事求是，一切从实际出发。\n", encoding="utf-8")
    model = mine_mod.mine(corpus, jobs=2)
    assert analysed == [target.name]
    assert model.inputs["files"][target.name][1] == target.stat().st_size
    analysed.clear()
    mine_mod.mine(corpus, jobs=2)  # fresh: nothing to do
    assert analysed == []


def test_incremental_equals_cold(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine_mod.mine(corpus, jobs=1)
    target = sorted(corpus.glob("*.txt"))[0]
    target.write_text(target.read_text(encoding="utf-8").replace("。", "！", 1), encoding="utf-8")
    mine_mod.mine(corpus, jobs=1)
    warm = _model_bytes(corpus)
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cold"))
    mine_mod.mine(corpus, jobs=1)
    assert _model_bytes(corpus) == warm


def test_corrupt_model_is_rebuilt(corpus: Path, analysed: list[str]) -> None:
    mine_mod.mine(corpus, jobs=1)
    good = _model_bytes(corpus)
    model_path(corpus).write_text('{"schema": 1, "corpus": ', encoding="utf-8")
    analysed.clear()
    model = mine_mod.mine(corpus, jobs=1)
    assert model.articles
    assert _model_bytes(corpus) == good
    assert analysed == []  # the per-file analyses were still good


def _entries(corpus: Path) -> list[Path]:
    """The cache entries of a corpus's files (one file of JSON lines each)."""
    return sorted((cache_root(corpus) / "files").glob("*.json"))


def _break_line(entry: Path, k: int) -> None:
    lines = entry.read_bytes().split(b"\n")
    lines[k] = lines[k][: len(lines[k]) // 2]
    entry.write_bytes(b"\n".join(lines))


def test_corrupt_per_file_json_is_reanalysed(corpus: Path, analysed: list[str]) -> None:
    mine_mod.mine(corpus, jobs=1)
    good = _model_bytes(corpus)
    _break_line(_entries(corpus)[0], 0)  # the summary
    model_path(corpus).unlink()
    analysed.clear()
    mine_mod.mine(corpus, jobs=1)
    assert len(analysed) == 1
    assert _model_bytes(corpus) == good


@pytest.mark.parametrize("jobs", [1, 2])
def test_corrupt_phrase_rows_are_reanalysed(corpus: Path, analysed: list[str], jobs: int) -> None:
    # with two jobs the phrase rows are read by a process of their own, which repairs the file
    mine_mod.mine(corpus, jobs=1)
    good = _model_bytes(corpus)
    broken = _entries(corpus)[1]
    _break_line(broken, 1)
    model_path(corpus).unlink()
    analysed.clear()
    mine_mod.mine(corpus, jobs=jobs)
    assert len(analysed) == 1
    assert _model_bytes(corpus) == good
    assert json.loads(broken.read_bytes().split(b"\n")[1])["phrases"]


def test_phrase_process_failure_falls_back(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine_mod.mine(corpus, jobs=1)
    good = _model_bytes(corpus)
    model_path(corpus).unlink()

    def dies(conn: object, *_args: object) -> None:
        raise SystemExit(3)  # the process ends without an answer

    monkeypatch.setattr(bankmerge, "_merge_beside", dies)
    mine_mod.mine(corpus, jobs=2)
    assert _model_bytes(corpus) == good


def test_missing_cache_entry_is_reanalysed(corpus: Path, analysed: list[str]) -> None:
    mine_mod.mine(corpus, jobs=1)
    _entries(corpus)[0].unlink()
    model_path(corpus).unlink()
    analysed.clear()
    model = mine_mod.mine(corpus, jobs=1)
    assert len(analysed) == 1
    got = mine_mod.article_texts(corpus, model, [a.id for a in model.articles])
    assert set(got) == {a.id for a in model.articles}


def test_schema_change_triggers_rebuild(corpus: Path) -> None:
    mine_mod.mine(corpus, jobs=1)
    path = model_path(corpus)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["schema"] = SCHEMA - 1
    data["phrases"] = []
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    model = mine_mod.mine(corpus, jobs=1)
    assert model.schema == SCHEMA
    assert model.phrases
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == SCHEMA


def test_reduce_of_summaries_equals_reduce_of_full_analyses(corpus: Path) -> None:
    from drafter.themes import lexicon_terms

    lexicons = mine_mod._lexicons(corpus)
    terms = tuple(lexicon_terms(lexicons))
    full = [mine_mod.analyse_file(p, p.name, terms) for p in sorted(corpus.glob("*.txt"))]
    keys = {p.name: "k" for p in corpus.glob("*.txt")}
    a = mine_mod.reduce(full, corpus, {}, lexicons, keys).to_dict()
    b = mine_mod.reduce([mine_mod.summarise(x) for x in full], corpus, {}, lexicons, keys).to_dict()
    assert a == b


def test_phrase_merge_matches_phrases_module(corpus: Path) -> None:
    from drafter.phrases import _PHRASE_FIELDS, Phrase, merge_phrases, prune
    from drafter.themes import lexicon_terms

    terms = tuple(lexicon_terms(mine_mod._lexicons(corpus)))
    rows = []
    for p in sorted(corpus.glob("*.txt")):
        for a in mine_mod.summarise(mine_mod.analyse_file(p, p.name, terms))["articles"]:
            rows.extend(a["phrases"])
    merged = bankmerge.PhraseMerge()
    for r in rows:
        merged.add(r)
    objs = [Phrase.from_dict(dict(zip(_PHRASE_FIELDS, r))) for r in rows]
    assert merged.result(sentence_cap=50) == prune(merge_phrases(objs), sentence_cap=50)


def test_userdict_changes_segmentation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from drafter import segment

    text = "他们在青创汇智园开会"
    segment._engine.cache_clear()
    before = segment.cut(text)
    assert "青创汇智园" not in before
    userdict = tmp_path / "user.txt"
    userdict.write_text("青创汇智园 50000 ns\n", encoding="utf-8")
    monkeypatch.setenv("DRAFTER_USERDICT", str(userdict))
    segment._engine.cache_clear()
    try:
        assert "青创汇智园" in segment.cut(text)
        assert ("青创汇智园", "ns") in segment.tag(text)
    finally:
        segment._engine.cache_clear()


def test_dask_engine_gives_the_local_model(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    mine_mod.mine(corpus, jobs=1)
    local = _model_bytes(corpus)
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "dask-cache"))
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1", scheduler_port=0, dashboard_address=":0"
    ) as cluster:
        mine_mod.mine(corpus, engine="dask", scheduler=cluster.scheduler_address)
    assert _model_bytes(corpus) == local


def test_unknown_engine_is_a_clear_error(corpus: Path) -> None:
    from drafter.errors import DrafterError

    with pytest.raises(DrafterError, match="local"):
        mine_mod.mine(corpus, engine="spark")


def test_unreadable_file_is_skipped_with_warning(corpus: Path) -> None:
    shutil.copy(sorted(corpus.glob("*.txt"))[0], corpus / "zz_broken.docx")
    warnings: list[str] = []
    model = mine_mod.mine(corpus, jobs=1, warn=warnings.append)
    assert {a.file for a in model.articles} >= {p.name for p in corpus.glob("*.txt")}
    assert any("zz_broken.docx" in w for w in warnings)


def test_inputs_sidecar_matches_the_model(corpus: Path) -> None:
    from drafter.model import load_inputs

    model = mine_mod.mine(corpus, jobs=1)
    assert load_inputs(corpus) == model.inputs


def test_source_cap_keeps_the_smallest_whatever_the_order(corpus: Path) -> None:
    from drafter.themes import lexicon_terms

    terms = tuple(lexicon_terms(mine_mod._lexicons(corpus)))
    rows = []
    for p in sorted(corpus.glob("*.txt")):
        for a in mine_mod.summarise(mine_mod.analyse_file(p, p.name, terms))["articles"]:
            rows.extend(a["phrases"])
    full = bankmerge.PhraseMerge(source_cap=10**9)
    capped, backwards = bankmerge.PhraseMerge(source_cap=2), bankmerge.PhraseMerge(source_cap=2)
    for r in rows:
        full.add(r)
        capped.add(r)
    for r in reversed(rows):
        backwards.add(r)
    want = [(p.key, p.count, p.sources[:2]) for p in full.result(sentence_cap=50)]
    assert [(p.key, p.count, p.sources) for p in capped.result(sentence_cap=50)] == want
    assert sorted((p.key, p.count, p.sources) for p in backwards.result(sentence_cap=50)) == sorted(want)


def test_bounded_reduce_streams_series_exactly(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a large corpus series are merged in batches and capped: the result is that of one merge."""
    from drafter.themes import lexicon_terms

    lexicons = mine_mod._lexicons(corpus)
    terms = tuple(lexicon_terms(lexicons))
    sums = [mine_mod.summarise(mine_mod.analyse_file(p, p.name, terms)) for p in sorted(corpus.glob("*.txt"))]
    keys = {p.name: "k" for p in corpus.glob("*.txt")}
    big = 10 * mine_mod.EXACT_BYTES
    monkeypatch.setattr(mine_mod, "SERIES_UNIT_CAP", 1)
    held = mine_mod.reduce(sums, corpus, {}, lexicons, keys, big).to_dict()
    monkeypatch.setattr(mine_mod, "_SERIES_BATCH", 1)
    streamed = mine_mod.reduce(sums, corpus, {}, lexicons, keys, big, again=lambda: sums).to_dict()
    assert streamed == held
    assert all(len(s["examples"]) == 1 for s in held["series"])
    exact = mine_mod.reduce(sums, corpus, {}, lexicons, keys).to_dict()
    assert len(held["phrases"]) <= len(exact["phrases"])


def test_fold_order_does_not_show(corpus: Path) -> None:
    """Summaries folded in as workers finish them arrive in any order; the model must not tell."""
    from drafter.atomic import dumps
    from drafter.themes import lexicon_terms

    lexicons = mine_mod._lexicons(corpus)
    terms = tuple(lexicon_terms(lexicons))
    extra = sorted(Path("/work/shared/corpus-extra").glob("gwr_national_20*.txt"))[:3]
    files = sorted(corpus.glob("*.txt")) + extra
    summaries = [mine_mod.summarise(mine_mod.analyse_file(p, p.name, terms)) for p in files]
    keys = {p.name: "k" for p in files}
    forward = mine_mod.reduce(summaries, corpus, {}, lexicons, keys).to_dict()
    for order in (summaries[::-1], summaries[1::2] + summaries[::2]):
        assert dumps(mine_mod.reduce(order, corpus, {}, lexicons, keys).to_dict()) == dumps(forward)


def test_two_pass_phrase_merge_equals_one_pass(corpus: Path) -> None:
    """On a large corpus the phrases are merged in the second pass, rare keys left out by hash count:
    the banks must be exactly those of merging everything at once."""
    from drafter.themes import lexicon_terms

    lexicons = mine_mod._lexicons(corpus)
    terms = tuple(lexicon_terms(lexicons))
    files = sorted(corpus.glob("*.txt")) + sorted(Path("/work/shared/corpus-extra").glob("xi2020_0*.txt"))[:6]
    sums = [mine_mod.summarise(mine_mod.analyse_file(p, p.name, terms)) for p in files]
    keys = {p.name: "k" for p in files}
    big = mine_mod.EXACT_BYTES + 1  # large: count thresholds on, minimum count 2
    one = mine_mod.reduce(sums, corpus, {}, lexicons, keys, big).to_dict()
    two = mine_mod.reduce(sums, corpus, {}, lexicons, keys, big, again=lambda: sums).to_dict()
    assert two["phrases"] == one["phrases"]
    cats = {p["category"] for p in one["phrases"]}
    assert {"四字格", "提法"} <= cats


@pytest.mark.parametrize("jobs", [1, 2])
def test_unreadable_spare_sentences_are_reanalysed(corpus: Path, analysed: list[str], jobs: int) -> None:
    mine_mod.mine(corpus, jobs=1)
    good = _model_bytes(corpus)
    entry = max(_entries(corpus), key=lambda p: p.stat().st_size)
    _break_line(entry, 2)  # its first spare row: a 句子, which a pool this small keeps
    model_path(corpus).unlink()
    analysed.clear()
    mine_mod.mine(corpus, jobs=jobs)
    assert len(analysed) == 1
    assert _model_bytes(corpus) == good


@pytest.mark.parametrize(
    ("cap", "min_pattern_count", "early"),
    [(1, 2, None), (3, 2, None), (20, 2, None), (10_000, 2, None), (20, 1, None), (3, 2, (3, 2)), (3, 2, (50, 1)), (20, 2, (1, 2)), (20, 1, (5, 2))],
)
def test_spare_rows_pick_what_a_full_merge_keeps(corpus: Path, cap: int, min_pattern_count: int, early: tuple[int, int] | None) -> None:
    # ``early``: spare rows merged (with these settings) after half the files, as the merging
    # process does while it waits; rows then in reach that the rest puts out of reach change nothing
    # a second copy of one file makes every sentence of it an entry seen twice, across files
    first = sorted(corpus.glob("*.txt"))[0]
    (corpus / ("copy_" + first.name)).write_bytes(first.read_bytes())
    mine_mod.mine(corpus, jobs=1)
    root = cache_root(corpus)
    model = load_cached(corpus)
    assert model is not None
    keys = {a.file: a.analysis for a in model.articles}
    files = bankmerge.PhraseFiles(
        lambda name: mine_mod._phrase_file(root, keys[name]),
        lambda name, lines: mine_mod._spare_rows(root, keys[name], lines),
        lambda name: None,
    )
    picked = bankmerge.PhraseMerge()
    names = sorted(keys)
    half = len(names) // 2
    bankmerge.merge_files(picked, names[:half], files)
    if early is not None:
        picked.merge_spare(*early, fetch=files.spare)
    bankmerge.merge_files(picked, names[half:], files)
    assert any(pools for _name, pools in picked.spare)
    full = bankmerge.PhraseMerge()
    for name in sorted(keys):
        for data in mine_mod._summaries(root, {name: keys[name]}, lambda n: None):
            for a in data["articles"]:
                full.add_rows(a["phrases"])
    want = full.result_rows(sentence_cap=cap, min_pattern_count=min_pattern_count)
    assert picked.result_rows(sentence_cap=cap, min_pattern_count=min_pattern_count, fetch=files.spare) == want
    for category in ("句子", "四字格"):  # entries merged across files, some from spare rows
        assert any(row["category"] == category and row["count"] >= 2 for row in want)


def test_cache_entry_gives_back_every_phrase_row(corpus: Path) -> None:
    # the bounded-memory reduce reads each summary with all its rows, spare ones included
    from drafter.themes import lexicon_terms

    model = mine_mod.mine(corpus, jobs=1)
    terms = tuple(lexicon_terms(mine_mod._lexicons(corpus)))
    keys = {a.file: a.analysis for a in model.articles}
    categories = set()
    for name, key in keys.items():
        stored = mine_mod._read_summary(cache_root(corpus), key, with_phrases=True)
        assert stored is not None
        fresh = mine_mod.summarise(mine_mod.analyse_file(corpus / name, name, terms))
        rows = sorted(json.dumps(r, ensure_ascii=False) for a in stored["articles"] for r in a["phrases"])
        assert rows == sorted(json.dumps(r, ensure_ascii=False) for a in fresh["articles"] for r in a["phrases"])
        categories.update(r[0] for a in stored["articles"] for r in a["phrases"])
    assert {"句子", "四字格"} <= categories


@pytest.mark.skipif(not EXTRA.is_dir(), reason="needs ../shared/corpus-extra")
def test_an_error_in_the_reduce_ends_the_helper_processes(tmp_path: Path) -> None:
    # the phrase process may be blocked sending a result nobody will read: mining must still stop
    script = f"""
import multiprocessing, shutil, sys
from pathlib import Path
import drafter.themes
from drafter.mine import mine
corpus = Path({str(tmp_path / "corpus")!r})
corpus.mkdir()
for src in sorted(Path({str(EXTRA)!r}).glob("*.txt"))[:30]:  # banks bigger than a pipe holds
    shutil.copy(src, corpus / src.name)
mine(corpus, jobs=2)
first = sorted(corpus.glob("*.txt"))[0]
first.write_text(first.read_text(encoding="utf-8") + "\\n新加的一段话。\\n", encoding="utf-8")
def boom(*args, **kwargs):
    raise RuntimeError("boom")
drafter.themes.build_themes = boom
try:
    mine(corpus, jobs=2)
except RuntimeError as exc:
    print("raised", exc, "children", len(multiprocessing.active_children()))
"""
    env = {**os.environ, "DRAFTER_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.stdout.strip() == "raised boom children 0", proc.stderr
