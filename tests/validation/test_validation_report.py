"""Validation reports of large wrong data: every result located in one read of each file, and a
report of a screenful (counts per rule, the first results of each) unless ``--all``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from caikg.config import Settings
from caikg.rdf.sources import read_sources
from caikg.validation.report import FIRST_PER_RULE, MAX_FOCUS_NODES, validate_sources
from tests.helpers.project import make_settings

PREFIXES = """\
@prefix schema: <https://schema.org/> .
@prefix caikg: <https://w3id.org/caikg/ontology#> .
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix paper: <https://w3id.org/caikg/paper/> .
"""


def bad_papers(path: Path, n: int) -> Path:
    """``n`` papers that each break the same rules (no title, no year, a bad arXiv id)."""
    body = "".join(f"paper:bad-{i} a schema:ScholarlyArticle ;\n"
                   f"    bibo:status caikg:Published ;\n"
                   f"    caikg:arxivId \"not-an-id-{i}\" .\n\n" for i in range(n))
    path.write_text(PREFIXES + "\n" + body, encoding="utf-8")
    return path


@pytest.fixture
def data_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


def test_results_are_located_with_one_read_per_file(tmp_path: Path, data_settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = bad_papers(tmp_path / "bad.ttl", 300)
    sources = read_sources([path])
    reads: list[Path] = []
    original = Path.read_text

    def counting(self: Path, *args: object, **kwargs: object) -> str:
        reads.append(self)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", counting)
    report = validate_sources(sources, data_settings)
    assert len(report.violations) >= 600
    assert reads.count(path) == 1, f"{path} was read {reads.count(path)} times"
    lines = path.read_text(encoding="utf-8").splitlines()
    for r in report.violations:
        assert r.file == path and r.line is not None
        assert lines[r.line - 1].startswith(f"paper:{r.focus.rsplit('/', 1)[-1]} ")


def test_a_large_report_is_summarised_per_rule(tmp_path: Path, data_settings: Settings) -> None:
    n = MAX_FOCUS_NODES + 30
    report = validate_sources(read_sources([bad_papers(tmp_path / "bad.ttl", n)]),
                              data_settings)
    text = report.to_text()
    lines = text.splitlines()
    assert len(lines) < 80, "a screenful"
    rules = {(r.shape, r.constraint) for r in report.results}
    for shape, constraint in rules:
        count = sum(1 for r in report.results if (r.shape, r.constraint) == (shape, constraint))
        assert any(line.split()[0] == str(count) and shape in line for line in lines[1:]), shape
    shown = [line for line in lines if line.startswith("https://w3id.org/caikg/paper/bad-")]
    assert len(shown) == FIRST_PER_RULE * len(rules)
    assert all("bad.ttl:" in line for line in shown)
    assert f"and {n - FIRST_PER_RULE} more" in text
    assert text.splitlines()[-1].startswith("Data does NOT conform")
    # every result when asked
    full = report.to_text(limit=None)
    assert all(f"paper/bad-{i}  [" in full for i in range(n))


def test_validate_all_lists_every_result(tmp_path: Path) -> None:
    n = MAX_FOCUS_NODES + 5
    path = bad_papers(tmp_path / "bad.ttl", n)
    env_home = ["--home", str(tmp_path / "home")]
    short = subprocess.run([sys.executable, "-m", "caikg.cli", *env_home, "validate",
                            "--data", str(path)], capture_output=True, text=True, timeout=120)
    full = subprocess.run([sys.executable, "-m", "caikg.cli", *env_home, "validate",
                           "--data", str(path), "--all"], capture_output=True, text=True,
                          timeout=120)
    assert short.returncode == full.returncode == 1
    assert "'caikg validate --all' lists every result" in short.stdout
    assert len(full.stdout.splitlines()) > len(short.stdout.splitlines())
    assert all(f"paper/bad-{i}  [" in full.stdout for i in range(n))
