"""The hand-edited phrase banks: format, byte-for-byte preservation, merging, concurrency, location."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from drafter import banks
from drafter.banks import (
    CATEGORIES,
    DELETED_MARK,
    UserEntry,
    add_entry,
    added,
    bank_category,
    bank_file,
    banks_dir,
    read_banks,
    remove_entry,
    removed_texts,
)
from drafter.errors import DrafterError, UsageError
from drafter.paths import shipped_corpus


@pytest.fixture
def bdir(tmp_path: Path) -> Path:
    return tmp_path / "banks"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


# --- categories ----------------------------------------------------------------------------------


def test_category_aliases_and_unknown() -> None:
    pairs = zip(
        ["idiom", "slogan", "quote", "opener", "transition", "closer", "sentence"], CATEGORIES, strict=True
    )
    for english, chinese in pairs:
        assert bank_category(english) == chinese
        assert bank_category(english.upper()) == chinese
        assert bank_category(chinese) == chinese
    with pytest.raises(UsageError) as info:
        bank_category("成语库")
    assert "成语库" in info.value.message
    assert all(c in info.value.message for c in CATEGORIES)
    assert "idiom" in info.value.message


def test_unknown_category_in_add(bdir: Path) -> None:
    with pytest.raises(UsageError):
        add_entry(bdir, "proverb", "砥砺奋进")
    assert not bdir.exists()


# --- add / read ----------------------------------------------------------------------------------


def test_add_then_read_has_line_source(bdir: Path) -> None:
    entry, changed = add_entry(bdir, "idiom", "踔厉奋发")
    assert changed
    assert entry == UserEntry("四字格", "踔厉奋发", (), "", "banks/四字格.txt#2", False)
    path = bank_file(bdir, "四字格")
    assert path == bdir / "四字格.txt"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        "# drafter 词库：四字格（每行一条；# 开头为注释；行首 - 表示删除挖掘出的条目；行尾 @主题 限定主题）\n"
    )
    assert text.endswith("踔厉奋发\n")
    assert read_banks(bdir) == [entry]
    entry2, _ = add_entry(bdir, "四字格", "笃行不怠")
    assert entry2.source == "banks/四字格.txt#3"
    assert [e.source for e in read_banks(bdir)] == ["banks/四字格.txt#2", "banks/四字格.txt#3"]


def test_source_uses_the_folder_name(tmp_path: Path) -> None:
    folder = tmp_path / "我的词库"
    entry, _ = add_entry(folder, "opener", "今天，我们召开这次会议")
    assert entry.source == "我的词库/开头.txt#2"
    assert read_banks(folder)[0].source == "我的词库/开头.txt#2"


def test_adding_twice_is_a_no_op(bdir: Path) -> None:
    first, changed1 = add_entry(bdir, "四字格", "守正笃实", ["外事", "青年"])
    before = bank_file(bdir, "四字格").read_bytes()
    again, changed2 = add_entry(bdir, "四字格", "  守正笃实 ", ["青年", "外事"])
    assert changed1 and not changed2
    assert again == first
    assert bank_file(bdir, "四字格").read_bytes() == before


def test_missing_folder_reads_empty(tmp_path: Path) -> None:
    assert read_banks(tmp_path / "nowhere") == []


def test_other_files_in_folder_are_ignored(bdir: Path) -> None:
    bdir.mkdir()
    (bdir / "笔记.txt").write_text("不是词库\n", encoding="utf-8")
    (bdir / "idiom.txt").write_text("也不是\n", encoding="utf-8")
    assert read_banks(bdir) == []


def test_undecodable_file_names_it(bdir: Path) -> None:
    bdir.mkdir()
    path = bdir / "提法.txt"
    path.write_bytes("四个意识\n".encode("gb18030"))
    with pytest.raises(DrafterError) as info:
        read_banks(bdir)
    assert str(path) in info.value.message and "UTF-8" in info.value.message
    with pytest.raises(DrafterError):
        add_entry(bdir, "提法", "两个维护")
    assert path.read_bytes() == "四个意识\n".encode("gb18030")


# --- format --------------------------------------------------------------------------------------


def test_format_comments_blanks_removals_themes_and_junk(bdir: Path) -> None:
    bdir.mkdir()
    bank_file(bdir, "四字格").write_text(
        "# 我的四字格\n"
        "\n"
        "砥砺前行\n"
        "- 砥砺奋进\n"
        "-攻坚克难\n"
        "－久久为功\n"
        "守正笃实 @外事 @青年\n"
        "行稳致远＠外事\n"
        "-\n"
        "@党建\n"
        "   \n"
        "＃全角注释\n",
        encoding="utf-8",
    )
    entries = read_banks(bdir)
    assert [(e.text, e.themes, e.removed, e.source) for e in entries] == [
        ("砥砺前行", (), False, "banks/四字格.txt#3"),
        ("砥砺奋进", (), True, "banks/四字格.txt#4"),
        ("攻坚克难", (), True, "banks/四字格.txt#5"),
        ("久久为功", (), True, "banks/四字格.txt#6"),
        ("守正笃实", ("外事", "青年"), False, "banks/四字格.txt#7"),
        ("行稳致远", ("外事",), False, "banks/四字格.txt#8"),
    ]
    assert removed_texts(entries, "idiom") == {"砥砺奋进", "攻坚克难", "久久为功"}
    assert [e.text for e in added(entries, "四字格")] == ["砥砺前行", "守正笃实", "行稳致远"]
    assert [e.text for e in added(entries, "四字格", theme="外事")] == ["砥砺前行", "守正笃实", "行稳致远"]
    assert [e.text for e in added(entries, "四字格", theme="青年")] == ["砥砺前行", "守正笃实"]
    assert [e.text for e in added(entries, "四字格", theme="党建")] == ["砥砺前行"]
    assert added(entries, "提法") == [] and removed_texts(entries, "提法") == set()


def test_quote_speaker_lines(bdir: Path) -> None:
    bdir.mkdir()
    bank_file(bdir, "quote").write_text(
        "习近平｜青年兴则国家兴，青年强则国家强 @青年\n毛泽东|星星之火，可以燎原\n｜无人署名的话\n没有说话人的引文\n",
        encoding="utf-8",
    )
    got = [(e.speaker, e.text, e.themes) for e in read_banks(bdir)]
    assert got == [
        ("习近平", "青年兴则国家兴，青年强则国家强", ("青年",)),
        ("毛泽东", "星星之火，可以燎原", ()),
        ("", "无人署名的话", ()),
        ("", "没有说话人的引文", ()),
    ]
    # A bar means nothing special outside 引语.
    bank_file(bdir, "提法").write_text("甲｜乙\n", encoding="utf-8")
    assert [(e.speaker, e.text) for e in read_banks(bdir) if e.category == "提法"] == [("", "甲｜乙")]


def test_add_quote_with_speaker(bdir: Path) -> None:
    e1, _ = add_entry(bdir, "引语", "习近平｜青年兴则国家兴")
    e2, _ = add_entry(bdir, "quote", "青年强则国家强", themes=["青年"], speaker="习近平")
    assert (e1.speaker, e1.text) == ("习近平", "青年兴则国家兴")
    assert (e2.speaker, e2.text, e2.themes) == ("习近平", "青年强则国家强", ("青年",))
    assert read_banks(bdir) == [e1, e2]
    assert (
        bank_file(bdir, "引语")
        .read_text(encoding="utf-8")
        .endswith("习近平｜青年兴则国家兴\n习近平｜青年强则国家强 @青年\n")
    )
    # The same quote without naming the speaker is already there.
    _, changed = add_entry(bdir, "引语", "青年兴则国家兴")
    assert not changed
    with pytest.raises(UsageError):
        add_entry(bdir, "四字格", "砥砺奋进", speaker="某人")


def test_last_line_wins(bdir: Path) -> None:
    add_entry(bdir, "四字格", "埋头苦干")
    remove_entry(bdir, "四字格", "埋头苦干")  # hand line: commented out
    remove_entry(bdir, "四字格", "埋头苦干")  # now treated as mined: -line
    entries = read_banks(bdir)
    assert removed_texts(entries, "四字格") == {"埋头苦干"} and added(entries, "四字格") == []
    entry, changed = add_entry(bdir, "四字格", "埋头苦干")
    assert changed and not entry.removed
    entries = read_banks(bdir)
    assert removed_texts(entries, "四字格") == set()
    assert [e.source for e in added(entries, "四字格")] == [entry.source]
    text = bank_file(bdir, "四字格").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == [f"{DELETED_MARK}埋头苦干", "-埋头苦干", "埋头苦干"]


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "两行\n文字", "回车\r文字", "#注释", "＃注释", "-砥砺奋进", "长" * 201, "好好学习 @外事"],
)
def test_text_validation(bdir: Path, bad: str) -> None:
    with pytest.raises(UsageError):
        add_entry(bdir, "句子", bad)
    assert not bank_file(bdir, "句子").exists()


def test_text_of_200_chars_is_fine(bdir: Path) -> None:
    entry, changed = add_entry(bdir, "句子", "长" * 200)
    assert changed and entry.text == "长" * 200


@pytest.mark.parametrize("bad", ["外 事", "", "@", "a#b"])
def test_theme_validation(bdir: Path, bad: str) -> None:
    with pytest.raises(UsageError):
        add_entry(bdir, "四字格", "砥砺奋进", [bad])


def test_theme_may_be_given_with_at(bdir: Path) -> None:
    entry, _ = add_entry(bdir, "四字格", "砥砺奋进", ["@外事"])
    assert entry.themes == ("外事",)
    assert bank_file(bdir, "四字格").read_text(encoding="utf-8").endswith("砥砺奋进 @外事\n")


# --- byte-for-byte preservation ------------------------------------------------------------------

_HAND_CRLF = (
    "# 自己整理的四字格\r\n"
    "\r\n"
    "砥砺前行\r\n"
    "- @青年 \r\n"
    "@外事 @党建\r\n"
    "  守正笃实 @外事\r\n"
    "# 结尾的注释，没有换行符"
).encode()


def test_add_keeps_crlf_and_missing_final_newline(bdir: Path) -> None:
    bdir.mkdir()
    path = bank_file(bdir, "四字格")
    path.write_bytes(_HAND_CRLF)
    entry, changed = add_entry(bdir, "四字格", "踔厉奋发")
    assert changed and entry.source == "banks/四字格.txt#8"
    assert path.read_bytes() == _HAND_CRLF + "\r\n踔厉奋发".encode()
    entries = read_banks(bdir)
    assert [(e.text, e.themes) for e in entries] == [
        ("砥砺前行", ()),
        ("守正笃实", ("外事",)),
        ("踔厉奋发", ()),
    ]
    assert entries[-1] == entry


def test_add_keeps_lf_file_with_final_newline(bdir: Path) -> None:
    bdir.mkdir()
    path = bank_file(bdir, "提法")
    original = "# 提法\n\n四个意识\n不合法的行 @\n".encode()
    path.write_bytes(original)
    add_entry(bdir, "slogan", "四个自信")
    assert path.read_bytes() == original + "四个自信\n".encode()


def test_remove_mined_appends_dash_line(bdir: Path) -> None:
    bdir.mkdir()
    path = bank_file(bdir, "四字格")
    path.write_bytes(_HAND_CRLF)
    entry, changed = remove_entry(bdir, "四字格", "砥砺奋进")
    assert changed
    assert entry == UserEntry("四字格", "砥砺奋进", (), "", "banks/四字格.txt#8", True)
    assert path.read_bytes() == _HAND_CRLF + "\r\n-砥砺奋进".encode()
    assert removed_texts(read_banks(bdir), "四字格") == {"砥砺奋进"}
    again, changed2 = remove_entry(bdir, "四字格", "砥砺奋进")
    assert not changed2 and again == entry
    assert path.read_bytes() == _HAND_CRLF + "\r\n-砥砺奋进".encode()


def test_remove_hand_entry_comments_it_out(bdir: Path) -> None:
    bdir.mkdir()
    path = bank_file(bdir, "四字格")
    path.write_bytes(_HAND_CRLF)
    before = _lines(path)
    entry, changed = remove_entry(bdir, "idiom", "守正笃实")
    assert changed and entry.removed and entry.source == "banks/四字格.txt#6"
    after = _lines(path)
    assert len(after) == len(before)
    assert after[5] == f"{DELETED_MARK}守正笃实 @外事\r\n".encode()
    assert after[:5] + after[6:] == before[:5] + before[6:]
    entries = read_banks(bdir)
    assert [e.text for e in entries] == ["砥砺前行"]
    assert removed_texts(entries, "四字格") == set()


def test_remove_comments_out_every_hand_line_of_that_text(bdir: Path) -> None:
    add_entry(bdir, "四字格", "守正笃实", ["外事"])
    add_entry(bdir, "四字格", "踔厉奋发")
    add_entry(bdir, "四字格", "守正笃实", ["青年"])
    remove_entry(bdir, "四字格", "守正笃实")
    lines = bank_file(bdir, "四字格").read_text(encoding="utf-8").splitlines()[1:]
    assert lines == [f"{DELETED_MARK}守正笃实 @外事", "踔厉奋发", f"{DELETED_MARK}守正笃实 @青年"]


def test_bom_is_kept(bdir: Path) -> None:
    bdir.mkdir()
    path = bank_file(bdir, "过渡")
    original = "\ufeff下面，我讲几点意见：\n".encode()
    path.write_bytes(original)
    assert [e.text for e in read_banks(bdir)] == ["下面，我讲几点意见："]
    add_entry(bdir, "transition", "下面，再讲几点意见：")
    assert path.read_bytes() == original + "下面，再讲几点意见：\n".encode()
    remove_entry(bdir, "过渡", "下面，我讲几点意见：")
    assert path.read_bytes().startswith(f"\ufeff{DELETED_MARK}下面，我讲几点意见：\n".encode())


# --- merging and concurrency ---------------------------------------------------------------------


def test_edit_between_read_and_write_is_merged(bdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry(bdir, "四字格", "砥砺前行")
    path = bank_file(bdir, "四字格")
    real_read = banks._read_bank
    calls = {"n": 0}

    def read_then_someone_saves(p: Path) -> banks._Snapshot:
        snap = real_read(p)
        calls["n"] += 1
        if calls["n"] == 1:
            # The writer saves the file from an editor right after drafter read it.
            with open(p, "ab") as fh:
                fh.write("编辑器里手写的一条\n".encode())
        return snap

    monkeypatch.setattr(banks, "_read_bank", read_then_someone_saves)
    entry, changed = add_entry(bdir, "四字格", "笃行不怠")
    assert changed and calls["n"] == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1:] == ["砥砺前行", "编辑器里手写的一条", "笃行不怠"]
    assert entry.source == "banks/四字格.txt#4"


def test_file_that_keeps_changing_gives_up_without_writing(
    bdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_entry(bdir, "四字格", "砥砺前行")
    path = bank_file(bdir, "四字格")
    real_read = banks._read_bank

    def always_changing(p: Path) -> banks._Snapshot:
        snap = real_read(p)
        with open(p, "ab") as fh:
            fh.write("又改了\n".encode())
        return snap

    monkeypatch.setattr(banks, "_read_bank", always_changing)
    with pytest.raises(DrafterError, match="反复修改"):
        add_entry(bdir, "四字格", "笃行不怠")
    assert "笃行不怠" not in path.read_text(encoding="utf-8")


def _add_many(folder: str, worker: int, count: int) -> None:
    for i in range(count):
        add_entry(Path(folder), "句子", f"第{worker}号进程的第{i}句")


def test_concurrent_adds_from_8_processes_all_land(bdir: Path) -> None:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    procs = [ctx.Process(target=_add_many, args=(str(bdir), w, 5)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = bank_file(bdir, "句子").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# drafter 词库：句子")
    assert sum(1 for ln in lines if ln.startswith("# drafter")) == 1
    expected = {f"第{w}号进程的第{i}句" for w in range(8) for i in range(5)}
    assert sorted(lines[1:]) == sorted(expected)
    assert {e.text for e in read_banks(bdir)} == expected
    assert not [p for p in bdir.iterdir() if p.name.endswith(".tmp")]


# --- where the banks live ------------------------------------------------------------------------


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def test_banks_dir_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTER_BANKS", str(tmp_path / "共享词库"))
    assert banks_dir(tmp_path / "corpus") == tmp_path / "共享词库"


def test_banks_dir_beside_a_user_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRAFTER_BANKS", raising=False)
    corpus = tmp_path / "范文"
    corpus.mkdir()
    assert banks_dir(corpus) == tmp_path.resolve() / "banks"
    monkeypatch.chdir(corpus)
    got = banks_dir(Path("."))
    assert got == tmp_path.resolve() / "banks" and not _inside(got, corpus)


def test_banks_dir_never_inside_shipped_corpus_or_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRAFTER_BANKS", raising=False)
    package = Path(banks.__file__).parent
    shipped = shipped_corpus()
    for corpus in (shipped, shipped / "子目录", Path(os.path.relpath(shipped))):
        got = banks_dir(corpus)
        assert got.name == "banks"
        assert not _inside(got, shipped)
        assert not _inside(got, package)
        assert "drafter" in str(got)
