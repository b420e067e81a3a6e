"""Shared helpers for the robustness tests: isolated folders, and ways to run the real CLI.

``drafter`` runs ``drafter.cli.invoke()`` in this process (fast, exercises the one error path);
``drafter_proc`` runs the installed console script in a subprocess (for tracebacks, signals and
concurrency).  Both always point the cache and the banks at temporary folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from drafter.paths import shipped_corpus

DRAFTER = Path(sys.executable).with_name("drafter")
SMALL_CORPUS_FILES = ("001_068dd7c5c0abbb81.txt", "004_afa0366009b13690.txt")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def errors(self) -> list[str]:
        """Lines on stderr that are not hints (``提示：``)."""
        return [ln for ln in self.err.splitlines() if ln.strip() and not ln.startswith("提示：")]


def assert_one_error(r: Result, code: int, *names: str) -> str:
    """Exit ``code``, exactly one non-hint line on stderr, no traceback, naming each of ``names``."""
    assert r.code == code, (r.code, r.err)
    assert "Traceback" not in r.err and "Traceback" not in r.out
    assert len(r.errors) == 1, r.err
    line = r.errors[0]
    assert line.startswith(("错误：", "用法错误：")), line
    for n in names:
        assert n in line, (n, line)
    return line


@dataclass
class Env:
    tmp: Path
    cache: Path
    banks: Path
    home: Path
    work: Path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    e = Env(tmp_path, tmp_path / "cache", tmp_path / "banks", tmp_path / "home", tmp_path / "work")
    e.home.mkdir()
    e.work.mkdir()
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(e.cache))
    monkeypatch.setenv("DRAFTER_BANKS", str(e.banks))
    monkeypatch.setenv("HOME", str(e.home))
    for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(var, str(e.home / var.lower()))
    for var in ("DRAFTER_TEMPLATES", "DRAFTER_CORPUS", "DRAFTER_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    return e


@pytest.fixture
def drafter(env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run ``drafter ARGS`` through ``drafter.cli.invoke()`` in this process; returns a Result."""
    from drafter.cli import invoke

    def run(*args: object) -> Result:
        monkeypatch.setattr(sys, "argv", ["drafter", *(os.fspath(a) if isinstance(a, Path) else str(a) for a in args)])
        monkeypatch.delenv("DRAFTER_DEBUG", raising=False)
        capsys.readouterr()
        code = 0
        try:
            invoke()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def drafter_proc(env: Env):
    """Run the installed ``drafter`` in a subprocess (same isolated environment)."""

    def run(*args: object, timeout: float = 120, cwd: Path | None = None, extra_env: dict[str, str] | None = None) -> Result:
        p = subprocess.run(
            [str(DRAFTER), *(os.fspath(a) if isinstance(a, Path) else str(a) for a in args)],
            env={**os.environ, **(extra_env or {})},
            cwd=cwd or env.work,
            capture_output=True,
            timeout=timeout,
        )
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))

    return run


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Two real texts from the shipped corpus, copied (writable) into a fresh folder."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in SMALL_CORPUS_FILES:
        shutil.copyfile(shipped_corpus() / name, folder / name)
    return folder


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under ``folder`` (not following links) with its mode, size and mtime_ns."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[os.path.relpath(p, folder)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    st = os.lstat(folder)
    out["."] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


_WORDS = (
    "坚持 推进 发展 改革 创新 青年 干部 人民 群众 服务 建设 治理 制度 体系 能力 现代化 高质量 开放 合作 "
    "交往 外事 城市 基层 党建 组织 作风 纪律 责任 担当 实干 落实 政策 机制 保障 民生 教育 科技 人才 文化 "
    "生态 安全 稳定 统筹 协调 深化 完善 加强 提升 强化 健全 优化 扎实 全面 持续 奋力 开创 新局面"
).split()


def chinese_text(n_chars: int, seed: int = 0, para_every: int | None = 12) -> str:
    """Plausible, non-repeating Chinese prose of about ``n_chars`` characters.

    Each sentence carries its own number so no two are alike (the cleaner drops repeated text).
    ``para_every`` sentences make a paragraph; ``None`` gives one single line.
    """
    import random

    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    k = 0
    while size < n_chars:
        k += 1
        words = "".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 9)))
        sent = f"{words}第{k}项，{''.join(rng.choice(_WORDS) for _ in range(3))}。"
        if para_every and k % para_every == 0:
            sent += "\n"
        out.append(sent)
        size += len(sent)
    return "".join(out)
