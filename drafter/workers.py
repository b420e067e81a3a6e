"""Worker processes for the map step: started before their work is known, fed one task at a time.

A re-mine after a small change is mostly waiting for one worker to load the segmenter and the
analysis modules (~0.2 s) and analyse one file.  So the workers are started as soon as the mining
process knows a re-mine is due (``drafter mine``: as soon as it sees files changed), before it
builds its merge state or imports numpy, and the tasks are handed to them when they are known.  They are plain processes, each with a pipe
of its own and no helper threads in this process, so the process that merges the phrase banks can
be forked after them safely.

Tasks go out one at a time, the next to whichever worker finishes first, so the order the caller
gives (big files first) is the order they start in.  A worker that dies (killed, out of memory)
stops the map with a one-line error naming the file it was on.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from drafter.errors import DrafterError


def _serve(conn: Connection, initializer: Callable[[], None] | None) -> None:
    """A worker's life: warm up, then run each task received until told to stop."""
    if initializer is not None:
        initializer()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the mining process is gone
        if job is None:
            return
        fn, arg = job
        try:
            reply: tuple[bool, Any] = (True, fn(arg))
        except BaseException as exc:  # noqa: BLE001 - handed back and raised in the mining process
            reply = (False, exc)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled: its description then
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


class Workers:
    """``n`` worker processes, each running ``initializer`` once and then the tasks it is sent."""

    def __init__(self, n: int, initializer: Callable[[], None] | None = None) -> None:
        self._initializer = initializer
        self._procs: list[Any] = []
        self._conns: list[Connection] = []
        self._closed: list[Any] = []  # stopped, not yet waited for (see close)
        self.grow(max(1, n))

    def grow(self, n: int) -> None:
        """Start workers until there are ``n``."""
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        while len(self._procs) < n:
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs, self._initializer), daemon=True)
            proc.start()
            theirs.close()
            self._procs.append(proc)
            self._conns.append(ours)

    @property
    def size(self) -> int:
        return len(self._procs)

    def map(self, fn: Callable[[Any], Any], args: Sequence[Any], label: Callable[[Any], str] = str) -> Results:
        """Hand out the first tasks now; the :class:`Results` give ``(index, fn(args[index]))``
        pairs as tasks finish.

        Tasks start in the order given.  ``fn`` must be a module-level function (it is pickled).
        An exception in a task is raised where its result is taken; a worker that dies raises
        :class:`DrafterError` naming ``label(args[index])``.
        """
        return Results(self, fn, args, label)

    def close(self, terminate: bool = False, wait: bool = True) -> None:
        """Stop the workers: once idle, or at once with ``terminate`` (they write nothing that a
        kill can leave half done: cache entries are renamed into place whole).  With ``wait``
        false they are told to stop but not waited for (a process takes a while to end); a later
        ``close()`` waits for them."""
        for conn in self._conns:
            if not terminate:
                try:
                    conn.send(None)
                except (OSError, ValueError):
                    pass
            conn.close()
        for proc in self._procs:
            if terminate:
                proc.terminate()
        self._closed.extend(self._procs)
        self._conns, self._procs = [], []
        if wait:
            for proc in self._closed:
                proc.join()
            self._closed = []

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(terminate=kind is not None)


class Results:
    """What a :meth:`Workers.map` gives back: iterate to wait for every result, or take the ones
    already in (:meth:`ready`) between other work."""

    def __init__(self, workers: Workers, fn: Callable[[Any], Any], args: Sequence[Any], label: Callable[[Any], str]) -> None:
        self._workers, self._fn, self._args, self._label = workers, fn, args, label
        self._todo = list(enumerate(args))[::-1]
        self._busy: dict[Connection, int] = {}
        for conn in workers._conns:
            self._hand_out(conn)
        self._iter = self._wait_all()

    def _hand_out(self, conn: Connection) -> None:
        if self._todo:
            i, arg = self._todo.pop()
            conn.send((self._fn, arg))
            self._busy[conn] = i

    def _take(self, conns: list[Any]) -> Iterator[tuple[int, Any]]:
        for conn in conns:
            i = self._busy.pop(conn)
            try:
                ok, value = conn.recv()
            except (EOFError, OSError) as exc:
                self._workers.close(terminate=True)
                raise DrafterError(
                    f"{self._label(self._args[i])}：分析它的进程意外退出（可能是内存不足）；请用 -j 1 重试，或检查这个文件"
                ) from exc
            if not ok:
                self._workers.close(terminate=True)
                raise value
            self._hand_out(conn)
            yield i, value

    def _wait_all(self) -> Iterator[tuple[int, Any]]:
        while self._busy:
            yield from self._take(wait(list(self._busy)))

    def ready(self) -> list[tuple[int, Any]]:
        """The results in now, without waiting (their workers get their next tasks)."""
        return list(self._take(wait(list(self._busy), timeout=0))) if self._busy else []

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        return self

    def __next__(self) -> tuple[int, Any]:
        return next(self._iter)


__all__ = ["Results", "Workers"]
