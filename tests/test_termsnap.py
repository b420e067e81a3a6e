"""The term snapshot (terms.json): what it holds, warm re-mines equal cold ones, corrupt ones are ignored."""

from __future__ import annotations

import base64
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

import drafter.mine as mine_mod
from drafter.model import Model, cache_root, model_path
from drafter.termsnap import VERSION, TermSnapshot
from drafter.termtable import TermTable

SEED = Path(__file__).resolve().parent.parent / "corpus"

SENTENCE = "\n我们要坚持实事求是，一切从实际出发，把各项工作落到实处。\n"

NEW_ARTICLE = """关于推进基层治理现代化的几点思考

基层治理是国家治理的基石。近年来，我们坚持以人民为中心的发展思想，统筹推进网格化管理、精细化服务和信息化支撑，基层治理体系不断完善。

一、坚持党建引领，夯实基层治理根基
要把党的领导贯穿基层治理全过程，健全社区党组织领导下的协商机制，推动资源、服务、管理向基层下沉。

二、坚持共建共治共享，激发群众参与活力
要畅通群众参与渠道，完善议事协商制度，引导社会组织、志愿者队伍有序参与社区事务。

三、坚持科技赋能，提升治理效能
要加快智慧社区建设，推进数据共享和业务协同，让数据多跑路、群众少跑腿。
"""


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture()
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the seed corpus and a private cache folder."""
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "corpus"
    shutil.copytree(SEED, folder)
    for p in folder.iterdir():
        p.chmod(0o644)
    return folder


@pytest.fixture()
def fed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The article ids folded from the snapshot (``TermTable.add_ids``) from now on."""
    seen: list[str] = []
    original = TermTable.add_ids

    def spy(self: TermTable, aid: str, *args: Any, **kwargs: Any) -> None:
        seen.append(aid)
        original(self, aid, *args, **kwargs)

    monkeypatch.setattr(TermTable, "add_ids", spy)
    return seen


# ------------------------------------------------------------------------------------ helpers


def _terms_path(corpus: Path) -> Path:
    return cache_root(corpus) / mine_mod.TERMS_FILE


def _keys(model: Model) -> dict[str, str]:
    """File name -> cache entry of that file's analysis."""
    return {a.file: a.analysis for a in model.articles}


def _ids_by_file(model: Model) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in model.articles:
        out.setdefault(a.file, []).append(a.id)
    return out


def _summary(corpus: Path, key: str) -> dict[str, Any]:
    data = mine_mod._read_summary(cache_root(corpus), key, with_phrases=False)
    assert data is not None, key
    return data


def _cold_bytes(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """model.json of a mine of ``corpus`` as it is now, in a cache folder of its own."""
    warm = tmp_path / "cache"
    cold = tmp_path / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(cold))
    try:
        mine_mod.mine(corpus, jobs=1)
        assert cold in cache_root(corpus).parents
        return model_path(corpus).read_bytes()
    finally:
        monkeypatch.setenv("DRAFTER_CACHE_DIR", str(warm))


def _assert_snapshot_matches_summaries(corpus: Path, model: Model) -> None:
    """terms.json holds exactly the model's cache entries, each equal to its summary's word counts."""
    snap = TermSnapshot.load(_terms_path(corpus))
    assert snap is not None
    keys = _keys(model)
    assert set(snap.files) == set(keys.values())
    assert len(set(snap.words)) == len(snap.words)
    for name, key in sorted(keys.items()):
        articles = _summary(corpus, key)["articles"]
        columns = snap.columns(key, len(articles))
        assert columns is not None, name
        assert len(columns) == len(articles)
        for (ids, counts), article in zip(columns, articles, strict=True):
            words, expected = mine_mod._word_columns(article["terms"])
            assert [snap.words[i] for i in ids.tolist()] == words, article["id"]
            assert counts.tolist() == expected, article["id"]


def _edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + SENTENCE, encoding="utf-8")


def _change(corpus: Path, kind: str) -> set[str]:
    """Edit, delete or add one file; returns the names of the files left as they were."""
    names = sorted(p.name for p in corpus.glob("*.txt"))
    if kind == "edit":
        _edit(corpus / names[1])
        return set(names) - {names[1]}
    if kind == "delete":
        (corpus / names[2]).unlink()
        return set(names) - {names[2]}
    assert kind == "add"
    (corpus / "zz_new_article.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    return set(names)


# ------------------------------------------------------------------------------------ 1. contents


def test_snapshot_holds_each_files_word_counts(corpus: Path) -> None:
    model = mine_mod.mine(corpus, jobs=1)
    assert _terms_path(corpus).is_file()
    assert len(_keys(model)) == len(list(corpus.glob("*.txt")))
    _assert_snapshot_matches_summaries(corpus, model)
    # a fresh mine's word list is exactly the words the articles use
    snap = TermSnapshot.load(_terms_path(corpus))
    assert snap is not None
    used = set()
    for key in _keys(model).values():
        for article in _summary(corpus, key)["articles"]:
            used.update(mine_mod._word_columns(article["terms"])[0])
    assert set(snap.words) == used


@pytest.mark.parametrize("kind", ["edit", "delete", "add"])
def test_snapshot_is_rewritten_after_a_warm_mine(corpus: Path, kind: str) -> None:
    mine_mod.mine(corpus, jobs=1)
    _change(corpus, kind)
    model = mine_mod.mine(corpus, jobs=1)
    _assert_snapshot_matches_summaries(corpus, model)


def test_snapshot_columns_of_unknown_entry_or_wrong_article_count(corpus: Path) -> None:
    model = mine_mod.mine(corpus, jobs=1)
    snap = TermSnapshot.load(_terms_path(corpus))
    assert snap is not None
    key = next(iter(_keys(model).values()))
    n = len(_summary(corpus, key)["articles"])
    assert snap.columns(key, n) is not None
    assert snap.columns(key, n + 1) is None
    assert snap.columns("no-such-entry.json", n) is None


def test_missing_or_unreadable_snapshot_loads_as_none(tmp_path: Path) -> None:
    assert TermSnapshot.load(tmp_path / "absent.json") is None
    (tmp_path / "dir.json").mkdir()
    assert TermSnapshot.load(tmp_path / "dir.json") is None
    empty = tmp_path / "empty.json"
    empty.write_bytes(orjson.dumps({"v": VERSION, "words": "", "files": {}}))
    snap = TermSnapshot.load(empty)
    assert snap is not None and snap.words == [] and snap.files == {}


# ------------------------------------------------------------------------------------ 2. warm == cold


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind", ["edit", "delete", "add"])
def test_warm_remine_gives_the_cold_bytes(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fed: list[str], kind: str, jobs: int
) -> None:
    first = mine_mod.mine(corpus, jobs=1)
    assert fed == []  # a cold mine has no snapshot to take counts from
    kept = _change(corpus, kind)
    mine_mod.mine(corpus, jobs=jobs)
    warm = model_path(corpus).read_bytes()
    # the unchanged files' counts came from the snapshot, and only theirs
    by_file = _ids_by_file(first)
    assert sorted(fed) == sorted(aid for name in kept for aid in by_file[name])
    fed.clear()
    assert _cold_bytes(corpus, tmp_path, monkeypatch) == warm
    assert fed == []


def test_warm_remine_after_several_changes(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the snapshot of a warm mine (seeded word list plus new words) feeds the next warm mine
    mine_mod.mine(corpus, jobs=1)
    for kind in ("delete", "add", "edit"):
        _change(corpus, kind)
        mine_mod.mine(corpus, jobs=2)
        warm = model_path(corpus).read_bytes()
        assert _cold_bytes(corpus, tmp_path, monkeypatch) == warm


# ------------------------------------------------------------------------------------ 3. corrupt snapshots


def _entry_corruption(change: Callable[[list[Any], int], None]) -> Callable[[Path, str], None]:
    """Rewrite one entry of the good terms.json (``change(entry, len(words))`` edits it in place)."""

    def corrupt(path: Path, key: str) -> None:
        data = orjson.loads(path.read_bytes())
        change(data["files"][key], len(data["words"].split("\t")))
        path.write_bytes(orjson.dumps(data))

    return corrupt


def _whole_file(change: Callable[[bytes], bytes]) -> Callable[[Path, str], None]:
    def corrupt(path: Path, _key: str) -> None:
        path.write_bytes(change(path.read_bytes()))

    return corrupt


def _document(change: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def edit(raw: bytes) -> bytes:
        data = orjson.loads(raw)
        change(data)
        return orjson.dumps(data)

    return edit


def _i4(values: Any) -> str:
    return base64.b64encode(np.asarray(values, dtype="<i4").tobytes()).decode("ascii")


def _ids(entry: list[Any]) -> Any:
    return np.frombuffer(base64.b64decode(entry[1]), dtype="<i4").copy()


def _ids_past_words(entry: list[Any], nwords: int) -> None:
    entry[1] = _i4(nwords + np.arange(len(_ids(entry))))


def _last_id_is_word_count(entry: list[Any], nwords: int) -> None:
    ids = _ids(entry)
    ids[-1] = nwords
    entry[1] = _i4(ids)


def _negative_id(entry: list[Any], _nwords: int) -> None:
    ids = _ids(entry)
    ids[0] = -1
    entry[1] = _i4(ids)


def _sizes_off(entry: list[Any], _nwords: int) -> None:
    entry[0][0] += 1


def _article_count_off(entry: list[Any], _nwords: int) -> None:
    entry[0].append(0)  # the sizes still add up: only the number of articles is wrong


def _counts_short(entry: list[Any], _nwords: int) -> None:
    counts = np.frombuffer(base64.b64decode(entry[2]), dtype="<i4")
    entry[2] = _i4(counts[:-1])


def _odd_bytes(entry: list[Any], _nwords: int) -> None:
    entry[1] = base64.b64encode(base64.b64decode(entry[1])[:-1]).decode("ascii")


def _not_base64_text(entry: list[Any], _nwords: int) -> None:
    entry[1] = 12345


def _entry_missing_a_part(entry: list[Any], _nwords: int) -> None:
    entry.pop()  # two parts instead of three


def _repeat_a_word(data: dict[str, Any]) -> None:
    data["words"] = data["words"] + "\t" + data["words"].split("\t")[0]


WHOLE_FILE: dict[str, Callable[[Path, str], None]] = {
    "truncated": _whole_file(lambda raw: raw[: len(raw) // 2]),
    "garbage": _whole_file(lambda raw: random.Random(20240601).randbytes(len(raw))),
    "empty": _whole_file(lambda raw: b""),
    "not-an-object": _whole_file(lambda raw: b"[1, 2, 3]"),
    "wrong-version": _whole_file(_document(lambda d: d.update(v=VERSION + 1))),
    "no-version": _whole_file(_document(lambda d: d.pop("v"))),
    "words-not-text": _whole_file(_document(lambda d: d.update(words=["a", "b"]))),
    "files-not-a-dict": _whole_file(_document(lambda d: d.update(files=[]))),
    "repeated-word": _whole_file(_document(_repeat_a_word)),
}

ONE_ENTRY: dict[str, Callable[[Path, str], None]] = {
    "ids-past-word-list": _entry_corruption(_ids_past_words),
    "last-id-is-word-count": _entry_corruption(_last_id_is_word_count),
    "negative-id": _entry_corruption(_negative_id),
    "sizes-do-not-add-up": _entry_corruption(_sizes_off),
    "wrong-article-count": _entry_corruption(_article_count_off),
    "counts-shorter-than-ids": _entry_corruption(_counts_short),
    "ids-not-whole-int32s": _entry_corruption(_odd_bytes),
    "ids-not-text": _entry_corruption(_not_base64_text),
    "entry-missing-a-part": _entry_corruption(_entry_missing_a_part),
}


def _negative_size(entry: list[Any], _nwords: int) -> None:
    # sizes that add up to the number of ids, but one is negative: article 0 takes article 2's
    # first word, article 1 gets none
    entry[0][0] += entry[0][1] + 1
    entry[0][1] = -1


def _string_sizes(entry: list[Any], _nwords: int) -> None:
    entry[0] = [str(s) for s in entry[0]]


def _float_sizes(entry: list[Any], _nwords: int) -> None:
    entry[0] = [float(s) for s in entry[0]]


BUGGY_ENTRY: dict[str, Callable[[Path, str], None]] = {
    "negative-size": _entry_corruption(_negative_size),
    "sizes-not-integers-text": _entry_corruption(_string_sizes),
    "sizes-not-integers-float": _entry_corruption(_float_sizes),
}


def _corrupt_then_remine(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fed: list[str], corrupt: Callable[[Path, str], None]
) -> tuple[str, set[str], dict[str, list[str]]]:
    """Mine, corrupt terms.json in one entry (of the file with most articles), edit another file,
    re-mine; asserts the model is the cold mine's.  Returns the corrupted file, the files left
    unedited and the article ids by file."""
    first = mine_mod.mine(corpus, jobs=1)
    by_file = _ids_by_file(first)
    keys = _keys(first)
    target = max(sorted(by_file), key=lambda name: len(by_file[name]))
    assert len(by_file[target]) >= 2  # the seed corpus has a file of several articles
    corrupt(_terms_path(corpus), keys[target])
    edited = next(name for name in sorted(by_file) if name != target)
    _edit(corpus / edited)
    model = mine_mod.mine(corpus, jobs=1)
    warm = model_path(corpus).read_bytes()
    assert _cold_bytes(corpus, tmp_path, monkeypatch) == warm  # (a cold mine feeds no ids)
    # and the next mine has a good snapshot again
    _assert_snapshot_matches_summaries(corpus, model)
    return target, set(by_file) - {edited}, by_file


@pytest.mark.parametrize("case", sorted(WHOLE_FILE))
def test_corrupt_snapshot_is_ignored(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fed: list[str], case: str
) -> None:
    _corrupt_then_remine(corpus, tmp_path, monkeypatch, fed, WHOLE_FILE[case])
    assert fed == []  # nothing was taken from it


@pytest.mark.parametrize("case", sorted(ONE_ENTRY))
def test_corrupt_snapshot_entry_is_ignored(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fed: list[str], case: str
) -> None:
    target, kept, by_file = _corrupt_then_remine(corpus, tmp_path, monkeypatch, fed, ONE_ENTRY[case])
    # the bad entry's file was folded from its summary, the other unchanged files from the snapshot
    assert sorted(fed) == sorted(aid for name in kept - {target} for aid in by_file[name])


@pytest.mark.parametrize("case", ["negative-size", "sizes-not-integers-text", "sizes-not-integers-float"])
def test_corrupt_snapshot_sizes_are_ignored(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fed: list[str], case: str
) -> None:
    target, kept, by_file = _corrupt_then_remine(corpus, tmp_path, monkeypatch, fed, BUGGY_ENTRY[case])
    assert sorted(fed) == sorted(aid for name in kept - {target} for aid in by_file[name])


# ------------------------------------------------------------------------------------ 4. TermTable.seed


ARTICLES: dict[str, dict[str, int]] = {
    "b": {"发展": 3, "改革": 1, "人民": 2},
    "a": {"人民": 1, "治理": 4},
    "c": {},  # an article without content words
    "e": {"创新": 2, "发展": 2, "人民": 3, "改革": 2},
    "d": {"改革": 2, "发展": 5, "治理": 2, "人民": 2},
}


def _tokens(counts: dict[str, int]) -> int:
    return sum(counts.values()) * 2


def _by_columns(articles: dict[str, dict[str, int]]) -> TermTable:
    table = TermTable()
    for aid, counts in articles.items():
        table.add_columns(aid, list(counts), list(counts.values()), len(aid) * 10, _tokens(counts), {"发展": 1}, "k")
    return table.build()


def _by_ids(articles: dict[str, dict[str, int]], words: list[str]) -> TermTable:
    table = TermTable()
    assert table.seed(words)
    number = {w: i for i, w in enumerate(words)}
    for aid, counts in articles.items():
        ids = np.array([number[w] for w in counts], dtype="<i4")
        table.add_ids(aid, ids, np.array(list(counts.values()), dtype="<i4"), len(aid) * 10, _tokens(counts), {"发展": 1}, "k")
    return table.build()


def test_seed_refuses_a_table_that_is_not_empty() -> None:
    added = TermTable()
    added.add_columns("a", ["发展"], [1], 10, 2)
    assert not added.seed(["发展", "改革"])
    assert added.build().words == ["发展"]  # the refused seed left nothing behind

    seeded = TermTable()
    assert seeded.seed(["改革"])
    assert not seeded.seed(["发展"])
    assert seeded.build().words == ["改革"]

    built = TermTable().build()
    assert not built.seed(["发展"])


def test_seed_refuses_repeated_words() -> None:
    table = TermTable()
    assert not table.seed(["发展", "改革", "发展"])
    # nothing was done: the table is still empty, so a good word list is taken
    assert table.seed(["改革", "发展"])
    table.add_ids("a", [1, 0], [2, 3], 10, 5)
    table.build()
    assert table.words == ["发展", "改革"]
    assert table.counts_of(0) == {"发展": 2, "改革": 3}


def test_seeded_table_equals_added_table() -> None:
    # every seeded word is used: the built columns are the same arrays, whatever the seed order
    used = sorted({w for counts in ARTICLES.values() for w in counts}, reverse=True)
    a, b = _by_ids(ARTICLES, used), _by_columns(ARTICLES)
    assert a.words == b.words and a.ids == b.ids
    for name in ("col", "val", "row", "chars", "tokens"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.seed_counts == b.seed_counts and a.seed_keys == b.seed_keys


def test_seeded_table_with_unused_words_reads_the_same() -> None:
    # Seed words no article uses stay in the seeded table's ``words`` (the ids of a snapshot's word
    # list must stay valid), so its ``col`` numbers differ wherever an unused word sorts before a
    # used one.  What the themes read must not differ: the postings (by word), the background
    # profile and document frequencies of the used words (zero for the unused ones), each
    # article's counts, each word's column and the learned vocabulary.
    used = sorted({w for counts in ARTICLES.values() for w in counts})
    seed = ["一号未用词", *reversed(used), "未用", "丁"]
    a, b = _by_ids(ARTICLES, seed), _by_columns(ARTICLES)
    assert set(a.words) == set(seed) and b.words == used
    assert a.ids == b.ids
    assert [a.words[c] for c in a.col.tolist()] == [b.words[c] for c in b.col.tolist()]
    assert np.array_equal(a.row, b.row) and np.array_equal(a.val, b.val)
    for min_count, min_total in ((2, 3), (1, 1), (2, 5)):
        assert list(a.postings(min_count, min_total)) == list(b.postings(min_count, min_total))
    (bg_a, df_a), (bg_b, df_b) = a.profile(), b.profile()
    for w in a.words:
        if w in b.word_id:
            assert bg_a[a.word_id[w]] == bg_b[b.word_id[w]] and df_a[a.word_id[w]] == df_b[b.word_id[w]], w
        else:
            assert bg_a[a.word_id[w]] == 0 and df_a[a.word_id[w]] == 0, w
    for i in range(len(a.ids)):
        assert a.counts_of(i) == b.counts_of(i)
    for w in seed:
        assert a.column(w) == b.column(w)
    members = {"a": 1.0, "d": 0.5, "e": 1.0}
    assert a.expand(members, set(), 10) == b.expand(members, set(), 10)


def test_seeded_from_a_mined_snapshot_equals_the_summaries(corpus: Path) -> None:
    model = mine_mod.mine(corpus, jobs=1)
    snap = TermSnapshot.load(_terms_path(corpus))
    assert snap is not None
    a, b = TermTable(), TermTable()
    assert a.seed(snap.words)
    for key in sorted(set(_keys(model).values())):
        articles = _summary(corpus, key)["articles"]
        columns = snap.columns(key, len(articles))
        assert columns is not None
        for (ids, counts), article in zip(columns, articles, strict=True):
            terms = article["terms"]
            a.add_ids(article["id"], ids, counts, terms["chars"], terms["tokens"])
            b.add_columns(article["id"], *mine_mod._word_columns(terms), terms["chars"], terms["tokens"])
    a.build()
    b.build()
    assert a.words == b.words and a.ids == b.ids
    for name in ("col", "val", "row", "chars", "tokens"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert list(a.postings()) == list(b.postings())
