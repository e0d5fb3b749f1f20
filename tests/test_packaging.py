"""The wheel carries everything caikg needs outside the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers.project import REPO

pytestmark = pytest.mark.system  # real servers, processes or a browser: make test, not make check


def test_wheel_carries_code_ontology_data_and_web_assets(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("caikg-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    src = REPO / "src"
    expected = {str(p.relative_to(src)) for p in src.rglob("*.py")}
    expected |= {str(p.relative_to(src)) for p in (src / "caikg" / "queries").glob("*.rq")}
    for folder, pattern in [("ontology", "*.ttl"), ("data", "*.ttl"), ("data/record", "*.trig"),
                            ("web/templates", "*.html"), ("web/static/css", "*.css"),
                            ("web/static/js", "*.js"), ("web/static", "*.svg")]:
        expected |= {f"caikg/resources/{folder}/{p.name}"
                     for p in (REPO / folder).glob(pattern)}
    expected.add("caikg/resources/web/static/vendor/yasgui/yasgui.min.js")
    assert expected - names == set()
    assert not any("node_modules" in n for n in names)
