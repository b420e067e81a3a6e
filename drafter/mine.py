"""Mining a corpus: per-file analysis (map), merged into one Model (reduce), cached per file.

Map and reduce are plain functions over plain data, so the same code runs in one process, in a
process pool (``--jobs``) or on a cluster engine; the result is byte-identical whichever runs it,
because every merge is order-independent and what is order-sensitive is visited in file-name order.

The map step does everything that needs the segmenter (outline, series, phrases, theme terms and
the tokenised sentences the Markov chains are built from), segmenting each paragraph once, so
nothing on the drafting path ever loads a dictionary.  Its output is one cache entry per source
file (:func:`store`: a summary the reduce folds, the bank rows, the texts the drafting path
reads), keyed by name and content hash: re-mining after one file changed re-analyses that file
only.  The reduce is a fold (:class:`Reduction`): each summary is merged as soon as it is
written, while the workers go on, and the bank rows are merged beside it
(:mod:`drafter.bankmerge`).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drafter.bankmerge import (
    EXACT_BYTES,
    SPARE_KINDS,
    PhraseChild,
    PhraseFiles,
    PhraseMerge,
    merge_files,
    text_hash,
)
from drafter.errors import DrafterError
from drafter.model import (
    ANALYSIS_VERSION,
    SCHEMA,
    ArticleInfo,
    Model,
    cache_root,
    load_cached,
    load_inputs,
    save,
)

if TYPE_CHECKING:
    from drafter.series import Series
    from drafter.termsnap import TermSnapshot
    from drafter.workers import Workers

Warn = Callable[[str], None]


# ---------------------------------------------------------------------------------------------
# what the corpus holds


@dataclass(frozen=True)
class FileStamp:
    """A corpus file as seen on disk: its name (relative path), size and mtime, and content hash."""

    name: str
    path: Path
    size: int
    mtime_ns: int
    sha: str = ""


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan(corpus: Path, warn: Warn | None = None) -> list[FileStamp]:
    """Every readable source file of the corpus, sorted by name, with size and mtime (no reading)."""
    from drafter.sources import display_name, walk

    stamps = []
    for rel, path in walk(corpus, (lambda p, m: warn(m)) if warn else None):
        name = display_name(rel)
        try:
            st = path.stat()
        except OSError as exc:
            if warn:
                warn(f"{name}：无法读取（{exc.strerror}），已跳过")
            continue
        stamps.append(FileStamp(name=name, path=path, size=st.st_size, mtime_ns=st.st_mtime_ns))
    return stamps


# ---------------------------------------------------------------------------------------------
# map


ROLES = ("opening", "body", "closing")
SENTENCE_CAP = 400
"""句子 bank entries kept per (role, genre): enough to browse, small enough to load instantly."""


def _role(i: int, n: int) -> str:
    """Opening: the first ~10% of paragraphs (at least one); closing: the last ~10%; body: the rest."""
    edge = max(1, n // 10)
    if n >= 3 and i < edge:
        return "opening"
    if n >= 3 and i >= n - edge:
        return "closing"
    return "body"


def sibling_groups(headings: Sequence[Any]) -> list[list[Any]]:
    """Headings that are siblings of one parallel series: same parent, level and marker family."""
    groups: dict[tuple[int, int, str], list[Any]] = {}
    parents: list[int] = []  # index of the current heading at each level
    for i, h in enumerate(headings):
        del parents[h.level - 1 :]
        parent = parents[-1] if parents else -1
        groups.setdefault((parent, h.level, h.family), []).append(h)
        parents.extend([i] * (h.level - len(parents)))
    return [g for g in groups.values() if len(g) >= 2]


def analyse_article(article: Any, article_id: str, terms: Sequence[str]) -> dict[str, Any]:
    """Everything the model needs from one article (pure; the per-article map step).

    Each paragraph is segmented once, with part-of-speech tags, and those words serve the phrase
    miner, the theme counts and the Markov tokens alike: segmenting was a third of the map's time
    when each of them did it on its own.
    """
    from drafter.markov import sentence_tokens
    from drafter.outline import outline
    from drafter.phrases import article_rows
    from drafter.segment import cut, tag
    from drafter.series import series_from_headings, settled
    from drafter.themes import article_terms

    headings = outline(article)
    series = []
    for group in sibling_groups(headings):
        texts = [h.text for h in group]
        sources = [article.source(h.paragraph - 1) for h in group]
        series.extend({**s.to_dict(), "settled": settled(s)} for s in series_from_headings(texts, sources))
    tagged = [tag(p) for p in article.paragraphs]
    first = itemgetter(0)
    words = [list(map(first, pairs)) for pairs in tagged]
    tokens: dict[str, list[str]] = {r: [] for r in ROLES}
    if article.quotable:
        n = len(article.paragraphs)
        for i, para in enumerate(article.paragraphs):
            for toks in sentence_tokens(para, words[i]):
                if len(toks) >= 3:
                    tokens[_role(i, n)].append(" ".join(toks))
    return {
        "id": article_id,
        "article": article.to_dict(),
        "headings": [h.to_dict() for h in headings],
        "series": series,
        "phrases": article_rows(article, tagged, words),
        "terms": _term_dict(article_terms(article, terms, [cut(article.title), *words])),
        "tokens": tokens,
    }


def _term_dict(stats: Any) -> dict[str, Any]:
    """``TermStats.to_dict`` without sorting the word counts: they keep the order of first use,
    which is as deterministic, and the reduce lays the words out in its own order anyway."""
    return {**stats.to_dict(counts=False), "counts": stats.counts}


def analyse_file(path: Path, name: str, terms: Sequence[str]) -> dict[str, Any]:
    """The map step for one file: read, clean, analyse each article.  Never raises for bad data."""
    from drafter.corpus import clean_source
    from drafter.sources import read_source
    from drafter.themes import article_id

    try:
        source = read_source(path, name)
        articles = clean_source(source)
    except DrafterError as exc:
        return {"v": ANALYSIS_VERSION, "file": name, "error": exc.message, "articles": []}
    return {
        "v": ANALYSIS_VERSION,
        "file": name,
        "error": "",
        "articles": [analyse_article(a, article_id(name, k, len(articles)), terms) for k, a in enumerate(articles)],
    }


LAYOUT = 9
"""Bump when the layout of a cache entry (:func:`store`) changes (caches are redone)."""


def _article_info(art: dict[str, Any], aid: str) -> dict[str, Any]:
    return {
        "id": aid,
        "file": art["file"],
        "title": art["title"],
        "genre": art["genre"],
        "subtitle": art.get("subtitle", ""),
        "author": art.get("author", ""),
        "date": art.get("date", ""),
        "flags": list(art.get("flags", ())),
        "paragraphs": len(art["paragraphs"]),
        "chars": sum(len(x) for x in art["paragraphs"]),
        "span": [art["positions"][0], art["positions"][-1]] if art["positions"] else [0, 0],
    }


def summarise(analysis: dict[str, Any]) -> dict[str, Any]:
    """What the reduce needs of a file's analysis, without the article texts and tokens.

    The reduce reads one small summary per file instead of the whole analysis, which is what keeps
    re-merging after a one-file change cheap; the texts stay in the analysis for the drafting path.
    """
    out = []
    for a in analysis.get("articles", []):
        art = a["article"]
        out.append(
            {
                "id": a["id"],
                "info": _article_info(art, a["id"]),
                "shape": _shape_of(a["headings"]),
                "terms": _columns(a["terms"]),
                "series": a["series"],
                "phrases": a["phrases"],
            }
        )
    return {"v": ANALYSIS_VERSION, "layout": LAYOUT, "file": analysis.get("file", ""), "error": analysis.get("error", ""), "articles": out}


def _columns(terms: dict[str, Any]) -> dict[str, Any]:
    """Term stats with the word counts as one string of words and a list of counts.

    Content words are Chinese characters only, so a tab never occurs in one.  A file's summary
    then holds two values per article instead of thousands of keys, which is most of what reading
    the summaries back costs.
    """
    counts = terms.get("counts", {})
    return {**{k: v for k, v in terms.items() if k != "counts"}, "words": "\t".join(counts), "counts": list(counts.values())}


def _word_columns(terms: dict[str, Any]) -> tuple[list[str], list[int]]:
    """The words and counts of a summary's term stats (the inverse of :func:`_columns`)."""
    words = terms.get("words", "")
    return (words.split("\t") if words else []), terms.get("counts", [])


def texts_of(analysis: dict[str, Any]) -> dict[str, Any]:
    """The part of a file's analysis the drafting path reads (article text, headings, tokens)."""
    return {
        "v": ANALYSIS_VERSION,
        "file": analysis.get("file", ""),
        "error": analysis.get("error", ""),
        "articles": [{"id": a["id"], "article": a["article"], "headings": a["headings"], "tokens": a["tokens"]} for a in analysis.get("articles", [])],
    }


def analysis_key(stamp: FileStamp, terms_key: str) -> str:
    """The cache name of a file's analysis: its name, content, the analysis version and theme terms."""
    raw = f"{ANALYSIS_VERSION}.{LAYOUT}\0{stamp.name}\0{stamp.sha}\0{terms_key}".encode("utf-8", "surrogateescape")
    return hashlib.sha256(raw).hexdigest()[:32] + ".json"


# The first lines of a file's cache entry (see store); the spare rows follow, then the text part.
_SUMMARY, _PHRASES = 0, 1

TERMS_FILE = "terms.json"
"""Beside the model: every file's word counts as the last mine folded them (drafter.termsnap)."""


MapHook = Callable[[str], None]
_map_hooks: list[MapHook] = []
"""Called in the mining process with the file name after each analysis is written, whichever
process wrote it (tests count re-analyses with it)."""


def _analysed(name: str) -> None:
    for hook in _map_hooks:
        hook(name)


def map_file(path: Path, name: str, terms: Sequence[str], root: Path, key: str) -> str:
    """Analyse one file and write it into the cache (:func:`store`); returns its error, if any."""
    data = analyse_file(path, name, terms)
    store(root, key, texts_of(data), summarise(data))
    return str(data.get("error", ""))


def store(root: Path, key: str, texts: dict[str, Any], summary: dict[str, Any]) -> None:
    """Write one file's analysis into the cache, as one file of JSON lines.

    Line 1 is the summary without phrase rows (what the mining process folds), line 2 the phrase
    rows (what the phrase merge reads, by another process when several run), then the spare rows,
    one per line: 句子 and pattern 四字格 seen once in their article, ordered by bank pool and by
    the hash of their text, with only the hashes on line 2 (and the hashes of the file's other 句子
    and 四字格 rows); the last line is the text part (what drafting reads).  Each reader parses
    only its own lines: the banks keep a few hundred 句子 per pool and no pattern 四字格 seen once
    in the corpus, so the hashes tell the reduce which few spare lines to read
    (:meth:`PhraseMerge.add_spare`).  One file rather than one per part,
    because creating files is a good part of what writing costs here.  Cache entries are
    rebuildable, so they are atomic but not fsynced.
    """
    import orjson

    from drafter.atomic import atomic_write

    arts = summary.get("articles", [])
    kept: list[list[Any]] = []
    kept_hashes: list[int] = []
    pools: dict[str, list[tuple[int, bytes]]] = {}
    for a in arts:
        rows = []
        for row in a["phrases"]:
            if row[2] == 1 and row[0] == "句子":
                pools.setdefault(f"句子\t{row[8]}\t{row[7]}", []).append((text_hash(row[1]), orjson.dumps(row)))
            elif row[2] == 1 and row[0] == "四字格" and row[9] == "pattern":
                pools.setdefault("四字格", []).append((text_hash(row[1]), orjson.dumps(row)))
            else:
                rows.append(row)
                if row[0] in SPARE_KINDS:
                    kept_hashes.append(text_hash(row[1]))
        kept.append(rows)
    lines: list[bytes] = []
    spare: list[list[Any]] = []
    for pool in sorted(pools):
        entries = sorted(pools[pool])
        spare.append([pool, [h for h, _line in entries]])
        lines.extend(line for _h, line in entries)
    phrases = {"v": summary.get("v"), "layout": LAYOUT, "phrases": kept, "spare": spare, "kept": sorted(kept_hashes)}
    rest = {**summary, "articles": [{k: v for k, v in a.items() if k != "phrases"} for a in arts]}
    parts = [orjson.dumps(rest), orjson.dumps(phrases), *lines, orjson.dumps(texts)]
    atomic_write(root / "files" / key, b"".join(line + b"\n" for line in parts), durable=False)


def _entry_texts(root: Path, key: str) -> Any | None:
    """The text part of a cache entry (its last line), or None if unreadable."""
    import orjson

    try:
        raw = (root / "files" / key).read_bytes()
    except OSError:
        return None
    if not raw.endswith(b"\n"):
        return None  # cut short
    try:
        return orjson.loads(raw[raw.rfind(b"\n", 0, len(raw) - 1) + 1 :])
    except orjson.JSONDecodeError:
        return None


def _entry_part(root: Path, key: str, part: int) -> Any | None:
    """The JSON on line ``part`` of a cache entry (only the lines up to it are read), or None."""
    import orjson

    try:
        with open(root / "files" / key, "rb") as f:
            lines = [f.readline() for _ in range(part + 1)]
    except OSError:
        return None
    if not lines[part].endswith(b"\n"):
        return None  # cut short
    try:
        return orjson.loads(lines[part])
    except orjson.JSONDecodeError:
        return None


def _map_one(args: tuple[Path, str, tuple[str, ...], Path, str]) -> str:
    """Worker: :func:`map_file` on one task tuple (picklable for a process pool)."""
    return map_file(*args)


# ---------------------------------------------------------------------------------------------
# reduce


def _shape_of(headings: list[dict[str, Any]]) -> dict[str, Any]:
    top = [h for h in headings if h["level"] == 1]
    nest: Counter[str] = Counter()
    parent_family = ""
    for h in headings:
        if h["level"] == 1:
            parent_family = h["family"]
        elif h["level"] == 2 and parent_family:
            nest[f"{parent_family}>{h['family']}"] += 1
    return {
        "points": len(top),
        "family": Counter(h["family"] for h in top).most_common(1)[0][0] if top else "",
        "nesting": sorted(nest),
        "lengths": [len(h["text"]) for h in top],
    }


def _merge_shapes(per_article: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Per genre: how many top-level points texts have, marker families, nesting, heading lengths."""
    out: dict[str, Any] = {}
    for genre, shape in per_article:
        g = out.setdefault(genre, {"articles": 0, "points": Counter(), "families": Counter(), "nesting": Counter(), "lengths": []})
        g["articles"] += 1
        if shape["points"]:
            g["points"][str(shape["points"])] += 1
            g["families"][shape["family"]] += 1
        g["nesting"].update(shape["nesting"])
        g["lengths"].extend(shape["lengths"])
    result: dict[str, Any] = {}
    for genre in sorted(out):
        g = out[genre]
        lengths = sorted(g["lengths"])
        result[genre] = {
            "articles": g["articles"],
            "points": dict(sorted(g["points"].items(), key=lambda kv: int(kv[0]))),
            "families": dict(g["families"].most_common()),
            "nesting": dict(g["nesting"].most_common()),
            "heading_length": {
                "median": lengths[len(lengths) // 2] if lengths else 0,
                "p10": lengths[len(lengths) // 10] if lengths else 0,
                "p90": lengths[(len(lengths) * 9) // 10] if lengths else 0,
            },
        }
    return result


def _as_summary(data: dict[str, Any]) -> dict[str, Any]:
    """A summary as is, or a full analysis (from :func:`analyse_file`) summarised."""
    arts = data.get("articles", [])
    if arts and "info" not in arts[0]:
        return summarise(data)
    return data


SERIES_UNIT_CAP = 100
"""Example series kept per merged series on a corpus above :data:`EXACT_BYTES` (the smallest keys)."""

POSTING_CAP = 200
"""Articles kept per theme-postings term on a corpus above :data:`EXACT_BYTES` (the highest counts)."""

_SERIES_BATCH = 2000
"""Articles whose series are merged into the running result at once on a large corpus."""


def _cap_series(items: list[Any], cap: int) -> list[Any]:
    """Merged series with at most ``cap`` example series each: those with the smallest merge keys.

    The smallest keys of a union are the smallest of its parts' smallest, so capping after every
    partial merge keeps the same examples as capping once at the end, in any order.
    """
    from drafter.series import _rebuild, _units

    out = []
    for s in items:
        units = _units(s)
        if len(units) > cap:
            s = _rebuild(s, sorted(units, key=lambda u: u.key)[:cap], set(s.themes))
        out.append(s)
    return out


def _cap_postings(index: Any, seeds: set[str], corpus_bytes: int) -> Any:
    """The theme index with rare words and the longest posting lists cut (large corpora only).

    The threshold on a word's total count grows with the corpus, so the postings grow more slowly
    than the corpus; seed terms are always kept, since the theme pages rank them by use.
    """
    from drafter.themes import ThemeIndex

    min_total = 3 * corpus_bytes // EXACT_BYTES
    vocab: dict[str, dict[str, int]] = {}
    for t, post in index.vocab.items():
        if t not in seeds and sum(post.values()) < min_total:
            continue
        if len(post) > POSTING_CAP:
            post = dict(sorted(post.items(), key=lambda kv: (-kv[1], kv[0]))[:POSTING_CAP])
        vocab[t] = post
    return ThemeIndex(index.lexicons, index.scores, index.articles, vocab)


class Reduction:
    """The reduce as a fold: per-file summaries (or full analyses) go in one at a time, in any order,
    and :meth:`finish` gives the Model.

    Folding lets the mining process merge each file as soon as a worker has analysed it, while the
    pool is still busy with the others, instead of starting only when the last file is done.  Every
    part is order-independent: articles and page shapes are kept per file and visited in file-name
    order at the end, the phrase merge and the theme table do not depend on arrival order, and
    series are merged in article-id order.  So the local pool, one process and a cluster all give
    the same bytes.

    Summaries are not held: only what the merge needs of each stays in memory.  Above
    :data:`EXACT_BYTES` (``corpus_bytes``) the bounded-memory cuts apply, and when ``again``
    re-reads the summaries the series are taken in a second pass instead of being held, since
    they can only be labelled once the theme index exists.
    """

    def __init__(
        self,
        corpus: Path,
        inputs: dict[str, Any],
        lexicons: dict[str, Any],
        keys: dict[str, str],
        corpus_bytes: int = 0,
        again: Callable[[], Iterable[dict[str, Any]]] | None = None,
        files: PhraseFiles | None = None,
        beside: bool = False,
        snapshot: TermSnapshot | None = None,
        snapshot_to: Path | None = None,
    ) -> None:
        from drafter.termtable import TermTable

        self.corpus, self.inputs, self.lexicons, self.keys = corpus, inputs, lexicons, keys
        self.corpus_bytes, self.again = corpus_bytes, again
        self.large = corpus_bytes > EXACT_BYTES
        self.hold_series = not (self.large and again is not None)
        self.per_file: dict[tuple[str, int], tuple[list[ArticleInfo], list[tuple[str, dict[str, Any]]]]] = {}
        self.table = TermTable()
        # the word counts of files the last mine folded, as ids into its word list (not above
        # EXACT_BYTES, where counts are cut); written again to ``snapshot_to`` for the next mine
        self.snapshot = snapshot if snapshot is not None and not self.large and self.table.seed(snapshot.words) else None
        self.snapshot_to = snapshot_to
        self.titles: dict[str, str] = {}
        self.seeds: set[str] = set()
        # Series are merged as they come, labelled with their article's id: the themes are only
        # known at the end, and merging unions labels, so each merged series' article ids are
        # turned into the union of those articles' themes then (finish).
        from drafter.series import SeriesMerge

        self.series = SeriesMerge()
        # Phrase rows come inside the summaries, or from the cache's phrase files (``files``, see
        # add_phrase_files); those are merged here or, ``beside``, by a process of their own.
        self.files = files
        self.phrases: PhraseMerge | PhraseChild = (
            PhraseChild(files, corpus_bytes, SENTENCE_CAP) if files is not None and beside else PhraseMerge(corpus_bytes)
        )
        self.repaired_beside: list[str] = []
        """Files the phrase process found unreadable and analysed again (this process never saw it)."""
        self.beside: PhraseChild | None = None
        """The phrase process once it has given its result, until :meth:`wait`."""
        # On a large corpus the second pass also merges the phrases, keeping only the entries whose
        # key reaches the count threshold; the first pass just counts keys, by 64-bit hash, in
        # arrays.  Most 四字格 candidates of a gigabyte are seen once, and holding them all until
        # the end was most of the reduce's memory.
        self.two_pass = not self.hold_series
        self.key_hashes: list[Any] = []
        self.key_counts: list[Any] = []

    def add(self, data: dict[str, Any]) -> None:
        """Fold in one file's summary (or full analysis)."""
        summary = _as_summary(data)
        infos: list[ArticleInfo] = []
        shapes: list[tuple[str, dict[str, Any]]] = []
        articles = summary.get("articles", [])
        known = self.snapshot.columns(self.keys.get(str(summary.get("file", "")), ""), len(articles)) if self.snapshot else None
        for k, a in enumerate(articles):
            info = a["info"]
            aid = a["id"]
            infos.append(ArticleInfo.from_dict({**info, "analysis": self.keys.get(info["file"], "")}))
            shapes.append((info["genre"], a["shape"]))
            terms = a["terms"]
            found = {str(t): int(c) for t, c in terms.get("seed_counts", {}).items()}
            seed_key = str(terms.get("seed_key", ""))
            if known is not None:
                self.table.add_ids(aid, *known[k], terms["chars"], terms["tokens"], found, seed_key)
            else:
                words, counts = _word_columns(terms)
                if self.large:
                    # one-off words of an article barely move its scores and never enter the postings,
                    # but they are most of the entries: dropping them keeps a gigabyte's counts in memory
                    kept = [k for k, c in enumerate(counts) if c >= 2]
                    words, counts = [sys.intern(words[k]) for k in kept], [counts[k] for k in kept]
                self.table.add_columns(aid, words, counts, terms["chars"], terms["tokens"], found, seed_key)
            self.seeds.update(found)
            self.titles[aid] = info["title"]
            if self.hold_series:
                self.series.add_rows(a["series"], (aid,))
            if "phrases" in a:  # (not when a PhraseChild reads them)
                self._add_phrases(a["phrases"])
        self.per_file[(str(summary.get("file", "")), len(self.per_file))] = (infos, shapes)

    def add_phrase_files(self, names: Sequence[str]) -> None:
        """Fold in some files' phrase rows from the cache (with ``files``; their summaries go to :meth:`add`)."""
        assert self.files is not None
        if isinstance(self.phrases, PhraseChild):
            self.phrases.add_files(names)
        else:
            merge_files(self.phrases, names, self.files)

    def _add_phrases(self, rows: list[Any]) -> None:
        if self.two_pass:
            import numpy as np

            rows = [row for row in rows if row[0] != "句子"]
            self.key_hashes.append(np.array([_key_hash(row) for row in rows], dtype=np.uint64))
            self.key_counts.append(np.array([row[2] for row in rows], dtype=np.int64))
        else:
            assert isinstance(self.phrases, PhraseMerge)
            self.phrases.add_rows(rows)

    def finish(self) -> Model:
        """The merged Model (call once, after the last :meth:`add`)."""
        from drafter.series import Series, merge_series
        from drafter.themes import build_themes

        if isinstance(self.phrases, PhraseChild):
            self.phrases.close()
        index = build_themes(self.table, self.titles, self.lexicons)
        if self.snapshot_to is not None and not self.large:
            # (while the phrase process finishes its part)
            from drafter import termsnap

            by_key: dict[str, list[str]] = {}
            for infos, _shapes in self.per_file.values():
                for info in infos:
                    if info.file in self.keys:
                        by_key.setdefault(self.keys[info.file], []).append(info.id)
            termsnap.save(self.snapshot_to, termsnap.snapshot_of(self.table, by_key))
        del self.table
        if self.large:
            index = _cap_postings(index, self.seeds, self.corpus_bytes)

        def labelled(aid: str, items: list[dict[str, Any]]) -> list[Series]:
            return [Series.from_dict(s, themes=tuple(index.themes_of(aid))) for s in items]

        series_rows: list[dict[str, Any]]
        if self.hold_series and not self.large:
            series_rows = self._labelled(self.series.result_rows(), index)
        elif self.hold_series:
            merged = merge_series(_cap_series(self.series.result(), SERIES_UNIT_CAP))
            series_rows = self._labelled([(s.to_dict(), set(s.themes)) for s in merged], index)
        else:
            assert self.again is not None
            frequent = self._frequent_keys()
            merged, batch, n = [], [], 0
            for data in self.again():
                for a in _as_summary(data).get("articles", []):
                    assert isinstance(self.phrases, PhraseMerge)
                    self.phrases.add_rows(row for row in a["phrases"] if row[0] == "句子" or _key_hash(row) in frequent)
                    batch.extend(labelled(a["id"], a["series"]))
                    n += 1
                    if n % _SERIES_BATCH == 0:
                        merged, batch = _cap_series(merge_series(merged + batch), SERIES_UNIT_CAP), []
            merged = merge_series(merged + batch)
            if self.large:
                merged = merge_series(_cap_series(merged, SERIES_UNIT_CAP))
            series_rows = [s.to_dict() for s in merged]
        if isinstance(self.phrases, PhraseChild):
            phrase_rows: Sequence[dict[str, Any]] = self.phrases.result()
            self.repaired_beside = self.phrases.repaired
            self.beside = self.phrases
        else:
            fetch = None if self.files is None else self.files.spare
            phrase_rows = tuple(self.phrases.result_rows(SENTENCE_CAP, fetch=fetch))
        del self.phrases
        files = sorted(self.per_file)
        return Model(
            corpus=str(self.corpus),
            inputs=self.inputs,
            articles=tuple(info for f in files for info in self.per_file[f][0]),
            shapes=_merge_shapes(shape for f in files for shape in self.per_file[f][1]),
            series_rows=tuple(series_rows),
            phrase_rows=phrase_rows,
            themes=index.to_dict(),
        )

    def wait(self) -> None:
        """Wait for the processes this reduction started to end (after :meth:`finish`, when
        nothing waits on it any more: a process takes a while to end)."""
        for child in (self.beside, getattr(self, "phrases", None)):
            if isinstance(child, PhraseChild):
                child.wait()

    def settle(self) -> None:
        """Merge what has been added so far (while waiting for more): :meth:`finish` then redoes
        only what later files change."""
        if self.hold_series:
            self.series.settle()

    @staticmethod
    def _labelled(rows: list[tuple[dict[str, Any], set[str]]], index: Any) -> list[dict[str, Any]]:
        """Series rows with the article ids they were labelled with (see ``series`` in
        ``__init__``) turned into those articles' themes."""
        themes_of: dict[str, list[str]] = {}
        for row, aids in rows:
            found: set[str] = set()
            for aid in aids:
                if aid not in themes_of:
                    themes_of[aid] = index.themes_of(aid)
                found.update(themes_of[aid])
            row["themes"] = sorted(found)
        return [row for row, _aids in rows]

    def _frequent_keys(self) -> set[int]:
        """Hashes of the phrase keys (other than 句子) whose counts add up to the merge's threshold.

        A hash collision can only let a rare key through, and the merge still drops it by its own
        count, so the result is exactly the one-pass merge's.
        """
        import numpy as np

        if not self.key_hashes:
            return set()
        hashes = np.concatenate(self.key_hashes)
        counts = np.concatenate(self.key_counts)
        self.key_hashes, self.key_counts = [], []
        keys, where = np.unique(hashes, return_inverse=True)
        totals = np.bincount(where.ravel(), weights=counts, minlength=len(keys))
        return set(keys[totals >= max(self.phrases.min_count, 1)].tolist())


def _key_hash(row: Sequence[Any]) -> int:
    """A 64-bit hash of a phrase row's merge key (category, text, speaker), stable across runs."""
    raw = f"{row[0]}\0{row[1]}\0{row[4]}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


def reduce(
    analyses: Iterable[dict[str, Any]],
    corpus: Path,
    inputs: dict[str, Any],
    lexicons: dict[str, Any],
    keys: dict[str, str],
    corpus_bytes: int = 0,
    again: Callable[[], Iterable[dict[str, Any]]] | None = None,
) -> Model:
    """Merge per-file summaries (or full analyses) into a Model, deterministically (see :class:`Reduction`)."""
    reduction = Reduction(corpus, inputs, lexicons, keys, corpus_bytes, again)
    for data in analyses:
        reduction.add(data)
    return reduction.finish()


# ---------------------------------------------------------------------------------------------
# orchestration


def _lexicons(corpus: Path) -> dict[str, Any]:
    from drafter.banks import banks_dir
    from drafter.themes import load_lexicons

    user = banks_dir(corpus) / "themes.toml"
    return load_lexicons(user if user.is_file() else None)


def _inputs(stamps: list[FileStamp], terms_key: str) -> dict[str, Any]:
    return {
        "analysis": ANALYSIS_VERSION,
        "terms": terms_key,
        "files": {s.name: [s.sha, s.size, s.mtime_ns] for s in stamps},
    }


def _hashed(stamps: list[FileStamp], known: dict[str, Any] | None) -> list[FileStamp]:
    """``stamps`` with their content hashes: a file of the same size and mtime as when the model
    was made keeps the hash it had (the rule :func:`_fresh` applies too), the others are read."""
    files = known.get("files", {}) if isinstance(known, dict) and known.get("analysis") == ANALYSIS_VERSION else {}
    out = []
    for s in stamps:
        old = files.get(s.name)
        same = isinstance(old, list) and len(old) == 3 and old[1] == s.size and old[2] == s.mtime_ns and isinstance(old[0], str)
        out.append(replace(s, sha=old[0] if same else _hash_file(s.path)))
    return out


def _fresh(inp: dict[str, Any], stamps: list[FileStamp], terms_key: str) -> bool:
    """A model of these inputs still describes the corpus: same files, same bytes, same theme terms."""
    if inp.get("analysis") != ANALYSIS_VERSION or inp.get("terms") != terms_key:
        return False
    files = inp.get("files", {})
    if set(files) != {s.name for s in stamps}:
        return False
    for s in stamps:
        sha, size, mtime = files[s.name]
        if size != s.size:
            return False
        if mtime != s.mtime_ns and _hash_file(s.path) != sha:
            return False
    return True


def mine(
    corpus: Path,
    jobs: int | None = None,
    progress: bool = False,
    warn: Warn | None = None,
    force: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    eager: bool = False,
) -> Model:
    """Mine ``corpus`` (re-analysing only files whose content changed) and cache the model.

    ``engine`` is ``"local"`` (one process or a process pool of ``jobs``) or ``"dask"`` (the map
    step on a Dask cluster at ``scheduler``, or an in-process one); the model is the same bytes.
    ``eager`` starts a worker loading the segmenter as soon as files are seen to have changed,
    before it is known which need analysing: for ``drafter mine``, run when something did.
    """
    from drafter.atomic import file_lock
    from drafter.termsnap import TermSnapshot
    from drafter.themes import lexicon_terms, terms_key

    corpus = Path(corpus)
    if not corpus.exists():
        raise DrafterError(f"{corpus}：语料文件夹不存在，请用 --corpus 指定一个存在的文件夹")
    root = cache_root(corpus)
    root.mkdir(parents=True, exist_ok=True)
    with file_lock(root / "model.json", timeout=600), _gc_quieted(), ExitStack() as stack:
        stamps = scan(corpus, warn)
        if not stamps:
            raise DrafterError(f"{corpus}：没有可读的文本（.txt .md .docx .pdf），请检查文件夹")
        known = None if force else load_inputs(corpus)
        early = None
        if eager and engine == "local" and (jobs or os.cpu_count() or 1) > 1:
            if known is None or not _fresh(known, stamps, str(known.get("terms", ""))):
                from drafter.workers import Workers

                early = Workers(1, _warm)
                stack.callback(early.close, terminate=True)  # (if it was not needed after all)
        lexicons = _lexicons(corpus)
        terms = tuple(lexicon_terms(lexicons))
        tkey = terms_key(terms)
        if not force:
            if known is None or _fresh(known, stamps, tkey):
                cached = load_cached(corpus)
                if cached is not None and _fresh(cached.inputs, stamps, tkey):
                    return cached
        stamps = _hashed(stamps, None if force else known)
        keys = {s.name: analysis_key(s, tkey) for s in stamps}
        files = root / "files"
        files.mkdir(exist_ok=True)
        todo = [s for s in stamps if force or not (files / keys[s.name]).is_file()]
        # the workers start loading the segmenter now, while this process gets the merge ready
        workers = _workers(jobs, len(todo), len(todo) < len(stamps), early) if engine == "local" else None
        if workers is not None:
            stack.enter_context(workers)
        by_name = {s.name: s for s in stamps}
        errors: dict[str, str] = {}

        def repair(name: str) -> None:
            # a cache file that is on disk but unreadable (truncated, edited) is analysed again
            s = by_name[name]
            err = map_file(s.path, s.name, terms, root, keys[name])
            _analysed(name)
            if err:
                errors[name] = err

        size = sum(s.size for s in stamps)
        # Up to EXACT_BYTES the phrase rows are read from their own cache files (most 句子 never
        # are, see store), by a process of their own when more than one may run; above it, the
        # bounded-memory reduce reads them with the summaries, in two passes.
        phrase_files = None
        if size <= EXACT_BYTES:
            phrase_files = PhraseFiles(
                lambda name: _phrase_file(root, keys[name]), lambda name, lines: _spare_rows(root, keys[name], lines), repair
            )
        beside = PhraseChild.usable() and (jobs or os.cpu_count() or 1) > 1
        snapshot = TermSnapshot.load(root / TERMS_FILE) if size <= EXACT_BYTES and len(todo) < len(stamps) else None
        reduction = Reduction(
            corpus.resolve(),
            _inputs(stamps, tkey),
            lexicons,
            keys,
            size,
            lambda: _summaries(root, keys, repair),
            phrase_files,
            beside,
            snapshot,
            root / TERMS_FILE,
        )
        fed: set[str] = set()
        pending = {s.name for s in todo}
        cached = [n for n in sorted(keys) if n not in pending]
        if phrase_files is not None:
            reduction.add_phrase_files(cached)

        def feed(name: str) -> None:
            # merged as soon as it is analysed, while the pool works on the other files
            fed.add(name)
            if phrase_files is not None and name in pending:
                reduction.add_phrase_files([name])  # first: the phrase process waits for it
            for data in _summaries(root, {name: keys[name]}, repair, with_phrases=phrase_files is None):
                reduction.add(data)

        stack.callback(reduction.wait)
        errors.update(_run_map(todo, terms, root, keys, progress, engine, scheduler, feed, cached, workers, reduction.settle))
        if workers is not None:
            workers.close(wait=False)  # idle now; waited for when mining is done
        for name in sorted(set(keys) - fed):
            feed(name)
        model = reduction.finish()
        for name in reduction.repaired_beside:
            _analysed(name)
        if warn:
            for name in sorted(errors):
                warn(f"已跳过 {errors[name]}")
        _prune_cache(root, set(keys.values()))
        if not model.articles:
            raise DrafterError(f"{corpus}：没有可读的文本（.txt .md .docx .pdf 都是空的或无法读取），请检查文件夹")
        save(model, corpus)
        return model


def _summaries(
    root: Path, keys: dict[str, str], repair: Callable[[str], None], with_phrases: bool = True
) -> Iterator[dict[str, Any]]:
    """The per-file summaries in file-name order, re-analysing any that cannot be read.

    ``with_phrases`` puts each article's phrase rows back in (from the file :func:`store` keeps
    them in), which is what :class:`Reduction` takes unless a :class:`PhraseChild` reads them.
    """
    for name in sorted(keys):
        data = _read_summary(root, keys[name], with_phrases)
        if data is None:
            repair(name)
            data = _read_summary(root, keys[name], with_phrases)
        if data is not None:
            yield data


def _read_summary(root: Path, key: str, with_phrases: bool) -> dict[str, Any] | None:
    """One file's summary (with all its phrase rows put back in), or None if unreadable."""
    if not with_phrases:
        data = _entry_part(root, key, _SUMMARY)
        return data if _valid_summary(data) else None
    import orjson

    try:
        raw = (root / "files" / key).read_bytes()
    except OSError:
        return None
    lines = raw.split(b"\n")
    if len(lines) < 4 or lines[-1]:
        return None  # cut short
    try:
        data, phrases = orjson.loads(lines[_SUMMARY]), orjson.loads(lines[_PHRASES])
        spare = [orjson.loads(line) for line in lines[_PHRASES + 1 : -2]]
    except orjson.JSONDecodeError:
        return None
    if not (_valid_summary(data) and _valid_phrases(phrases) and len(phrases["phrases"]) == len(data["articles"])):
        return None
    for art, art_rows in zip(data["articles"], phrases["phrases"], strict=True):
        art["phrases"] = art_rows
    if data["articles"]:
        data["articles"][-1]["phrases"].extend(spare)
    return data


def _phrase_file(root: Path, key: str) -> dict[str, Any] | None:
    """A file's phrase rows (a list per article) and its spare rows' hashes by pool, or None if unreadable."""
    data = _entry_part(root, key, _PHRASES)
    return data if _valid_phrases(data) else None


def _valid_phrases(data: Any) -> bool:
    return _valid_summary_header(data) and all(isinstance(data.get(k), list) for k in ("phrases", "spare", "kept"))


def _spare_rows(root: Path, key: str, lines: Sequence[int]) -> list[Any] | None:
    """Some of a file's spare rows (those at ``lines``), or None if the file is unreadable.

    The lines after the last one wanted (most of the file: the other spare rows and the text
    part) are not read.
    """
    import orjson

    try:
        with open(root / "files" / key, "rb") as f:
            f.readline()  # the summary
            f.readline()  # the phrase rows
            ahead = [f.readline() for _ in range(max(lines, default=-1) + 1)]
    except OSError:
        return None
    chosen = [ahead[k] for k in lines]
    if not all(line.endswith(b"\n") for line in chosen):
        return None  # cut short
    try:
        return [orjson.loads(line) for line in chosen]
    except orjson.JSONDecodeError:
        return None


def _valid_summary_header(data: Any) -> bool:
    return isinstance(data, dict) and data.get("v") == ANALYSIS_VERSION and data.get("layout") == LAYOUT


def _valid_summary(data: Any) -> bool:
    return _valid_summary_header(data) and isinstance(data.get("articles"), list)


def _workers(jobs: int | None, todo: int, idle: bool, early: Workers | None = None) -> Workers | None:
    """The worker processes for ``todo`` analyses (``early`` and more), or None to analyse in
    this process.

    With one core asked for, or nothing to overlap with (a single file and no other file's
    analysis to merge meanwhile), this process analyses; otherwise up to ``jobs`` workers do,
    while this process merges.
    """
    wanted = jobs or os.cpu_count() or 1
    if wanted <= 1 or todo == 0 or (todo == 1 and not idle):
        if early is not None:
            early.close(terminate=True)
        return None
    if early is not None:
        early.grow(min(wanted, todo))
        return early
    from drafter.workers import Workers

    return Workers(min(wanted, todo), _warm)


def _run_map(
    todo: list[FileStamp],
    terms: tuple[str, ...],
    root: Path,
    keys: dict[str, str],
    progress: bool,
    engine: str = "local",
    scheduler: str | None = None,
    done: Callable[[str], None] | None = None,
    idle: Sequence[str] = (),
    workers: Workers | None = None,
    settle: Callable[[], None] = lambda: None,
) -> dict[str, str]:
    """Analyse the files that have no cached analysis; returns the errors by file name.

    Big files go first so the last task is a short one.  Workers (:func:`_workers`, or this
    process when there are none) write their results straight into the cache, so only file names
    and error messages travel between processes.  ``done`` is called in this process with each
    file name once its analysis is on disk (as each finishes), and with each name of ``idle``
    (files analysed earlier) while the workers are busy, then ``settle`` while they still are.
    """
    done = done or (lambda _name: None)
    if not todo:
        for name in idle:
            done(name)
        return {}
    order = sorted(todo, key=lambda s: (-s.size, s.name))
    tasks = [(s.path, s.name, terms, root, keys[s.name]) for s in order]
    if engine == "dask":
        from drafter.engines import dask_map

        errors = dask_map(tasks, scheduler)
        for name in [*idle, *(t[1] for t in tasks)]:
            done(name)
        return errors
    if engine != "local":
        raise DrafterError(f"未知的引擎“{engine}”：可选 local、dask")
    bar = _progress(len(tasks), progress)
    errors: dict[str, str] = {}
    try:
        if workers is None:
            for name in idle:
                done(name)
            for t in tasks:
                err = _map_one(t)
                _analysed(t[1])
                if err:
                    errors[t[1]] = err
                done(t[1])
                bar(1)
        else:
            results = workers.map(_map_one, tasks, label=itemgetter(1))

            def finished(i: int, err: str) -> None:
                name = tasks[i][1]
                _analysed(name)
                if err:
                    errors[name] = err
                done(name)
                bar(1)

            # the files analysed before are merged while the workers analyse; a file a worker has
            # finished is merged at once, so what waits on it (the phrase process) can go on
            for name in idle:
                done(name)
                for i, err in results.ready():
                    finished(i, err)
            settle()
            for i, err in results:
                finished(i, err)
    finally:
        bar(0, done=True)
    return errors


def _warm() -> None:
    """Worker start: load the segmenter and the analysis modules once, before the first task."""
    import drafter.markov  # noqa: F401
    import drafter.outline  # noqa: F401
    import drafter.phrases  # noqa: F401
    import drafter.series  # noqa: F401
    import drafter.themes  # noqa: F401
    from drafter.segment import cut

    cut("预热")
    _quiet_gc()


@contextmanager
def _gc_quieted() -> Iterator[None]:
    """:func:`_quiet_gc` for the mining process, with the collector's settings restored after."""
    import gc

    thresholds = gc.get_threshold()
    _quiet_gc()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _quiet_gc() -> None:
    """Keep the cyclic garbage collector off what is already loaded, and run it less often.

    Mining allocates millions of small tuples and lists that hold no cycles; with the default
    thresholds the collector walks every live object (modules, segmenter caches, the fold's merged
    state) again and again, which cost about a tenth of a worker's time.  Freezing moves what
    exists now out of its sight; the higher threshold makes its young-generation passes rarer.
    """
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _progress(total: int, enabled: bool) -> Callable[..., None]:
    """A progress bar on stderr (only when it is a terminal and ``enabled``)."""
    if not enabled or not sys.stderr.isatty():
        return lambda n, done=False: None
    import click

    bar = click.progressbar(length=total, label="分析语料", file=sys.stderr)
    bar.__enter__()

    def step(n: int, done: bool = False) -> None:
        if n:
            bar.update(n)
        if done:
            bar.__exit__(None, None, None)

    return step


def _prune_cache(root: Path, keep: set[str]) -> None:
    """Drop analyses of files that are gone or changed, so the cache does not grow without end."""
    for p in (root / "files").glob("*.json*"):
        if p.name not in keep:
            try:
                p.unlink()
            except OSError:
                pass


def load_model(corpus: Path, warn: Warn | None = None, jobs: int | None = None, progress: bool = True) -> Model:
    """The model of ``corpus``: the cached one when fresh, else mined now (``drafter mine`` is never required)."""
    return mine(corpus, jobs=jobs, progress=progress, warn=warn)


def article_texts(corpus: Path, model: Model, article_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The per-article analyses (text, headings, tokens) of some articles, read from the cache."""
    wanted = set(article_ids)
    by_file: dict[str, list[str]] = {}
    for a in model.articles:
        if a.id in wanted:
            by_file.setdefault(a.analysis, []).append(a.id)
    out: dict[str, dict[str, Any]] = {}
    root = cache_root(corpus)
    for key in sorted(by_file):
        data = _entry_texts(root, key)
        if not isinstance(data, dict):
            continue
        for a in data.get("articles", []):
            if a["id"] in wanted:
                out[a["id"]] = a
    return out


__all__ = ["SCHEMA", "analyse_file", "article_texts", "load_model", "mine", "reduce", "scan", "sibling_groups"]
