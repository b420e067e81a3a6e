"""drafter.termtable._related equals the plain "is, is part of, or contains a term" test."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drafter.termtable import _related

# Chinese characters, regex metacharacters, and the NUL that _related joins the terms with.
CHINESE = "党建发展改革中国"
REGEX = ".*+?()[]{}|^$\\"
ALPHABET = CHINESE + REGEX + "ab-"
ALPHABET_NUL = ALPHABET + "\0"


def plain(terms: set[str], word: str) -> bool:
    return word in terms or any(word in e or e in word for e in terms)


def _check(terms: set[str], words: list[str]) -> None:
    related = _related(set(terms))
    for word in words:
        assert related(word) == plain(terms, word), (terms, word)


def _words(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, max_size=6)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(terms=st.sets(_words(ALPHABET), max_size=6), words=st.lists(_words(ALPHABET), min_size=1, max_size=6))
@example(terms=set(), words=["", "党建", ".*"])
@example(terms={""}, words=["", "党建", "\\"])
@example(terms={"", "党建"}, words=["改革", ""])
@example(terms={"党建", "建发"}, words=["建", "党建发", "建\0发", "x"])
@example(terms={".*", "a|b"}, words=["a", "b", "a|b", ".", "x.*y", "|"])
@example(terms={"[", "(", "\\"}, words=["[", "a(b", "\\\\", "]"])
def test_matches_plain_definition(terms: set[str], words: list[str]) -> None:
    _check(terms, words)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    terms=st.sets(_words(ALPHABET), max_size=6), words=st.lists(_words(ALPHABET_NUL), min_size=1, max_size=6)
)
@example(terms={"党建", "发展"}, words=["建\0发", "\0", "党建\0"])
def test_nul_in_the_word(terms: set[str], words: list[str]) -> None:
    _check(terms, words)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    terms=st.sets(_words(ALPHABET_NUL), max_size=6),
    words=st.lists(_words(ALPHABET_NUL), min_size=1, max_size=6),
)
@example(terms={"党\0建"}, words=["党\0建", "x党\0建", "党"])
@example(terms={"\0"}, words=["\0", "a\0b", "a"])
def test_nul_anywhere(terms: set[str], words: list[str]) -> None:
    # terms holding NUL too
    _check(terms, words)


@pytest.mark.parametrize("word", ["\0", "党\0", "\0建"])
def test_nul_word_inside_nul_term(word: str) -> None:
    terms = {"党\0建"}
    assert plain(terms, word) is True
    assert _related(terms)(word) is True


@pytest.mark.parametrize(
    ("terms", "word", "want"),
    [
        (set(), "", False),
        (set(), "党建", False),
        ({""}, "", True),
        ({""}, "改革", True),
        ({"", "党建"}, "x", True),
        ({"党建"}, "", True),
    ],
)
def test_empty_cases(terms: set[str], word: str, want: bool) -> None:
    assert plain(terms, word) is want
    assert _related(terms)(word) is want
