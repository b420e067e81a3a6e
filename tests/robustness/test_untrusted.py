"""Untrusted content stays data: no pickle, sandboxed templates, corpus markup never evaluated,
and drafter writes nowhere but its cache, the banks folder and the paths the writer names."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tests.robustness.conftest import assert_one_error, chinese_text, snapshot

PACKAGE = Path(__file__).resolve().parents[2] / "drafter"


def test_no_pickle_anywhere_in_drafter():
    pattern = re.compile(r"^\s*(?:import|from)\s+(?:c?pickle|dill|shelve|marshal|joblib)\b|\bpickle\.loads?\b", re.M)
    sources = sorted(PACKAGE.rglob("*.py"))
    assert sources
    hits = [p.name for p in sources if pattern.search(p.read_text(encoding="utf-8"))]
    assert hits == []


def test_malicious_user_template_is_one_line_error(drafter, small_corpus, env, monkeypatch):
    templates = env.tmp / "templates"
    templates.mkdir()
    (templates / "draft.md.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}\n{{ title }}\n", encoding="utf-8"
    )
    monkeypatch.setenv("DRAFTER_TEMPLATES", str(templates))
    r = drafter("new", "--corpus", small_corpus, "--theme", "青年", "--seed", "1")
    assert_one_error(r, 1, "draft.md.j2")
    assert "__subclasses__" not in r.out and "<class" not in r.out
    (templates / "draft.md.j2").write_text("{% include '/etc/passwd' %}\n", encoding="utf-8")
    r = drafter("new", "--corpus", small_corpus, "--theme", "青年", "--seed", "1")
    assert_one_error(r, 1)
    assert "root:" not in r.out
    (templates / "draft.md.j2").write_text("{% for x in %}\n", encoding="utf-8")
    r = drafter("new", "--corpus", small_corpus, "--theme", "青年", "--seed", "1")
    assert_one_error(r, 1, "draft.md.j2", "语法")


HOSTILE_LINES = [
    "青年干部要牢记{{ 7*7777 }}条要求，在实践中经受锻炼、增长才干。",
    "我们要坚持{% include '/etc/passwd' %}的原则，推进青年工作高质量发展。",
    "青年是国家的希望<script>alert('x')</script>，要勇挑重担、担当作为。",
    "青年工作要久久为功[^1]，持续推进共青团改革。",
    "[^1]: fake footnote 青年工作的伪造脚注，不应出现在稿子里。",
    "青年同志要{{ config }}在基层一线磨砺意志品质。",
]


def test_corpus_markup_is_never_evaluated(drafter, env, tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    body = "\n".join(HOSTILE_LINES)
    for i in range(3):
        text = f"在全市青年工作会议上的讲话（{i}）\n\n同志们：\n\n" + body + "\n" + chinese_text(1500, seed=i) + "\n" + body
        (corpus / f"{i}.txt").write_text(text, encoding="utf-8")
    for fmt in ("md", "text", "json"):
        for seed in (1, 2, 3):
            r = drafter("new", "--corpus", corpus, "--theme", "青年", "--seed", seed, "--format", fmt)
            assert r.code == 0, r.err
            assert "54439" not in r.out  # never computed
            assert "root:" not in r.out
            if fmt == "json":
                texts = json.dumps(json.loads(r.out), ensure_ascii=False)
                assert "root:" not in texts
    r = drafter("clean", "--format", "json", corpus / "0.txt")
    paras = "".join(p for a in json.loads(r.out)["articles"] for p in a["paragraphs"])
    assert "{{ 7*7777 }}" in paras or "{{7*7777}}" in paras  # kept as plain text


def _md_drafts(drafter, tmp_path) -> list[str]:
    corpus = tmp_path / "c"
    corpus.mkdir()
    body = "\n".join(HOSTILE_LINES)
    for i in range(3):
        text = f"在全市青年工作会议上的讲话（{i}）\n\n同志们：\n\n" + body + "\n" + chinese_text(1500, seed=i) + "\n" + body
        (corpus / f"{i}.txt").write_text(text, encoding="utf-8")
    outs = []
    for seed in range(1, 8):
        r = drafter("new", "--corpus", corpus, "--theme", "青年", "--seed", seed)
        assert r.code == 0, r.err
        outs.append(r.out)
    return outs


def test_corpus_line_cannot_define_a_footnote_in_markdown(drafter, tmp_path):
    for out in _md_drafts(drafter, tmp_path):
        defs = [ln for ln in out.splitlines() if re.match(r"\[\^\d+\]:", ln)]
        numbers = [d.split("]")[0] for d in defs]
        assert len(numbers) == len(set(numbers)), defs
        assert not any("fake footnote" in d for d in defs), defs


def test_corpus_html_is_escaped_in_markdown(drafter, tmp_path):
    for out in _md_drafts(drafter, tmp_path):
        assert "<script>" not in out


def _tree(folder: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) not in skip]
        for name in filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


def test_writes_only_to_cache_banks_and_named_outputs(drafter_proc, env, tmp_path, small_corpus):
    """HOME, cwd and the temp root are watched while a writer mines, drafts and edits a bank."""
    tmp_root = env.tmp / "tmproot"
    tmp_root.mkdir()
    watched = (env.home, env.work, tmp_root, small_corpus)
    before = {str(w): _tree(w) for w in watched}
    corpus_before = snapshot(small_corpus)
    extra = {"TMPDIR": str(tmp_root)}
    out = env.work / "初稿.docx"
    for args in (
        ["mine", "--corpus", small_corpus],
        ["new", "--corpus", small_corpus, "--theme", "外事", "--seed", "2"],
        ["new", "--corpus", small_corpus, "--theme", "外事", "--seed", "2", "--format", "docx", "-o", out],
        ["bank", "add", "四字格", "行稳致远", "--corpus", small_corpus],
        ["bank", "list", "四字格", "--corpus", small_corpus],
    ):
        r = drafter_proc(*args, cwd=env.work, extra_env=extra)
        assert r.code == 0, (args, r.err)
    after = {str(w): _tree(w) for w in watched}
    assert after[str(env.home)] == before[str(env.home)]
    assert after[str(tmp_root)] == before[str(tmp_root)]
    assert set(after[str(env.work)]) - set(before[str(env.work)]) == {str(out)}
    assert snapshot(small_corpus) == corpus_before
    assert any(env.cache.rglob("model.json"))
    assert (env.banks / "四字格.txt").is_file()
