"""Running the map step somewhere other than this process: a Dask cluster.

The map step is a pure function of one file, so a cluster only has to run :func:`analyse_file` on
each file and hand the results back; this process writes them into the cache and runs the very
same reduce as the local engine, in the same file order, so the model is byte-identical.

Workers need to read the corpus files at the paths this process sees (a shared filesystem, or
the same checkout on every machine); nothing is written on the workers.  Dask is an optional
extra (``pip install 'drafter[dask]'``) and is imported only when this engine is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from drafter.errors import DrafterError

Task = tuple[Path, str, tuple[str, ...], Path, str]


def _analyse_remote(path: str, name: str, terms: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """On a worker: analyse one file, return its text part and its summary (plain JSON data)."""
    from drafter.mine import analyse_file, summarise, texts_of

    data = analyse_file(Path(path), name, terms)
    return texts_of(data), summarise(data)


def _client(scheduler: str | None) -> Any:
    try:
        from distributed import Client
    except ImportError as exc:
        raise DrafterError("--engine dask 需要 Dask：请先运行 pip install 'drafter[dask]'") from exc
    if scheduler:
        try:
            return Client(scheduler, timeout="30s")
        except OSError as exc:
            raise DrafterError(f"无法连接 Dask 调度器 {scheduler}（{exc}）；请检查地址，例如 tcp://主机:8786") from exc
    # no scheduler given: a small in-process cluster, which still exercises the same code path
    return Client(processes=False, dashboard_address=":0")


def dask_map(tasks: Sequence[Task], scheduler: str | None = None, client: Any = None) -> dict[str, str]:
    """Analyse ``tasks`` (as built by the local engine) on Dask; write results; return errors by file.

    Results are written here as they arrive, so memory holds a few files' analyses at a time, not
    the corpus.  ``client`` lets a caller (or a test) pass a connected ``distributed.Client``.
    """
    from drafter.mine import _map_hooks, store

    own = client is None
    client = client or _client(scheduler)
    errors: dict[str, str] = {}
    try:
        from distributed import as_completed

        futures = {
            client.submit(_analyse_remote, str(path), name, tuple(terms), key=f"drafter-map-{key}", pure=False): (name, root, key)
            for path, name, terms, root, key in tasks
        }
        for fut in as_completed(list(futures)):
            name, root, key = futures[fut]
            texts, summary = fut.result()
            store(root, key, texts, summary)
            for hook in _map_hooks:
                hook(name)
            if summary.get("error"):
                errors[name] = str(summary["error"])
            fut.release()
    finally:
        if own:
            client.close()
    return errors


__all__ = ["dask_map"]
