"""A plain (non-editable) install carries the default corpus and the templates inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="not a source checkout")
def test_wheel_ships_corpus_templates_and_themes(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        pytest.skip(f"wheel build unavailable here: {proc.stderr[-200:]}")
    (wheel,) = tmp_path.glob("drafter-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    seeds = sorted(p.name for p in (ROOT / "corpus").glob("*.txt"))
    assert seeds and all(f"drafter/_shipped/corpus/{s}" in names for s in seeds)
    assert any(n.startswith("drafter/_shipped/templates/") and n.endswith(".j2") for n in names)
    assert "drafter/themes.toml" in names


def test_shipped_paths_resolve_from_the_package() -> None:
    from drafter.paths import shipped_corpus, shipped_templates

    assert sorted(p.name for p in shipped_corpus().glob("*.txt")) == sorted(p.name for p in (ROOT / "corpus").glob("*.txt"))
    assert any(shipped_templates().glob("*.j2"))
