"""Worker processes of the map step (drafter.workers): results, errors, worker death, shutdown."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from drafter.errors import DrafterError
from drafter.workers import Workers

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="relies on the fork start method"
)

# Set by a test before the workers are forked; the children inherit it.
_PID_DIR: Path | None = None


def _square(x: int) -> int:
    return x * x


def _pid_of(x: int) -> tuple[int, int]:
    time.sleep(0.01)
    return x, os.getpid()


def _boom(x: int) -> int:
    if x == 5:
        raise ValueError("boom")
    return x


def _die(x: int) -> int:
    if x == 7:
        os._exit(3)
    return x


def _record_pid() -> None:
    """Initializer: leave a file named after this worker's pid (appending, to show repeats)."""
    assert _PID_DIR is not None
    with open(_PID_DIR / str(os.getpid()), "a", encoding="utf-8") as f:
        f.write("init\n")


def _record_then_sleep() -> None:
    """Initializer that announces itself, then stays in the initializer for a long time."""
    _record_pid()
    time.sleep(30)


@pytest.fixture()
def pid_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "pids"
    folder.mkdir()
    monkeypatch.setattr(sys.modules[__name__], "_PID_DIR", folder)
    return folder


def _wait_for_files(folder: Path, n: int) -> list[Path]:
    """The files in ``folder`` once there are ``n`` of them (gives up after a generous while)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        files = sorted(folder.iterdir())
        if len(files) >= n:
            return files
        time.sleep(0.01)
    return sorted(folder.iterdir())


def test_every_index_once_with_its_result() -> None:
    args = list(range(20))
    with Workers(2) as w:
        assert w.size == 2
        got = list(w.map(_square, args))
    indexes = [i for i, _ in got]
    assert sorted(indexes) == list(range(20))
    assert len(indexes) == len(set(indexes))
    assert dict(got) == {i: a * a for i, a in enumerate(args)}


def test_results_follow_args_not_values() -> None:
    args = [9, -3, 4, 4, 0, 11, 2]
    with Workers(3) as w:
        got = dict(w.map(_square, args))
    assert got == {i: a * a for i, a in enumerate(args)}


def test_more_than_one_process_takes_part() -> None:
    with Workers(2) as w:
        procs = list(w._procs)
        got = dict(w.map(_pid_of, list(range(20))))
    assert sorted(got) == list(range(20))
    assert all(arg == i for i, (arg, _pid) in got.items())
    pids = {pid for _arg, pid in got.values()}
    assert os.getpid() not in pids
    # the first task of each worker is handed out before any result is awaited
    assert pids == {p.pid for p in procs}


def test_no_args_no_results() -> None:
    with Workers(2) as w:
        assert list(w.map(_square, [])) == []


def test_at_least_one_worker() -> None:
    with Workers(0) as w:
        assert w.size == 1
        assert dict(w.map(_square, [1, 2, 3])) == {0: 1, 1: 4, 2: 9}


def test_exception_in_task_is_raised_by_the_iterator() -> None:
    w = Workers(2)
    procs = list(w._procs)
    try:
        with pytest.raises(ValueError, match="boom"):
            for _ in w.map(_boom, list(range(10))):
                pass
        assert w._procs == []
        assert not any(p.is_alive() for p in procs)
    finally:
        w.close(terminate=True)


def test_dead_worker_names_its_task() -> None:
    w = Workers(2)
    procs = list(w._procs)
    try:
        with pytest.raises(DrafterError) as info:
            for _ in w.map(_die, list(range(12)), label=lambda a: f"文件{a:03d}.txt"):
                pass
        assert "文件007.txt" in str(info.value)
        assert w._procs == []
        assert not any(p.is_alive() for p in procs)
    finally:
        w.close(terminate=True)


def test_dead_worker_default_label_is_str() -> None:
    w = Workers(1)
    try:
        with pytest.raises(DrafterError) as info:
            list(w.map(_die, [1, 2, 7, 8]))
        assert str(info.value).startswith("7")
    finally:
        w.close(terminate=True)


def test_close_leaves_no_worker_alive() -> None:
    w = Workers(3)
    procs = list(w._procs)
    assert len(procs) == 3 and all(p.is_alive() for p in procs)
    assert dict(w.map(_square, list(range(6)))) == {i: i * i for i in range(6)}
    w.close()
    assert w._procs == []
    for p in procs:
        p.join(timeout=10)
        assert not p.is_alive()
        assert p.exitcode == 0  # told to stop, not killed


def test_context_manager_closes() -> None:
    with Workers(2) as w:
        procs = list(w._procs)
        list(w.map(_square, [1, 2]))
    assert w._procs == []
    assert not any(p.is_alive() for p in procs)


def test_terminate_ends_workers_still_in_their_initializer(pid_dir: Path) -> None:
    w = Workers(2, initializer=_record_then_sleep)
    procs = list(w._procs)
    try:
        files = _wait_for_files(pid_dir, 2)
        assert {int(f.name) for f in files} == {p.pid for p in procs}
        assert all(p.is_alive() for p in procs)
        closer = threading.Thread(target=w.close, kwargs={"terminate": True}, daemon=True)
        closer.start()
        closer.join(timeout=10)
        assert not closer.is_alive()
        for p in procs:
            p.join(timeout=10)
            assert not p.is_alive()
            assert p.exitcode == -signal.SIGTERM
        assert w._procs == []
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(timeout=10)


def test_initializer_runs_once_per_worker(pid_dir: Path) -> None:
    with Workers(3, initializer=_record_pid) as w:
        procs = list(w._procs)
        got = dict(w.map(_pid_of, list(range(15))))
    files = sorted(pid_dir.iterdir())
    assert {int(f.name) for f in files} == {p.pid for p in procs}
    assert all(f.read_text(encoding="utf-8") == "init\n" for f in files)
    assert {pid for _arg, pid in got.values()} <= {p.pid for p in procs}
