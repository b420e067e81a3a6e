"""The one error path: every failure is one Chinese line on stderr with exit 1 (data) or 2 (usage).

A whole session of things a writer gets wrong, each checked for exit code, exactly one non-hint
line on stderr naming the file or option, and no traceback; then the error path itself: click's
usage errors, an unexpected exception (a bug), OS errors, a full disk and a corrupt cache.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import pytest

from drafter import atomic
from drafter.model import load_cached, model_path
from tests.robustness.conftest import DRAFTER, assert_one_error


def _setup_existing_output(env, corpus) -> dict[str, Path]:
    out = env.work / "draft.md"
    out.write_text("写作者已有的稿子\n", encoding="utf-8")
    return {"out": out}


def _setup_empty(env, corpus) -> dict[str, Path]:
    empty = env.tmp / "empty"
    empty.mkdir()
    return {"empty": empty}


def _setup_file(env, corpus) -> dict[str, Path]:
    f = env.tmp / "plain.txt"
    f.write_text("不是文件夹", encoding="utf-8")
    return {"file": f}


# (id, args (with {corpus} {missing} {empty} {out} {file} {work} placeholders), setup, exit code, names)
CASES = [
    ("clean-missing-path", ["clean", "{missing}/讲话.txt"], None, 1, ["讲话.txt", "不存在"]),
    ("outline-missing-path", ["outline", "{missing}"], None, 1, ["{missing}"]),
    ("clean-no-path", ["clean"], None, 2, ["路径"]),
    ("clean-empty-folder", ["clean", "{empty}"], _setup_empty, 1, ["{empty}"]),
    ("mine-missing-corpus", ["mine", "--corpus", "{missing}"], None, 1, ["{missing}", "--corpus"]),
    ("mine-empty-corpus", ["mine", "--corpus", "{empty}"], _setup_empty, 1, ["{empty}"]),
    ("mine-corpus-is-file", ["mine", "--corpus", "{file}"], _setup_file, 2, ["--corpus", "plain.txt"]),
    ("mine-jobs-zero", ["mine", "--corpus", "{corpus}", "-j", "0"], None, 2, ["--jobs"]),
    ("new-missing-corpus", ["new", "--corpus", "{missing}", "--theme", "青年"], None, 1, ["{missing}", "--corpus"]),
    ("new-empty-corpus", ["new", "--corpus", "{empty}", "--theme", "青年"], _setup_empty, 1, ["{empty}"]),
    ("new-unknown-theme", ["new", "--corpus", "{corpus}", "--theme", "火星殖民"], None, 1, ["火星殖民"]),
    ("new-no-theme", ["new", "--corpus", "{corpus}"], None, 2, ["--theme"]),
    ("new-points-0", ["new", "--corpus", "{corpus}", "--theme", "青年", "--points", "0"], None, 2, ["--points", "0"]),
    ("new-points-99", ["new", "--corpus", "{corpus}", "--theme", "青年", "--points", "99"], None, 2, ["--points", "99"]),
    ("new-points-text", ["new", "--corpus", "{corpus}", "--theme", "青年", "--points", "三"], None, 2, ["--points"]),
    ("new-genre-poem", ["new", "--corpus", "{corpus}", "--theme", "青年", "--genre", "poem"], None, 2, ["--genre", "poem"]),
    ("new-format-pdf", ["new", "--corpus", "{corpus}", "--theme", "青年", "--format", "pdf"], None, 2, ["--format", "pdf"]),
    ("new-docx-to-terminal", ["new", "--corpus", "{corpus}", "--theme", "青年", "--format", "docx"], None, 2, ["docx", "-o"]),
    ("new-length-tiny", ["new", "--corpus", "{corpus}", "--theme", "青年", "--length", "5"], None, 2, ["--length"]),
    ("new-o-missing-folder", ["new", "--corpus", "{corpus}", "--theme", "青年", "-o", "{missing}/稿.md"], None, 1, ["{missing}"]),
    ("new-o-existing", ["new", "--corpus", "{corpus}", "--theme", "青年", "-o", "{out}"], _setup_existing_output, 1, ["{out}", "--force"]),
    ("new-o-is-folder", ["new", "--corpus", "{corpus}", "--theme", "青年", "--force", "-o", "{work}"], None, 2, ["{work}", "-o"]),
    ("bank-bad-category", ["bank", "add", "诗句", "床前明月光", "--corpus", "{corpus}"], None, 2, ["诗句"]),
    ("bank-empty-text", ["bank", "add", "四字格", "  ", "--corpus", "{corpus}"], None, 2, ["四字格"]),
    ("bank-comment-text", ["bank", "remove", "四字格", "# 注释", "--corpus", "{corpus}"], None, 2, ["#"]),
    ("bank-missing-argument", ["bank", "add", "四字格"], None, 2, ["TEXT"]),
    ("bank-list-bad-category", ["bank", "list", "诗句", "--corpus", "{corpus}"], None, 2, ["诗句"]),
    ("unknown-option", ["mine", "--fast"], None, 2, ["--fast"]),
    ("unknown-command", ["draft"], None, 2, ["draft"]),
    ("format-xml", ["themes", "--corpus", "{corpus}", "--format", "xml"], None, 2, ["--format", "xml"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_command(case, drafter, env, small_corpus):
    _id, args, setup, code, names = case
    where = {"corpus": small_corpus, "missing": env.tmp / "没有这个", "work": env.work}
    if setup:
        where.update(setup(env, small_corpus))
    before = {p: p.read_bytes() for p in env.work.iterdir() if p.is_file()}

    def fill(s: str) -> str:
        for k, v in where.items():
            s = s.replace("{" + k + "}", str(v))
        return s

    r = drafter(*[fill(a) for a in args])
    line = assert_one_error(r, code, *[fill(n) for n in names])
    assert line.startswith("用法错误：" if code == 2 else "错误："), line
    assert {p: p.read_bytes() for p in env.work.iterdir() if p.is_file()} == before  # nothing clobbered


def test_session_ends_with_a_working_draft(drafter, small_corpus, env):
    """After all that, the same corpus still drafts (nothing above left a lock or half a cache)."""
    for case in CASES[:12]:
        drafter(*[a.replace("{corpus}", str(small_corpus)).replace("{missing}", str(env.tmp / "x")) for a in case[1]])
    out = env.work / "稿.md"
    r = drafter("new", "--corpus", small_corpus, "--theme", "青年", "--seed", "5", "-o", out)
    assert r.code == 0, r.err
    assert out.read_text(encoding="utf-8").startswith("<!-- drafter")


# --- the error path itself ---------------------------------------------------------------------


def test_unexpected_exception_is_one_line_asking_for_debug(drafter, small_corpus, monkeypatch):
    from drafter import corpus as corpus_mod

    def boom(*a, **k):
        raise RuntimeError("internal\nbug")

    monkeypatch.setattr(corpus_mod, "load_files", boom)
    r = drafter("clean", small_corpus)
    line = assert_one_error(r, 1, "--debug")
    assert "RuntimeError" in line


def test_debug_flag_lets_the_exception_through(drafter, small_corpus, monkeypatch):
    from drafter import corpus as corpus_mod
    from drafter.cli import invoke

    def boom(*a, **k):
        raise RuntimeError("internal bug")

    monkeypatch.setattr(corpus_mod, "load_files", boom)
    monkeypatch.setattr("sys.argv", ["drafter", "--debug", "clean", str(small_corpus)])
    with pytest.raises(RuntimeError, match="internal bug"):
        invoke()


def test_traceback_only_with_debug(drafter_proc, env):
    missing = env.tmp / "无此文件.txt"
    r = drafter_proc("clean", missing)
    assert_one_error(r, 1, "无此文件.txt")
    r = drafter_proc("clean", missing, extra_env={"DRAFTER_DEBUG": "1"})
    assert r.code == 1 and "Traceback" in r.err and "DrafterError" in r.err
    r = drafter_proc("--debug", "clean", missing)
    assert r.code == 1 and "Traceback" in r.err


def test_bare_command_shows_help(drafter):
    r = drafter()
    assert r.code == 0 and "Usage" in r.out and "Traceback" not in r.err
    r = drafter("bank")
    assert r.code == 0 and "add" in r.out


@pytest.mark.parametrize(
    "exc, names",
    [
        (OSError(errno.EIO, "Input/output error"), ["Input/output error"]),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/公文/a.txt"), ["/srv/公文/a.txt"]),
        (OSError(errno.ENOSPC, "No space left on device", b"/tmp/\xff.txt"), [".txt", "No space"]),
        (MemoryError(), ["内存"]),
    ],
)
def test_stray_os_errors_are_one_line(drafter, small_corpus, monkeypatch, exc, names):
    from drafter import corpus as corpus_mod

    def fail(*a, **k):
        raise exc

    monkeypatch.setattr(corpus_mod, "load_files", fail)
    line = assert_one_error(drafter("clean", small_corpus), 1, *names)
    assert "：：" not in line


def test_full_disk_while_saving_the_model_keeps_the_old_one(drafter, small_corpus, env, monkeypatch):
    assert drafter("mine", "--corpus", small_corpus, "-j", "1").code == 0
    old = load_cached(small_corpus)
    assert old is not None
    (small_corpus / "new.txt").write_text("新的讲话\n\n" + "坚持人民至上，推进高质量发展。" * 40, encoding="utf-8")
    real_write = os.write

    def full(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(atomic.os, "write", full)
    r = drafter("mine", "--corpus", small_corpus, "-j", "1")
    assert_one_error(r, 1, str(env.cache), "磁盘空间")
    assert not list(env.cache.rglob("*.tmp"))
    again = load_cached(small_corpus)
    assert again is not None and again.to_dict() == old.to_dict()
    monkeypatch.undo()
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(env.cache))
    monkeypatch.setenv("DRAFTER_BANKS", str(env.banks))
    r = drafter("mine", "--corpus", small_corpus, "--format", "json")
    assert r.code == 0 and json.loads(r.out)["files"] == 3


@pytest.mark.parametrize("garbage", [b"", b"{\"schema\": 1, \"corpus\"", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'{"schema": 1}', b"[" * 100000])
def test_corrupt_model_cache_is_rebuilt(drafter, small_corpus, garbage):
    r = drafter("mine", "--corpus", small_corpus, "--format", "json")
    assert r.code == 0
    good = json.loads(r.out)
    model_path(small_corpus).write_bytes(garbage)
    assert load_cached(small_corpus) is None
    r = drafter("themes", "--corpus", small_corpus)
    assert r.code == 0 and not r.errors, r.err
    r = drafter("mine", "--corpus", small_corpus, "--format", "json")
    assert r.code == 0
    assert {k: v for k, v in json.loads(r.out).items() if k != "seconds"} == {k: v for k, v in good.items() if k != "seconds"}
    assert load_cached(small_corpus) is not None


def test_corrupt_per_file_analysis_is_rebuilt(drafter, small_corpus, env):
    r = drafter("mine", "--corpus", small_corpus, "--format", "json")
    articles = json.loads(r.out)["articles"]
    for f in env.cache.rglob("files/*.json"):
        f.write_bytes(b"{truncated")
    model_path(small_corpus).write_bytes(b"garbage")
    r = drafter("mine", "--corpus", small_corpus, "--format", "json")
    assert r.code == 0
    assert json.loads(r.out)["articles"] == articles


def test_unreadable_model_cache_is_one_line(drafter, small_corpus, monkeypatch):
    assert drafter("mine", "--corpus", small_corpus).code == 0
    target = model_path(small_corpus)
    real = Path.read_bytes

    def denied(self):
        if self == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert_one_error(drafter("themes", "--corpus", small_corpus), 1, str(target), "权限")


def test_broken_pipe_is_quiet(env):
    corpus = Path(__file__).resolve().parents[2] / "corpus"
    p = subprocess.Popen([str(DRAFTER), "clean", *[str(corpus)] * 8], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    p.stdout.read(100)
    p.stdout.close()
    err = p.stderr.read().decode("utf-8", "replace")
    p.wait(timeout=60)
    assert "Traceback" not in err and "Exception ignored" not in err, err
