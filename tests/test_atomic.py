"""Atomic writes, inter-process locks and forgiving JSON reads."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drafter import atomic
from drafter.atomic import atomic_write, file_lock, lock_path, read_json, write_json
from drafter.errors import DrafterError


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_str_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "深层" / "模型.json"
    atomic_write(target, "砥砺奋进\n")
    assert target.read_bytes() == "砥砺奋进\n".encode()
    atomic_write(target, b"\x00\xff")
    assert target.read_bytes() == b"\x00\xff"
    assert _leftovers(target.parent) == []


def test_atomic_write_keeps_permission_bits(tmp_path: Path) -> None:
    target = tmp_path / "四字格.txt"
    target.write_text("旧\n", encoding="utf-8")
    os.chmod(target, 0o640)
    atomic_write(target, "新\n")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert target.read_text(encoding="utf-8") == "新\n"


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="needs symlinks")
def test_atomic_write_goes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "四字格.txt"
    real.parent.mkdir()
    real.write_text("旧\n", encoding="utf-8")
    link = tmp_path / "四字格.txt"
    link.symlink_to(real)
    atomic_write(link, "新\n")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "新\n"


def test_atomic_write_refuses_read_only_file(tmp_path: Path) -> None:
    target = tmp_path / "提法.txt"
    target.write_text("旧\n", encoding="utf-8")
    os.chmod(target, 0o444)
    try:
        if os.access(target, os.W_OK):
            pytest.skip("running with privileges that ignore file permissions")
        with pytest.raises(DrafterError, match="只读"):
            atomic_write(target, "新\n")
        assert target.read_text(encoding="utf-8") == "旧\n"
    finally:
        os.chmod(target, 0o644)


def test_atomic_write_into_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "cache.json"
    target.write_text("{}", encoding="utf-8")
    os.chmod(folder, 0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with privileges that ignore folder permissions")
        with pytest.raises(DrafterError) as info:
            atomic_write(target, "[]")
        assert str(target) in info.value.message
        assert "\n" not in info.value.message
        assert target.read_text(encoding="utf-8") == "{}"
    finally:
        os.chmod(folder, 0o755)
    assert _leftovers(folder) == []


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.EROFS, "只读"), (errno.ENOSPC, "磁盘空间已满"), (errno.EACCES, "权限")],
)
def test_os_errors_become_one_line_chinese_and_temp_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    target = tmp_path / "模型.json"
    target.write_text("旧", encoding="utf-8")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(DrafterError) as info:
        atomic_write(target, "新")
    message = info.value.message
    assert words in message and str(target) in message and "\n" not in message
    assert target.read_text(encoding="utf-8") == "旧"
    assert _leftovers(tmp_path) == []


def test_temp_removed_when_write_fails_midway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"

    def failing_write(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", failing_write)
    with pytest.raises(DrafterError, match="磁盘空间已满"):
        atomic_write(target, "内容")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from drafter.atomic import atomic_write
    target, a, b = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()
    print("ready", flush=True)
    i = 0
    while True:
        atomic_write(target, b if i % 2 == 0 else a)
        i += 1
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_never_leaves_target_truncated(tmp_path: Path) -> None:
    old = ("甲" * 200_000).encode()
    new = ("乙" * 150_000 + "完").encode()
    (tmp_path / "a").write_bytes(old)
    (tmp_path / "b").write_bytes(new)
    work = tmp_path / "work"
    work.mkdir()
    target = work / "model.json"
    target.write_bytes(old)
    rng = random.Random(20240601)
    seen = set()
    for _ in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILL_SCRIPT, str(target), str(tmp_path / "a"), str(tmp_path / "b")],
            stdout=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"ready"
            time.sleep(rng.uniform(0.0, 0.03))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        data = target.read_bytes()
        assert data in (old, new), f"target has {len(data)} bytes: neither old nor new content"
        seen.add(data)
    # Only hidden temp files may be left behind by a kill, never anything under the target's name.
    assert {p.name for p in work.iterdir() if not p.name.startswith(".")} == {"model.json"}
    assert seen  # at least one check ran


def test_read_json_missing_corrupt_truncated(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    assert read_json(path) is None
    path.write_text("{不是 JSON", encoding="utf-8")
    assert read_json(path) is None
    write_json(path, {"四字格": ["砥砺奋进"] * 50})
    full = path.read_bytes()
    path.write_bytes(full[: len(full) // 2])
    assert read_json(path) is None
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert read_json(path) is None
    path.write_bytes(b"")
    assert read_json(path) is None


def test_write_json_round_trip_keeps_chinese_readable(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "model.json"
    obj = {"version": 1, "提法": ["四个意识", "两个维护"], "n": [1, 2.5, None, True]}
    write_json(path, obj)
    raw = path.read_bytes().decode("utf-8")
    assert "四个意识" in raw and "\\u" not in raw
    assert read_json(path) == obj
    assert json.loads(raw) == obj


def test_file_lock_times_out_with_lock_file_named(tmp_path: Path) -> None:
    target = tmp_path / "四字格.txt"
    with file_lock(target) as held:
        assert held == lock_path(target)
        assert held.parent == tmp_path and held.name.startswith(".")
        with pytest.raises(DrafterError) as info:
            with file_lock(target, timeout=0.2):
                pass  # pragma: no cover - must not be reached
        message = info.value.message
        assert "另一个 drafter 进程" in message and str(held) in message and "\n" not in message
    # Released: can be taken again at once.
    with file_lock(target, timeout=0.2):
        pass


def _bump(path_str: str, times: int) -> None:
    path = Path(path_str)
    for _ in range(times):
        with file_lock(path):
            data = read_json(path) or {"n": 0}
            data["n"] += 1
            write_json(path, data)


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def test_file_lock_serializes_read_modify_write_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "counter.json"
    ctx = _context()
    procs = [ctx.Process(target=_bump, args=(str(path), 25)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert read_json(path) == {"n": 100}
