"""Hostile and odd input files, each through the CLI: a message naming the file, never a traceback.

Every bad file named directly gives exit 1 and one line naming it; inside a corpus folder the same
file is skipped with a ``提示：`` line and the good files are still mined and drafted from.
"""

from __future__ import annotations

import errno
import io
import json
import os
import random
import zipfile
from pathlib import Path

import pytest

from drafter import sources
from tests.robustness.conftest import assert_one_error, chinese_text, snapshot

GOOD = "坚持以人民为中心的发展思想，扎实推进各项工作落到实处。"


def _write(folder: Path, name: str | bytes, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(name, bytes):
        path = os.path.join(os.fsencode(folder), name)
        with open(path, "wb") as f:
            f.write(data)
        return Path(os.fsdecode(path))
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def _pdf_text(text: str = "Official text for the meeting") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(_pdf_text()))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_only_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFillColorRGB(0.2, 0.3, 0.8)
    c.rect(72, 400, 300, 200, fill=1)
    c.circle(300, 300, 50, fill=1)
    c.showPage()
    c.save()
    return buf.getvalue()


def zip_of_something_else() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photos/readme.txt", "not a word document")
        zf.writestr("photos/a.jpg", b"\xff\xd8\xff" + bytes(200))
    return buf.getvalue()


def binary_bytes() -> bytes:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(20000))


#: name -> (bytes, words the one-line error must contain besides the file name)
BAD_FILES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "empty.txt": (b"", ("空",)),
    "blank.md": (" \n\u3000\n\t\n".encode(), ("空",)),
    "binary.txt": (binary_bytes(), ()),
    "nul_heavy.txt": (b"\x00a\x00\x01b" * 4000, ("二进制",)),
    "picture.txt": (b"\x89PNG\r\n\x1a\n" + bytes(100), ("PNG",)),
    "fake.docx": (zip_of_something_else(), ("Word",)),
    "not_zip.docx": ("这是一段纯文本，不是 Word 文件。".encode(), ("Word",)),
    "locked.pdf": (encrypted_pdf(), ("密码",)),
    "scan.pdf": (image_only_pdf(), ("文字层",)),
    "broken.pdf": (b"%PDF-1.4\n" + binary_bytes()[:3000], ("PDF",)),
}


@pytest.mark.parametrize("command", ["clean", "outline"])
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_named_directly(drafter, tmp_path, name, command):
    data, words = BAD_FILES[name]
    path = _write(tmp_path / "in", name, data)
    r = drafter(command, path)
    assert_one_error(r, 1, name, *words)
    assert r.out == ""


@pytest.fixture
def hostile_corpus(tmp_path: Path) -> Path:
    """A folder holding every bad file above, plus good texts in three encodings and odd names."""
    folder = tmp_path / "hostile"
    for name, (data, _w) in BAD_FILES.items():
        _write(folder, name, data)
    _write(folder, "utf8.txt", ("关于青年工作的讲话\n\n" + chinese_text(3000, seed=1)).encode("utf-8"))
    _write(folder, "gbk.txt", ("外事工作会议上的讲话\n\n" + chinese_text(3000, seed=2)).encode("gb18030"))
    _write(folder, "utf16.txt", ("机关党建工作的思考\n\n" + chinese_text(3000, seed=3)).encode("utf-16"))
    _write(folder, "sub/nuls.txt", ("基层治理心得体会\n\n" + chinese_text(1500, seed=4)).encode("utf-8").replace("。".encode(), "。\x00".encode(), 5))
    _write(folder, b"\xb9\xa4\xd7\xf7\xbb\xe3\xb1\xa8.txt", ("工作汇报\n\n" + chinese_text(1500, seed=5)).encode("gb18030"))
    _write(folder, b"bad\xff\xfename.txt", ("科技创新推进会\n\n" + chinese_text(1500, seed=6)).encode("utf-8"))
    _write(folder, "oneline.txt", chinese_text(1024 * 1024 // 3, seed=8, para_every=None).encode("utf-8"))
    os.symlink(folder, folder / "sub" / "loop")  # a link back to an ancestor
    os.symlink("self.txt", folder / "self.txt")  # a link to itself
    os.symlink("missing.txt", folder / "dangling.txt")
    return folder


def test_hostile_folder_clean_keeps_good_text_and_names_every_skip(drafter, hostile_corpus):
    r = drafter("clean", "--format", "json", hostile_corpus)
    assert r.code == 0, r.err
    assert "Traceback" not in r.err
    assert not r.errors, r.err  # only hints
    docs = {d["file"]: d for d in json.loads(r.out)}
    for name in BAD_FILES:
        assert name not in docs
        assert any(name in ln for ln in r.err.splitlines()), name
    assert any("self.txt" in ln for ln in r.err.splitlines())
    # decoded correctly whatever the encoding, NULs gone, undecodable names printable
    expected = {"utf8.txt": 1, "gbk.txt": 2, "utf16.txt": 3, "sub/nuls.txt": 4, "工作汇报.txt": 5}
    for name, seed in expected.items():
        text = "".join(p for a in docs[name]["articles"] for p in a["paragraphs"])
        first = chinese_text(3000, seed=seed).split("。")[0]
        assert first in text, name
        assert "\x00" not in text and "\ufffd" not in text
    odd = [n for n in docs if n.startswith("bad") and n.endswith("name.txt")]
    assert len(odd) == 1
    # the single 1 MB line is split into paragraphs and nothing is lost
    para = docs["oneline.txt"]["articles"]
    total = sum(len(p) for a in para for p in a["paragraphs"])
    assert total >= 0.95 * len(chinese_text(1024 * 1024 // 3, seed=8, para_every=None))
    assert max(len(p) for a in para for p in a["paragraphs"]) <= 2000
    # the symlink loop did not duplicate anything
    assert not any("loop/" in n for n in docs)


def test_hostile_folder_mine_and_new_never_write_into_corpus(drafter, hostile_corpus, env):
    before = snapshot(hostile_corpus)
    r = drafter("mine", "--corpus", hostile_corpus, "--format", "json", "-j", "2")
    assert r.code == 0, r.err
    assert not r.errors, r.err
    summary = json.loads(r.out)
    assert summary["files"] >= 7
    for name in BAD_FILES:
        assert any(name in ln for ln in r.err.splitlines()), name
    r = drafter("new", "--corpus", hostile_corpus, "--theme", "青年", "--seed", "3", "--format", "json")
    assert r.code == 0, r.err
    assert not r.errors, r.err
    draft = json.loads(r.out)
    assert draft["sections"]
    assert snapshot(hostile_corpus) == before


def test_mixed_encodings_give_identical_articles(drafter, tmp_path):
    text = "关于机关作风建设的讲话\n\n" + chinese_text(2000, seed=11)
    outs = []
    for enc in ("utf-8", "gb18030", "utf-16", "utf-8-sig", "utf-16-be"):
        data = text.encode(enc) if enc != "utf-16-be" else b"\xfe\xff" + text.encode("utf-16-be")
        p = _write(tmp_path / enc, "a.txt", data)
        r = drafter("clean", "--format", "json", p)
        assert r.code == 0, (enc, r.err)
        outs.append(json.loads(r.out)["articles"])
    assert all(o == outs[0] for o in outs)


def test_file_over_size_limit_is_refused_without_reading(drafter, tmp_path, monkeypatch):
    big = tmp_path / "in" / "huge.txt"
    big.parent.mkdir()
    with open(big, "wb") as f:  # sparse: takes no disk space
        f.truncate(sources.MAX_BYTES + 1)

    real_open = open

    def guarded_open(file, *a, **k):
        assert os.fspath(file) != str(big), "an oversized file must not be opened"
        return real_open(file, *a, **k)

    monkeypatch.setattr(sources, "open", guarded_open, raising=False)
    r = drafter("clean", big)
    assert_one_error(r, 1, "huge.txt", "上限")
    _write(big.parent, "ok.txt", ("青年工作会议上的讲话\n\n" + chinese_text(2000, seed=1)).encode())
    r = drafter("mine", "--corpus", big.parent, "--format", "json")
    assert r.code == 0, r.err
    assert not r.errors, r.err
    assert any("huge.txt" in ln and "上限" in ln for ln in r.err.splitlines() if ln.startswith("提示："))
    assert json.loads(r.out)["articles"] >= 1


def test_mine_refuses_folder_without_any_readable_text(drafter, tmp_path):
    folder = tmp_path / "c"
    _write(folder, "empty.txt", b"")
    _write(folder, "picture.txt", b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert_one_error(drafter("clean", folder), 1, str(folder))
    r = drafter("mine", "--corpus", folder)
    assert_one_error(r, 1, str(folder), "没有可读的文本")


def test_size_limit_applies_to_real_content(drafter, tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_BYTES", 4096)
    folder = tmp_path / "c"
    _write(folder, "big.txt", chinese_text(3000, seed=1).encode("utf-8"))
    _write(folder, "small.txt", ("小文件\n\n" + chinese_text(600, seed=2)).encode("utf-8"))
    _write(folder, "big.docx", zip_of_something_else() + bytes(5000))
    r = drafter("clean", "--format", "json", folder)
    assert r.code == 0, r.err
    assert [d["file"] for d in [json.loads(r.out)]] == ["small.txt"]
    hints = [ln for ln in r.err.splitlines() if ln.startswith("提示：")]
    assert any("big.txt" in h and "上限" in h for h in hints)
    assert any("big.docx" in h and "上限" in h for h in hints)


def test_unreadable_subfolder_and_file_are_skipped_with_a_hint(drafter, tmp_path, monkeypatch):
    folder = tmp_path / "c"
    _write(folder, "ok.txt", ("可读的文章\n\n" + chinese_text(800, seed=1)).encode())
    _write(folder, "locked/inner.txt", ("锁住的文章\n\n" + chinese_text(800, seed=2)).encode())
    _write(folder, "secret.txt", ("没有权限的文章\n\n" + chinese_text(800, seed=3)).encode())
    real_scandir, real_open = os.scandir, open
    locked, secret = str(folder / "locked"), str(folder / "secret.txt")

    def scandir(path="."):
        if os.fspath(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", locked)
        return real_scandir(path)

    def fake_open(file, *a, **k):
        if os.fspath(file) == secret:
            raise PermissionError(errno.EACCES, "Permission denied", secret)
        return real_open(file, *a, **k)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(sources, "open", fake_open, raising=False)
    r = drafter("clean", "--format", "json", folder)
    assert r.code == 0, r.err
    assert json.loads(r.out)["file"] == "ok.txt"
    hints = [ln for ln in r.err.splitlines() if ln.startswith("提示：")]
    assert any("locked" in h and "权限" in h for h in hints), r.err
    assert any("secret.txt" in h and "权限" in h for h in hints), r.err
    r = drafter("clean", folder / "secret.txt")
    assert_one_error(r, 1, "secret.txt", "权限")


def test_file_name_with_line_break_stays_one_line(drafter, tmp_path):
    p = _write(tmp_path / "in", "坏\n名字.txt", b"")
    r = drafter("clean", p)
    assert_one_error(r, 1, "名字.txt", "空")


def test_hint_for_file_name_with_line_break_stays_one_line(drafter, tmp_path):
    folder = tmp_path / "c"
    _write(folder, "ok.txt", ("可读的文章\n\n" + chinese_text(800, seed=1)).encode())
    _write(folder, "坏\n名字.txt", b"")
    r = drafter("clean", folder)
    assert r.code == 0
    assert not r.errors, r.err


def test_read_only_corpus_is_left_alone_and_cache_elsewhere(drafter, env, tmp_path, monkeypatch):
    """A corpus on a read-only filesystem: any attempt to write inside it fails with EROFS."""
    corpus = tmp_path / "ro"
    _write(corpus, "a.txt", ("青年工作会议上的讲话\n\n" + chinese_text(2500, seed=1)).encode())
    _write(corpus, "b.txt", ("外事工作会议上的讲话\n\n" + chinese_text(2500, seed=2)).encode())
    before = snapshot(corpus)
    root = str(corpus.resolve())
    real_open, real_mkdir, real_replace = os.open, os.mkdir, os.replace

    def inside(p) -> bool:
        p = os.path.abspath(os.fsdecode(p))
        return p == root or p.startswith(root + os.sep)

    def ro_open(path, flags, *a, **k):
        if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
        return real_open(path, flags, *a, **k)

    def ro_mkdir(path, *a, **k):
        if inside(path):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
        return real_mkdir(path, *a, **k)

    def ro_replace(src, dst, *a, **k):
        if inside(dst):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(dst))
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "open", ro_open)
    monkeypatch.setattr(os, "mkdir", ro_mkdir)
    monkeypatch.setattr(os, "replace", ro_replace)
    r = drafter("mine", "--corpus", corpus, "-j", "1")
    assert r.code == 0, r.err
    r = drafter("new", "--corpus", corpus, "--theme", "外事", "--seed", "1")
    assert r.code == 0, r.err
    assert snapshot(corpus) == before
    assert any(env.cache.iterdir())


def test_read_only_cache_location_is_one_line(drafter, env, small_corpus, monkeypatch):
    real_mkdir = os.mkdir
    cache = str(env.cache)

    def ro_mkdir(path, *a, **k):
        if os.fsdecode(path).startswith(cache):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
        return real_mkdir(path, *a, **k)

    monkeypatch.setattr(os, "mkdir", ro_mkdir)
    r = drafter("mine", "--corpus", small_corpus)
    assert_one_error(r, 1, cache)
    r = drafter("new", "--corpus", small_corpus, "--theme", "青年")
    assert_one_error(r, 1, cache)


def test_size_message_for_file_just_over_limit_is_not_contradictory(drafter, tmp_path):
    big = tmp_path / "huge.txt"
    with open(big, "wb") as f:
        f.truncate(sources.MAX_BYTES + 1)
    line = assert_one_error(drafter("clean", big), 1, "huge.txt")
    assert "文件有 50 MB，超过 50 MB" not in line
