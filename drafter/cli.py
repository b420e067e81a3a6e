"""The ``drafter`` command line: parse options, call the library, print.  No logic lives here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from drafter.errors import DrafterError, UsageError

FORMAT_TEXT_JSON = click.Choice(["text", "json"])


def dump_json(data: Any) -> str:
    """All JSON drafter prints: UTF-8, Chinese unescaped, stable key order."""
    return json.dumps(data, ensure_ascii=False, indent=2)


def warn(message: str) -> None:
    """A one-line warning on stderr (a skipped file, a rebuilt cache)."""
    click.echo("提示：" + " ".join(message.split()), err=True)


def _one_or_many(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else items


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="出错时显示完整回溯 / show tracebacks on errors.")
@click.version_option(package_name="drafter")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """drafter：公文写作离线助手，从范文中学习结构，生成初稿提纲。

    drafter: an offline drafting assistant for Chinese official writing.
    """
    if debug:
        os.environ["DRAFTER_DEBUG"] = "1"


def _load(paths: tuple[str, ...]) -> list[tuple[str, list[Any]]]:
    from drafter.corpus import load_files

    if not paths:
        raise UsageError("缺少路径：请给出要读取的文件或文件夹，例如 drafter clean corpus/")
    return load_files([Path(p) for p in paths], on_skip=lambda p, msg: warn(f"已跳过 {msg}"))


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True, help="输出格式 / output format.")
def clean(paths: tuple[str, ...], fmt: str) -> None:
    """清洗文本并切分文章 / print cleaned articles."""
    files = _load(paths)
    if fmt == "json":
        out = [{"file": name, "articles": [a.clean_dict() for a in arts]} for name, arts in files]
        click.echo(dump_json(_one_or_many(out)))
        return
    for name, arts in files:
        for a in arts:
            click.echo(f"=== {name} · {a.title}")
            meta = [f"{k}：{v}" for k, v in (("副题", a.subtitle), ("作者", a.author), ("日期", a.date), ("体裁", a.genre)) if v]
            if a.flags:
                meta.append("标记：" + "、".join(a.flags))
            if meta:
                click.echo("    " + "  ".join(meta))
            if a.editor_note:
                click.echo(f"  [编者按] {a.editor_note}")
            for pos, para in zip(a.positions, a.paragraphs):
                click.echo(f"  [{pos}] {para}")
            click.echo("")


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True, help="输出格式 / output format.")
def outline(paths: tuple[str, ...], fmt: str) -> None:
    """提取文章的标题层级 / print the heading tree of each article."""
    from drafter.outline import outline as extract

    files = _load(paths)
    out = []
    for name, arts in files:
        out.append({"file": name, "articles": [{"title": a.title, "headings": [h.to_dict() for h in extract(a)]} for a in arts]})
    if fmt == "json":
        click.echo(dump_json(_one_or_many(out)))
        return
    for doc in out:
        for art in doc["articles"]:
            click.echo(f"=== {doc['file']} · {art['title']}")
            for h in art["headings"]:
                marker = h["marker"] or "·"
                click.echo(f"{'  ' * h['level']}{marker} {h['text']}  [¶{h['paragraph']}]")
            click.echo("")


def _check_output(fmt: str, output: Path | None, force: bool) -> None:
    """Refuse a draft's output target before any work is done (binary to a terminal, an existing
    file without --force, a missing folder)."""
    if fmt == "docx" and output is None:
        raise UsageError("docx 是二进制文件，请用 -o 文件名.docx 指定输出文件")
    if output is not None and output.exists() and not force:
        raise DrafterError(f"{output}：文件已存在；如要覆盖请加 --force")
    if output is not None and not output.parent.exists():
        raise DrafterError(f"{output.parent}：文件夹不存在，请先创建或换一个输出路径")


CORPUS_OPTION = click.option(
    "--corpus",
    "corpus",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="语料文件夹（默认：DRAFTER_CORPUS 或自带语料）/ corpus folder.",
)


def _context(corpus: Path | None, jobs: int | None = None):  # -> drafter.lookup.Context
    from drafter.lookup import Context
    from drafter.mine import load_model
    from drafter.paths import default_corpus

    folder = corpus or default_corpus()
    if not folder.is_dir():
        what = "不是文件夹" if folder.exists() else "语料文件夹不存在"
        raise DrafterError(f"{folder}：{what}，请用 --corpus 指定一个存在的文件夹")
    return _leave_for_exit(Context(model=load_model(folder, warn=warn, jobs=jobs), corpus=folder))


_LEFT: list[Any] | None = None
"""What commands built, kept for the process exit to reclaim all at once (set by :func:`main`)."""


def _leave_for_exit(obj: Any) -> Any:
    """Keep ``obj`` until the process ends, when run as the ``drafter`` command.

    A mined model is millions of small objects; freeing them one by one when a command returns
    cost a twentieth of a re-mine, and the operating system reclaims a process's memory at once.
    Called from the library (tests, other programs) it keeps nothing.
    """
    if _LEFT is not None:
        _LEFT.append(obj)
    return obj


@cli.command()
@CORPUS_OPTION
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None, help="并行进程数（默认：CPU 核数）/ worker processes.")
@click.option("--force", is_flag=True, help="忽略缓存，全部重新分析 / re-analyse every file.")
@click.option(
    "--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
    help="执行引擎：local（本机进程池）或 dask（集群）/ execution engine.",
)
@click.option(
    "--scheduler", default=None, metavar="tcp://HOST:PORT",
    help="Dask 调度器地址（--engine dask；省略则在本机启动）/ Dask scheduler address.",
)
@click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True, help="输出格式 / output format.")
def mine(corpus: Path | None, jobs: int | None, force: bool, engine: str, scheduler: str | None, fmt: str) -> None:
    """挖掘语料：提纲、排比标题、词库、主题 / mine the corpus into a model."""
    import time

    from drafter.mine import mine as run
    from drafter.model import model_path
    from drafter.paths import default_corpus

    folder = corpus or default_corpus()
    start = time.perf_counter()
    model = _leave_for_exit(run(folder, jobs=jobs, progress=True, warn=warn, force=force, engine=engine, scheduler=scheduler, eager=True))
    seconds = time.perf_counter() - start
    # counted from the stored rows: making an object of every entry would cost more than a re-mine
    cats = model.bank_counts()
    summary = {
        "corpus": str(folder),
        "files": len(model.inputs.get("files", {})),
        "articles": len(model.articles),
        "series": len(model.series_rows),
        "phrases": cats,
        "themes": model.theme_index().article_counts(),
        "shapes": model.shapes,
        "model": str(model_path(folder)),
        "seconds": round(seconds, 2),
    }
    if fmt == "json":
        click.echo(dump_json(summary))
        return
    click.echo(f"语料：{summary['corpus']}（{summary['files']} 个文件，{summary['articles']} 篇文章）")
    click.echo(f"排比标题骨架：{summary['series']} 个")
    click.echo("词库：" + "，".join(f"{k} {v}" for k, v in cats.items()))
    click.echo("主题：" + "，".join(f"{k} {v} 篇" for k, v in summary["themes"].items()))
    for genre, shape in model.shapes.items():
        points = "、".join(f"{k} 点×{v}" for k, v in shape.get("points", {}).items()) or "无"
        families = "、".join(list(shape.get("families", {}))[:3]) or "无"
        click.echo(f"提纲（{genre}，{shape.get('articles', 0)} 篇）：一级要点 {points}；常用序号 {families}；标题中位长度 {shape.get('heading_length', {}).get('median', 0)} 字")
    click.echo(f"模型：{summary['model']}（用时 {summary['seconds']} 秒）")


@cli.command()
@CORPUS_OPTION
@click.option("--theme", default=None, help="只看某一主题 / only series from articles about this theme.")
@click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True, help="输出格式 / output format.")
def series(corpus: Path | None, theme: str | None, fmt: str) -> None:
    """列出排比标题骨架 / list parallel-heading skeletons."""
    from drafter.lookup import series_entries

    rows = series_entries(_context(corpus), theme)
    if fmt == "json":
        keys = ("skeleton", "rhythm", "slots", "examples", "sources", "themes")
        click.echo(dump_json([{k: r[k] for k in keys} | {"members": r.get("members", [])} for r in rows]))
        return
    for r in rows:
        themes = "、".join(r["themes"]) or "—"
        click.echo(f"{r['skeleton']}    〔节奏 {r['rhythm']}；主题 {themes}〕")
        heads = [h for ex in r["examples"] for h in ex]
        for i in r.get("members", [])[:4]:
            click.echo(f"    · {heads[i]}  ({r['sources'][i] if i < len(r['sources']) else ''})")
        click.echo("")


@cli.group()
def bank() -> None:
    """词库：查看、添加、删除 / phrase banks: list, add, remove."""


@bank.command("list")
@click.argument("category", required=False)
@CORPUS_OPTION
@click.option("--theme", default=None, help="主题 / theme.")
@click.option("--grep", default=None, help="包含此文字 / containing this text.")
@click.option("--speaker", default=None, help="引语的说话人 / speaker of a quotation.")
@click.option("--limit", type=click.IntRange(0), default=0, help="最多显示条数（0 为不限）/ at most this many.")
@click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True, help="输出格式 / output format.")
def bank_list(category: str | None, corpus: Path | None, theme: str | None, grep: str | None, speaker: str | None, limit: int, fmt: str) -> None:
    """列出词库条目 / list bank entries (mined and hand-added)."""
    from drafter.lookup import bank_entries
    from drafter.phrases import category as resolve_category

    if category:
        resolve_category(category)  # a bad category is a usage error before any mining
    rows = bank_entries(_context(corpus), category, theme, grep, speaker)
    if limit:
        rows = rows[:limit]
    if fmt == "json":
        click.echo(dump_json(rows))
        return
    for r in rows:
        who = f"{r['speaker']}：" if r.get("speaker") else ""
        src = "，".join(r["sources"][:3]) + ("…" if len(r["sources"]) > 3 else "")
        mark = "手工" if r["user"] else f"×{r['count']}"
        click.echo(f"[{r['category']}] {who}{r['text']}  〔{mark}；{src}〕")


def _bank_folder(corpus: Path | None) -> Path:
    from drafter.banks import banks_dir
    from drafter.paths import default_corpus

    return banks_dir(corpus or default_corpus())


@bank.command("add")
@click.argument("category")
@click.argument("text")
@CORPUS_OPTION
@click.option("--theme", "themes", multiple=True, help="限定主题（可多次）/ restrict to a theme (repeatable).")
@click.option("--speaker", default="", help="引语的说话人 / speaker, for 引语.")
def bank_add(category: str, text: str, corpus: Path | None, themes: tuple[str, ...], speaker: str) -> None:
    """向词库添加一条（写入你自己的词库文件）/ add an entry to your bank file."""
    from drafter.banks import add_entry

    entry, changed = add_entry(_bank_folder(corpus), category, text, themes, speaker) if speaker else add_entry(_bank_folder(corpus), category, text, themes)
    click.echo(("已添加：" if changed else "已存在，未改动：") + f"{entry.text}  〔{entry.source}〕")


@bank.command("remove")
@click.argument("category")
@click.argument("text")
@CORPUS_OPTION
def bank_remove(category: str, text: str, corpus: Path | None) -> None:
    """从词库去掉一条（在你的词库文件里记一笔，不删任何手写内容）/ strike an entry."""
    from drafter.banks import remove_entry

    entry, changed = remove_entry(_bank_folder(corpus), category, text)
    click.echo(("已去掉：" if changed else "本来就没有，未改动：") + f"{entry.text}  〔{entry.source}〕")


@cli.command()
@CORPUS_OPTION
@click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True, help="输出格式 / output format.")
def themes(corpus: Path | None, fmt: str) -> None:
    """列出主题、词汇和相关文章 / list themes with terms and articles."""
    from drafter.lookup import theme_entries

    rows = theme_entries(_context(corpus))
    if fmt == "json":
        click.echo(dump_json(rows))
        return
    for r in rows:
        click.echo(f"{r['theme']}（{r['article_count']} 篇）  词汇：{'、'.join(r['terms'][:15])}")
        for a in r["articles"][:5]:
            click.echo(f"    {a['score']:6.2f}  {a['title']}  〔{a['id']}〕")


@cli.command()
@click.option("--theme", required=True, help="主题，如 外事、青年 / theme.")
@click.option("--genre", default="speech", show_default=True, help="体裁：speech/讲话、article/文章、reflection/心得 / genre.")
@click.option("--points", type=int, default=3, show_default=True, help="一级要点数（2–6）/ number of top-level points.")
@click.option("--seed", type=int, default=None, help="随机种子，同一种子得到同一稿 / random seed.")
@click.option("--title", default=None, help="标题（可含——副题）/ title.")
@click.option("--occasion", default=None, help="讲话场合，如 全市外事工作会议 / occasion of a speech.")
@click.option("--length", type=click.IntRange(500, 50000), default=None, help="成稿大致字数 / approximate length of the finished text.")
@CORPUS_OPTION
@click.option("--format", "fmt", type=click.Choice(["md", "text", "json", "docx"]), default="md", show_default=True, help="输出格式 / output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="写入文件 / write to this file.")
@click.option("--force", is_flag=True, help="覆盖已有文件 / overwrite an existing file.")
def new(theme: str, genre: str, points: int, seed: int | None, title: str | None, occasion: str | None, length: int | None, corpus: Path | None, fmt: str, output: Path | None, force: bool) -> None:
    """按主题生成初稿提纲 / compose a first-draft skeleton for a theme."""
    from drafter.compose import compose, genre_of
    from drafter.render import render, write_output

    genre_of(genre)
    if not 2 <= points <= 6:
        raise UsageError(f"--points 须在 2 到 6 之间（收到 {points}）")
    _check_output(fmt, output, force)
    draft = compose(_context(corpus), theme, genre, points, seed, title, occasion, length)
    if seed is None:
        warn(f"随机种子 {draft.seed}（用 --seed {draft.seed} 可重现这份稿子）")
    write_output(render(draft, fmt), output, force)


@cli.command()
@click.argument("outline_file", metavar="OUTLINE", type=click.Path(path_type=Path))
@click.option("--theme", default=None, help="主题（默认：提纲头部记录的主题）/ theme.")
@click.option("--genre", default=None, help="体裁（默认：提纲头部记录的体裁或 speech）/ genre.")
@click.option("--seed", type=int, default=None, help="随机种子（默认：提纲头部记录的种子）/ random seed.")
@CORPUS_OPTION
@click.option("--format", "fmt", type=click.Choice(["md", "text", "json", "docx"]), default="md", show_default=True, help="输出格式 / output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="写入文件 / write to this file.")
@click.option("--force", is_flag=True, help="覆盖已有文件 / overwrite an existing file.")
def fill(outline_file: Path, theme: str | None, genre: str | None, seed: int | None, corpus: Path | None, fmt: str, output: Path | None, force: bool) -> None:
    """按改过的提纲补充素材 / fill an edited outline with material."""
    from drafter.compose import genre_of
    from drafter.fill import fill_request, read_outline, request
    from drafter.render import render, write_output

    if genre:
        genre_of(genre)
    _check_output(fmt, output, force)
    text, name = read_outline(outline_file)
    req = request(text, name, theme, genre, seed)
    filled = fill_request(_context(corpus), req)
    if req.seed_drawn:
        warn(f"随机种子 {req.seed}（用 --seed {req.seed} 可重现这次补充）")
    if not filled.filled:
        warn("每个小标题下都已有内容，未补充新素材")
    write_output(render(filled.draft, fmt), output, force)


def _one_line(message: str) -> str:
    """A message as one line: a file name may hold a line break, and stderr is read line by line."""
    return " ".join(str(message).split("\n")).replace("\r", " ").strip()


def _say(prefix: str, message: str) -> None:
    try:
        click.echo(f"{prefix}{_one_line(message)}", err=True)
    except (OSError, UnicodeError):  # stderr closed or unable to encode: the exit code still tells
        pass


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the final flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


# click 8.2+ raises this for a bare group name; older versions print the help themselves.
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


def main() -> None:
    """The ``drafter`` program: :func:`invoke`, then the end of the process.

    On success the process ends here (``os._exit``, after flushing the output), without tearing
    down what the command loaded object by object (see :func:`_leave_for_exit`); nothing drafter
    runs needs an exit handler, as its worker processes are joined and its locks released by then.
    So call it only as the program's entry point; :func:`invoke` is the same inside a process.
    """
    global _LEFT
    _LEFT = []
    try:
        code = invoke()
    except BaseException:
        _LEFT = None
        raise
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        _silence_stdout()
    os._exit(code)


def invoke() -> int:
    """Run the CLI on ``sys.argv``, turning every failure into one Chinese line and an exit code.

    Exit codes: 1 for a problem with data, files or the environment (and for a bug in drafter),
    2 for a bad option or argument, 130 when interrupted; a failure raises ``SystemExit`` with
    its code, success returns 0.  ``--debug`` or ``DRAFTER_DEBUG=1`` re-raises instead, so the
    traceback shows.
    """
    debug = os.environ.get("DRAFTER_DEBUG") == "1" or "--debug" in sys.argv[1:]
    code = _run(debug)
    if isinstance(code, int) and code:
        sys.exit(code)
    return 0


def _run(debug: bool) -> Any:
    """The CLI, with every failure turned into one line and an exit code (see :func:`invoke`)."""
    try:
        return cli.main(standalone_mode=False)
    except DrafterError as exc:
        if debug:
            raise
        _say("用法错误：" if exc.exit_code == 2 else "错误：", exc.message)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _say("", "已中止")
        sys.exit(130)
    except _NO_ARGS_IS_HELP as exc:  # plain ``drafter`` or ``drafter bank``: show the help
        ctx = getattr(exc, "ctx", None)
        click.echo(ctx.get_help() if ctx is not None else exc.format_message())
        sys.exit(0)
    except click.ClickException as exc:
        if debug:
            raise
        _say("用法错误：" if exc.exit_code == 2 else "错误：", exc.format_message())
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _say("", "已中止")
        sys.exit(130)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except OSError as exc:
        if debug:
            raise
        where = exc.filename if exc.filename is not None else ""
        if isinstance(where, bytes):
            where = where.decode("utf-8", "replace")
        if where:
            from drafter.sources import display_name

            where = display_name(where) + "："
        _say("错误：", f"{where}{exc.strerror or exc}，请检查路径、权限或磁盘空间")
        sys.exit(1)
    except MemoryError:
        if debug:
            raise
        _say("错误：", "内存不足：请关闭其他程序，或把语料拆成几个小文件夹后重试")
        sys.exit(1)
    except Exception as exc:  # a bug in drafter: one line, and the way to see the rest
        if debug:
            raise
        _say("错误：", f"drafter 内部出错（{type(exc).__name__}）；请加 --debug 重新运行查看详情，并把输出报告给维护者")
        sys.exit(1)
