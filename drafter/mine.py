"""Mining a corpus: per-file analysis (map), merged into one Model (reduce), cached per file.

Map and reduce are plain functions over plain data, so the same code runs in one process, in a
process pool (``--jobs``) or on a cluster engine; the result is byte-identical whichever runs it,
because the reduce visits files in sorted order and every merge is order-independent.

The map step does everything that needs the segmenter (outline, series, phrases, theme terms and
the tokenised sentences the Markov chains are built from), so nothing on the drafting path ever
loads a dictionary.  Its output is one JSON file per source file, keyed by name and content hash:
re-mining after one file changed re-analyses that file only.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from drafter.errors import DrafterError
from drafter.model import ANALYSIS_VERSION, SCHEMA, ArticleInfo, Model, cache_root, load_cached, save

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
    """Everything the model needs from one article (pure; the per-article map step)."""
    from drafter.markov import sentences, tokenize
    from drafter.outline import outline
    from drafter.phrases import mine_article
    from drafter.series import series_from_headings
    from drafter.themes import article_terms

    headings = outline(article)
    series = []
    for group in sibling_groups(headings):
        texts = [h.text for h in group]
        sources = [article.source(h.paragraph - 1) for h in group]
        series.extend(s.to_dict() for s in series_from_headings(texts, sources))
    tokens: dict[str, list[str]] = {r: [] for r in ROLES}
    if article.quotable:
        n = len(article.paragraphs)
        for i, para in enumerate(article.paragraphs):
            for sent in sentences(para):
                toks = tokenize(sent)
                if len(toks) >= 3:
                    tokens[_role(i, n)].append(" ".join(toks))
    return {
        "id": article_id,
        "article": article.to_dict(),
        "headings": [h.to_dict() for h in headings],
        "series": series,
        "phrases": [p.to_dict() for p in mine_article(article)],
        "terms": article_terms(article, terms).to_dict(),
        "tokens": tokens,
    }


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


def analysis_key(stamp: FileStamp, terms_key: str) -> str:
    """The cache name of a file's analysis: its name, content, the analysis version and theme terms."""
    raw = f"{ANALYSIS_VERSION}\0{stamp.name}\0{stamp.sha}\0{terms_key}".encode("utf-8", "surrogateescape")
    return hashlib.sha256(raw).hexdigest()[:32] + ".json"


def _map_one(args: tuple[Path, str, tuple[str, ...], Path]) -> str:
    """Worker: analyse one file and write its JSON (atomically) into the cache; returns the file name."""
    from drafter.atomic import write_json

    path, name, terms, out = args
    write_json(out, analyse_file(path, name, terms))
    return name


# ---------------------------------------------------------------------------------------------
# reduce


def _shape_of(headings: list[dict[str, Any]]) -> dict[str, Any]:
    top = [h for h in headings if h["level"] == 1]
    nest = Counter()
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


def iter_analyses(root: Path, keys: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The per-file analyses in file-name order (streamed: one file in memory at a time)."""
    from drafter.atomic import read_json

    for name in sorted(keys):
        data = read_json(root / "files" / keys[name])
        if isinstance(data, dict):
            yield data


def reduce(analyses: Iterable[dict[str, Any]], corpus: Path, inputs: dict[str, Any], lexicons: dict[str, Any], keys: dict[str, str]) -> Model:
    """Merge per-file analyses into a Model (deterministic for any order of the map step)."""
    from drafter.phrases import Phrase, merge_phrases, prune
    from drafter.series import Series, merge_series
    from drafter.themes import TermStats, build_themes

    articles: list[ArticleInfo] = []
    shapes: list[tuple[str, dict[str, Any]]] = []
    stats: dict[str, TermStats] = {}
    titles: dict[str, str] = {}
    series_by_article: dict[str, list[Series]] = {}
    phrases: list[Phrase] = []
    for data in analyses:
        for a in data.get("articles", []):
            art = a["article"]
            aid = a["id"]
            articles.append(
                ArticleInfo(
                    id=aid,
                    file=art["file"],
                    title=art["title"],
                    genre=art["genre"],
                    subtitle=art.get("subtitle", ""),
                    author=art.get("author", ""),
                    date=art.get("date", ""),
                    flags=tuple(art.get("flags", ())),
                    paragraphs=len(art["paragraphs"]),
                    chars=sum(len(x) for x in art["paragraphs"]),
                    span=(art["positions"][0], art["positions"][-1]) if art["positions"] else (0, 0),
                    analysis=keys.get(art["file"], ""),
                )
            )
            shapes.append((art["genre"], _shape_of(a["headings"])))
            stats[aid] = TermStats.from_dict(a["terms"])
            titles[aid] = art["title"]
            series_by_article[aid] = [Series.from_dict(s) for s in a["series"]]
            phrases.extend(Phrase.from_dict(p) for p in a["phrases"])
    index = build_themes(stats, titles, lexicons)
    all_series: list[Series] = []
    for aid in sorted(series_by_article):
        themes = tuple(index.themes_of(aid))
        all_series.extend(replace(s, themes=themes) for s in series_by_article[aid])
    return Model(
        corpus=str(corpus),
        inputs=inputs,
        articles=tuple(articles),
        shapes=_merge_shapes(shapes),
        series=tuple(merge_series(all_series)),
        phrases=tuple(prune(merge_phrases(phrases))),
        themes=index.to_dict(),
    )


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


def _fresh(model: Model, stamps: list[FileStamp], terms_key: str) -> bool:
    """The cached model still describes the corpus: same files, same bytes, same theme terms."""
    inp = model.inputs
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
) -> Model:
    """Mine ``corpus`` (re-analysing only files whose content changed) and cache the model."""
    from drafter.atomic import file_lock
    from drafter.themes import lexicon_terms, terms_key

    corpus = Path(corpus)
    if not corpus.exists():
        raise DrafterError(f"{corpus}：语料文件夹不存在，请用 --corpus 指定一个存在的文件夹")
    root = cache_root(corpus)
    lexicons = _lexicons(corpus)
    terms = tuple(lexicon_terms(lexicons))
    tkey = terms_key(terms)
    root.mkdir(parents=True, exist_ok=True)
    with file_lock(root / "model.json", timeout=600):
        stamps = scan(corpus, warn)
        if not stamps:
            raise DrafterError(f"{corpus}：没有可读的文本（.txt .md .docx .pdf），请检查文件夹")
        cached = None if force else load_cached(corpus)
        if cached is not None and _fresh(cached, stamps, tkey):
            return cached
        stamps = [replace(s, sha=_hash_file(s.path)) for s in stamps]
        keys = {s.name: analysis_key(s, tkey) for s in stamps}
        (root / "files").mkdir(exist_ok=True)
        todo = [s for s in stamps if force or not (root / "files" / keys[s.name]).is_file()]
        _run_map(todo, terms, root, keys, jobs, progress)
        model = reduce(iter_analyses(root, keys), corpus.resolve(), _inputs(stamps, tkey), lexicons, keys)
        for data in iter_analyses(root, {s.name: keys[s.name] for s in todo}):
            if data.get("error") and warn:
                warn(f"已跳过 {data['error']}")
        _prune_cache(root, set(keys.values()))
        save(model, corpus)
        return model


def _run_map(todo: list[FileStamp], terms: tuple[str, ...], root: Path, keys: dict[str, str], jobs: int | None, progress: bool) -> None:
    """Analyse the files that have no cached analysis, in a process pool when ``jobs`` > 1."""
    if not todo:
        return
    tasks = [(s.path, s.name, terms, root / "files" / keys[s.name]) for s in todo]
    jobs = jobs or min(len(tasks), os.cpu_count() or 1)
    bar = _progress(len(tasks), progress)
    try:
        if jobs <= 1 or len(tasks) == 1:
            for t in tasks:
                _map_one(t)
                bar(1)
        else:
            order = sorted(range(len(tasks)), key=lambda i: -todo[i].size)  # big files first
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for _ in pool.map(_map_one, [tasks[i] for i in order], chunksize=1):
                    bar(1)
    finally:
        bar(0, done=True)


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
    for p in (root / "files").glob("*.json"):
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
    from drafter.atomic import read_json

    wanted = set(article_ids)
    by_file: dict[str, list[str]] = {}
    for a in model.articles:
        if a.id in wanted:
            by_file.setdefault(a.analysis, []).append(a.id)
    out: dict[str, dict[str, Any]] = {}
    root = cache_root(corpus)
    for key in sorted(by_file):
        data = read_json(root / "files" / key)
        if not isinstance(data, dict):
            continue
        for a in data.get("articles", []):
            if a["id"] in wanted:
                out[a["id"]] = a
    return out


__all__ = ["SCHEMA", "analyse_file", "article_texts", "load_model", "mine", "reduce", "scan", "sibling_groups"]
