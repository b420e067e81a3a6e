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
    click.echo(f"提示：{message}", err=True)


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


def main() -> None:
    """Entry point: run the CLI, turning drafter's errors into one Chinese line and an exit code."""
    debug = os.environ.get("DRAFTER_DEBUG") == "1" or "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except DrafterError as exc:
        if debug:
            raise
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("已中止", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if debug:
            raise
        click.echo(f"用法错误：{exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("已中止", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:
        if debug:
            raise
        click.echo(f"错误：{exc.filename or ''}：{exc.strerror or exc}，请检查路径、权限或磁盘空间", err=True)
        sys.exit(1)
