"""Themes: lexicons, per-article term counts, the theme index, ad-hoc themes and honest refusals."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from drafter import themes as T
from drafter.corpus import Article, load_files
from drafter.errors import DrafterError

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "corpus"
EXTRA = Path("/work/shared/corpus-extra")


def _file(aid: str) -> str:
    return aid.split("::")[0]


def _prefixes(rows) -> set[str]:  # type: ignore[no-untyped-def]
    return {_file(r[0])[:3] for r in rows}


@pytest.fixture(scope="module")
def lexicons() -> dict[str, T.Lexicon]:
    return T.load_lexicons(None)


@pytest.fixture(scope="module")
def seeds(lexicons):  # type: ignore[no-untyped-def]
    stats, titles = T.corpus_stats(load_files([SEEDS]), T.lexicon_terms(lexicons))
    return stats, titles, T.build_themes(stats, titles, lexicons)


# --- lexicons ---------------------------------------------------------------------------------------


def test_shipped_lexicons_cover_the_named_themes(lexicons) -> None:  # type: ignore[no-untyped-def]
    for name in ("外事", "青年", "党建", "机关事务", "科技创新", "为民服务", "经济发展"):
        lex = lexicons[name]
        assert 10 <= len(lex.terms) + len(lex.broad) <= 40
        assert lex.origin == "shipped"
    assert T.find_lexicon(lexicons, "党史学习").name == "党建"
    assert {"侨", "友城", "一带一路", "人类命运共同体"} <= set(lexicons["外事"].terms)


def test_user_file_adds_replaces_and_extends(tmp_path: Path) -> None:
    user = tmp_path / "themes.toml"
    user.write_text(
        "[航天]\nterms = [\"航天\", \"火箭\", \"卫星\"]\naliases = [\"航天事业\"]\n\n"
        "[外事]\nterms = [\"外事\", \"外办\"]\n\n"
        "[\"青年\"]\nextend = true\nterms = [\"青马工程\"]\n",
        encoding="utf-8",
    )
    lex = T.load_lexicons(user)
    assert lex["航天"].terms == ("航天", "火箭", "卫星") and lex["航天"].origin == "user"
    assert T.find_lexicon(lex, "航天事业").name == "航天"
    assert lex["外事"].terms == ("外事", "外办") and lex["外事"].broad == ()
    shipped = T.load_lexicons(None)
    assert lex["青年"].terms[-1] == "青马工程"
    assert set(shipped["青年"].terms) < set(lex["青年"].terms)
    assert lex["党建"] == shipped["党建"]


def test_missing_user_file_is_not_an_error(tmp_path: Path) -> None:
    assert T.load_lexicons(tmp_path / "nope.toml") == T.load_lexicons(None)


def test_malformed_user_file_names_file_and_line(tmp_path: Path) -> None:
    user = tmp_path / "themes.toml"
    user.write_text("[航天]\nterms = [\"航天\", \"火箭\"\n\n[青年]\nterms = []\n", encoding="utf-8")
    with pytest.raises(DrafterError) as err:
        T.load_lexicons(user)
    msg = err.value.message
    assert str(user) in msg and "第 " in msg and "\n" not in msg


def test_wrong_shape_in_user_file_names_the_theme_line(tmp_path: Path) -> None:
    user = tmp_path / "themes.toml"
    user.write_text("# 我的主题\n\n[航天]\nterm = [\"航天\"]\n", encoding="utf-8")
    with pytest.raises(DrafterError) as err:
        T.load_lexicons(user)
    assert "第 3 行" in err.value.message and "term" in err.value.message
    user.write_text("[航天]\nterms = \"航天\"\n", encoding="utf-8")
    with pytest.raises(DrafterError, match="字符串列表"):
        T.load_lexicons(user)


# --- counting ---------------------------------------------------------------------------------------


def test_count_terms_credits_the_longest_term() -> None:
    text = "青少年是少年中的少年；友好城市与友城；华侨、侨胞"
    counts = T.count_terms(text, ["少年", "青少年", "友城", "友好城市", "侨"])
    assert counts == {"青少年": 1, "少年": 2, "友好城市": 1, "友城": 1, "侨": 2}


def test_article_terms_counts_words_and_seed_substrings() -> None:
    art = Article(
        file="x.txt",
        title="做好新时代侨务工作",
        paragraphs=("我们要把侨务工作做得更实，服务华侨华人。", "2023年，侨联、侨办共同推进。"),
        positions=(2, 3),
    )
    st = T.article_terms(art)
    assert st.seed_counts["侨"] == 5  # 侨务 ×2, 华侨, 侨联, 侨办
    assert st.counts["侨务工作"] == 2 and st.counts["华侨"] == 1
    assert "侨" not in st.counts  # one-character words are not content words, yet 侨 is counted above
    assert "我们" not in st.counts and "2023" not in st.counts and "，" not in st.counts
    assert all(len(w) >= 2 for w in st.counts)
    assert st.tokens == sum(st.counts.values())
    assert T.TermStats.from_dict(json.loads(json.dumps(st.to_dict()))) == st


def test_traditional_text_is_counted_in_simplified() -> None:
    text = "我們黨組織的工作與對外開放，這是國際問題。" * 20
    art = Article(file="t.txt", title="報告", paragraphs=(text,), positions=(2,))
    st = T.article_terms(art)
    assert st.seed_counts.get("对外", 0) == 20 and st.seed_counts.get("党组织", 0) == 20
    assert st.counts.get("对外开放") == 20 and "對外開放" not in st.counts


# --- the index on the seed corpus ---------------------------------------------------------------------


def test_seed_corpus_theme_articles(seeds) -> None:  # type: ignore[no-untyped-def]
    _stats, _titles, index = seeds
    waishi = index.articles_for("外事")
    assert {"000", "003", "004"} <= _prefixes(waishi)
    assert "002" not in _prefixes(waishi)
    qingnian = index.articles_for("青年")
    assert {"000", "001"} <= _prefixes(qingnian)
    assert "004" not in _prefixes(qingnian)
    assert _prefixes(index.articles_for("机关事务")) == {"002"}
    assert {"002", "003"} <= _prefixes(index.articles_for("党史学习"))
    # Scores are sorted best first and agree with score().
    scores = [r[2] for r in waishi]
    assert scores == sorted(scores, reverse=True)
    assert index.score(waishi[0][0], "外事") == waishi[0][2]
    assert index.score(waishi[0][0], "不存在的主题") == 0.0
    top = waishi[0][0]
    assert index.about(top, "外事") and "外事" in index.themes_of(top)
    assert not any(index.about(a, "外事") for a in index.articles if a.startswith("002"))


def test_theme_info_terms_and_counts(seeds) -> None:  # type: ignore[no-untyped-def]
    _stats, _titles, index = seeds
    infos = {i.theme: i for i in index.themes()}
    assert set(infos) == set(T.load_lexicons(None))
    waishi = infos["外事"]
    assert waishi.article_count == len(waishi.articles) >= 3
    assert waishi.terms[0] == "外事"  # the most used seed term comes first
    assert set(index.lexicon("外事").expansion) <= set(waishi.terms)
    counts = [i.article_count for i in index.themes()]
    assert counts == sorted(counts, reverse=True)
    # the summary's counts, worked out without ranking terms, list the themes the same way
    assert list(index.article_counts().items()) == [(i.theme, i.article_count) for i in index.themes()]


def test_index_is_deterministic_and_round_trips(seeds, lexicons) -> None:  # type: ignore[no-untyped-def]
    stats, titles, index = seeds
    keys = list(stats)
    random.Random(7).shuffle(keys)
    shuffled = T.build_themes({k: stats[k] for k in keys}, {k: titles[k] for k in reversed(keys)}, lexicons)
    assert json.dumps(shuffled.to_dict(), ensure_ascii=False) == json.dumps(index.to_dict(), ensure_ascii=False)
    back = T.ThemeIndex.from_dict(json.loads(json.dumps(index.to_dict(), ensure_ascii=False)))
    assert back == index
    assert back.articles_for("青年") == index.articles_for("青年")


def test_score_is_fair_across_lengths(lexicons) -> None:  # type: ignore[no-untyped-def]
    lex = lexicons["外事"]
    para = "我市外事工作坚持外事为民，深化友城合作，服务对外开放。" + "会议还研究了其他事项，部署了下一步工作安排。" * 3
    short = T.text_score(para * 10, lex)
    long = T.text_score(para * 100, lex)
    assert short > 0 and abs(short - long) < 0.05 * short
    # Diluting the same mentions in unrelated text lowers the score.
    filler = "会议还研究了其他事项，部署了下一步工作安排。" * 200
    assert T.text_score(para * 10 + filler, lex) < short / 2
    # A note shorter than the length floor is not over-rated.
    assert T.text_score(para, lex) < short / 2


# --- is_about / term_hits ---------------------------------------------------------------------------


def test_is_about_and_term_hits(lexicons) -> None:  # type: ignore[no-untyped-def]
    waishi, qingnian = lexicons["外事"], lexicons["青年"]
    assert T.is_about("要把加强党对外事工作的领导落得更实", waishi)
    assert not T.is_about("要把加强党对外事工作的领导落得更实", qingnian)
    assert not T.is_about("全面推进乡村振兴，加强农田水利建设。", waishi)
    assert T.term_hits("讲好中国故事，深化友好城市交往，服务华侨华人", waishi) == 3
    assert T.term_hits("全面推进乡村振兴", waishi) == 0
    long_text = "今年全市农业生产平稳，粮食总产量再创新高，农田水利设施不断完善。" * 20
    assert not T.is_about(long_text + "对外", waishi)


# --- resolve ----------------------------------------------------------------------------------------


def test_resolve_known_theme_and_alias(seeds, lexicons) -> None:  # type: ignore[no-untyped-def]
    _stats, _titles, index = seeds
    lex = T.resolve(index, "党史学习", lexicons)
    assert lex.name == "党建" and lex.expansion == index.lexicon("党建").expansion


def test_unknown_theme_names_the_closest(seeds, lexicons) -> None:  # type: ignore[no-untyped-def]
    _stats, _titles, index = seeds
    with pytest.raises(DrafterError) as err:
        T.resolve(index, "航天", lexicons)
    msg = err.value.message
    assert msg.startswith("没有关于“航天”的文章；相近的主题：科技创新")
    assert "drafter themes" in msg and "\n" not in msg
    with pytest.raises(DrafterError, match="相近的主题：外事"):
        T.resolve(index, "区块链与侨务", lexicons)


def test_adhoc_theme_from_a_corpus_word(seeds, lexicons) -> None:  # type: ignore[no-untyped-def]
    _stats, _titles, index = seeds
    lex = T.resolve(index, "党史", lexicons)
    assert lex.origin == "corpus" and lex.terms == ("党史",) and lex.expansion
    extended = index.add(lex)
    rows = extended.articles_for("党史")
    assert len(rows) >= 2 and "003" in _prefixes(rows)
    assert "党史" in rows[0][1]  # the title naming the word earns the bonus
    # Adding a theme leaves the others alone.
    assert extended.articles_for("外事") == index.articles_for("外事")


def test_user_theme_is_scored_without_recounting(seeds) -> None:  # type: ignore[no-untyped-def]
    stats, titles, _index = seeds
    lex = dict(T.load_lexicons(None))
    lex["国际交往"] = T.Lexicon("国际交往", ("国际交往中心", "国际交往", "外事", "友城", "对外"), origin="user")
    index = T.build_themes(stats, titles, lex)
    assert "000" in _prefixes(index.articles_for("国际交往"))


# --- the public corpus ------------------------------------------------------------------------------


@pytest.mark.skipif(not EXTRA.is_dir(), reason="corpus-extra not available")
def test_extra_corpus_themes(lexicons) -> None:  # type: ignore[no-untyped-def]
    stats, titles = T.corpus_stats(load_files([EXTRA]), T.lexicon_terms(lexicons))
    index = T.build_themes(stats, titles, lexicons)
    n = len(stats)
    tech, econ = index.theme("科技创新"), index.theme("经济发展")
    assert tech.article_count >= n // 4 and econ.article_count >= n // 2
    # The speech at the scientists' symposium is the 科技创新 article of the year.
    assert tech.articles[0][0].startswith("xi2020")
    assert {"基础学科", "攻关", "领军", "原创"} & set(index.lexicon("科技创新").expansion)
    assert {"双循环", "开放型", "便利化", "产权", "循环"} & set(index.lexicon("经济发展").expansion)
    # Work reports are about the economy, not about youth.
    assert not any(r[0].startswith("gwr") for r in index.articles_for("青年"))
    lex = T.resolve(index, "脱贫攻坚", lexicons)
    assert {"扶贫", "贫困"} <= set(lex.expansion)
    with pytest.raises(DrafterError, match="相近的主题"):
        T.resolve(index, "区块链", lexicons)


def test_piecewise_normalisation_equals_nfkc() -> None:
    import unicodedata

    rng = random.Random(11)
    pieces = ["发展", "，", "。", "ＧＤＰ", "１２", "\u0301", "e\u0301", "㈠", "\uf900", "ﬁ", " ", "\u3000", "（）", "A"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 60)))
        assert T._norm(text) == unicodedata.normalize("NFKC", text), text


def test_normalisation_of_long_texts_equals_nfkc() -> None:
    # long texts take the shortcut (common full-width punctuation replaced, then a quick check) or
    # fall back to pieces; marks that compose with what precedes them must come out the same
    import unicodedata

    rng = random.Random(12)
    pieces = ["发展", "，", "；", "：", "（", "）", "！", "？", "％", "．", "\u3000", "…", "。", "、", "“", "”",
              "\u0301", "\u0338", "＜", "<", "=", "e", "１２", "ＧＤＰ", "①", "\u1161", "ᄀ", "ﬁ"]
    for _ in range(2000):
        common = rng.random() < 0.5  # half the texts hold only what the shortcut handles
        pool = pieces[:16] if common else pieces
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(30, 120)))
        assert T._norm(text) == unicodedata.normalize("NFKC", text), text


def test_count_terms_ignores_term_order_and_blanks() -> None:
    text = "青少年和少年，少年先锋队，青少年"
    assert T.count_terms(text, ["少年", "青少年", "少年先锋队", "先锋"]) == {"青少年": 2, "少年": 1, "少年先锋队": 1}
    # the same list in another order and with blanks gives the same counts
    assert T.count_terms(text, ["先锋", "", "少年先锋队", "青少年", "少年"]) == T.count_terms(text, ["少年", "青少年", "少年先锋队", "先锋"])


def _count_terms_by_str_count(text: str, terms: list[str]) -> dict[str, int]:
    """The definition count_terms implements, spelled out with one str.count per term."""
    final: dict[str, int] = {}
    for t in sorted({t for t in terms if t}, key=lambda t: (-len(t), t)):
        n = text.count(t)
        for u in final:
            if len(u) > len(t) and t in u:
                n -= final[u] * u.count(t)
        final[t] = max(n, 0)
    return {t: n for t, n in final.items() if n}


def test_count_terms_matches_str_count_on_overlapping_terms() -> None:
    # self-overlapping terms (哈哈), terms inside terms and terms sharing edges, on random strings
    rng = random.Random(5)
    alphabet = "青少年哈先锋"
    for _ in range(4000):
        terms = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 6))]
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert T.count_terms(text, terms) == _count_terms_by_str_count(text, terms), (text, terms)


def test_count_terms_matches_str_count_on_a_real_report(lexicons) -> None:  # type: ignore[no-untyped-def]
    text = "".join((EXTRA / "gwr_national_2014.txt").read_text(encoding="utf-8").split())
    terms = list(T.lexicon_terms(lexicons))
    got = T.count_terms(text, terms)
    assert got == _count_terms_by_str_count(text, terms)
    assert sum(got.values()) > 100


def test_words_are_counted_line_by_line() -> None:
    # a heading without punctuation must not fuse with the paragraph after it into one word
    art = Article(file="x.txt", title="标题", paragraphs=("一、回顾", "过去一年，成绩显著。"), positions=(2, 3))
    st = T.article_terms(art)
    assert st.counts.get("回顾") == 1 and st.counts.get("过去") == 1 and "回顾过去" not in st.counts
    # words handed in by the caller give the same stats as segmenting here
    from drafter.segment import cut

    assert T.article_terms(art, words=[cut(x) for x in (art.title, *art.paragraphs)]) == st


def test_word_counts_keep_first_use_order_whatever_is_remembered() -> None:
    from collections import Counter
    from itertools import chain

    from drafter.segment import cut

    art = next(a for _name, arts in load_files([SEEDS]) for a in arts if len(a.paragraphs) > 5)
    lines = [art.title, *art.paragraphs]
    words = [cut("".join(line.split())) for line in lines]
    plain = Counter(chain.from_iterable(words))
    want = [(w, n) for w, n in plain.items() if len(w) >= 2 and T._CJK.match(w) and w not in T.STOPWORDS]
    T._CONTENT.clear()
    T._NOT_CONTENT.clear()
    first = T.article_terms(art)
    assert list(first.counts.items()) == want and type(first.counts) is dict
    assert first.tokens == sum(n for _w, n in want)
    # every word now remembered: the same counts in the same order
    assert list(T.article_terms(art).counts.items()) == want


def test_term_table_expansion_matches_a_plain_computation(seeds) -> None:  # type: ignore[no-untyped-def]
    import math

    from drafter.termtable import MIN_LIFT, TermTable

    stats, _titles, _index = seeds
    ids = sorted(stats)
    members = {aid: 1.0 + k for k, aid in enumerate(ids[::2])}
    exclude = {"青年", "外交"}
    # the formula of TermTable.expand, one word at a time
    n = len(ids)
    background: dict[str, float] = {}
    df_all: dict[str, int] = {}
    for aid in ids:
        st = stats[aid]
        for t, c in st.counts.items():
            background[t] = background.get(t, 0.0) + c / st.tokens / n
            df_all[t] = df_all.get(t, 0) + 1
    total = sum(members.values())
    p: dict[str, float] = {}
    df: dict[str, int] = {}
    cov: dict[str, float] = {}
    for aid in sorted(members):
        st, m = stats[aid], members[aid] / total
        for t, c in st.counts.items():
            p[t] = p.get(t, 0.0) + m * c / st.tokens
            df[t] = df.get(t, 0) + 1
            cov[t] = cov.get(t, 0.0) + m
    need = max(2, math.ceil(len(members) / 10))
    scored = []
    for t, pt in p.items():
        ratio = pt / ((background[t] * n + pt) / (n + 1))
        if df[t] < need or ratio < MIN_LIFT or any(t in e or e in t for e in exclude):
            continue
        idf = math.log((n + 1) / (df_all[t] + 1)) + 0.1
        scored.append((pt * math.log(ratio) * idf * cov[t], t))
    expected = [t for _s, t in sorted(scored, key=lambda x: (-x[0], x[1]))[:15]]
    assert expected
    assert TermTable.of(stats).expand(members, exclude, 15) == expected
    # the order articles are added in does not show
    backwards = TermTable()
    for aid in reversed(ids):
        st = stats[aid]
        backwards.add(aid, st.counts, st.chars, st.tokens, st.seed_counts, st.seed_key)
    assert backwards.expand(members, exclude, 15) == expected
