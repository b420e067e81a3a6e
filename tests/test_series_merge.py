"""SeriesMerge fed in batches and in any order equals merge_series of everything; themes are unioned."""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any

import pytest

from drafter.mine import mine
from drafter.series import Series, SeriesMerge, merge_series

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEEDS = Path("/work/shared/seeds")
EXTRA = Path("/work/shared/corpus-extra")
# a few public reports whose series share a skeleton with one another ({X}社会主义{Y})
EXTRA_FILES = (
    "gwr_national_1959.txt",
    "gwr_national_1960.txt",
    "gwr_national_1964.txt",
    "gwr_national_1978.txt",
    "gwr_national_1979.txt",
)
SPLIT_SEEDS = (0, 1, 2, 3, 7, 2024)


def _key(s: Series) -> tuple[str, ...]:
    return (s.skeleton,) if s.coverage > 0 else (s.skeleton, s.rhythm)


def _dicts(series: Sequence[Series]) -> list[dict[str, Any]]:
    return [s.to_dict() for s in series]


def _units(s: Series) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each example series with the sources of its headings, cut by plain slicing."""
    starts = [0, *accumulate(len(ex) for ex in s.examples)]
    return {(tuple(s.sources[a:b]), ex) for ex, a, b in zip(s.examples, starts, starts[1:])}


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Series]]:
    """Real mined series, each with the name of the mining run it came from.

    The shipped corpus and the seeds as wholes; then every file mined on its own, once under its
    own name and once under a second name (so the same skeleton comes from different sources);
    then a few public reports, if they are there.
    """
    out: list[tuple[str, Series]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DRAFTER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))

        def run(label: str, corpus: Path) -> None:
            out.extend((label, s) for s in mine(corpus, jobs=1).series)

        run("corpus", CORPUS)
        if SEEDS.is_dir():
            run("seeds", SEEDS)
        singles = [(p.name, p) for p in sorted(CORPUS.glob("*.txt"))]
        singles += [(f"copy-{p.name}", p) for p in sorted(CORPUS.glob("*.txt"))]
        singles += [(name, EXTRA / name) for name in EXTRA_FILES if (EXTRA / name).is_file()]
        for name, src in singles:
            folder = tmp_path_factory.mktemp("one")
            (folder / name).write_bytes(src.read_bytes())
            run(name, folder)
    return out


@pytest.fixture(scope="module")
def items(labelled: list[tuple[str, Series]]) -> list[Series]:
    return [s for _label, s in labelled]


def test_inputs_are_worth_merging(items: list[Series]) -> None:
    keys = [_key(s) for s in items]
    assert len(set(keys)) < len(keys)  # some skeleton comes from several inputs
    assert any(s.coverage > 0 for s in items) and any(s.coverage == 0 for s in items)
    merged = merge_series(items)
    assert any(len(s.examples) >= 2 for s in merged)  # some merged series joins several examples


def test_one_merged_series_per_key_holding_every_distinct_example(items: list[Series]) -> None:
    merged = merge_series(items)
    keys = [_key(s) for s in merged]
    assert len(keys) == len(set(keys))
    assert set(keys) == {_key(s) for s in items}
    for m in merged:
        expected = set().union(*(_units(s) for s in items if _key(s) == _key(m)))
        assert _units(m) == expected
        assert len(m.examples) == len(expected)  # an example seen twice counts once
        assert list(m.sources) == [src for ex in sorted(expected) for src in ex[0]]


@pytest.mark.parametrize("seed", SPLIT_SEEDS)
def test_batches_equal_merging_everything(items: list[Series], seed: int) -> None:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(items)), rng.randint(1, 6)))
    batches = [items[a:b] for a, b in zip([0, *cuts], [*cuts, len(items)])]
    assert sum(map(len, batches)) == len(items)
    merge = SeriesMerge()
    seen: list[Series] = []
    for batch in batches:
        merge.add(batch)
        seen.extend(batch)
        assert _dicts(merge.result()) == _dicts(merge_series(seen))
    assert _dicts(merge.result()) == _dicts(merge_series(items))
    assert _dicts(merge.result()) == _dicts(merge.result())  # asking twice changes nothing


@pytest.mark.parametrize("seed", SPLIT_SEEDS)
def test_order_does_not_matter(items: list[Series], seed: int) -> None:
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    assert _dicts(merge_series(shuffled)) == _dicts(merge_series(items))
    merge = SeriesMerge()
    for s in shuffled:
        merge.add([s])
        merge.result()
    assert _dicts(merge.result()) == _dicts(merge_series(items))


@pytest.mark.parametrize("seed", SPLIT_SEEDS[:3])
def test_merging_a_merged_list_with_more(items: list[Series], seed: int) -> None:
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    half = len(shuffled) // 2
    again = merge_series([*merge_series(shuffled[:half]), *shuffled[half:]])
    assert _dicts(again) == _dicts(merge_series(items))


@pytest.mark.parametrize("seed", SPLIT_SEEDS[:3])
def test_themes_are_the_union_of_the_inputs(labelled: list[tuple[str, Series]], seed: int) -> None:
    relabelled = [Series.from_dict(s.to_dict(), themes=(label,)) for label, s in labelled]
    assert all(s.themes == (label,) for (label, _), s in zip(labelled, relabelled))
    expected: dict[tuple[str, ...], set[str]] = {}
    for (label, _), s in zip(labelled, relabelled):
        expected.setdefault(_key(s), set()).add(label)
    assert any(len(labels) > 1 for labels in expected.values())

    rng = random.Random(seed)
    shuffled = list(relabelled)
    rng.shuffle(shuffled)
    merge = SeriesMerge()
    for a in range(0, len(shuffled), 5):
        merge.add(shuffled[a : a + 5])
        merge.result()  # cached results must pick up themes added later
    for merged in (merge.result(), merge_series(relabelled)):
        assert len(merged) == len(expected)
        for s in merged:
            assert s.themes == tuple(sorted(expected[_key(s)]))


def test_new_theme_alone_updates_a_cached_result(items: list[Series]) -> None:
    s = items[0]
    merge = SeriesMerge()
    merge.add([Series.from_dict(s.to_dict(), themes=("甲",))])
    assert [m.themes for m in merge.result()] == [("甲",)]
    merge.add([Series.from_dict(s.to_dict(), themes=("乙",))])  # same examples, one more theme
    assert [m.themes for m in merge.result()] == [tuple(sorted({"甲", "乙"}))]
