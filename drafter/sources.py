"""Reading source files into text: .txt/.md in any common Chinese encoding, .docx and .pdf.

One :class:`Source` per file.  Decoding is detected from the bytes, never guessed from the file
name.  Problems a writer can fix are raised as :class:`~drafter.errors.DrafterError` with a
one-line Chinese message naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from drafter.errors import DrafterError

SUFFIXES = (".txt", ".md", ".docx", ".pdf")


@dataclass(frozen=True)
class Source:
    """The decoded text of one file.

    ``name`` is the path relative to the folder it was found in (just the file name for a file
    given directly); provenance everywhere is written ``NAME#N``.  ``text`` uses ``\\n`` line
    breaks; for .docx and .pdf one line is one paragraph.
    """

    path: Path
    name: str
    text: str
    encoding: str
    kind: str


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 (BOM) or GB18030."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise DrafterError(f"{path}：无法识别文件编码，请另存为 UTF-8 或 GB18030 后重试")


def read_source(path: Path, name: str | None = None) -> Source:
    """Read one file into a :class:`Source`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DrafterError(f"{path}：无法读取（{exc.strerror or exc}），请检查文件是否存在及权限") from exc
    if not raw.strip():
        raise DrafterError(f"{path}：文件是空的，请换一个有内容的文件")
    text, enc = decode(raw, path)
    return Source(path=path, name=name or path.name, text=text.replace("\r\n", "\n").replace("\r", "\n"), encoding=enc, kind=path.suffix.lower().lstrip(".") or "txt")


def iter_sources(paths: Iterable[Path], on_skip: Callable[[Path, str], None] | None = None) -> Iterator[Source]:
    """Read files and folders (recursively, in sorted order); unreadable files are skipped via ``on_skip``."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
            for f in files:
                try:
                    yield read_source(f, f.relative_to(p).as_posix())
                except DrafterError as exc:
                    if on_skip is None:
                        raise
                    on_skip(f, exc.message)
        elif p.exists():
            yield read_source(p)
        else:
            raise DrafterError(f"{p}：路径不存在，请检查拼写")
