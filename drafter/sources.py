"""Reading source files into text: .txt/.md in any common Chinese encoding, .docx and .pdf.

One :class:`Source` per file.  Writers' folders are whatever their office produced over the years:
GB18030 text from old Windows machines, UTF-16 from Notepad, Word files, PDFs exported with page
numbers and running heads, plus lock files, hidden folders and the odd renamed picture.  This module
turns each file into plain text with ``\\n`` line breaks and nothing else: it does not clean, rejoin
or split (that is :mod:`drafter.corpus`), so every rule here is about *reading*, never about style.

Decoding is detected from the bytes, never guessed from the file name.  Problems a writer can fix
are raised as :class:`~drafter.errors.DrafterError` with a one-line Chinese message naming the file
and the fix; reading a folder reports such files through ``on_skip`` and goes on with the rest.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from drafter.errors import DrafterError

SUFFIXES = (".txt", ".md", ".docx", ".pdf")

#: Files larger than this are refused before a byte is read: a real speech or article is a few
#: hundred kilobytes even as a PDF, so anything this big is an archive, a scan or a mistake, and
#: reading it would only exhaust memory.
MAX_BYTES = 50 * 1024 * 1024

#: Suffixes that are not read but deserve a hint when found in a folder, because writers' folders
#: are full of them and the fix is a single "save as" in Word or WPS.
_CONVERTIBLE = {
    ".doc": "旧版 Word 格式（.doc）不能直接读取，请在 Word/WPS 中另存为 .docx",
    ".wps": "WPS 格式（.wps）不能直接读取，请在 WPS 中另存为 .docx",
    ".rtf": "RTF 格式不能直接读取，请在 Word/WPS 中另存为 .docx",
}

# Magic numbers of formats that are sometimes renamed to .txt/.md: naming the real format is a
# far better message than "unknown encoding".
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "实际是 PDF 文件，请把扩展名改为 .pdf"),
    (b"PK\x03\x04", "实际是压缩包或 .docx 文件，请解压或把扩展名改为 .docx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "实际是旧版 Word/WPS 文件，请在 Word/WPS 中另存为 .docx"),
    (b"\x89PNG\r\n\x1a\n", "实际是 PNG 图片，不是文字"),
    (b"\xff\xd8\xff", "实际是 JPEG 图片，不是文字"),
    (b"GIF8", "实际是 GIF 图片，不是文字"),
    (b"Rar!", "实际是 RAR 压缩包，请先解压"),
    (b"7z\xbc\xaf\x27\x1c", "实际是 7z 压缩包，请先解压"),
    (b"\x1f\x8b", "实际是 gzip 压缩包，请先解压"),
    (b"\x7fELF", "实际是程序文件，不是文字"),
)


@dataclass(frozen=True)
class Source:
    """The decoded text of one file.

    ``name`` is the path relative to the folder it was found in (just the file name for a file
    given directly), always valid Unicode so it can be printed and saved; provenance everywhere is
    written ``NAME#N``.  ``path`` is the real path (it may hold undecodable bytes as surrogates).
    ``text`` uses ``\\n`` line breaks; for .docx one line is one paragraph, for .pdf one line is one
    printed line and a blank line marks a page break.  ``encoding`` is the detected codec for text
    files and ``"docx"``/``"pdf"`` otherwise; ``kind`` is ``txt``, ``md``, ``docx`` or ``pdf``.
    """

    path: Path
    name: str
    text: str
    encoding: str
    kind: str


# --------------------------------------------------------------------------------------------
# names


def display_name(path: Path | str) -> str:
    """A printable form of a path whose bytes may not be valid UTF-8.

    On Linux a file copied from a Windows zip often has a GBK-encoded name; Python keeps such
    bytes as lone surrogates, which crash ``print`` and JSON.  Show them decoded as GB18030 when
    that works (the usual case), otherwise with replacement characters.
    """
    s = str(path)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        pass
    raw = s.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _fail(path: Path, what: str) -> DrafterError:
    return DrafterError(f"{display_name(path)}：{what}")


# --------------------------------------------------------------------------------------------
# plain text

# Ranges of characters that real Chinese office text is made of.  A decoding whose result is
# mostly outside them is wrong, however cleanly the bytes decoded (UTF-16 and GB18030 accept
# almost any byte sequence).
_TEXTLIKE = re.compile(
    "[\t\n\r\x0b\x0c\x20-\x7e\u00a0-\u00ff\u0391-\u03c9\u0401-\u0451\u2000-\u206f\u2100-\u23ff"
    "\u2460-\u27bf\u2e80-\u2fdf\u3000-\u312f\u3190-\u31bf\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
# Control characters that never belong in text (tab, line breaks and form feed excluded).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _textlike_ratio(text: str) -> float:
    """Share of characters that plausibly occur in Chinese office text."""
    if not text:
        return 1.0
    return len(_TEXTLIKE.findall(text)) / len(text)


def _utf16_without_bom(raw: bytes, min_ratio: float = 0.9) -> tuple[str, str] | None:
    """Recognise BOM-less UTF-16 (Notepad's "Unicode" without a signature).

    Only tried when the bytes hold NULs: every ASCII character (line break, digit, Latin letter)
    carries one in UTF-16.  Which byte order is right cannot be read off the NUL positions alone
    (``一`` is U+4E00, a NUL on the "wrong" side), so both are decoded and the one that reads as
    Chinese text wins; GB18030 or UTF-8 with stray NULs reads as nonsense either way.  Text with
    no ASCII at all has no NULs; the caller may still try it, with a stricter ``min_ratio``.
    """
    even = raw[: len(raw) - len(raw) % 2]
    best: tuple[float, str, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        decoded = _decode_tolerant(even, codec)
        if decoded is None:
            continue
        ratio = _textlike_ratio(decoded)
        if ratio >= min_ratio and (best is None or ratio > best[0]):
            best = (ratio, decoded, codec)
    return (best[1], best[2]) if best else None


def _strip_nuls(raw: bytes) -> tuple[bytes, int]:
    """Drop NUL bytes; return the rest and how many NULs sat *inside* the text.

    Editors that crash mid-save pad files with NULs at the start or end; those are harmless.
    NULs scattered through the middle are the mark of a binary file.
    """
    core = raw.strip(b"\x00")
    return raw.replace(b"\x00", b""), core.count(0)


def _gb2312_share(text: str) -> float:
    """Share of Han characters that are in GB2312: near 1.0 for real GB text, far lower for
    bytes of another double-byte encoding (Big5) misread as GB18030."""
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 1.0
    ok = 0
    for c in han:
        try:
            c.encode("gb2312")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(han)


def _decode_tolerant(raw: bytes, codec: str) -> str | None:
    """Decode, dropping a few invalid byte sequences; ``None`` if there are more than a few.

    Real files are often cut short mid-character (an interrupted download or copy) or carry one
    damaged character; refusing the whole speech for that would be absurd.  A wrong codec fails
    far more often than this allows, so tolerance does not blur detection.
    """
    allowed = max(2, len(raw) // 4000)
    parts: list[str] = []
    pos = errors = 0
    while True:
        try:
            parts.append(raw[pos:].decode(codec))
            return "".join(parts)
        except UnicodeDecodeError as exc:
            errors += 1
            if errors > allowed:
                return None
            parts.append(raw[pos : pos + exc.start].decode(codec))
            pos += max(exc.end, exc.start + 1)


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        return None


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode the bytes of a text file; return ``(text, encoding)``.

    Order matters: a BOM is certain; UTF-16 is tried next when there are NULs, because GB18030
    would happily decode UTF-16 bytes into nonsense; strict UTF-8 almost never succeeds by
    accident; GB18030 is what Chinese Windows writes; then the same two tolerating a few damaged
    characters; charset-normalizer settles what is left (Big5, odd code pages).  NUL bytes and
    stray control characters in otherwise good text are dropped; a file full of them is refused
    as binary.
    """
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise _fail(path, f"{what}（按文本文件无法读取）")
    found: tuple[str, str] | None = None
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            body = raw[len(bom) :]
            if codec.startswith(("utf-16", "utf-32")):
                unit = 2 if codec.startswith("utf-16") else 4
                body = body[: len(body) - len(body) % unit]
            text = _decode_tolerant(body, codec.replace("-sig", ""))
            if text is None:
                raise _fail(path, f"文件开头标明是 {codec.upper()} 编码，但内容已损坏，请用记事本另存为 UTF-8 后重试")
            found = (text, codec)
            break
    if found is None:
        found = _utf16_without_bom(raw) if 0 in raw else None
    if found is None:
        body, inner_nuls = _strip_nuls(raw)
        if inner_nuls > max(4, len(raw) // 100):
            raise _fail(path, "看起来是二进制文件，不是文字，请确认文件类型")
        found = _decode_8bit(body, path)
    text, enc = found
    text = text.replace("\x00", "").lstrip("\ufeff")
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) // 100):
        raise _fail(path, "看起来是二进制文件，不是文字，请确认文件类型")
    if controls:
        text = _CONTROL.sub("", text)
    return text, enc


def _plausible_gb(text: str) -> bool:
    return _gb2312_share(text) >= 0.9 and _textlike_ratio(text) >= 0.95


def _decode_8bit(body: bytes, path: Path) -> tuple[str, str]:
    """Decode NUL-free bytes that carry no BOM."""
    text = _strict(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    gb = _strict(body, "gb18030")
    if gb is not None and _plausible_gb(gb):
        return gb, "gb18030"
    utf16 = _utf16_without_bom(body, min_ratio=0.98)
    if utf16 is not None:
        return utf16
    text = _decode_tolerant(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    gb_tolerant = gb if gb is not None else _decode_tolerant(body, "gb18030")
    if gb_tolerant is not None and _plausible_gb(gb_tolerant):
        return gb_tolerant, "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None:
        guessed = str(best)
        if _textlike_ratio(guessed) >= 0.9 and (
            gb_tolerant is None or _gb2312_share(guessed) > _gb2312_share(gb_tolerant)
        ):
            return guessed, best.encoding
    if gb_tolerant is not None and _textlike_ratio(gb_tolerant) >= 0.9:
        return gb_tolerant, "gb18030"
    raise _fail(path, "无法识别文件编码，请用记事本或 WPS 另存为 UTF-8 后重试")


def _normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub("[\x0b\x0c\u2028\u2029\x85]", "\n", text)


def _read_text(path: Path) -> tuple[str, str]:
    raw = _read_bytes(path)
    text, enc = decode(raw, path)
    return _normalise_newlines(text), enc


# --------------------------------------------------------------------------------------------
# .docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Containers whose children are block content (paragraphs and tables).
_BLOCK_CONTAINERS = {_W + t for t in ("tbl", "tr", "tc", "sdt", "sdtContent", "customXml", "txbxContent")}
# Inside a paragraph: deleted text in tracked changes is not part of the document.
_SKIP_IN_PARA = {_W + t for t in ("del", "moveFrom", "pPr", "rPr")}


def _docx_runs(el: Any) -> Iterator[Any]:
    """The runs of a paragraph in order, including those inside hyperlinks, tracked insertions,
    content controls and fields, which python-docx's ``Paragraph.text`` leaves out."""
    for child in el:
        tag = child.tag
        if tag == _W + "r":
            yield child
        elif isinstance(tag, str) and tag not in _SKIP_IN_PARA:
            yield from _docx_runs(child)


def _docx_lines(container: Any) -> Iterator[str]:
    """Block content in document order: a paragraph is a line; a table is read row by row, cell
    by cell (a merged cell is one element, so it is read once); text boxes follow the paragraph
    that anchors them."""
    for child in container:
        tag = child.tag
        if tag == _W + "p":
            yield "".join(r.text for r in _docx_runs(child))
            for box in child.iter(_W + "txbxContent"):
                # Word stores each text box twice (DrawingML and a VML fallback): read one.
                if not any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
                    yield from _docx_lines(box)
        elif tag in _BLOCK_CONTAINERS:
            yield from _docx_lines(child)


def _read_docx(path: Path) -> str:
    bad = "不是有效的 Word 文件，请在 Word/WPS 中打开后另存为 .docx"
    with _opened(path) as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _fail(path, "实际是旧版 Word/WPS 格式（.doc/.wps），请在 Word/WPS 中另存为 .docx")
    if not head.startswith(b"PK"):
        raise _fail(path, bad)
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise _fail(path, bad) from exc
    if info.file_size > MAX_BYTES:
        raise _fail(path, f"正文解压后超过 {_size(MAX_BYTES)} 的上限，请拆分成几个小文件后再读")
    import docx

    try:
        document = docx.Document(os.fspath(path))
    except Exception as exc:  # python-docx raises many kinds (ValueError, KeyError, lxml errors) for one cause: a broken file
        raise _fail(path, bad) from exc
    lines = (ln.strip() for block in _docx_lines(document.element.body) for ln in block.split("\n"))
    return "\n".join(ln for ln in lines if ln)


# --------------------------------------------------------------------------------------------
# .pdf

_PAGE_NUMBER = re.compile(
    r"""^(?:
        [-－—–~·•]+\s*\d{1,4}\s*[-－—–~·•]+                    # - 1 -, — 1 —
      | 第\s*\d{1,4}\s*页\s*(?:[,，/、]?\s*共\s*\d{1,4}\s*页)?     # 第1页, 第 1 页 共 9 页
      | 共\s*\d{1,4}\s*页\s*[,，/、]?\s*第\s*\d{1,4}\s*页          # 共9页 第1页
      | \d{1,4}\s*/\s*\d{1,4}                                    # 1/9
      | (?i:page)\s*\d{1,4}(?:\s*(?i:of)\s*\d{1,4})?              # Page 1 of 9
    )$""",
    re.VERBOSE,
)
_BARE_NUMBER = re.compile(r"^\d{1,4}$")
#: How many lines at the top and bottom of a page can hold page numbers and running heads.
_EDGE = 2
#: A running head or foot is short; a longer repeated line is body text and stays.
_RUNNING_MAX_CHARS = 40


def _is_page_number(line: str, index: int, count: int) -> bool:
    """A decorated page number (``- 1 -``, ``第1页``) near an edge, or a bare number that is the
    very first or last line: a bare ``2023`` one line further in is more likely a date."""
    if index == 0 or index == count - 1:
        if _BARE_NUMBER.match(line):
            return True
    return (index < _EDGE or index >= count - _EDGE) and bool(_PAGE_NUMBER.match(line))


def _running_key(line: str) -> str:
    """Lines that differ only in digits and spaces (``第3期``/``第4期``) are the same running head."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _strip_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove page numbers and running heads/feet from the edges of each page.

    Only the first and last few lines of a page are candidates, so a number alone in the middle
    of a page (a table cell) survives.  A running head is a short line found at the same edge of
    at least half the pages (and at least two): the title page and the last page often lack it.
    """
    n = len(pages)
    pages = [[ln for i, ln in enumerate(lines) if not _is_page_number(ln, i, len(lines))] for lines in pages]
    if n < 2:
        return pages
    kept = _strip_running_lines(pages)
    # Pages that are all alike (a form, a repeated notice) would lose everything: keep them.
    return kept if any(kept) else pages


def _strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    n = len(pages)
    need = max(2, math.ceil(n / 2))
    top: Counter[str] = Counter()
    bottom: Counter[str] = Counter()
    for lines in pages:
        top.update({_running_key(ln) for ln in lines[:_EDGE] if len(ln) <= _RUNNING_MAX_CHARS})
        bottom.update({_running_key(ln) for ln in lines[-_EDGE:] if len(ln) <= _RUNNING_MAX_CHARS})
    heads = {k for k, c in top.items() if c >= need}
    feet = {k for k, c in bottom.items() if c >= need}
    out = []
    for lines in pages:
        last = len(lines)
        out.append(
            [
                ln
                for i, ln in enumerate(lines)
                if not (i < _EDGE and _running_key(ln) in heads) and not (i >= last - _EDGE and _running_key(ln) in feet)
            ]
        )
    return out


def _read_pdf(path: Path) -> str:
    import pypdf
    from pypdf.errors import DependencyError

    with _opened(path):
        pass  # size and permission checks with the same messages as every other file
    try:
        reader = pypdf.PdfReader(os.fspath(path))
        locked = reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED
        if not locked:
            page_list = list(reader.pages)
    except DependencyError as exc:
        raise _fail(path, _PDF_AES) from exc
    except Exception as exc:  # pypdf raises a zoo of types on a broken file; all mean "re-export it"
        raise _fail(path, "不是有效的 PDF 文件或已损坏，请在 WPS/Acrobat 中重新导出 PDF") from exc
    if locked:
        raise _fail(path, "PDF 设有打开密码，请在 WPS/Acrobat 中输入密码后另存为不加密的 PDF")
    pages: list[list[str]] = []
    failed = 0
    for page in page_list:
        try:
            raw = page.extract_text() or ""
        except DependencyError as exc:
            raise _fail(path, _PDF_AES) from exc
        except Exception:  # one broken content stream should not lose the other pages
            failed += 1
            raw = ""
        lines = [ln.strip() for ln in _normalise_newlines(raw).split("\n")]
        pages.append([ln for ln in lines if ln])
    if failed and failed == len(pages):
        raise _fail(path, "无法从 PDF 中提取文字，请在 WPS/Acrobat 中重新导出 PDF 或另存为 .docx")
    pages = _strip_page_furniture(pages)
    text = "\n\n".join("\n".join(lines) for lines in pages if lines)
    if not re.search(r"[^\W\d_]", text):
        raise _fail(path, "PDF 没有文字层（可能是扫描件或图片），请先用 OCR 转成文字版再读取")
    return text


_PDF_AES = "PDF 采用 AES 加密，读取需先安装 cryptography（pip install cryptography），或在 WPS/Acrobat 中另存为不加密的 PDF"


# --------------------------------------------------------------------------------------------
# files


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    """Open a file for binary reading after checking its size, turning OS errors into a message.

    The size is checked with ``stat`` before opening, so a huge file is refused without reading it.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _os_fail(path, exc) from exc
    if size > MAX_BYTES:
        raise _fail(path, f"文件有 {_size(size)}，超过 {_size(MAX_BYTES)} 的上限，请拆分成几个小文件或只保留正文后再读")
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise _os_fail(path, exc) from exc
    with fh:
        yield fh


def _size(n: int) -> str:
    """A byte count as writers read it (``50 MB``, ``300 KB``)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            whole = f"{n / scale:.1f}".removesuffix(".0")
            exact = n % scale == 0 or float(whole) * scale == n
            return f"{whole} {unit}" if exact else f"约 {whole} {unit}（{n:,} 字节）"
    return f"{n} 字节"


def _os_fail(path: Path, exc: OSError) -> DrafterError:
    if isinstance(exc, FileNotFoundError):
        return _fail(path, "路径不存在，请检查拼写")
    if isinstance(exc, PermissionError):
        return _fail(path, "没有读取权限，请检查文件或文件夹的权限")
    if isinstance(exc, IsADirectoryError):
        return _fail(path, "是文件夹而不是文件")
    return _fail(path, f"无法读取（{exc.strerror or exc}），请检查文件是否完好")


def _read_bytes(path: Path) -> bytes:
    with _opened(path) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise _os_fail(path, exc) from exc


def _suffix_hint(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CONVERTIBLE:
        return _CONVERTIBLE[suffix]
    return f"不支持的文件类型，只读取 {'、'.join(SUFFIXES)} 文件"


def read_source(path: Path, name: str | None = None) -> Source:
    """Read one file into a :class:`Source`.

    The suffix chooses the reader (text, Word, PDF); inside a text file the encoding is detected
    from the bytes.  Raises :class:`DrafterError` for anything the writer must fix: a missing,
    unreadable, oversized, empty, binary or broken file, or an unsupported suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        if not path.exists() and not path.is_symlink():
            raise _fail(path, "路径不存在，请检查拼写")
        raise _fail(path, _suffix_hint(path))
    if suffix == ".docx":
        text, enc = _read_docx(path), "docx"
    elif suffix == ".pdf":
        text, enc = _read_pdf(path), "pdf"
    else:
        text, enc = _read_text(path)
    if not text.strip():
        raise _fail(path, "文件是空的，请换一个有内容的文件")
    return Source(path=path, name=name or display_name(path.name), text=text, encoding=enc, kind=suffix.lstrip("."))


# --------------------------------------------------------------------------------------------
# folders


def _is_ignored(name: str) -> bool:
    """Hidden files and folders, and the ``~$`` lock files Word/WPS leave beside open documents."""
    return name.startswith((".", "~$"))


def _walk(top: Path, on_skip: Callable[[Path, str], None] | None) -> list[tuple[str, Path]]:
    """All candidate files under ``top`` as ``(relative posix path, path)``, sorted by the former.

    Symlinked folders are followed, but a folder already visited (by its real path) is not
    entered again, so a link to an ancestor cannot loop.  An unreadable folder is reported and
    skipped.  Files of convertible formats (.doc, .wps) are reported so the writer knows why they
    are missing.
    """
    found: list[tuple[str, Path]] = []
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()

    def onerror(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else top
        err = _os_fail(where, exc)
        if on_skip is None:
            raise err
        on_skip(where, err.message)

    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(d for d in dirnames if not _is_ignored(d))
        for fname in sorted(filenames):
            if _is_ignored(fname):
                continue
            full = Path(dirpath, fname)
            suffix = full.suffix.lower()
            rel = full.relative_to(top).as_posix()
            if suffix not in SUFFIXES:
                if suffix in _CONVERTIBLE and on_skip is not None:
                    on_skip(full, f"{display_name(rel)}：{_CONVERTIBLE[suffix]}")
                continue
            real_file = os.path.realpath(full)
            if real_file in seen_files:
                continue
            seen_files.add(real_file)
            found.append((rel, full))
    found.sort(key=lambda item: item[0])
    return found


def iter_sources(paths: Iterable[Path], on_skip: Callable[[Path, str], None] | None = None) -> Iterator[Source]:
    """Read files and folders, folders recursively in sorted order of relative path.

    A file given directly must be readable (its error is raised).  Inside a folder, a file or
    subfolder that cannot be read is passed to ``on_skip(path, message)`` and the rest are still
    read; without ``on_skip`` the first such error is raised.  A folder that yields no text at all
    is an error, since mining nothing is never what the writer meant.
    """
    for p in paths:
        p = Path(p)
        if p.is_dir():
            count = 0
            for rel, f in _walk(p, on_skip):
                try:
                    source = read_source(f, display_name(rel))
                except DrafterError as exc:
                    if on_skip is None:
                        raise
                    on_skip(f, exc.message)
                    continue
                count += 1
                yield source
            if not count:
                raise _fail(p, f"文件夹里没有可读的文本，只读取 {'、'.join(SUFFIXES)} 文件（隐藏文件和 ~$ 临时文件除外）")
        elif p.exists() or p.is_symlink():
            yield read_source(p)
        else:
            raise _fail(p, "路径不存在，请检查拼写")
def walk(top: Path, on_skip: Callable[[Path, str], None] | None = None) -> list[tuple[str, Path]]:
    """Public name of the folder walk: ``(relative posix path, path)`` of every candidate file, sorted."""
    return _walk(Path(top), on_skip)
