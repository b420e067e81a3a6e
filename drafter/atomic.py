"""Writing files so that a crash, a full disk or a second drafter process never leaves half a file.

Everything drafter writes (the mined model cache, the writer's phrase banks) goes through
:func:`atomic_write`: the new content is written to a hidden temp file in the same folder, flushed to
disk, and renamed over the target in one step, so a reader sees either the old file or the new one,
never a truncated mix.  The temp file must live in the same folder because a rename is only atomic
within one filesystem.  :func:`file_lock` serializes read-modify-write cycles between processes, and
:func:`read_json` treats an unreadable cache as absent so the caller simply rebuilds it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from drafter.errors import DrafterError

_REASONS: dict[int, tuple[str, str]] = {
    errno.EROFS: (
        "所在文件系统是只读的",
        "请换一个可写的位置（例如设置 DRAFTER_BANKS 或 DRAFTER_CACHE_DIR）",
    ),
    errno.ENOSPC: ("磁盘空间已满", "请清理磁盘空间后重试"),
    getattr(errno, "EDQUOT", -1): ("磁盘配额已用完", "请清理磁盘空间后重试"),
    errno.EACCES: ("没有访问权限", "请检查该文件及所在文件夹的权限，或换一个可写的位置"),
    errno.EPERM: ("操作不被允许", "请检查该文件及所在文件夹的权限，或换一个可写的位置"),
    errno.ENOTDIR: ("路径中有一段不是文件夹", "请检查路径是否写错"),
    errno.EISDIR: ("目标是一个文件夹", "请换一个文件名"),
}


def _os_error(path: Path, exc: OSError, action: str = "写入") -> DrafterError:
    """Turn an OSError into the one-line Chinese message a writer can act on."""
    reason, fix = _REASONS.get(exc.errno or 0, (exc.strerror or str(exc), "请检查该路径后重试"))
    return DrafterError(f"无法{action} {path}：{reason}；{fix}。")


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; not every platform can open a folder, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | str, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8) so readers see old or new, never half.

    ``durable=False`` skips the fsyncs: the rename is still atomic for every reader, but a power
    cut may lose the write.  That suits rebuildable cache entries written by the thousand, never a
    writer's file.

    The folder is created if missing.  An existing file keeps its permission bits (a bank shared
    with colleagues keeps its group bits), and a file marked read-only is refused rather than
    renamed over.  Any OSError becomes a :class:`DrafterError`
    naming the path and the fix; the temp file is removed on every error path we can observe.
    """
    path = Path(path)
    if path.is_symlink():
        # Write through the link: replacing it would silently cut the writer's file off from it.
        path = Path(os.path.realpath(path))
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(folder, exc, "创建文件夹") from exc
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _os_error(path, exc, "读取") from exc
    if mode is not None and not os.access(path, os.W_OK):
        # Renaming over it would work, but a file the writer marked read-only is a decision to respect.
        raise DrafterError(f"无法写入 {path}：该文件是只读的；如需修改，请先取消它的只读属性。")

    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _os_error(path, exc) from exc
    try:
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None and not hasattr(os, "fchmod"):
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _os_error(path, exc) from exc
        raise
    if durable:
        fsync_dir(folder)


def lock_path(path: Path) -> Path:
    """The sidecar lock file for ``path``: hidden, next to it, so it never shows up as a bank or a text."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 30) -> Iterator[Path]:
    """Hold an exclusive inter-process lock for ``path`` while the block runs; yields the lock file.

    Two drafter processes that edit the same bank or write the same cache then take turns instead of
    overwriting each other.  The lock is an OS lock (released when the process dies), so a stale
    lock file left behind after a crash does not block anyone; the timeout message still names it in
    case a network filesystem keeps the lock.
    """
    from filelock import FileLock, Timeout

    lock_file = lock_path(path)
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(lock_file.parent, exc, "创建文件夹") from exc
    lock = FileLock(str(lock_file), timeout=timeout)
    try:
        lock.acquire()
    except Timeout as exc:
        raise DrafterError(
            f"另一个 drafter 进程正在使用 {path}，等待 {timeout:g} 秒后仍未结束；"
            f"请等它结束后重试，若确认没有 drafter 在运行，请删除锁文件 {lock_file}。"
        ) from exc
    except OSError as exc:
        raise _os_error(lock_file, exc, "创建锁文件") from exc
    try:
        yield lock_file
    finally:
        lock.release()


def read_json(path: Path) -> Any | None:
    """Load a JSON file the tool owns, or ``None`` if it is missing, truncated or corrupt.

    The files read this way are caches: a broken one is a reason to rebuild, not to stop the writer.
    A file that exists but cannot be read for lack of permission is a real problem and raises.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as exc:
        raise _os_error(path, exc, "读取") from exc
    try:
        # orjson parses several times faster than json and rejects invalid UTF-8 the same way; the
        # cache is read whole on every mine, so this is a good part of a re-mine's time
        return orjson.loads(raw)
    except (orjson.JSONDecodeError, RecursionError):
        return None


def dumps(obj: Any, *, indent: bool = False) -> bytes:
    """``obj`` as UTF-8 JSON bytes, Chinese unescaped; the same object always gives the same bytes."""
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2 if indent else 0)


def write_json(path: Path, obj: Any, *, indent: bool = False, durable: bool = True) -> None:
    """Write ``obj`` as UTF-8 JSON (Chinese kept readable, not ``\\u`` escaped), atomically.

    The newline is added by the encoder: appending it would copy the whole text once more (a
    gigabyte corpus's model is over a hundred megabytes)."""
    option = orjson.OPT_APPEND_NEWLINE | (orjson.OPT_INDENT_2 if indent else 0)
    atomic_write(path, orjson.dumps(obj, option=option), durable=durable)
