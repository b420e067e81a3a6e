"""Phrase rows kept as JSON (drafter.model.JsonRows) and Model.to_json / Model.bank_counts over them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest

from drafter.bankorder import CATEGORIES
from drafter.mine import mine
from drafter.model import JsonRows, Model

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MARKER = '{"category":"句子"'


def _plain_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Rows per category, keys in the order categories first appear."""
    counts: dict[str, int] = {}
    for row in rows:
        cat = row["category"]
        counts[cat] = counts.get(cat, 0) + 1
    return counts


def _tiny(rows: list[dict[str, Any]]) -> Model:
    return Model(corpus="tiny", inputs={}, articles=(), phrase_rows=JsonRows(orjson.dumps(rows)))


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DRAFTER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        built = mine(CORPUS, jobs=1)
    # a plain model: rows as a tuple of dicts, whatever mining handed back
    plain = dataclasses.replace(built, phrase_rows=tuple(built.phrase_rows))
    assert len(plain.phrase_rows) > 0
    return plain


@pytest.fixture()
def raw(model: Model) -> bytes:
    return orjson.dumps(list(model.phrase_rows))


def test_json_rows_behave_like_the_rows(model: Model, raw: bytes) -> None:
    rows = list(model.phrase_rows)
    jr = JsonRows(raw)
    assert jr == model.phrase_rows
    assert jr == rows
    assert jr == tuple(rows)
    assert len(jr) == len(rows)
    assert list(jr) == rows
    assert [jr[i] for i in range(len(rows))] == rows
    assert jr[-1] == rows[-1]
    assert list(jr[1:4]) == rows[1:4]
    assert jr != rows[:-1]
    assert jr != [*rows[:-1], {**rows[-1], "count": rows[-1]["count"] + 1}]
    assert (jr == 3) is False
    with pytest.raises(IndexError):
        jr[len(rows)]
    with pytest.raises(TypeError):
        hash(jr)


def test_json_rows_parse_lazily_and_once(raw: bytes) -> None:
    jr = JsonRows(raw)
    assert jr._rows is None
    assert jr.raw is raw
    first = jr[0]
    assert jr._rows is not None
    assert jr[0] is first


def test_to_json_is_orjson_of_to_dict(model: Model, raw: bytes) -> None:
    fast = dataclasses.replace(model, phrase_rows=JsonRows(raw))
    out = fast.to_json()
    assert fast.phrase_rows._rows is None  # written without parsing the rows
    assert out == model.to_json()
    assert out == orjson.dumps(model.to_dict())
    assert out == orjson.dumps(fast.to_dict())
    assert orjson.loads(out) == model.to_dict()
    assert orjson.loads(out)["phrases"] == list(model.phrase_rows)
    assert fast.to_json() == out  # and the same once the rows are parsed
    assert fast.phrase_rows._rows is not None


def test_bank_counts_plain_model(model: Model) -> None:
    expected = _plain_counts(model.phrase_rows)
    counts = model.bank_counts()
    assert counts == expected
    assert list(counts) == list(expected)
    assert sum(counts.values()) == len(model.phrase_rows)


def test_bank_counts_json_rows_without_parsing(model: Model, raw: bytes) -> None:
    # counts handed over with the rows (as the phrase process does) are used as they are
    expected = _plain_counts(model.phrase_rows)
    fast = dataclasses.replace(model, phrase_rows=JsonRows(raw, dict(expected)))
    counts = fast.bank_counts()
    assert fast.phrase_rows._rows is None
    assert counts == expected
    assert list(counts) == list(expected)
    assert counts == model.bank_counts()
    # without them the rows are parsed and counted
    slow = dataclasses.replace(model, phrase_rows=JsonRows(raw))
    assert slow.bank_counts() == expected and slow.phrase_rows._rows is not None


def test_phrase_process_hands_over_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a re-mine with the phrase process: its rows arrive as JSON with their counts, unparsed
    import shutil

    from drafter.mine import mine

    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    mine(corpus, jobs=1)
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n我们要坚持实事求是。\n", encoding="utf-8")
    model = mine(corpus, jobs=2)
    assert isinstance(model.phrase_rows, JsonRows) and model.phrase_rows.categories is not None
    counts = model.bank_counts()
    assert model.phrase_rows._rows is None
    assert counts == _plain_counts(model.phrase_rows)


def test_mined_rows_are_in_bank_order(model: Model) -> None:
    order = list(CATEGORIES)
    ranks = [order.index(row["category"]) for row in model.phrase_rows]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(
    "texts",
    [
        [MARKER],
        [f'他说：{MARKER},"text":"x"}}', "普通的一句话"],
        ['{"category":"提法"', '{"category":"', '[{"category":"句子","text":"y"}]'],
        ["\\" + MARKER, MARKER + "\\", '\\"}{"category":"引语"'],
    ],
)
def test_marker_inside_a_text_does_not_fool_bank_counts(texts: list[str]) -> None:
    # in bank order, as mined rows are
    rows = [{"category": "四字格", "text": "实事求是", "count": 2}]
    rows += [{"category": "提法", "text": t + "。", "count": 1} for t in texts]
    rows += [{"category": "句子", "text": t, "count": 1} for t in texts]
    m = _tiny(rows)
    assert m.to_json() == orjson.dumps(m.to_dict())
    counts = m.bank_counts()
    assert counts == _plain_counts(rows)
    assert list(counts) == list(_plain_counts(rows))


def test_bank_counts_unknown_category_falls_back() -> None:
    rows = [
        {"category": "句子", "text": "a"},
        {"category": "其他", "text": "b"},
        {"category": "句子", "text": "c"},
        {"category": "开头", "text": "d"},
    ]
    m = _tiny(rows)
    assert m.bank_counts() == _plain_counts(rows)


def test_bank_counts_empty_rows() -> None:
    assert _tiny([]).bank_counts() == {} == _plain_counts([])


def test_bank_counts_json_rows_with_spaces() -> None:
    rows = [{"category": "句子", "text": "a"}, {"category": "提法", "text": "b"}]
    m = Model(
        corpus="tiny",
        inputs={},
        articles=(),
        phrase_rows=JsonRows(json.dumps(rows, ensure_ascii=False).encode()),
    )
    counts = m.bank_counts()  # before anything parses the rows
    assert m.phrase_rows == rows
    assert counts == _plain_counts(rows)


def test_bank_counts_json_rows_category_not_first() -> None:
    rows = [{"text": "a", "category": "句子"}, {"category": "提法", "text": "b"}]
    m = _tiny(rows)
    assert m.bank_counts() == _plain_counts(rows)
