"""The writer's hand-edited phrase banks: plain text files that re-mining never touches.

Mining learns phrases from the corpus; the banks are where the writer corrects it: add a phrase the
corpus lacks, strike out one that is wrong for the office, pin a phrase to a theme.  They live in one
UTF-8 file per category (``四字格.txt``, ``提法.txt`` …) in a ``banks`` folder beside the corpus, so the
writer can open them in any editor, diff them and share them.  The format, one entry a line::

    # 注释行
    踔厉奋发                 an entry for every theme
    守正笃实 @外事 @青年      an entry only for these themes
    - 砥砺奋进               strike a mined entry (also ``-砥砺奋进``)
    习近平｜青年兴则国家兴     in 引语.txt: speaker｜quotation (``|`` works too)

When one text is mentioned several times, the last line wins: ``-X`` after ``X`` strikes it, ``X``
after ``-X`` brings it back.  That makes every edit an append, so the tool never has to delete or
reorder a line the writer wrote: :func:`add_entry` and :func:`remove_entry` change at most one line
(appending, or commenting out a hand-added line) and keep every other byte, line endings included.
Lines that do not parse are kept as they are and ignored.

The miner merges: mined entries minus :func:`removed_texts`, plus :func:`added`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from drafter.atomic import atomic_write, file_lock
from drafter.errors import DrafterError, UsageError
from drafter.paths import shipped_corpus

CATEGORIES: tuple[str, ...] = ("四字格", "提法", "引语", "开头", "过渡", "结尾", "句子")

_ALIASES: dict[str, str] = {
    "idiom": "四字格",
    "idioms": "四字格",
    "slogan": "提法",
    "slogans": "提法",
    "quote": "引语",
    "quotes": "引语",
    "quotation": "引语",
    "quotations": "引语",
    "opener": "开头",
    "openers": "开头",
    "transition": "过渡",
    "transitions": "过渡",
    "closer": "结尾",
    "closers": "结尾",
    "sentence": "句子",
    "sentences": "句子",
}

MAX_CHARS = 200
DELETED_MARK = "# （已删除）"

_COMMENT = "#＃"
_REMOVE = "-－"
_BARS = re.compile(r"[｜|]")
_THEME_TAIL = re.compile(r"(?:\s*[@＠][^\s@＠]+)+\s*$")
_TAG = re.compile(r"[@＠]([^\s@＠]+)")
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def bank_category(name: str) -> str:
    """The Chinese category name for ``name`` (Chinese or English alias); UsageError if unknown."""
    key = name.strip()
    if key in CATEGORIES:
        return key
    found = _ALIASES.get(key.lower())
    if found:
        return found
    raise UsageError(
        f"未知的词库类别“{name}”；可用的类别：{'、'.join(CATEGORIES)}"
        "（或 idiom、slogan、quote、opener、transition、closer、sentence）。"
    )


def bank_file(banks_dir: Path, category: str) -> Path:
    """The file that holds ``category`` in ``banks_dir`` (it may not exist yet)."""
    return Path(banks_dir) / f"{bank_category(category)}.txt"


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def banks_dir(corpus_dir: Path) -> Path:
    """Where the banks for ``corpus_dir`` live.

    ``DRAFTER_BANKS`` wins.  Otherwise the banks sit beside the corpus folder (``…/banks``), never
    inside it, so they are not mined as texts.  For the shipped corpus (or anything that would put
    the banks inside the package or the shipped corpus) they go to the user data folder instead:
    an upgrade replaces the package, and the writer's edits must survive it.
    """
    env = os.environ.get("DRAFTER_BANKS", "").strip()
    if env:
        return Path(env).expanduser()
    corpus = Path(corpus_dir).expanduser().resolve()
    shipped = shipped_corpus().resolve()
    package = Path(__file__).resolve().parent
    candidate = corpus.parent / "banks"
    if _within(corpus, shipped) or _within(candidate, shipped) or _within(candidate, package):
        from platformdirs import user_data_dir

        return Path(user_data_dir("drafter", appauthor=False)) / "banks"
    return candidate


@dataclass(frozen=True)
class UserEntry:
    """One line of a bank.

    ``removed`` marks a ``-text`` line (strike the mined entry).  An empty ``themes`` means the entry
    serves every theme.  ``speaker`` is only filled for 引语 written ``说话人｜引文``.  ``source`` is
    ``banks/四字格.txt#3`` so a draft can say which line of which bank a phrase came from.
    """

    category: str
    text: str
    themes: tuple[str, ...] = ()
    speaker: str = ""
    source: str = ""
    removed: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["themes"] = list(self.themes)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UserEntry:
        return cls(**{**d, "themes": tuple(d.get("themes", ()))})


def _parse(category: str, content: str) -> tuple[str, tuple[str, ...], str, bool] | None:
    """``(text, themes, speaker, removed)`` for an entry line, None for blank, comment or unparseable."""
    s = content.strip()
    if not s or s[0] in _COMMENT:
        return None
    removed = s[0] in _REMOVE
    if removed:
        s = s[1:].strip()
    themes: tuple[str, ...] = ()
    tail = _THEME_TAIL.search(s)
    if tail:
        themes = tuple(dict.fromkeys(_TAG.findall(tail.group(0))))
        s = s[: tail.start()].strip()
    speaker = ""
    if category == "引语" and _BARS.search(s):
        speaker, s = (part.strip() for part in _BARS.split(s, maxsplit=1))
    if not s or s[0] in _COMMENT or s[0] in _REMOVE:
        return None
    return s, themes, speaker, removed


def _split_lines(text: str) -> list[tuple[str, str]]:
    """``(body, eol)`` per line; ``"".join(body + eol)`` gives ``text`` back exactly."""
    lines = []
    for raw in _LINE.findall(text):
        if raw.endswith("\r\n"):
            lines.append((raw[:-2], "\r\n"))
        elif raw.endswith("\n"):
            lines.append((raw[:-1], "\n"))
        else:
            lines.append((raw, ""))
    return lines


def _content(index: int, body: str) -> str:
    return body[1:] if index == 0 and body.startswith("\ufeff") else body


def _source_prefix(folder: Path) -> str:
    folder = Path(folder)
    return folder.name or folder.resolve().name


def _entries_of(category: str, prefix: str, text: str) -> list[tuple[int, UserEntry]]:
    """The entries of one bank file with their 0-based line index, in file order."""
    out = []
    for i, (body, _eol) in enumerate(_split_lines(text)):
        parsed = _parse(category, _content(i, body))
        if parsed is None:
            continue
        entry_text, themes, speaker, removed = parsed
        source = f"{prefix}/{category}.txt#{i + 1}"
        out.append((i, UserEntry(category, entry_text, themes, speaker, source, removed)))
    return out


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DrafterError(f"词库文件 {path} 不是 UTF-8 编码；请用编辑器把它另存为 UTF-8 后重试。") from exc


def read_banks(banks_dir: Path) -> list[UserEntry]:
    """Every entry of every bank in ``banks_dir``, by category then line; a missing folder is empty."""
    folder = Path(banks_dir)
    if not folder.is_dir():
        return []
    prefix = _source_prefix(folder)
    entries: list[UserEntry] = []
    for category in CATEGORIES:
        path = folder / f"{category}.txt"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DrafterError(f"无法读取词库文件 {path}：{exc.strerror or exc}；请检查它的权限。") from exc
        entries.extend(e for _i, e in _entries_of(category, prefix, _decode(path, raw)))
    return entries


def _resolve(entries: Iterable[UserEntry]) -> tuple[list[UserEntry], set[str]]:
    """Apply "the last line wins": the hand entries still in force, and the texts struck out."""
    ordered = list(entries)
    last_removal: dict[str, int] = {}
    for i, e in enumerate(ordered):
        if e.removed:
            last_removal[e.text] = i
    active = [e for i, e in enumerate(ordered) if not e.removed and i > last_removal.get(e.text, -1)]
    alive = {e.text for e in active}
    return active, {t for t in last_removal if t not in alive}


def removed_texts(entries: Iterable[UserEntry], category: str) -> set[str]:
    """Texts of ``category`` the writer struck out: drop mined entries with these texts."""
    cat = bank_category(category)
    return _resolve(e for e in entries if e.category == cat)[1]


def added(entries: Iterable[UserEntry], category: str, theme: str | None = None) -> list[UserEntry]:
    """Hand-added entries of ``category`` in force, in file order; with ``theme``, only those serving it.

    An entry without theme tags serves every theme.
    """
    cat = bank_category(category)
    active = _resolve(e for e in entries if e.category == cat)[0]
    if theme is None:
        return active
    return [e for e in active if not e.themes or theme in e.themes]


# --- editing -------------------------------------------------------------------------------------


def _header(category: str) -> str:
    head = f"# drafter 词库：{category}（每行一条；# 开头为注释；行首 - 表示删除挖掘出的条目；行尾 @主题 限定主题）\n"
    if category == "引语":
        head += "# 引语可写作“说话人｜引文”，说话人与引文务必核对原文\n"
    return head


def _check_text(category: str, text: str) -> str:
    if _LINE_BREAKS.search(text):
        raise UsageError(f"{category}条目只能是一行，不能包含换行。")
    s = text.strip()
    if not s:
        raise UsageError(f"{category}条目不能为空。")
    if len(s) > MAX_CHARS:
        raise UsageError(f"{category}条目过长（{len(s)} 字）；每条不能超过 {MAX_CHARS} 字，请拆开或缩短。")
    if s[0] in _COMMENT:
        raise UsageError(f"{category}条目不能以 # 开头（# 开头的行是注释）。")
    if s[0] in _REMOVE:
        raise UsageError(f"{category}条目不能以 - 开头（行首 - 表示删除）；删除条目请用 remove。")
    return s


def _check_themes(themes: Iterable[str]) -> tuple[str, ...]:
    out = []
    for t in themes:
        s = t.strip().lstrip("@＠")
        if not s or re.search(r"[\s@＠#＃]", s):
            raise UsageError(f"主题“{t}”无效；主题应为不含空格、@ 和 # 的词，如 外事、青年。")
        out.append(s)
    return tuple(dict.fromkeys(out))


def _format_line(category: str, text: str, themes: tuple[str, ...], speaker: str) -> str:
    """The line to append, checked to read back as exactly the entry asked for."""
    line = f"{speaker}｜{text}" if speaker else text
    line += "".join(f" @{t}" for t in themes)
    parsed = _parse(category, line)
    expected_text = text if speaker or category != "引语" else (parsed[0] if parsed else None)
    if parsed is None or parsed[0] != expected_text or parsed[1] != themes or parsed[3]:
        raise UsageError(
            f"{category}条目“{text}”写入后会被误读（行尾的 @词 会被当作主题）；请改写该条目，主题请用 --theme 指定。"
        )
    return line


def _eol_of(lines: list[tuple[str, str]]) -> str:
    for _body, eol in lines:
        if eol:
            return eol
    return "\n"


def _append(text: str | None, category: str, line: str) -> tuple[str, int]:
    """``text`` with ``line`` appended in the file's own line-ending style; also the new line's index."""
    if text is None:
        new = _header(category) + line + "\n"
        return new, len(_split_lines(new)) - 1
    lines = _split_lines(text)
    if not lines:
        return line + "\n", 0
    eol = _eol_of(lines)
    if lines[-1][1]:
        return text + line + eol, len(lines)
    # No final newline: keep it that way, so every earlier byte stays put.
    return text + eol + line, len(lines)


@dataclass(frozen=True)
class _Snapshot:
    """What the file looked like when read: enough to notice that someone saved it since."""

    raw: bytes | None
    size: int
    mtime_ns: int
    digest: str


def _read_bank(path: Path) -> _Snapshot:
    """Read the bank and its fingerprint (size, mtime_ns, sha256); a missing file is ``raw=None``."""
    try:
        st = os.stat(path)
        raw = path.read_bytes()
    except FileNotFoundError:
        return _Snapshot(None, -1, -1, "")
    except OSError as exc:
        raise DrafterError(f"无法读取词库文件 {path}：{exc.strerror or exc}；请检查它的权限。") from exc
    return _Snapshot(raw, st.st_size, st.st_mtime_ns, hashlib.sha256(raw).hexdigest())


def _unchanged(path: Path, seen: _Snapshot) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return seen.raw is None
    if seen.raw is None or (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns):
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() == seen.digest


_Edit = Callable[[str | None], tuple[str | None, UserEntry]]


def _edit(banks_dir: Path, category: str, edit: _Edit, retries: int = 5) -> tuple[UserEntry, bool]:
    """Read-modify-write one bank under its lock, re-applying ``edit`` if the file moved underneath.

    The lock keeps other drafter processes out; the fingerprint check catches a writer saving the
    file from an editor (which takes no lock) between our read and our write, so their edit is
    merged with ours instead of being overwritten.
    """
    path = Path(banks_dir) / f"{category}.txt"
    with file_lock(path):
        for _ in range(retries):
            snap = _read_bank(path)
            text = None if snap.raw is None else _decode(path, snap.raw)
            new_text, entry = edit(text)
            if new_text is None:
                return entry, False
            if not _unchanged(path, snap):
                continue
            atomic_write(path, new_text.encode("utf-8"))
            return entry, True
    raise DrafterError(f"词库文件 {path} 在写入时被反复修改；请先保存并关闭正在编辑它的程序，再重试。")


def add_entry(
    banks_dir: Path, category: str, text: str, themes: Iterable[str] = (), speaker: str = ""
) -> tuple[UserEntry, bool]:
    """Add ``text`` to a bank (appending one line); returns the entry and whether the file changed.

    For 引语 the speaker can be given as ``speaker`` or inside ``text`` as ``说话人｜引文``.  An entry
    already in force with the same text and themes (and speaker, if one is given) leaves the file alone; a struck-out one
    is brought back by appending it after the ``-`` line.
    """
    cat = bank_category(category)
    clean = _check_text(cat, text)
    tags = _check_themes(themes)
    who = speaker.strip()
    if who:
        if _LINE_BREAKS.search(who) or _BARS.search(who) or who[0] in _COMMENT + _REMOVE:
            raise UsageError(f"说话人“{speaker}”无效；说话人应为一行，不含 ｜ 且不以 # 或 - 开头。")
        if cat != "引语":
            raise UsageError(f"只有引语可以指定说话人，{cat}不行。")
    line = _format_line(cat, clean, tags, who)
    parsed = _parse(cat, line)
    assert parsed is not None  # checked by _format_line
    want_text, want_themes, want_speaker, _ = parsed
    prefix = _source_prefix(banks_dir)

    def edit(current: str | None) -> tuple[str | None, UserEntry]:
        entries = _entries_of(cat, prefix, current or "")
        for e in _resolve(e for _i, e in entries)[0]:
            same_speaker = not want_speaker or e.speaker == want_speaker
            if e.text == want_text and set(e.themes) == set(want_themes) and same_speaker:
                return None, e
        new_text, index = _append(current, cat, line)
        source = f"{prefix}/{cat}.txt#{index + 1}"
        return new_text, UserEntry(cat, want_text, want_themes, want_speaker, source, False)

    return _edit(Path(banks_dir), cat, edit)


def remove_entry(banks_dir: Path, category: str, text: str) -> tuple[UserEntry, bool]:
    """Strike ``text`` from a bank; returns the entry and whether the file changed.

    A text the writer added by hand in this bank has its line(s) commented out
    (``# （已删除）…``), so nothing they wrote is ever deleted; any other text (a mined one) gets a
    ``-text`` line appended.  Already struck out: no change.
    """
    cat = bank_category(category)
    clean = _check_text(cat, text)
    parsed = _parse(cat, clean)
    if parsed is None or _parse(cat, "-" + parsed[0]) != (parsed[0], (), "", True):
        raise UsageError(f"{cat}条目“{text}”无法写成删除行；请只给出要删除的条目正文。")
    target = parsed[0]
    prefix = _source_prefix(banks_dir)

    def edit(current: str | None) -> tuple[str | None, UserEntry]:
        indexed = _entries_of(cat, prefix, current or "")
        active, struck = _resolve(e for _i, e in indexed)
        hand = [(i, e) for i, e in indexed if e in active and e.text == target]
        if hand:
            assert current is not None
            lines = _split_lines(current)
            for i, _e in hand:
                body, eol = lines[i]
                bom = "\ufeff" if i == 0 and body.startswith("\ufeff") else ""
                lines[i] = (bom + DELETED_MARK + _content(i, body).strip(), eol)
            first = hand[0][1]
            gone = UserEntry(cat, first.text, first.themes, first.speaker, first.source, True)
            return "".join(b + e for b, e in lines), gone
        if target in struck:
            last = [e for _i, e in indexed if e.removed and e.text == target][-1]
            return None, last
        new_text, index = _append(current, cat, "-" + target)
        return new_text, UserEntry(cat, target, (), "", f"{prefix}/{cat}.txt#{index + 1}", True)

    return _edit(Path(banks_dir), cat, edit)
