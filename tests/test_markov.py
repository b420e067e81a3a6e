"""Generated sentences: novel, fact-free, well-formed and reproducible, on real corpora."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import markovify
import pytest

from drafter import markov as M
from drafter.corpus import load_files

ROOT = Path(__file__).resolve().parent.parent
EXTRA = Path("/work/shared/corpus-extra")


def _longest_shared_brute(sentence: str, corpus: str) -> int:
    """Longest substring of ``sentence`` found in ``corpus``, by direct search (the slow truth)."""
    best = 0
    for i in range(len(sentence)):
        length = best + 1
        while i + length <= len(sentence) and sentence[i:i + length] in corpus:
            best = length
            length += 1
    return best


@pytest.fixture(scope="module")
def seed_texts() -> list[str]:
    return [p for _name, arts in load_files([ROOT / "corpus"]) for a in arts if a.quotable for p in a.paragraphs]


@pytest.fixture(scope="module")
def xi_texts() -> list[str]:
    files = sorted(EXTRA.glob("xi2020_*.txt"))
    if not files:
        pytest.skip("corpus-extra speeches not available")
    return [f.read_text(encoding="utf-8") for f in files]


@pytest.fixture(scope="module")
def seed_model(seed_texts):
    return M.train(seed_texts)


@pytest.fixture(scope="module")
def xi_model(xi_texts):
    return M.train(xi_texts)


def _check_generated(out: list[str], texts: list[str]) -> None:
    corpus = "\n".join(M.normalize(line) for t in texts for line in t.splitlines())
    assert len(set(out)) == len(out)
    for s in out:
        assert M.rejection(s) is None, s
        assert 12 <= len(s) <= 90
        assert s[-1] in "。！？”’）", s
        assert not re.search(r"[0-9０-９]|百分之", s), s
        assert not re.search(r"“[^“”]{6,}”", s), s
        assert _longest_shared_brute(s, corpus) <= 0.7 * len(s), s


def test_seed_corpus_generation_is_novel_and_clean(seed_texts, seed_model):
    model, index = seed_model
    out = M.generate(model, index, random.Random(7), 8)
    assert len(out) >= 4  # the seeds are small but do yield new sentences
    _check_generated(out, seed_texts)


def test_speech_corpus_generation_is_novel_and_clean(xi_texts, xi_model):
    model, index = xi_model
    assert model.state_size == 2
    out = M.generate(model, index, random.Random(3), 15)
    assert len(out) == 15
    _check_generated(out, xi_texts)


def test_same_seed_same_sentences_different_seed_different(xi_model):
    model, index = xi_model
    a = M.generate(model, index, random.Random(11), 6)
    b = M.generate(model, index, random.Random(11), 6)
    c = M.generate(model, index, random.Random(12), 6)
    assert a == b
    assert a != c


def test_global_random_state_untouched(xi_model, seed_texts):
    model, index = xi_model
    random.seed(2024)
    before = random.getstate()
    M.generate(model, index, random.Random(1), 5)
    text = M.ChineseText("\n".join(seed_texts), rng=random.Random(1))
    text.make_sentence(tries=3)
    assert random.getstate() == before


def test_must_include_prefers_theme_terms(xi_model):
    model, index = xi_model
    out = M.generate(model, index, random.Random(5), 4, tries=2000, must_include=["疫情", "青年"])
    assert len(out) == 4
    assert all("疫情" in s or "青年" in s for s in out)


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("要推动工作取得新的进展，取得新的成绩，", "no-final-punctuation"),
        ("要推动工作取得新的进展，取得新的成绩、。", "dangling"),
        ("要推动工作取得新的进展，取得新的成绩，。", "dangling"),
        ("要推动“工作取得新的进展，取得新的成绩。", "unbalanced"),
        ("要推动工作取得新的进展”，取得新的成绩。", "unbalanced"),
        ("要学习《习近平谈治国理政，取得新的成绩。", "unbalanced"),
        ("要推动（工作取得新的进展，取得新的成绩。", "unbalanced"),
        ("要推动‘工作取得新的进展，取得新的成绩。", "unbalanced"),
        ("要推动工作取得进展。", "too-short"),
        ("要推动工作取得新的进展，" * 8 + "取得新的成绩。", "too-long"),
        ("他指出：“我们要坚持以人民为中心的发展思想。”大家都赞同。", "quotation"),
        ("正如“绿水青山就是金山银山”所揭示的道理那样。", "quotation"),
        ("全年经济增长6.5%，成绩来之不易，令人鼓舞。", "number"),
        ("全年经济增长６％左右，成绩来之不易，令人鼓舞。", "number"),
        ("居民收入增长百分之六，成绩来之不易，令人鼓舞。", "number"),
        ("全年新增就业一千三百万人以上，成绩显著。", "number"),
        ("粮食产量增长了三倍以上，成绩来之不易，令人鼓舞。", "number"),
        ("要牢固树立“四个意识”，坚定不移推动高质量发展。", "number"),
        ("我们要抓好五项重点工作，坚定不移推动高质量发展。", "number"),
        ("十年来，我们取得了巨大的成就，令人鼓舞和振奋。", "number"),
        ("两个维护必须落实到位，坚定不移推动高质量发展。", "number"),
        ("第二，要坚定不移推动高质量发展，奋力开创新局面。", "number"),
        ("详情请访问www.example.com了解更多的工作信息。", "debris"),
        ("请联系@外事办公室，了解更多的工作信息和安排。", "debris"),
        ("图片见附件照片(二)1.png，了解更多的工作信息。", "debris"),
        ("图片见附件照片作者李宇莎.jpg了解更多的工作信息。", "debris"),
        ("推动经济社会高质量发展思想，不断推动经济社会高质量发展。", "repetitive"),
    ],
)
def test_rejection_of_crafted_bad_sentences(sentence, reason):
    assert M.rejection(sentence) == reason


@pytest.mark.parametrize(
    "sentence",
    [
        "一个重要的时期已经到来，我们要奋发有为、勇毅前行。",
        "要把“绿色通道”建好用好，让群众办事更加便捷。",
        "要深入学习《中国共产党章程》，坚定理想信念。",
        "同志们，让我们更加紧密地团结起来，为实现目标而努力奋斗！",
    ],
)
def test_good_sentences_pass_text_filters(sentence):
    assert M.rejection(sentence) is None


def test_invented_document_title_rejected(xi_model):
    _model, index = xi_model
    ok = "要深入学习《中国共产党章程》，坚定理想信念。"
    spliced = "要深入学习《中国共产党国际交往条例》，坚定理想信念。"
    fresh = M.NoveltyIndex().add_all(["中国共产党章程是党的根本大法。"])
    assert M.rejection(ok, fresh) is None
    assert M.rejection(spliced, fresh) == "invented-title"


def test_tiny_corpus_never_raises_and_stays_bounded():
    for texts in (["我们要坚持以人民为中心的发展思想，不断推动经济社会高质量发展。"], [], ["标题行没有句号"]):
        model, index = M.train(texts)
        out = M.generate(model, index, random.Random(1), 5, tries=200)
        assert all(M.rejection(s, index) is None for s in out)
        assert out == []  # one sentence can only be replayed, and a replay is a copy


def test_novelty_index_finds_copies_despite_width_and_spacing(xi_texts):
    index = M.NoveltyIndex().add_all(xi_texts)
    sentence = next(s for s in M.sentences(xi_texts[0]) if len(s) >= 20)
    assert index.longest_shared(sentence) == len(sentence)
    assert not index.is_novel(sentence)
    variant = " ".join(sentence).replace("，", ",")
    assert index.longest_shared(variant) == len(sentence)
    assert not index.is_novel(variant)
    assert index.longest_shared("鲸鱼在月光下唱歌跳舞吃冰淇淋") == 0
    assert index.is_novel("鲸鱼在月光下唱歌跳舞吃冰淇淋。")


def test_novelty_index_bound_is_never_below_the_truth(xi_texts, xi_model):
    model, index = xi_model
    corpus = "\n".join(M.novelty_key(line) for t in xi_texts for line in t.splitlines())
    rng = random.Random(9)
    checked = 0
    while checked < 25:
        words = model.walk_with(rng)
        if not words:
            continue
        s = "".join(words)
        truth = _longest_shared_brute(M.novelty_key(s), corpus)
        bound = index.longest_shared(s)
        assert bound >= truth or (bound == 0 and truth < index.k)
        checked += 1


def test_novelty_index_merge_and_json(xi_texts):
    half = len(xi_texts) // 2
    a = M.NoveltyIndex().add_all(xi_texts[:half])
    b = M.NoveltyIndex().add_all(xi_texts[half:])
    whole = M.NoveltyIndex().add_all(xi_texts)
    merged = a.merge(b)
    assert len(merged) == len(whole)
    assert merged.to_json() == whole.to_json()
    loaded = M.NoveltyIndex.from_json(whole.to_json())
    probe = M.sentences(xi_texts[-1])[2] + "鲸鱼在月光下唱歌"
    assert loaded.longest_shared(probe) == whole.longest_shared(probe) > 0
    with pytest.raises(ValueError):
        a.merge(M.NoveltyIndex(k=6))


def _runs(texts: list[str]) -> list[list[str]]:
    return [M.tokenize(s) for t in texts for s in M.sentences(t)]


def test_merge_counts_of_halves_equals_counts_of_whole(seed_texts):
    runs = _runs(seed_texts)
    third = len(runs) // 3
    a = M.count_transitions(runs[:third], 2)
    b = M.count_transitions(runs[third:2 * third], 2)
    c = M.count_transitions(runs[2 * third:], 2)
    whole = M.count_transitions(runs, 2)
    assert M.merge_counts(M.merge_counts(a, b), c) == whole
    assert M.merge_counts(a, M.merge_counts(b, c)) == whole
    assert M.merge_counts(c, M.merge_counts(b, a)) == whole
    # the model does not depend on the order the merges happened in
    m1 = M.ChainModel.from_counts(M.merge_counts(M.merge_counts(a, b), c))
    m2 = M.ChainModel.from_counts(M.merge_counts(c, M.merge_counts(b, a)))
    assert m1.to_json() == m2.to_json()
    assert M.counts_from_json(M.counts_to_json(whole)) == whole


def test_counts_match_markovify_and_reduce_order(seed_texts):
    runs = _runs(seed_texts)
    assert M.count_transitions(runs, 2) == markovify.Chain(runs, 2).model
    three = M.count_transitions(runs, 3)
    assert M.reduce_order(three, 2) == M.count_transitions(runs, 2)
    assert M.reduce_order(three, 1) == M.count_transitions(runs, 1)


def test_prune_leaves_no_dead_ends(xi_texts):
    counts = M.count_transitions(_runs(xi_texts), 2)
    pruned = M.prune(counts, 2)
    assert 0 < len(pruned) < len(counts)
    for state, nxt in pruned.items():
        assert all(c >= 2 for c in nxt.values())
        for tok in nxt:
            assert tok == M.END or state[1:] + (tok,) in pruned
    model = M.ChainModel.from_counts(pruned)
    rng = random.Random(4)
    for _ in range(50):
        words = model.walk_with(rng)
        assert words is None or "".join(words)[-1] in "。！？；”’）"


def test_chain_json_round_trip_gives_same_generation(xi_model):
    model, index = xi_model
    text = model.to_json()
    assert json.loads(text)["state_size"] == 2
    loaded = M.ChainModel.from_json(text)
    loaded_index = M.NoveltyIndex.from_json(index.to_json())
    assert loaded.model == model.model
    assert M.generate(loaded, loaded_index, random.Random(21), 6) == M.generate(model, index, random.Random(21), 6)
    assert isinstance(loaded, markovify.Chain)


def test_chinese_text_subclass_splits_and_joins_without_spaces(seed_texts):
    text = M.ChineseText("\n".join(seed_texts), state_size=2, rng=random.Random(8))
    again = M.ChineseText("\n".join(seed_texts), state_size=2, rng=random.Random(8))
    s = text.make_sentence(tries=20, test_output=False)
    assert s is not None and " " not in s
    assert s == again.make_sentence(tries=20, test_output=False)
    # sentences with quotes or brackets are trained on (markovify's well_formed would drop them)
    assert any("“" in w for state in text.chain.model for w in state)


def test_sentence_splitter_keeps_punctuation_and_quotes():
    text = "他说：“我们要前进。我们要奋斗。”大家鼓掌。第二句话！ 一、标题行\n下一段,有半角逗号;还有分号"
    assert M.sentences(text) == ["他说：“我们要前进。我们要奋斗。”", "大家鼓掌。", "第二句话！", "下一段，有半角逗号；"]
    assert M.sentences(text, keep_fragments=True)[3:] == ["一、标题行", "下一段，有半角逗号；", "还有分号"]
    assert M.sentences("坏的“引号。后面一句。") == ["坏的“引号。", "后面一句。"]
    assert M.tokenize("我们要坚持新发展理念。")[-1] == "。"


def test_state_size_grows_with_corpus():
    sizes = [M.state_size_for(n) for n in (100, 2_999, 3_000, 500_000, 1_499_999, 1_500_000, 10**8)]
    assert sizes == [1, 1, 2, 2, 2, 3, 3]


def test_splices_mark_where_a_sentence_leaves_the_corpus() -> None:
    from drafter.markov import NoveltyIndex, novelty_key

    idx = NoveltyIndex()
    idx.add_all(["党的领导是外事工作的生命线，是构建大外事格局的坚强保障。", "我们要深入学习贯彻习近平外交思想，推动外事工作迈上新台阶。"])
    assert idx.splices("党的领导是外事工作的生命线，是构建大外事格局的坚强保障。") == []
    joined = "党的领导是外事工作的生命线，推动外事工作迈上新台阶。"
    spans = idx.splices(joined)
    assert spans and all("|" in novelty_key(joined)[a:b] for a, b in spans)
    inside = "党的领导是外事工作迈上新台阶。"
    assert any("|" not in novelty_key(inside)[a:b] for a, b in idx.splices(inside))


def test_sentence_tokens_reuse_the_paragraph_segmentation() -> None:
    from drafter.segment import cut

    paras = [p for _name, arts in load_files([ROOT / "corpus"]) for a in arts for p in a.paragraphs]
    paras += ["他说：“我们要坚持。不能动摇！”然后离开。", 'ＧＤＰ增长 5%; "引号"。', "没有句末标点的标题"]
    sliced = 0
    for para in paras:
        want = [M.tokenize(s) for s in M.sentences(para)]
        assert M.sentence_tokens(para, cut(para)) == want, para
        assert M.sentence_tokens(para) == want
        sliced += M._NORMAL_RE.search(para) is None
    assert sliced * 2 > len(paras)  # most paragraphs take the fast path


def _split_by_characters(line: str, quote_aware: bool) -> list[str] | None:
    """The rule sentences() splits a line by, one character at a time: after each run of
    terminators (with the closers right after it) that leaves no quotation open; None when a
    quote-aware split ends inside quotes."""
    pieces: list[str] = []
    depth = start = i = 0
    while i < len(line):
        ch = line[i]
        i += 1
        if ch in "“‘":
            depth += 1
        elif ch in "”’":
            depth = max(0, depth - 1)
        elif ch in M._TERMINALS:
            while i < len(line) and line[i] in M._TERMINALS + M._CLOSERS:
                if line[i] in "”’":
                    depth = max(0, depth - 1)
                i += 1
            if depth == 0 or not quote_aware:
                pieces.append(line[start:i])
                start = i
    if quote_aware and depth:
        return None
    if start < len(line):
        pieces.append(line[start:])
    return pieces


def test_sentence_split_matches_the_character_rule() -> None:
    rng = random.Random(7)
    alphabet = ["甲", "乙", "，", "。", "！", "？", "；", "“", "”", "‘", "’", "）", "》", "」", "（", "a", "\n"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        want_all: list[str] = []
        for line in text.splitlines():
            if line:
                got = _split_by_characters(line, True)
                want_all += _split_by_characters(line, False) if got is None else got
        want = [p for p in want_all if p[-1] in M._TERMINALS or (p[-1] in M._CLOSERS and M._ends_terminal(p))]
        assert M.sentences(text, keep_fragments=True) == want_all, text
        assert M.sentences(text) == want, text


def _sentence_tokens_by_search(text: str, words: list[str]) -> list[list[str]]:
    """sentence_tokens spelled out: find each sentence in the text, slice the words whose lengths
    add up to its edges, segment it on its own when an edge falls inside a word."""
    bounds = [0]
    for w in words:
        bounds.append(bounds[-1] + len(w))
    out, pos = [], 0
    for sent in M.sentences(text):
        start = text.find(sent, pos)
        pos = start + len(sent)
        if start in bounds and pos in bounds:
            out.append(words[bounds.index(start) : bounds.index(pos)])
        else:
            out.append(M.tokenize(sent))
    return out


def test_sentence_tokens_slice_any_segmentation_by_word_lengths() -> None:
    # words that cut sentences anywhere, empty words, words of another text: only their lengths count
    rng = random.Random(3)
    alphabet = "甲乙丙，。！？；“”‘’）"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        source = text if rng.random() < 0.8 else "".join(rng.choice(alphabet) for _ in range(len(text)))
        words, i = [], 0
        while i < len(source):
            k = rng.randint(0, 3)
            words.append(source[i : i + k])
            i += k
        assert M.sentence_tokens(text, words) == _sentence_tokens_by_search(text, words), (text, words)
