"""The writer's files are sacred and the tool's cache survives anything.

Hand-written bank files keep every byte through ``bank add`` / ``bank remove``; two ``mine`` runs
at once both succeed; ``mine`` and ``bank add`` killed with SIGKILL at random moments never leave a
truncated bank or a model that fails to load, and the next command recovers by itself.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

from drafter.banks import read_banks
from drafter.model import Model, load_cached
from tests.robustness.conftest import DRAFTER

HAND_WRITTEN = (
    "# 我自己整理的四字格，别动我的注释\r\n"
    "凝心聚力 @党建\r\n"
    "\r\n"
    "  # 缩进的注释：下面这行是未知格式，也要留着\r\n"
    "？？奇怪的一行 @ @\r\n"
    "-守正创新\r\n"
    "踔厉奋发\r\n"
    "真抓实干"  # no final newline
)


def test_bank_add_then_remove_keeps_every_original_byte(drafter_proc, env):
    env.banks.mkdir()
    bank = env.banks / "四字格.txt"
    original = HAND_WRITTEN.encode("utf-8")
    bank.write_bytes(original)
    r = drafter_proc("bank", "add", "四字格", "勇毅前行", "--theme", "青年")
    assert r.code == 0, r.err
    after_add = bank.read_bytes()
    assert after_add.startswith(original)
    assert after_add[len(original):] == "\r\n勇毅前行 @青年".encode()  # the file's own line ending
    r = drafter_proc("bank", "remove", "四字格", "勇毅前行")
    assert r.code == 0, r.err
    after_remove = bank.read_bytes()
    assert after_remove.startswith(original)
    assert "勇毅前行" in after_remove[len(original):].decode()  # commented out, not deleted
    r = drafter_proc("bank", "remove", "四字格", "踔厉奋发")  # a hand-written entry: commented, bytes kept
    assert r.code == 0, r.err
    final = bank.read_bytes().decode("utf-8")
    for line in HAND_WRITTEN.split("\r\n"):
        assert line in final
    texts = {e.text for e in read_banks(env.banks) if not e.removed}
    assert "凝心聚力" in texts and "真抓实干" in texts


def test_bank_file_that_is_not_utf8_is_refused_untouched(drafter_proc, env):
    env.banks.mkdir()
    bank = env.banks / "提法.txt"
    raw = "# 旧机器上的词库\n两个维护\n".encode("gb18030")
    bank.write_bytes(raw)
    r = drafter_proc("bank", "add", "提法", "四个意识")
    assert r.code == 1 and "Traceback" not in r.err
    assert [ln for ln in r.err.splitlines() if ln.strip()] and "提法.txt" in r.err and "UTF-8" in r.err
    assert bank.read_bytes() == raw


def _spawn(args, env_extra=None):
    return subprocess.Popen(
        [str(DRAFTER), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env_extra or {})},
        start_new_session=True,  # its own process group, so workers die with it
    )


def _kill_group(p: subprocess.Popen) -> None:
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.communicate()


def test_two_mines_at_once_both_succeed(env, small_corpus, drafter_proc):
    procs = [_spawn(["mine", "--corpus", small_corpus, "--format", "json"]) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, results):
        assert p.returncode == 0, err.decode()
        assert b"Traceback" not in err
    assert results[0][0].split(b'"seconds"')[0] == results[1][0].split(b'"seconds"')[0]
    assert isinstance(load_cached(small_corpus), Model)
    assert drafter_proc("themes", "--corpus", small_corpus).code == 0


def test_mine_killed_at_random_moments_always_recovers(env, small_corpus, drafter_proc):
    rng = random.Random(20240601)
    start = time.monotonic()
    first = drafter_proc("mine", "--corpus", small_corpus, "--force")
    assert first.code == 0, first.err
    span = time.monotonic() - start
    for i in range(20):
        if i % 5 == 4:  # change the corpus now and then, so the kill lands in a real re-mine
            (small_corpus / f"extra{i}.txt").write_text("补充材料\n\n" + "坚持人民至上，推进高质量发展。" * (10 + i), encoding="utf-8")
        args = ["mine", "--corpus", small_corpus, "-j", str(1 + i % 2)] + (["--force"] if i % 2 else [])
        p = _spawn(args)
        time.sleep(rng.uniform(0, span))
        _kill_group(p)
        model = load_cached(small_corpus)  # never raises
        assert model is None or isinstance(model, Model)
    leftovers = [p for p in env.cache.rglob("*") if p.name.endswith(".tmp")]
    r = drafter_proc("themes", "--corpus", small_corpus)
    assert r.code == 0 and "Traceback" not in r.err, r.err
    model = load_cached(small_corpus)
    assert isinstance(model, Model)
    assert len(model.inputs["files"]) == len(list(small_corpus.iterdir()))
    # temp files of killed runs are harmless: never read, and named so they are never mistaken for data
    assert all(p.name.startswith(".") for p in leftovers)


def test_bank_add_killed_at_random_moments_never_loses_an_entry(env, drafter_proc):
    rng = random.Random(99)
    env.banks.mkdir()
    bank = env.banks / "四字格.txt"
    bank.write_bytes(HAND_WRITTEN.encode("utf-8"))
    start = time.monotonic()
    assert drafter_proc("bank", "add", "四字格", "起步词语").code == 0
    span = time.monotonic() - start
    expected = {"凝心聚力", "踔厉奋发", "真抓实干", "起步词语"}
    for i in range(20):
        word = f"新词{i:02d}"
        p = _spawn(["bank", "add", "四字格", word])
        time.sleep(rng.uniform(0, span * 1.2))
        _kill_group(p)
        raw = bank.read_bytes()
        assert raw.startswith(HAND_WRITTEN.encode("utf-8"))
        texts = {e.text for e in read_banks(env.banks)}
        assert expected <= texts, expected - texts
        expected |= texts & {word}
    r = drafter_proc("bank", "add", "四字格", "最后一条")
    assert r.code == 0, r.err
    assert expected | {"最后一条"} <= {e.text for e in read_banks(env.banks)}
