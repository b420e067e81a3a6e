"""Speed figures for drafter beside the baselines they are judged against (not a test).

    python benchmarks/run.py [--corpus DIR] [--quick] [--no-scale] [--jobs N] [--repeat N] [--keep]

Everything runs in one process tree and one run: the baselines (plain single-process
``jieba.lcut`` over the corpus, ``python -c "import click, jinja2"``) are measured here, on this
machine, next to the drafter figures, so ratios mean something whatever the hardware.  CLI
figures run as subprocesses so interpreter start and imports count.  Peak RSS is the largest sum
of resident memory over a command's whole process tree (pool workers included), sampled from /proc.

The scale figures mine synthetic corpora of 10 MB, 100 MB and (without ``--quick``) 1 GB, made
from the corpus with every copy perturbed: 15% of the words swapped for other words of the same
part of speech, so no two files repeat and no cache or dictionary of sentences can shortcut.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DRAFTER = [PY, "-m", "drafter"]
DEFAULT_CORPUS = Path("/work/shared/corpus-extra")

JIEBA_SCRIPT = r"""
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
import jieba
jieba.setLogLevel(60)
jieba.initialize()
t1 = time.perf_counter()
texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(sys.argv[1]).rglob("*.txt"))]
t2 = time.perf_counter()
out = [jieba.lcut(t) for t in texts]
t3 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "cut": t3 - t2, "total": t3 - t0, "bytes": sum(len(t.encode()) for t in texts)}))
"""

AGREEMENT_SCRIPT = r"""
import json, sys, time
from pathlib import Path
import jieba, rjieba
jieba.setLogLevel(60)
texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(sys.argv[1]).rglob("*.txt"))]
def spans(words):
    out, pos = set(), 0
    for w in words:
        out.add((pos, pos + len(w)))
        pos += len(w)
    return out
same = total = 0
for t in texts:
    a, b = spans(jieba.lcut(t)), spans(rjieba.cut(t))
    same += len(a & b)
    total += len(a)
t0 = time.perf_counter()
for t in texts:
    rjieba.cut(t)
t1 = time.perf_counter()
for t in texts:
    rjieba.tag(t)
t2 = time.perf_counter()
mb = sum(len(t.encode()) for t in texts) / 1e6
print(json.dumps({"agreement": same / total, "cut_mbs": mb / (t1 - t0), "tag_mbs": mb / (t2 - t1)}))
"""


# ------------------------------------------------------------------------------------------------
# measuring


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in kB (0 when it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(d))
            rss[int(d)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


# An installed tool has its bytecode compiled (pip does it at install time); a session that sets
# PYTHONDONTWRITEBYTECODE would make every run recompile drafter from source and time that instead.
BASE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str], env: dict[str, str] | None = None, check: bool = True, budget: float | None = None) -> tuple[float, int, str]:
    """Run ``cmd``; return wall seconds, peak tree RSS in MB and stdout.

    With ``budget`` (seconds) a run still going at the end of it is stopped (its process group
    killed) and reported as failed, so one slow size cannot hold up the whole table.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**BASE_ENV, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=budget is not None)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        if budget is not None and time.perf_counter() - start > budget:
            os.killpg(proc.pid, 9)
            proc.wait()
            return time.perf_counter() - start, peak // 1024, ""
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if check and proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return wall, peak // 1024, out


def best(n: int, cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    times = [run(cmd, env) for _ in range(n)]
    return min(t for t, _r, _o in times), max(r for _t, r, _o in times)


# ------------------------------------------------------------------------------------------------
# synthetic corpora


def synthesise(src: Path, dst: Path, target_bytes: int, seed: int = 0) -> int:
    """Write perturbed copies of ``src``'s files into ``dst`` until ``target_bytes``; returns bytes.

    Each copy swaps 15% of its words for other words of the corpus with the same part-of-speech
    tag (a deterministic ``random.Random`` per copy), keeping the text's shape (headings, markers,
    paragraphing) so the miner does the work it would do on real text.
    """
    import rjieba

    dst.mkdir(parents=True, exist_ok=True)
    files = sorted(src.rglob("*.txt"))
    tagged = []
    pools: dict[str, set[str]] = {}
    for p in files:
        words = list(rjieba.tag(p.read_text(encoding="utf-8", errors="replace")))
        tagged.append((p.name, words))
        for w, t in words:
            if t not in ("x", "m", "eng") and "\n" not in w and w.strip():
                pools.setdefault(t, set()).add(w)
    pool = {t: sorted(ws) for t, ws in pools.items()}
    written, copy = 0, 0
    while written < target_bytes:
        for name, words in tagged:
            rng = random.Random(f"{seed}/{copy}/{name}")
            toks = [w for w, _t in words]
            n = len(words)
            for i in rng.sample(range(n), int(n * 0.15)):
                choices = pool.get(words[i][1])
                if choices:
                    toks[i] = rng.choice(choices)
            data = "".join(toks).encode("utf-8")
            (dst / f"{copy:04d}_{name}").write_bytes(data)
            written += len(data)
            if written >= target_bytes:
                break
        copy += 1
    return written


# ------------------------------------------------------------------------------------------------
# the run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--quick", action="store_true", help="stop the scale series at 100 MB")
    ap.add_argument("--no-scale", action="store_true", help="skip the synthetic scale series")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the jieba baseline and of each mining figure; the best counts")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--sizes", type=str, default="", help="scale sizes in MB, comma-separated (overrides --quick)")
    ap.add_argument("--budget", type=float, default=3600, help="seconds allowed per scale mine before it is stopped")
    ap.add_argument("--scale-only", action="store_true", help="only the synthetic scale series")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="drafter-bench-"))
    rows: list[tuple[str, str, str, str, str]] = []

    def row(name: str, t: float, base: float | None, limit: float | None, rss: int | None = None, note: str = "") -> None:
        ratio = f"{t / base:.2f}x" if base else ""
        verdict = "" if limit is None or base is None else ("ok" if t <= limit * base else f"OVER (≤{limit}x)")
        rows.append((name, f"{t:.2f} s", ratio, f"{rss} MB" if rss is not None else "", f"{verdict} {note}".strip()))
        print(f"  {name}: {t:.2f} s {ratio} {verdict} {note}", file=sys.stderr, flush=True)

    def cache(name: str) -> dict[str, str]:
        d = tmp / "cache" / name
        shutil.rmtree(d, ignore_errors=True)
        return {"DRAFTER_CACHE_DIR": str(d)}

    try:
        if not args.scale_only:
            _figures(args, corpus, tmp, row, rows, cache)
        _scale(args, corpus, tmp, row, cache)
    finally:
        _table(rows)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _figures(args: argparse.Namespace, corpus: Path, tmp: Path, row: Any, rows: list[tuple[str, str, str, str, str]], cache: Any) -> None:
    """Baselines, mining of the corpus (cold, one process, incremental) and drafting."""
    if True:
        print("baselines…", file=sys.stderr)
        # This machine's speed drifts by a fifth from one minute to the next: the baseline and the
        # mining figures are each the best of --repeat runs, so a ratio compares like with like.
        runs = [run([PY, "-c", JIEBA_SCRIPT, str(corpus)]) for _ in range(args.repeat)]
        jb = min((json.loads(out) for _t, _r, out in runs), key=lambda r: r["total"])
        jrss = max(r for _t, r, _o in runs)
        jieba_total = jb["total"]
        mb = jb["bytes"] / 1e6
        row(f"baseline: jieba.lcut, 1 process, {mb:.1f} MB (incl. import+dict {jb['load']:.2f} s; best of {args.repeat})", jieba_total, None, None, jrss,
            f"{mb / jb['cut']:.2f} MB/s cut only")
        click_t, _r = best(5, [PY, "-c", "import click, jinja2"])
        row("baseline: python -c 'import click, jinja2'", click_t, None, None)
        _t, _r, out = run([PY, "-c", AGREEMENT_SCRIPT, str(corpus)])
        ag = json.loads(out)
        rows.append(("rjieba vs jieba token agreement", f"{ag['agreement'] * 100:.2f} %", "", "",
                     ("ok" if ag["agreement"] >= 0.99 else "UNDER 99%") + f"; rjieba {ag['cut_mbs']:.1f} MB/s cut, {ag['tag_mbs']:.1f} MB/s tag"))

        print("mining…", file=sys.stderr)
        cold = []
        for _ in range(args.repeat):
            env = cache("cold")
            cold.append(run([*DRAFTER, "mine", "--corpus", str(corpus), "-j", str(args.jobs)], env))
        t, rss = min(c[0] for c in cold), max(c[1] for c in cold)
        row(f"drafter mine, cold, -j {args.jobs} (best of {args.repeat})", t, jieba_total, 0.5, rss)
        model = next((tmp / "cache" / "cold").glob("*/model.json")).read_bytes()
        env1 = cache("cold1")
        t1, rss1, _o = run([*DRAFTER, "mine", "--corpus", str(corpus), "-j", "1"], env1)
        same = next((tmp / "cache" / "cold1").glob("*/model.json")).read_bytes() == model
        row("drafter mine, cold, -j 1", t1, jieba_total, None, rss1, "model identical to -j N" if same else "MODEL DIFFERS from -j N")

        # incremental: a private copy of the corpus, one file changed
        inc = tmp / "inc"
        shutil.copytree(corpus, inc)
        for p in inc.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        env = cache("inc")
        run([*DRAFTER, "mine", "--corpus", str(inc), "-j", str(args.jobs)], env)
        victim = sorted(inc.glob("*.txt"))[len(list(inc.glob("*.txt"))) // 2]
        changed = []
        for k in range(args.repeat):
            victim.write_text(victim.read_text(encoding="utf-8") + f"\n我们要坚持实事求是，一切从实际出发{k}。\n", encoding="utf-8")
            changed.append(run([*DRAFTER, "mine", "--corpus", str(inc), "-j", str(args.jobs)], env))
        t, rss = min(c[0] for c in changed), max(c[1] for c in changed)
        row(f"drafter mine after one file changed (best of {args.repeat})", t, jieba_total, 0.1, rss)
        t, rss, _o = run([*DRAFTER, "mine", "--corpus", str(inc)], env)
        row("drafter mine, nothing changed", t, jieba_total, None, rss)

        print("drafting…", file=sys.stderr)
        env = cache("shipped")
        t, rss, _o = run([*DRAFTER, "new", "--theme", "外事"], env)
        rows.append(("drafter new --theme 外事, fresh install (mines shipped corpus)", f"{t:.2f} s", "", f"{rss} MB", "ok" if t < 10 else "OVER (<10 s)"))
        run([*DRAFTER, "new", "--theme", "外事"], env)
        t, rss = best(5, [*DRAFTER, "new", "--theme", "外事"], env)
        row("drafter new --theme 外事, warm, shipped corpus", t, click_t, 3, rss)
        env = {"DRAFTER_CACHE_DIR": str(tmp / "cache" / "cold")}
        run([*DRAFTER, "new", "--theme", "外事", "--corpus", str(corpus)], env)
        t, rss = best(5, [*DRAFTER, "new", "--theme", "外事", "--corpus", str(corpus)], env)
        row("drafter new --theme 外事, warm, --corpus extra", t, click_t, 5, rss)
        _t, _r, _o = run([PY, "-X", "importtime", "-m", "drafter", "new", "--theme", "外事"], {"DRAFTER_CACHE_DIR": str(tmp / "cache" / "shipped")})
        err = subprocess.run([PY, "-X", "importtime", "-m", "drafter", "new", "--theme", "外事"], env={**os.environ, "DRAFTER_CACHE_DIR": str(tmp / "cache" / "shipped")},
                             capture_output=True, text=True).stderr
        # top-level packages imported while drafting, with their cumulative import time; the
        # segmenters, numpy and the document readers must not be among them
        cumulative: dict[str, int] = {}
        for line in err.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                name = parts[2].strip()
                cumulative[name] = max(cumulative.get(name, 0), int(parts[1]))
        watched = {"jieba", "rjieba", "markovify", "pypdf", "docx", "numpy", "ahocorasick", "zhconv"}
        found = sorted(m for m in cumulative if m in watched)
        heavy = [m for m in found if m != "markovify"]
        shown = ", ".join(f"{m} ({cumulative[m] / 1000:.1f} ms)" for m in found) or "none"
        rows.append(("imports on the drafting path (of: segmenters, numpy, readers, markovify)", shown, "", "",
                     "ok" if not heavy else "should be none"))



def _scale(args: argparse.Namespace, corpus: Path, tmp: Path, row: Any, cache: Any) -> None:
    """Mine synthetic corpora of growing size: throughput, peak RSS and the model's size."""
    print("scale…", file=sys.stderr)
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    else:
        sizes = [] if args.no_scale else [10, 100] + ([] if args.quick else [1000])
    for size in sizes:
        folder = tmp / f"synth{size}"
        got = synthesise(corpus, folder, size * 1_000_000)
        env = cache(f"synth{size}")
        t, rss, _o = run([*DRAFTER, "mine", "--corpus", str(folder), "-j", str(args.jobs)], env, budget=args.budget)
        mpath = next((tmp / "cache" / f"synth{size}").glob("*/model.json"), None)
        if mpath is None:
            row(f"drafter mine, synthetic {got / 1e6:.0f} MB, -j {args.jobs}", t, None, None, rss,
                f"STOPPED after the {args.budget:.0f} s budget; RSS {'ok' if rss < 2048 else 'OVER 2 GB'} so far")
        else:
            model_mb = (mpath.stat().st_size + mpath.with_name("inputs.json").stat().st_size) / 1e6
            row(f"drafter mine, synthetic {got / 1e6:.0f} MB, -j {args.jobs}", t, None, None, rss,
                f"{got / 1e6 / t:.2f} MB/s; model.json {model_mb:.1f} MB; RSS {'ok' if rss < 2048 else 'OVER 2 GB'}")
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(tmp / "cache" / f"synth{size}", ignore_errors=True)


def _table(rows: list[tuple[str, str, str, str, str]]) -> None:
    head = ("figure", "time", "ratio", "peak RSS", "verdict")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


if __name__ == "__main__":
    main()
