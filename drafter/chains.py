"""Markov chains per theme and role, built lazily from the mined tokens and cached.

Mining stores each article's sentences already segmented (the map step), so a theme's chain is
only a count over those tokens: no segmenter is loaded on the drafting path.  The chains and the
novelty index are cached per theme next to the model, keyed by the model's inputs, so the second
draft on a theme loads a few hundred kilobytes of packed arrays and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from drafter.model import cache_root

ROLES = ("opening", "body", "closing")
NOVELTY_WHOLE_CORPUS = 3_000_000
"""Below this many characters the novelty index covers the whole corpus, not just the theme."""


@dataclass(frozen=True)
class ThemeChains:
    """One chain per role (``None`` when the role has too little text) and the novelty index."""

    chains: dict[str, Any]
    novelty: Any

    def chain(self, role: str) -> Any:
        """The chain for ``role``, falling back to the body chain (openings and closings are short)."""
        return self.chains.get(role) or self.chains.get("body")


def _key(model: Any, theme: str, ids: list[str]) -> str:
    raw = json.dumps([model.inputs, theme, sorted(ids)], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def theme_chains(ctx: Any, theme: str, texts: dict[str, dict[str, Any]]) -> ThemeChains:
    """The chains of a theme built from ``texts`` (per-article analyses of its quotable articles)."""
    from drafter.atomic import read_json, write_json
    from drafter.markov import ChainModel, NoveltyIndex, count_transitions, merge_counts, state_size_for

    ids = sorted(texts)
    path = cache_root(ctx.corpus) / "chains" / f"{_key(ctx.model, theme, ids)}.json"
    data = read_json(path)
    if isinstance(data, dict):
        try:
            chains = {r: ChainModel.from_dict(c) if c else None for r, c in data["chains"].items()}
            return ThemeChains(chains, NoveltyIndex.from_dict(data["novelty"]))
        except (KeyError, TypeError, ValueError):
            pass  # a stale or damaged cache file is rebuilt below
    token_runs: dict[str, list[list[str]]] = {r: [] for r in ROLES}
    for aid in ids:
        for role, sents in texts[aid].get("tokens", {}).items():
            token_runs.setdefault(role, []).extend(s.split(" ") for s in sents)
    n_tokens = sum(len(t) for runs in token_runs.values() for t in runs)
    size = state_size_for(n_tokens)
    chains: dict[str, Any] = {}
    for role in ROLES:
        runs = token_runs.get(role, [])
        if sum(len(t) for t in runs) < 200:
            chains[role] = None
            continue
        counts = merge_counts({}, count_transitions(runs, size))
        chains[role] = ChainModel.from_counts(counts, size)
    from drafter.mine import article_texts

    novelty = NoveltyIndex()
    corpus_wide = sum(a.chars for a in ctx.model.articles) < NOVELTY_WHOLE_CORPUS
    sources = article_texts(ctx.corpus, ctx.model, [a.id for a in ctx.model.articles]) if corpus_wide else texts
    for t in sources.values():
        novelty.add_all(t["article"]["paragraphs"])
    write_json(path, {"chains": {r: (c.to_dict() if c else None) for r, c in chains.items()}, "novelty": novelty.to_dict()})
    return ThemeChains(chains, novelty)
