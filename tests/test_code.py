"""Rules of the code base that a reader relies on: no module reaches into another module's
private names, and one definition of the characters XML cannot carry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "caikg"
MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_another_modules_private_names(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    private = [f"line {node.lineno}: {alias.name} from {node.module or '.'}"
               for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names
               if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not private, f"{path.relative_to(SRC)} imports private names: {private}"


def test_one_definition_of_what_xml_cannot_carry() -> None:
    """The XML 1.0 character class is written once (caikg/xmltext.py); others use it."""
    pattern = re.compile(r"ud7ff|ud800|uffff|\\x1f")
    holders = sorted(str(p.relative_to(SRC)) for p in MODULES
                     if pattern.search(p.read_text(encoding="utf-8"))
                     and p.name not in {"guard.py", "bibtex.py"})
    # guard.py (IRI syntax of SPARQL) and bibtex.py (LaTeX control characters) are about
    # other grammars than XML
    assert holders == ["rdf/xmltext.py"], holders
