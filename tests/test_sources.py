"""Reading real office files: encodings, Word, PDF, folders and the ways they go wrong.

Fixtures are generated in ``tmp_path`` from the seed texts, so every test reads real Chinese
official prose in the shape a writer's folder would hold it.
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest

from drafter import sources
from drafter.errors import DrafterError
from drafter.sources import MAX_BYTES, Source, iter_sources, read_source

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "002_b3a6ed34412a072f.txt"
EXTRA = ROOT.parent / "shared" / "corpus-extra"


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8").replace("\r\n", "\n")


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _encodable(c: str, codec: str) -> bool:
    try:
        c.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


# ---------------------------------------------------------------------------------------------
# plain text and encodings


@pytest.mark.parametrize(
    ("codec", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("gb18030", b"", "gb18030"),
        ("gbk", b"", "gb18030"),
        ("utf-16-le", b"\xff\xfe", "utf-16-le"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be"),
        ("utf-16-le", b"", "utf-16-le"),
        ("utf-16-be", b"", "utf-16-be"),
    ],
)
def test_each_encoding_reads_back_the_same_text(tmp_path: Path, seed_text: str, codec: str, prefix: bytes, expected: str) -> None:
    text = "".join(c for c in seed_text if _encodable(c, codec))  # GBK lacks the no-break space
    src = read_source(_write(tmp_path / "讲话.txt", prefix + text.encode(codec)))
    assert src.text == text
    assert src.encoding == expected
    assert not src.text.startswith("\ufeff")
    assert src.kind == "txt" and src.name == "讲话.txt"


def test_pure_chinese_utf16_without_ascii_is_detected(tmp_path: Path) -> None:
    # No ASCII at all means no NUL bytes to hint at UTF-16.
    text = "守初心，为群众办实事。勇担当，狠抓服务质量。敢作为，创新工作思路。"
    src = read_source(_write(tmp_path / "a.txt", text.encode("utf-16-le")))
    assert src.text == text


def test_big5_traditional_text_is_not_misread_as_gb(tmp_path: Path) -> None:
    orig = EXTRA / "cpc_congress_01_02_廣州共產黨報告_一大.txt"
    if not orig.exists():
        pytest.skip("corpus-extra not present")
    text = "".join(c for c in orig.read_text(encoding="utf-8")[:2000] if _encodable(c, "big5"))
    src = read_source(_write(tmp_path / "big5.txt", text.encode("big5")))
    assert src.text == text


@pytest.mark.parametrize("codec", ["utf-8", "gb18030"])
def test_file_cut_mid_character_is_still_read(tmp_path: Path, seed_text: str, codec: str) -> None:
    raw = (seed_text + "贡献力量").encode(codec)
    src = read_source(_write(tmp_path / "cut.txt", raw[:-1]))  # an interrupted download
    assert src.text == seed_text + "贡献力"
    assert src.encoding == codec


def test_line_endings_become_newlines(tmp_path: Path) -> None:
    raw = "同志们：\r\n今天，我们召开会议。\r下面，我讲几点意见：\n第一，要把……树得更牢".encode("gb18030")
    src = read_source(_write(tmp_path / "a.txt", raw))
    assert src.text == "同志们：\n今天，我们召开会议。\n下面，我讲几点意见：\n第一，要把……树得更牢"


def test_markdown_is_read_as_text(tmp_path: Path, seed_text: str) -> None:
    text = "".join(c for c in seed_text if _encodable(c, "gb18030"))
    src = read_source(_write(tmp_path / "笔记.md", text.encode("gb18030")))
    assert src.kind == "md" and src.text == text


def test_stray_nul_bytes_are_dropped(tmp_path: Path, seed_text: str) -> None:
    raw = bytearray(seed_text.encode("gb18030"))
    for pos in (400, 1200, 3000):  # ASCII positions are safe insertion points
        while raw[pos] >= 0x80:
            pos += 1
        raw[pos:pos] = b"\x00"
    raw += b"\x00" * 4096  # an editor that crashed while saving pads the end with NULs
    src = read_source(_write(tmp_path / "a.txt", bytes(raw)))
    assert src.text == seed_text
    assert src.encoding == "gb18030"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(3000),
        random.Random(2).randbytes(3000),
        bytes(range(32)) * 100,
    ],
    ids=["png", "random", "controls"],
)
def test_binary_renamed_txt_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(DrafterError) as exc:
        read_source(_write(tmp_path / "图片.txt", data))
    assert "图片.txt" in exc.value.message
    assert "\n" not in exc.value.message


@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n", "\u3000\u3000\n".encode("gb18030"), b"\xef\xbb\xbf\n"])
def test_empty_file_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(DrafterError, match="文件是空的"):
        read_source(_write(tmp_path / "空.txt", data))


def test_missing_path_and_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(DrafterError, match="路径不存在"):
        list(iter_sources([tmp_path / "没有.txt"]))
    with pytest.raises(DrafterError, match=r"另存为 \.docx"):
        read_source(_write(tmp_path / "旧稿.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)))


def test_oversize_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_BYTES == 50 * 1024 * 1024
    monkeypatch.setattr(sources, "MAX_BYTES", 1024 * 1024)
    path = tmp_path / "大文件.txt"
    with open(path, "wb") as fh:
        fh.truncate(3 * 1024 * 1024)  # sparse: nothing is written, and nothing may be read

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr("builtins.open", no_open)
    with pytest.raises(DrafterError) as exc:
        read_source(path)
    assert "大文件.txt" in exc.value.message and "1 MB" in exc.value.message and "3 MB" in exc.value.message


# ---------------------------------------------------------------------------------------------
# .docx


def _make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph("在全市外事工作会议上的讲话")
    d.add_paragraph("")
    d.add_paragraph("同志们：")
    table = d.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "时间"
    table.cell(0, 1).text = "内容"
    table.cell(0, 2).text = "责任单位"
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "全年推进国际交往中心功能建设"
    table.cell(1, 2).paragraphs[0].add_run("市外办")
    table.cell(1, 2).add_paragraph("各区政府")
    p = d.add_paragraph("下面，我讲几点意见：")
    p.add_run("第一，要把以习近平外交思想为指导树得更牢")
    d.add_paragraph("同志们，让我们为首都发展作出新的更大贡献！")
    d.save(path)
    return path


def test_docx_paragraphs_and_table_in_document_order(tmp_path: Path) -> None:
    src = read_source(_make_docx(tmp_path / "讲话.docx"))
    assert src.kind == "docx"
    assert src.text.split("\n") == [
        "在全市外事工作会议上的讲话",
        "同志们：",
        "时间",
        "内容",
        "责任单位",
        "全年推进国际交往中心功能建设",  # a merged cell is read once
        "市外办",
        "各区政府",
        "下面，我讲几点意见：第一，要把以习近平外交思想为指导树得更牢",
        "同志们，让我们为首都发展作出新的更大贡献！",
    ]


def test_docx_tracked_insertions_are_read_and_deletions_are_not(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    d.element.body.insert(
        0,
        parse_xml(
            f'<w:p {w}><w:r><w:t>坚定</w:t></w:r><w:del w:id="1" w:author="a"><w:r><w:delText>坚决</w:delText></w:r></w:del>'
            f'<w:ins w:id="2" w:author="a"><w:r><w:t>维护党中央权威</w:t></w:r></w:ins></w:p>'
        ),
    )
    d.save(tmp_path / "修订.docx")
    assert read_source(tmp_path / "修订.docx").text == "坚定维护党中央权威"


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        _zip_bytes({"readme.txt": b"hello", "img/a.png": b"\x89PNG"}),
        _zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<not xml"}),
        random.Random(3).randbytes(2000),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000),
    ],
    ids=["zip-of-other-things", "broken-word-zip", "random-bytes", "old-doc"],
)
def test_bad_docx_is_refused_with_the_fix(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(DrafterError) as exc:
        read_source(_write(tmp_path / "坏文件.docx", data))
    msg = exc.value.message
    assert "坏文件.docx" in msg and "另存为 .docx" in msg and "\n" not in msg


# ---------------------------------------------------------------------------------------------
# .pdf


def test_page_numbers_and_running_heads_are_stripped(seed_text: str) -> None:
    body = [ln.strip() for ln in seed_text.split("\n") if len(ln.strip()) > 30]
    footers = ["1", "- 2 -", "— 3 —", "第4页", "第 5 页 共 6 页", "6/6", "Page 7 of 7"]
    pages, expected = [], []
    for i, foot in enumerate(footers):
        lines = body[3 * i : 3 * i + 3]
        lines.insert(1, "2023")  # a number alone inside the page is content, not a page number
        expected.append(lines)
        top = [f"机关工作通讯 2023年第{i + 7}期", "中共某某市委机关事务管理局"] if i else []  # no head on the title page
        pages.append(top + lines + [foot])
    assert sources._strip_page_furniture(pages) == expected


def test_only_lines_repeated_at_the_same_edge_of_most_pages_are_removed() -> None:
    pages = [
        ["关于加强机关作风建设的意见", "一是加强学习", "二是狠抓落实", "三是严守纪律", "结尾一"],
        ["总体要求", "一是加强学习", "二是狠抓落实", "结尾二"],
        ["工作措施", "二是狠抓落实", "机关工作通讯", "结尾三"],
        ["保障措施", "其他内容", "机关工作通讯", "结尾四"],
        ["附件", "再一行", "机关工作通讯", "结尾五"],
    ]
    out = sources._strip_page_furniture(pages)
    # "一是加强学习" tops only 2 of 5 pages and "二是狠抓落实" is mostly mid-page: both stay;
    # "机关工作通讯" closes 3 of 5 pages: a running foot.
    assert out == [
        pages[0],
        pages[1],
        ["工作措施", "二是狠抓落实", "结尾三"],
        ["保障措施", "其他内容", "结尾四"],
        ["附件", "再一行", "结尾五"],
    ]


@pytest.fixture(scope="module")
def canvas_cls() -> Any:
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return canvas.Canvas


def _make_pdf(path: Path, canvas_cls: Any, pages: list[list[str]], header: str = "", numbers: bool = True) -> Path:
    """A PDF with a real Chinese text layer, laid out like an exported speech."""
    c = canvas_cls(str(path))
    for i, lines in enumerate(pages):
        if header:
            c.setFont("STSong-Light", 9)
            c.drawString(72, 805, header)
        c.setFont("STSong-Light", 12)
        y = 760
        for line in lines:
            c.drawString(72, y, line)
            y -= 20
        if numbers:
            c.drawString(290, 40, f"— {i + 1} —")
        c.showPage()
    c.save()
    return path


def test_pdf_text_layer_with_chinese(tmp_path: Path, seed_text: str, canvas_cls: Any) -> None:
    paras = [p.strip() for p in seed_text.split("\n") if len(p.strip()) > 60][:9]
    wrapped = [[p[k : k + 28] for k in range(0, 84, 28)] for p in paras]  # hard-wrapped like exported PDFs
    pages = [sum(wrapped[k : k + 3], []) for k in range(0, 9, 3)]
    src = read_source(_make_pdf(tmp_path / "讲话.pdf", canvas_cls, pages, header="北京市人民政府外事办公室"))
    assert src.kind == "pdf" and src.encoding == "pdf"
    assert [pg.split("\n") for pg in src.text.split("\n\n")] == pages  # head and numbers gone, lines kept


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    w.encrypt(user_password="mima", owner_password="owner", algorithm="RC4-128")
    with open(tmp_path / "加密.pdf", "wb") as fh:
        w.write(fh)
    with pytest.raises(DrafterError) as exc:
        read_source(tmp_path / "加密.pdf")
    assert "加密.pdf" in exc.value.message and "密码" in exc.value.message


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path, canvas_cls: Any) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = _make_pdf(tmp_path / "plain.pdf", canvas_cls, [["守初心，为群众办实事"]], numbers=False)
    w = PdfWriter(clone_from=PdfReader(plain))
    w.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")  # a "no copying" PDF
    with open(tmp_path / "限制.pdf", "wb") as fh:
        w.write(fh)
    assert read_source(tmp_path / "限制.pdf").text == "守初心，为群众办实事"


def test_image_only_pdf_is_refused_with_ocr_hint(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(2):
        w.add_blank_page(width=595, height=842)
    with open(tmp_path / "扫描件.pdf", "wb") as fh:
        w.write(fh)
    with pytest.raises(DrafterError) as exc:
        read_source(tmp_path / "扫描件.pdf")
    assert "扫描件.pdf" in exc.value.message and "OCR" in exc.value.message


def test_not_a_pdf_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DrafterError, match="不是有效的 PDF"):
        read_source(_write(tmp_path / "坏.pdf", random.Random(4).randbytes(5000)))


# ---------------------------------------------------------------------------------------------
# folders


def test_folder_is_read_recursively_in_sorted_order(tmp_path: Path, seed_text: str) -> None:
    text = seed_text.encode("utf-8")
    for rel in ["b/2.txt", "a.txt", "b/1.md", "a/z.txt", "c.TXT", ".hidden/x.txt", "b/.secret.txt", "~$讲话.docx", "图片.png"]:
        _write(tmp_path / rel, text)
    _write(tmp_path / "旧稿.doc", b"\xd0\xcf\x11\xe0")
    skipped: list[tuple[Path, str]] = []
    names = [s.name for s in iter_sources([tmp_path], on_skip=lambda p, m: skipped.append((p, m)))]
    assert names == ["a.txt", "a/z.txt", "b/1.md", "b/2.txt", "c.TXT"]
    assert [p.name for p, _ in skipped] == ["旧稿.doc"]
    assert "另存为 .docx" in skipped[0][1]


def test_symlink_loop_does_not_hang(tmp_path: Path, seed_text: str) -> None:
    _write(tmp_path / "top" / "sub" / "a.txt", seed_text.encode("utf-8"))
    os.symlink(tmp_path / "top", tmp_path / "top" / "sub" / "loop")
    os.symlink(tmp_path / "top" / "sub", tmp_path / "top" / "again")
    names = [s.name for s in iter_sources([tmp_path / "top"])]
    assert len(names) == 1 and names[0].endswith("a.txt")


def test_unreadable_files_are_skipped_and_the_rest_read(tmp_path: Path, seed_text: str) -> None:
    _write(tmp_path / "1.txt", seed_text.encode("utf-8"))
    _write(tmp_path / "2.txt", b"")
    _write(tmp_path / "3.docx", b"not a word file")
    _write(tmp_path / "4.txt", seed_text.encode("utf-8"))
    skipped: list[str] = []
    got = list(iter_sources([tmp_path], on_skip=lambda p, m: skipped.append(m)))
    assert [s.name for s in got] == ["1.txt", "4.txt"]
    assert len(skipped) == 2 and "2.txt" in skipped[0] and "3.docx" in skipped[1]
    with pytest.raises(DrafterError, match="文件是空的"):  # without on_skip the first problem is raised
        list(iter_sources([tmp_path]))


def test_folder_where_nothing_is_readable_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "材料" / "说明.png", b"\x89PNG")
    _write(tmp_path / "材料" / "空.txt", b"")
    skipped: list[str] = []
    with pytest.raises(DrafterError) as exc:
        list(iter_sources([tmp_path / "材料"], on_skip=lambda p, m: skipped.append(m)))
    msg = exc.value.message
    assert "材料" in msg and ".txt" in msg and ".docx" in msg and ".pdf" in msg
    assert len(skipped) == 1 and "空.txt" in skipped[0]


def test_unreadable_subfolder_is_reported(tmp_path: Path, seed_text: str) -> None:
    _write(tmp_path / "ok" / "a.txt", seed_text.encode("utf-8"))
    _write(tmp_path / "locked" / "b.txt", seed_text.encode("utf-8"))
    os.chmod(tmp_path / "locked", 0)
    try:
        if os.access(tmp_path / "locked", os.R_OK):
            pytest.skip("chmod does not stop this user (root)")
        skipped: list[tuple[Path, str]] = []
        names = [s.name for s in iter_sources([tmp_path], on_skip=lambda p, m: skipped.append((p, m)))]
        assert names == ["ok/a.txt"]
        assert skipped and "locked" in skipped[0][1]
    finally:
        os.chmod(tmp_path / "locked", 0o755)


def test_subfolder_that_fails_to_list_is_reported(tmp_path: Path, seed_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs even as root: listing one folder fails exactly as a permission error does.
    _write(tmp_path / "ok" / "a.txt", seed_text.encode("utf-8"))
    _write(tmp_path / "locked" / "b.txt", seed_text.encode("utf-8"))
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    skipped: list[tuple[Path, str]] = []
    names = [s.name for s in iter_sources([tmp_path], on_skip=lambda p, m: skipped.append((p, m)))]
    assert names == ["ok/a.txt"]
    assert len(skipped) == 1 and "locked" in skipped[0][1] and "权限" in skipped[0][1]


def test_file_names_that_are_not_utf8(tmp_path: Path, seed_text: str) -> None:
    base = os.fsencode(tmp_path)
    for raw_name in ("讲话稿.txt".encode("gbk"), b"\xff\xfe\x80.txt"):
        with open(os.path.join(base, raw_name), "wb") as fh:
            fh.write(seed_text.encode("utf-8"))
    got = list(iter_sources([tmp_path]))
    names = sorted(s.name for s in got)
    assert "讲话稿.txt" in names  # a GBK name from a Windows zip is shown as Chinese
    assert any("\ufffd" in n for n in names)
    for n in names:
        n.encode("utf-8")  # printable and savable
    assert all(s.text == seed_text for s in got)
    # the real path still opens the file
    assert all(s.path.exists() for s in got)


def test_source_keeps_its_interface(tmp_path: Path, seed_text: str) -> None:
    src = read_source(_write(tmp_path / "a.txt", seed_text.encode("utf-8")), name="sub/a.txt")
    assert isinstance(src, Source) and src.name == "sub/a.txt" and src.path == tmp_path / "a.txt"
    with pytest.raises(AttributeError):
        src.text = ""  # type: ignore[misc]
