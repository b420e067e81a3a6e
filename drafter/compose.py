"""Composing a first-draft skeleton for a theme and genre from a mined model.

The composer never writes a fact.  Everything in a draft is one of: a sentence quoted verbatim
from an article about the theme (``corpus``), a mined bank entry (``phrase``), a writer's own bank
entry (``user``), a new sentence from the theme's Markov chain that passed the novelty, number and
quotation filters (``generated``), or fixed template text with 【待补：…】 gaps for what only the
writer knows (``template``).  Flagged articles (traditional text, conversion artifacts) lend
structure but are never quoted.

Headings are one parallel series: either a mined skeleton refilled with the theme's terms (the
skeleton's constant words kept, each slot filled with a filler of the same kind and length), or a
whole mined series from an article about the theme.  The other candidates travel with the draft as
alternatives.  All randomness comes from one ``random.Random(seed)``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from drafter.draft import Draft, Item, Section
from drafter.errors import UsageError

GENRES = {
    "speech": "speech", "讲话": "speech", "讲话稿": "speech",
    "article": "article", "文章": "article", "署名文章": "article",
    "reflection": "reflection", "心得": "reflection", "心得体会": "reflection", "体会": "reflection",
}
GENRE_NAMES = {"speech": "讲话", "article": "署名文章", "reflection": "心得体会"}
CN_NUMS = "一二三四五六七八九十"
NUMBER = re.compile(r"[0-9０-９]|百分之|[一二三四五六七八九十两几百千]+(?:万|亿|个百分点)")
ATTRIBUTED = re.compile(r"(?:总书记|主席|总理|委员长|同志|书记|先生|古人|指出|强调|说|讲|寄语|要求)[^“”。]{0,12}[:：]?“([^”]{6,})”")
_MARKER_START = re.compile(rf"^(?:[{CN_NUMS}]+[、是要]|第[{CN_NUMS}]+|[（(][{CN_NUMS}\d]+[)）]|\d+[.、．]|其[{CN_NUMS}]|首先|其次|再次|最后)")
_DANGLING_START = re.compile(
    r"^(?:这|此|其|但|而|并|且|因此|所以|同时|另外|此外|对此|为此|他|她|它|该|上述|以上|总之|当然|然而|不过|可见|与此同时|"
    r"刚才|今天|下面|现在|首先|其次|最后|再次|一方面|另一方面)"
)
# a sentence that runs on into the next item of an enumeration (……“绿色通道”；三是努力打造……) is
# half of two points: out of place under any one heading
_RUNS_ON = re.compile(rf"[；;，,][{CN_NUMS}]是|[；;]其[{CN_NUMS}]|[；;]第[{CN_NUMS}]")
_DEBRIS = re.compile(r"\.(?:png|jpe?g|gif|docx?|pdf)\b|下载|VIP|E-?mail|https?:|www\.|@|侵权|页数|字号|温馨提示|客服|展开>>|收起<<|□|作者系|编者按|关闭本页", re.I)


def genre_of(name: str) -> str:
    """``speech`` / ``article`` / ``reflection`` from any accepted name; a usage error otherwise."""
    g = GENRES.get((name or "").strip().lower())
    if not g:
        raise UsageError(f"未知的体裁“{name}”：--genre 可选 speech（讲话）、article（文章/署名文章）、reflection（心得/心得体会）")
    return g


def balanced(text: str) -> bool:
    return text.count("“") == text.count("”") and text.count("《") == text.count("》") and text.count("（") == text.count("）")


# ---------------------------------------------------------------------------------------------
# the material a draft is made of


@dataclass(frozen=True)
class Sentence:
    """A verbatim sentence of a quotable theme article, with where it came from and its role."""

    text: str
    source: str
    role: str
    hits: int


@dataclass
class Material:
    """Everything the composer draws on for one theme, gathered once per draft."""

    theme: str
    terms: tuple[str, ...]
    seeds: tuple[str, ...]
    sentences: list[Sentence]
    articles: dict[str, dict[str, Any]]
    phrases: list[Any]
    user: list[Any]
    series: list[Any]
    chains: Any
    titles: dict[str, str]
    ranked: tuple[str, ...] = ()
    used: set[str] = field(default_factory=set)
    cache: dict[str, Any] = field(default_factory=dict)

    def hits(self, text: str) -> int:
        return sum(1 for t in self.terms if t in text)

    def about(self, text: str) -> bool:
        """The text names the theme by one of its seed terms (learned terms are too loose for this)."""
        return any(t in text for t in self.seeds)

    def theme_text(self) -> str:
        """All paragraphs of the theme's articles, joined (for checking that a phrase is in use)."""
        if "_text" not in self.cache:
            self.cache["_text"] = "\n".join(p for a in self.articles.values() for p in a["article"]["paragraphs"])
        return self.cache["_text"]


def _sentences(articles: dict[str, dict[str, Any]], terms: Sequence[str]) -> list[Sentence]:
    from drafter.phrases import sentence_spans

    out = []
    for aid in sorted(articles):
        art = articles[aid]["article"]
        if art.get("flags"):
            continue
        paras = art["paragraphs"]
        n = len(paras)
        for i, para in enumerate(paras):
            role = "opening" if i < max(1, n // 10) else "closing" if i >= n - max(1, n // 10) else "body"
            for s, e in sentence_spans(para):
                text = para[s:e].strip()
                if not (16 <= len(text) <= 90) or text[-1] not in "。！？”":
                    continue
                if _MARKER_START.match(text) or _DANGLING_START.match(text) or _RUNS_ON.search(text) or _DEBRIS.search(text) or not balanced(text):
                    continue
                hits = sum(1 for t in terms if t in text)
                out.append(Sentence(text, f"{art['file']}#{art['positions'][i]}", role, hits))
    return out


def gather(ctx: Any, theme: str, genre: str) -> Material:
    """The theme's articles, sentences, phrases, series and chains (one pass over the cache)."""
    from drafter.banks import added, read_banks
    from drafter.chains import theme_chains
    from drafter.lookup import theme_lexicon
    from drafter.mine import article_texts
    lexicon, index = theme_lexicon(ctx, theme)
    name = lexicon.name
    rows = index.articles_for(name)
    ids = [aid for aid, _t, _s in rows]
    found = article_texts(ctx.corpus, ctx.model, ids)
    texts = {aid: found[aid] for aid in ids if aid in found}  # best theme score first
    quotable = {aid: t for aid, t in texts.items() if not t["article"].get("flags")}
    seeds = tuple(t for t in lexicon.seeds() if t)
    terms = tuple(dict.fromkeys([name, *seeds, *getattr(lexicon, "expansion", ())]))
    theme_files = {t["article"]["file"] for t in texts.values()}
    phrases = ctx.model.phrases_from(theme_files)
    blocked = {s for aid, t in texts.items() if t["article"].get("flags") for s in [t["article"]["file"]]}
    phrases = [p for p in phrases if not any(s.split("#")[0] in blocked for s in p.sources)]
    user = [e for c in ("四字格", "提法", "引语", "开头", "过渡", "结尾", "句子") for e in added(read_banks(ctx.banks), c, name)]
    series = ctx.model.series_for(name)
    chains = theme_chains(ctx, name, quotable) if quotable else None
    titles = {t["article"]["file"]: t["article"]["title"] for t in texts.values()}
    for a in ctx.model.articles:
        titles.setdefault(a.file, a.title)
    return Material(
        theme=name,
        terms=terms,
        seeds=seeds or (name,),
        sentences=_sentences(quotable, terms),
        articles=texts,
        phrases=phrases,
        user=user,
        series=series,
        chains=chains,
        titles=titles,
        ranked=tuple(index.theme(name).terms),
    )


# ---------------------------------------------------------------------------------------------
# headings


@dataclass(frozen=True)
class HeadingSet:
    """One candidate parallel series for a level: heading texts and, per heading, its source."""

    headings: tuple[str, ...]
    sources: tuple[str, ...]
    how: str


def _ok_heading(text: str, lo: int = 4, hi: int = 40) -> bool:
    return lo <= len(text) <= hi and not NUMBER.search(text) and balanced(text) and not _DEBRIS.search(text) and "【" not in text


def _parallel(heads: Sequence[str]) -> bool:
    lens = [len(h) for h in heads]
    return bool(lens) and min(lens) > 0 and max(lens) / min(lens) <= 1.8 and len(set(heads)) == len(heads)


def _theme_fillers(mat: Material, lo: int, hi: int, long_slot: bool = False) -> list[str]:
    """Theme terms usable as a noun slot filler of ``lo``..``hi`` characters.

    The lexicon's seed terms first (a writer's own vocabulary for the theme), a two-character term
    also as ``…工作``; learned terms only when the seeds run short.
    """
    out: list[str] = []
    used = [t for t in mat.ranked[:12] if t in mat.seeds or t in mat.terms]
    text = mat.theme_text()
    for group in (used, mat.seeds, mat.terms):
        for t in group:
            if NUMBER.search(t) or not re.fullmatch(r"[\u4e00-\u9fff]{2,8}", t):
                continue
            if t not in mat.seeds and not any(seed in t for seed in mat.seeds):
                continue  # a learned term that is not about the theme by itself (工作作风)
            forms = ((f"{t}工作",) if long_slot else (t, f"{t}工作")) if len(t) <= 3 else (t,)
            for cand in forms:
                # a filler must be a phrase the theme's own texts use (外事工作 yes, 韶华工作 no)
                if lo <= len(cand) <= hi and cand not in out and (cand == t and len(t) >= 4 and t in mat.seeds or text.count(cand) >= 2):
                    out.append(cand)
        if len(out) >= 6:
            break
    return out


_NOUN_TAGS = ("n", "vn", "nz", "ng", "an", "nt", "j")


def _slot_kind(series: Any, name: str) -> str:
    """``noun`` when the slot holds noun phrases (some filler ends in a noun and they are not single
    words), else ``other``: only a noun slot may take a theme term."""
    tags = series.slot_pos.get(name, ())
    fillers = series.slots.get(name, ())
    avg = sum(len(f) for f in fillers) / max(1, len(fillers))
    ends = [t.split("+")[-1] for t in tags if t]
    nouny = sum(1 for e in ends if e in _NOUN_TAGS)
    return "noun" if avg >= 3 and ends and nouny * 2 >= len(ends) else "other"


def refill(series: Any, mat: Material, n: int, rng: random.Random) -> HeadingSet | None:
    """``n`` new headings from a mined skeleton: its constant words kept, one noun slot given theme
    terms, the other slots filled from fillers seen for them (cycled, so the series stays parallel)."""
    from drafter.series import fill

    names = list(series.slot_names)
    if not names or len(names) > 3 or not series.constant:
        return None
    kinds = {nm: _slot_kind(series, nm) for nm in names}
    nouns = [nm for nm in names if kinds[nm] == "noun"]
    if len(nouns) != 1:
        return None
    slot = nouns[0]
    if not any(mat.about(f) for f in series.slots.get(slot, ())):
        return None  # the slot must be where the examples put their topic, or a term reads wrong there
    lens = [len(f) for f in series.slots.get(slot, ())] or [4]
    pool = _theme_fillers(mat, max(2, min(lens) // 3), max(lens) + 4, long_slot=sum(lens) / len(lens) >= 6)
    if len(pool) < n:
        return None
    picks = rng.sample(pool[: max(n + 3, 8)], n)
    # the other slots keep the fillers of one original heading together (树…牢, 落…实), so a
    # verb and its complement are never mixed across headings
    others = [nm for nm in names if nm != slot]
    rows = sorted({tuple(series.slots.get(nm, ())[j] for nm in others) for j in range(len(series.members))})
    if others and not rows:
        return None
    rng.shuffle(rows)
    heads = []
    for i, term in enumerate(picks):
        values = {slot: term}
        if others:
            values.update(zip(others, rows[i % len(rows)]))
        heads.append(fill(series, values))
    if not all(_ok_heading(h) for h in heads) or not _parallel(heads):
        return None
    # pairs of non-noun fillers repeat when the skeleton saw fewer than n: keep the series, but
    # only if the repeated pair does not make two headings read the same apart from the term
    return HeadingSet(tuple(heads), ("",) * n, f"skeleton:{series.skeleton}")


def whole_series(series: Any, mat: Material, n: int, rng: random.Random, quotable_files: set[str], top_sources: set[str]) -> HeadingSet | None:
    """A mined top-level series from an article about the theme, taken as written (``n`` of its headings)."""
    heads = series.headings
    srcs = series.sources
    members = [i for i in range(len(heads)) if i < len(srcs) and srcs[i].split("#")[0] in quotable_files and srcs[i] in top_sources]
    members = [i for i in members if _ok_heading(heads[i], 4, 48)]
    if len(members) < n:
        return None
    start = rng.randrange(0, len(members) - n + 1)
    chosen = members[start : start + n]
    texts = tuple(heads[i] for i in chosen)
    if not _parallel(texts):
        return None
    return HeadingSet(texts, tuple(srcs[i] for i in chosen), f"series:{series.skeleton}")


_NOT_A_POINT = re.compile(
    r"[一二三四五六七八九十两]{2}|[一二三四五六七八九十两几][大个项条点类种批]|^关于|^(?:我们|这|其|但|不能|不得|不会|不是|没有|未能|无法)|"
    r"(?:不足|较少|较多|不够|不强|不高|不优|薄弱|滞后|偏低|偏弱|下降|困难)$"
)
"""Clauses that are no sub-point title: counts (六大领域), topic labels (关于…), pronoun starts, and
statements of a shortcoming (创新能力不足), which list problems rather than tasks."""


def _clause_ok(part: str) -> bool:
    return not NUMBER.search(part) and not _NOT_A_POINT.search(part)


def _clauses(mat: Material, quotable_files: set[str], fine: bool = False, limit: int = 60) -> list[tuple[str, str]]:
    """Short verb-object clauses (4–8 characters) from headings of the theme's articles: sub-point titles.

    Headings are cut at commas; with ``fine`` also at enumeration commas (``胸怀大局、砥砺奋进``),
    which yields the four-character pairs headings of some articles are built from.
    """
    splitter = r"[，、；：,]" if fine else r"[，；：,]"
    out: dict[str, str] = {}
    rank: dict[str, float] = {}
    order = list(mat.articles)  # best theme score first (the order of the theme index)
    for pos, aid in enumerate(order):
        a = mat.articles[aid]
        art = a["article"]
        if art["file"] not in quotable_files:
            continue
        for h in a["headings"]:
            src = f"{art['file']}#{art['positions'][h['paragraph'] - 1]}"
            for part in re.split(splitter, h["text"]):
                part = part.strip("“”")
                if 4 <= len(part) <= 8 and re.fullmatch(r"[\u4e00-\u9fff]+", part) and _clause_ok(part):
                    if part not in out:
                        out[part] = src
                        rank[part] = 2 * mat.hits(part) + 1 / (1 + pos) + h["text"].count(part)
    best = sorted(out, key=lambda p: (-rank[p], p))[:limit]
    return sorted((p, out[p]) for p in best)


def _clause_pairs(clauses: list[tuple[str, str]], n: int, rng: random.Random) -> HeadingSet | None:
    """``n`` headings of two clauses each (``把牢政治方向，健全体制机制``): real heading clauses of the
    theme's articles, paired by equal length so every heading has the same rhythm."""
    by_len: dict[int, list[tuple[str, str]]] = {}
    for c in clauses:
        by_len.setdefault(len(c[0]), []).append(c)
    lengths = sorted(k for k, v in by_len.items() if len(v) >= 2 * n)
    if not lengths:
        return None
    # verb-object clauses (把牢政治方向) read as headings; bare four-character idioms read as slogans
    lengths = [k for k in lengths if k >= 5] or lengths
    group = by_len[rng.choice(lengths)]
    picks = rng.sample(group, 2 * n)
    heads = tuple(f"{picks[2 * i][0]}，{picks[2 * i + 1][0]}" for i in range(n))
    for i in range(n):  # 坚持高质量发展，紧盯高质量发展: two halves saying the same thing
        a, b = picks[2 * i][0], picks[2 * i + 1][0]
        if any(a[j : j + 3] in b for j in range(len(a) - 2)):
            return None
    if not _parallel(heads):
        return None
    return HeadingSet(heads, ("",) * n, "clauses")


def heading_candidates(mat: Material, n: int, rng: random.Random) -> tuple[list[HeadingSet], list[HeadingSet]]:
    """``(new, mined)``: series composed for the theme, and whole mined series from its articles."""
    quotable = {t["article"]["file"] for t in mat.articles.values() if not t["article"].get("flags")}
    seen: set[tuple[str, ...]] = set()
    composed: list[HeadingSet] = []
    clauses = _clauses(mat, quotable)
    if _clause_pairs(clauses, n, random.Random(0)) is None:
        clauses = _clauses(mat, quotable, fine=True)
    for _ in range(2):
        cand = _clause_pairs(clauses, n, rng)
        if cand and cand.headings not in seen:
            seen.add(cand.headings)
            composed.append(cand)
    for s in sorted(mat.series, key=lambda s: (mat.theme not in s.themes, -s.coverage, s.skeleton)):
        if s.coverage <= 0.15 or len(re.sub(r"[^\u4e00-\u9fff]", "", s.constant)) < 3:
            continue
        if re.search(r"[“”《》\d]|[一二三四五六七八九十]{2,}", s.constant):
            continue  # “十五五”时期, 《条例》: the constant words name one time or one document
        cand = refill(s, mat, n, rng)
        if cand and cand.headings not in seen:
            seen.add(cand.headings)
            composed.append(cand)
        if len(composed) >= 5:
            break
    top_sources = {
        f"{a['article']['file']}#{a['article']['positions'][h['paragraph'] - 1]}"
        for a in mat.articles.values()
        for h in a["headings"]
        if h["level"] == 1
    }
    mined: list[HeadingSet] = []
    for s in (s for s in mat.series if mat.theme in s.themes):
        cand = whole_series(s, mat, n, rng, quotable, top_sources)
        if cand and cand.headings not in seen and sum(mat.about(h) for h in cand.headings) * 2 >= n:
            seen.add(cand.headings)
            mined.append(cand)
    return composed, mined


def _fallback_headings(mat: Material, n: int, rng: random.Random) -> HeadingSet:
    """When the corpus offers no usable series: the theme's terms in a fixed, plainly parallel frame."""
    frames = ("深化{t}认识", "夯实{t}基础", "提升{t}水平", "强化{t}保障", "凝聚{t}合力", "开创{t}新局")
    terms = _theme_fillers(mat, 2, 6) or [mat.theme]
    picks = [terms[i % len(terms)] for i in range(n)]
    rng.shuffle(picks)
    return HeadingSet(tuple(frames[i].format(t=picks[i]) for i in range(n)), ("",) * n, "template")


GENERIC_SUBPOINTS = (
    "提高思想认识", "加强组织领导", "完善工作机制", "强化责任落实", "注重统筹协调",
    "狠抓督促检查", "加强队伍建设", "营造良好氛围", "突出问题导向", "创新方式方法",
)
"""Sub-point titles any official speech uses, for corpora whose headings offer too few clauses."""


def sub_headings(mat: Material, k: int, rng: random.Random, avoid: set[str]) -> list[tuple[str, str]]:
    """``k`` parallel sub-point titles (一是…二是…) from the theme articles' heading clauses."""
    quotable = {t["article"]["file"] for t in mat.articles.values() if not t["article"].get("flags")}
    clauses = [c for c in _clauses(mat, quotable) if c[0] not in avoid]
    if len(clauses) < k:
        generic = [(g, "") for g in GENERIC_SUBPOINTS if g not in avoid]
        return rng.sample(generic, k) if len(generic) >= k else []
    by_len: dict[int, list[tuple[str, str]]] = {}
    for c in clauses:
        by_len.setdefault(len(c[0]), []).append(c)
    groups = [v for _, v in sorted(by_len.items()) if len(v) >= k] or [clauses]
    group = rng.choice(groups)
    return rng.sample(group, k)


# ---------------------------------------------------------------------------------------------
# body items


def pick_sentence(
    mat: Material, rng: random.Random, words: str, role: str | None = None, need_term: bool = True, naming: bool = False
) -> Item | None:
    """The unused corpus sentence closest to ``words``: one with theme terms (``need_term``), or
    naming the theme by a seed term (``naming``: learned terms are related, not the theme itself)."""
    pool = [s for s in mat.sentences if s.text not in mat.used and (role is None or s.role == role)]
    if need_term:
        pool = [s for s in pool if s.hits]
    if naming:
        pool = [s for s in pool if mat.about(s.text)]
    if not pool:
        return None
    # overlap in character pairs, not single characters: 用好友城资源 should find sentences with
    # 友城 and 资源, not any sentence sharing 用 and 好
    han = re.sub(r"[^\u4e00-\u9fff]", "", words)
    pairs = {han[i : i + 2] for i in range(len(han) - 1)}

    def score(s: Sentence) -> float:
        overlap = sum(1 for p in pairs if p in s.text) / (len(pairs) or 1)
        figures = 2.0 if NUMBER.search(s.text) else 0.0
        return min(s.hits, 3) + 6 * overlap - figures + rng.random()

    best = max(pool, key=score)
    mat.used.add(best.text)
    return Item(best.text, "corpus", best.source)


GENERATED_MIN, GENERATED_MAX = 16, 48
MAX_JOINS = 2


def _clean_joins(novelty: Any, text: str) -> bool:
    """A generated sentence reads well when the corpus runs it is made of meet at clause
    boundaries (``，`` ``、`` ``；``), and there are few of them; a join inside a clause is where a
    chain's output stops making sense (习近平外交思想是习近平新时代的中国青年)."""
    from drafter.markov import novelty_key

    key = novelty_key(text)
    spans = novelty.splices(text)
    return len(spans) <= MAX_JOINS and all("|" in key[a:b] for a, b in spans)
"""Longer Markov sentences drift between topics; short ones read as one thought."""


def generated_items(mat: Material, rng: random.Random, role: str, n: int = 1) -> list[Item]:
    from drafter.markov import generate

    if mat.chains is None:
        return []
    chain = mat.chains.chain(role)
    if chain is None:
        return []
    out = []
    for text in generate(chain, mat.chains.novelty, rng, n + 8, must_include=list(mat.seeds)):
        if not _clean_joins(mat.chains.novelty, text):
            continue
        if text in mat.used or NUMBER.search(text) or "“" in text or not mat.hits(text) or not GENERATED_MIN <= len(text) <= GENERATED_MAX:
            continue
        if re.match(r"^[\u4e00-\u9fff]{1,6}，", text) and any(text.startswith(t + "，") for t in mat.terms):
            continue
        mat.used.add(text)
        out.append(Item(text, "generated", f"markov:{mat.theme}/{role}"))
        if len(out) >= n:
            break
    return out


def phrase_item(mat: Material, rng: random.Random, category: str, genre: str | None = None, need_term: bool = False) -> Item | None:
    pool = [p for p in mat.phrases if p.category == category and p.text not in mat.used and (not genre or not p.genre or p.genre == genre)]
    if need_term:
        pool = [p for p in pool if mat.hits(p.context or p.text)]
    if not pool:
        return None
    pool = [p for p in pool if not any(u.startswith((p.context or p.text)[:24]) for u in mat.used)]
    if not pool:
        return None
    p = rng.choice(sorted(pool, key=lambda p: (-p.count, p.text))[:8])
    text = p.context if category == "引语" and p.context else p.text
    if category == "引语" and ATTRIBUTED.search(text) is None:
        return None
    mat.used.update((p.text, text))  # two quotations of one sentence share their context
    return Item(text, "phrase", p.sources[0])


def user_item(mat: Material, rng: random.Random, category: str) -> Item | None:
    pool = [e for e in mat.user if e.category == category and e.text not in mat.used and not NUMBER.search(e.text)]
    if not pool:
        return None
    e = rng.choice(pool)
    mat.used.add(e.text)
    return Item(e.text, "user", e.source)


def gap(text: str) -> Item:
    return Item(f"【待补：{text}】", "template", "")


def subpoint_body(mat: Material, rng: random.Random, words: str) -> list[Item]:
    """Under a sub-point (一是…): one corpus sentence on its words and a gap for the measures."""
    first = pick_sentence(mat, rng, words) or pick_sentence(mat, rng, words, need_term=False)
    return ([first] if first else []) + [gap("具体举措")]


def section_body(mat: Material, rng: random.Random, heading: str, items: int) -> list[Item]:
    """Suggested lines under a heading: corpus sentences on the heading's words, a generated
    sentence, a quotation or slogan from the banks, and a gap for the writer's own facts."""
    body: list[Item] = []
    first = pick_sentence(mat, rng, heading, "body") or pick_sentence(mat, rng, heading) or pick_sentence(mat, rng, heading, need_term=False)
    if first:
        body.append(first)
    body.extend(generated_items(mat, rng, "body", 1))
    for _ in range(max(0, items - 3)):
        extra = pick_sentence(mat, rng, heading)
        if extra:
            body.append(extra)
    extra_phrase = user_item(mat, rng, "句子") or phrase_item(mat, rng, "引语", need_term=True)
    if extra_phrase and rng.random() < 0.6:
        body.append(extra_phrase)
    body.append(gap("本地、本单位的具体做法、成效和数据"))
    return body


# ---------------------------------------------------------------------------------------------
# the draft


DEFAULT_LENGTH = 4000
"""The finished length (characters) a skeleton is sized for when ``--length`` is not given."""

FAMILY_MARKERS = {
    "di": lambda i: f"第{CN_NUMS[i]}",
    "cn": lambda i: f"{CN_NUMS[i]}、",
    "paren_cn": lambda i: f"（{CN_NUMS[i]}）",
    "num": lambda i: f"{i + 1}.",
    "inline_shi": lambda i: f"{CN_NUMS[i]}是",
    "inline_yao": lambda i: f"{CN_NUMS[i]}要",
}


def _top_family(model: Any, genre: str) -> str:
    """The marker family the corpus uses for top-level points in this genre (speech: 第一，)."""
    shape = model.shapes.get(genre, {})
    fams = [f for f in shape.get("families", {}) if f in FAMILY_MARKERS]
    if fams:
        return fams[0]
    return "di" if genre == "speech" else "cn"


def _sub_family(model: Any, genre: str, top: str) -> str:
    shape = model.shapes.get(genre, {})
    for pair in shape.get("nesting", {}):
        parent, _, child = pair.partition(">")
        if parent == top and child in FAMILY_MARKERS and child != top:
            return child
    return "inline_shi" if genre == "speech" else "paren_cn"


def _title(mat: Material, genre: str, rng: random.Random, title: str | None, occasion: str | None) -> tuple[str, str]:
    if title:
        main, _, sub = title.partition("——")
        return main.strip(), sub.strip()
    if genre == "speech":
        return f"在{occasion or mat.theme + '工作会议'}上的讲话", ""
    # two four-character phrases in the manner of 百年峥嵘展风华 扬帆起航筑梦行: those standing as a
    # clause of their own in the theme's headings first (砥砺奋进、笃行不怠), then dictionary idioms
    # frequent in its articles
    quotable = {t["article"]["file"] for t in mat.articles.values() if not t["article"].get("flags")}
    standalone = {c for c, _src in _clauses(mat, quotable, fine=True) if len(c) == 4}
    found = [p for p in mat.phrases if p.category == "四字格" and len(p.text) == 4 and not NUMBER.search(p.text)]
    ranked = sorted({p.text: p for p in found}.values(), key=lambda p: (p.text not in standalone, p.origin != "dict", -p.count, p.text))
    idioms = [p.text for p in ranked[:8]]
    main = " ".join(rng.sample(idioms, 2)) if len(idioms) >= 2 else f"做好新时代{mat.theme}工作"
    if genre == "reflection":
        return main, f"学习{mat.theme}工作有关要求的体会"
    return main, f"关于做好新时代{mat.theme}工作的思考"


def compose(
    ctx: Any,
    theme: str,
    genre: str = "speech",
    points: int = 3,
    seed: int | None = None,
    title: str | None = None,
    occasion: str | None = None,
    length: int | None = None,
) -> Draft:
    """A first-draft skeleton for ``theme`` in ``genre`` with ``points`` top-level points."""
    genre = genre_of(genre)
    if not 2 <= points <= 6:
        raise UsageError(f"--points 须在 2 到 6 之间（收到 {points}）")
    if seed is None:
        seed = random.SystemRandom().randrange(1, 2**31)
    rng = random.Random(seed)
    mat = gather(ctx, theme, genre)
    # --length scales the material, not padding: a 4,000-character speech with three points gets
    # four suggestions and three sub-points per point; shorter or longer texts proportionally fewer
    # or more (articles get sub-points only when long)
    scale = (length or DEFAULT_LENGTH) / DEFAULT_LENGTH * 3 / points
    per_section = max(2, min(8, round(4 * scale)))
    subs = max(2, min(4, round(3 * scale))) if genre == "speech" else (2 if length and length >= 4000 else 0)

    composed, mined = heading_candidates(mat, points, rng)
    pool = composed or mined or [_fallback_headings(mat, points, rng)]
    refills = [c for c in composed if c.how.startswith("skeleton")]
    pairs = [c for c in composed if not c.how.startswith("skeleton")]
    if len(mined) >= 4 and rng.random() < 0.85:
        primary = rng.choice(mined)  # a large corpus has real series on the theme: prefer them
    else:
        primary = rng.choice(refills if refills and (not pairs or rng.random() < 0.5) else pool)
    alternatives = tuple(c.headings for c in mined + composed if c is not primary)[:3]

    top = _top_family(ctx.model, genre)
    sub = _sub_family(ctx.model, genre, top)
    if genre == "speech" and top not in ("di", "cn"):
        top = "di"
    main, subtitle = _title(mat, genre, rng, title, occasion)

    opening = opening_items(mat, rng, genre)
    # Each point whose heading does not name the theme gets a sentence that does, set aside before
    # any body is filled: on a small corpus the sentences naming the theme are few, and the
    # sub-points of the first points would otherwise use them all up.
    naming = {
        i: pick_sentence(mat, rng, heading, naming=True) for i, heading in enumerate(primary.headings) if not mat.about(heading)
    }
    sections = []
    used_clauses: set[str] = set()
    for i, heading in enumerate(primary.headings):
        body = section_body(mat, rng, heading, per_section)
        children: list[Section] = []
        if subs:
            for j, (clause, src) in enumerate(sub_headings(mat, subs, rng, used_clauses)):
                used_clauses.add(clause)
                child_body = subpoint_body(mat, rng, clause)
                children.append(Section(heading=clause, marker=FAMILY_MARKERS[sub](j), level=2, body=tuple(child_body), heading_source=src))
            if children:
                body = [b for b in body if b.kind != "template"]
        if not _theme_ok(mat, heading, body, children):
            extra = naming.get(i) or pick_sentence(mat, rng, heading, need_term=True)
            if extra:
                body.insert(0, extra)
        elif naming.get(i):
            mat.used.discard(naming[i].text)  # not needed here: free for a later point
        sections.append(
            Section(
                heading=heading,
                marker=FAMILY_MARKERS[top](i) if top in FAMILY_MARKERS else "",
                level=1,
                body=tuple(body),
                children=tuple(children),
                alternatives=alternatives if i == 0 else (),
                heading_source=primary.sources[i],
            )
        )
    closing = closing_items(mat, rng, genre)
    used_files = sorted(
        {it.source.split("#")[0] for it in all_items(opening, sections, closing) if it.kind in ("corpus", "phrase")}
        | {s.heading_source.split("#")[0] for s in walk_sections(sections) if s.heading_source}
    )
    return Draft(
        title=main,
        subtitle=subtitle,
        genre=genre,
        theme=mat.theme,
        seed=seed,
        opening=tuple(opening),
        sections=tuple(sections),
        closing=tuple(closing),
        sources=tuple((f, mat.titles.get(f, "")) for f in used_files),
    )


def _theme_ok(mat: Material, heading: str, body: Iterable[Item], children: Iterable[Section]) -> bool:
    text = heading + "".join(i.text for i in body) + "".join(i.text for c in children for i in c.body)
    return any(t in text for t in mat.seeds)


def walk_sections(sections: Iterable[Section]) -> Iterable[Section]:
    for s in sections:
        yield s
        yield from walk_sections(s.children)


def all_items(opening: Iterable[Item], sections: Iterable[Section], closing: Iterable[Item]) -> list[Item]:
    out = list(opening)
    for s in walk_sections(sections):
        out.extend(s.body)
    out.extend(closing)
    return out


def opening_items(mat: Material, rng: random.Random, genre: str) -> list[Item]:
    items: list[Item] = []
    if genre == "speech":
        items.append(Item("同志们：", "template", ""))
        items.append(Item("今天，我们召开【待补：会议名称】，主要任务是【待补：会议的主要任务】。", "template", ""))
        s = pick_sentence(mat, rng, mat.theme, "opening") or pick_sentence(mat, rng, mat.theme)
        if s:
            items.append(s)
        items.append(gap(f"过去一段时间{mat.theme}工作的主要成绩，两三个数据"))
        trans = phrase_item(mat, rng, "过渡", "speech") or Item("下面，我讲几点意见。", "template", "")
        items.append(trans)
    elif genre == "reflection":
        items.append(Item("通过学习【待补：学习的文件或讲话】，我深受教育、倍感振奋。", "template", ""))
        s = pick_sentence(mat, rng, mat.theme, "opening") or pick_sentence(mat, rng, mat.theme)
        if s:
            items.append(s)
        items.append(Item("结合工作实际，谈几点体会。", "template", ""))
    else:
        s = pick_sentence(mat, rng, mat.theme, "opening") or pick_sentence(mat, rng, mat.theme)
        if s:
            items.append(s)
        items.extend(generated_items(mat, rng, "opening", 1))
        items.append(gap(f"本地区、本单位{mat.theme}工作的背景和意义"))
    return items


def closing_items(mat: Material, rng: random.Random, genre: str) -> list[Item]:
    items: list[Item] = []
    if genre == "speech":
        items.append(Item("同志们，【待补：当前形势与任务一句】。", "template", ""))
        closer = phrase_item(mat, rng, "结尾", "speech", need_term=False)
        if closer and closer.text.startswith(("让我们", "同志们")) and len(closer.text) >= 12 and not NUMBER.search(closer.text):
            items.append(closer)
        else:
            items.append(Item(f"让我们【待补：号召的具体内容】，奋力开创{mat.theme}工作新局面！", "template", ""))
    else:
        s = pick_sentence(mat, rng, mat.theme, "closing") or pick_sentence(mat, rng, mat.theme)
        if s:
            items.append(s)
        if genre == "reflection":
            items.append(Item("作为一名【待补：岗位】，我将立足本职、真抓实干，把学习成果转化为推动工作的实际成效。", "template", ""))
        else:
            items.append(gap("结尾的号召和展望"))
    return items


def new(
    theme: str,
    genre: str = "speech",
    points: int = 3,
    seed: int | None = None,
    title: str | None = None,
    occasion: str | None = None,
    length: int | None = None,
    corpus: Any = None,
) -> Draft:
    """Library entry point of ``drafter new``: mine (or load) the corpus and compose a draft."""
    from pathlib import Path

    from drafter.lookup import Context
    from drafter.mine import load_model
    from drafter.paths import default_corpus

    folder = Path(corpus) if corpus else default_corpus()
    ctx = Context(model=load_model(folder, progress=False), corpus=folder)
    return compose(ctx, theme, genre, points, seed, title, occasion, length)


__all__ = ["compose", "genre_of", "new"]
