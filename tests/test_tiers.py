"""The test tiers: a module that starts real servers or a browser is marked ``system``, so
that ``make check`` (``-m "not system"``) stays fast and ``make test`` still runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.project import TESTS

SYSTEM_MARKERS = re.compile(r"\b(caikg_server|remote_servers|playwright|schemathesis)\b")
"""What only a system test uses: a real caikg serve, oxigraph serve or Virtuoso, a browser,
or a fuzzer against a live server."""


@pytest.mark.parametrize("path", sorted(TESTS.rglob("test_*.py")),
                         ids=lambda p: str(p.relative_to(TESTS)))
def test_modules_that_start_servers_are_system_tests(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith("#") and path.name != Path(__file__).name)
    if SYSTEM_MARKERS.search(code):
        marked = re.search(r"^pytestmark = .*pytest\.mark\.system", text, re.M)
        assert marked, f"{path.name} starts servers or a browser: mark it pytest.mark.system"


def test_the_system_marker_is_declared_and_used_by_make_check() -> None:
    root = TESTS.parent
    assert '"system:' in (root / "pyproject.toml").read_text(encoding="utf-8")
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    check = makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]
    assert '-m "not system"' in check
    test = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "-m" not in test.replace("-m pytest", ""), "make test runs every tier"
