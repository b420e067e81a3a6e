"""Looking things up in a mined model: banks (mined + hand-added), series skeletons, themes.

These are the library calls behind ``drafter bank list``, ``drafter series`` and ``drafter
themes``.  The writer's hand-edited banks are read at query time, so an edit shows at once,
without re-mining, and mined entries the writer struck out (``-entry``) never show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drafter.model import Model


@dataclass(frozen=True)
class Context:
    """A model together with the corpus it came from (where banks and cached texts are found)."""

    model: Model
    corpus: Path

    @property
    def banks(self) -> Path:
        from drafter.banks import banks_dir

        return banks_dir(self.corpus)


def theme_lexicon(ctx: Context, theme: str) -> tuple[Any, Any]:
    """``(lexicon, index)`` for a theme name, alias or ad-hoc word; an honest error when nothing is about it."""
    from drafter.mine import _lexicons
    from drafter.themes import resolve

    index = ctx.model.theme_index()
    lexicon = resolve(index, theme, _lexicons(ctx.corpus))
    if index.canonical(lexicon.name) is None:
        index = index.add(lexicon)
    return lexicon, index


def article_themes(index: Any, article_ids: set[str]) -> list[str]:
    """Themes any of these articles is about (score at or above the index's threshold)."""
    return sorted(t for t in index.lexicons if any(index.about(a, t) for a in article_ids))


def bank_entries(
    ctx: Context,
    category: str | None = None,
    theme: str | None = None,
    grep: str | None = None,
    speaker: str | None = None,
) -> list[dict[str, Any]]:
    """Mined and hand-added bank entries, filtered; each with category, text, count, themes, sources.

    Mined entries come first within a category (most frequent first), hand-added ones after them,
    each with its ``banks/FILE#LINE`` source.
    """
    from drafter.banks import added, read_banks, removed_texts
    from drafter.phrases import CATEGORIES
    from drafter.phrases import category as resolve_category

    cat = resolve_category(category) if category else None
    user = read_banks(ctx.banks)
    index = ctx.model.theme_index()
    theme_name = None
    if theme:
        lexicon, index = theme_lexicon(ctx, theme)
        theme_name = lexicon.name
    out: list[dict[str, Any]] = []
    for c in CATEGORIES:
        if cat and c != cat:
            continue
        removed = removed_texts(user, c)
        for p in ctx.model.phrases:
            if p.category != c or p.text in removed:
                continue
            ids = {a.id for a in (ctx.model.article_at(s) for s in p.sources) if a}
            themes = article_themes(index, ids)
            out.append({**p.to_dict(), "themes": themes, "user": False})
        for e in added(user, c):
            out.append(
                {
                    "category": c,
                    "text": e.text,
                    "count": 0,
                    "themes": list(e.themes),
                    "sources": [e.source],
                    "speaker": e.speaker,
                    "user": True,
                }
            )
    if theme_name:
        out = [e for e in out if theme_name in e["themes"] or (e["user"] and not e["themes"])]
    if grep:
        out = [e for e in out if grep in e["text"] or grep in e.get("context", "")]
    if speaker:
        out = [e for e in out if speaker in e.get("speaker", "")]
    return out


def series_entries(ctx: Context, theme: str | None = None) -> list[dict[str, Any]]:
    """Series skeletons (exact ones first), optionally only those found in articles about a theme."""
    rows = list(ctx.model.series_rows)
    if theme:
        lexicon, index = theme_lexicon(ctx, theme)
        if any(lexicon.name in r["themes"] for r in rows):
            rows = [r for r in rows if lexicon.name in r["themes"]]
        else:  # an ad-hoc theme: series from articles scoring for it
            keep = []
            for r in rows:
                ids = {a.id for a in (ctx.model.article_at(s) for s in r["sources"]) if a}
                if lexicon.name in article_themes(index, ids):
                    keep.append(r)
            rows = keep
    return rows


def theme_entries(ctx: Context) -> list[dict[str, Any]]:
    """Every theme with its article count, terms (best first) and articles (best first)."""
    index = ctx.model.theme_index()
    out = []
    for info in index.themes():
        arts = []
        for aid, title, score in info.articles:
            a = ctx.model.article(aid)
            arts.append({"file": a.file if a else aid, "id": aid, "title": title, "score": round(score, 3)})
        out.append({"theme": info.theme, "article_count": info.article_count, "terms": list(info.terms), "articles": arts})
    return out
