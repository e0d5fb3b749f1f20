"""Rules of the code base that a reader relies on: no module reaches into another module's
private names, and one definition of the characters XML cannot carry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.helpers.project import SRC

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
    """The XML 1.0 character class is written once (caikg/rdf/xmltext.py); others use it."""
    pattern = re.compile(r"ud7ff|ud800|uffff|\\x1f")
    holders = sorted(str(p.relative_to(SRC)) for p in MODULES
                     if pattern.search(p.read_text(encoding="utf-8"))
                     and p.name not in {"guard.py", "bibtex.py"})
    # guard.py (IRI syntax of SPARQL) and bibtex.py (LaTeX control characters) are about
    # other grammars than XML
    assert holders == ["rdf/xmltext.py"], holders


LAYERS: tuple[tuple[str, ...], ...] = (
    ("caikg", "caikg.config", "caikg.files"),
    ("caikg.rdf",),
    ("caikg.queries",),
    ("caikg.sparql",),
    ("caikg.store",),
    ("caikg.validation",),
    ("caikg.export", "caikg.reports"),
    ("caikg.build",),
    ("caikg.importer", "caikg.enrich"),
    ("caikg.web",),
    ("caikg.cli", "caikg.__main__"),
)
"""The layers, lowest first (docs/ARCHITECTURE.md). A module may import its own layer's
package and the layers below; packages side by side in one layer do not import each other."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> tuple[int, str]:
    """The layer and the package (a LAYERS entry) that ``module`` belongs to."""
    best: tuple[int, str] | None = None
    for rank, units in enumerate(LAYERS):
        for unit in units:
            inside = module == unit or module.startswith(unit + ".")
            if inside and unit != "caikg" and (best is None or len(unit) > len(best[1])):
                best = (rank, unit)
    if best is None:
        assert module == "caikg" or module.count(".") == 1, f"{module} is in no layer"
        return (0, "caikg")
    return best


def imported_modules(path: Path, module: str) -> list[tuple[int, str]]:
    """What the module ``module`` (in ``path``) imports, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("caikg")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("caikg"):
                found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_go_down_the_layers(path: Path) -> None:
    here = unit_of(module_name(path))
    wrong = []
    for line, target in imported_modules(path, module_name(path)):
        there = unit_of(target)
        if there[0] > here[0] or (there[0] == here[0] and there[1] != here[1]):
            wrong.append(f"line {line}: {target} ({there[1]})")
    assert not wrong, f"{module_name(path)} ({here[1]}) imports upward or sideways: {wrong}"


def test_the_layer_check_fails_on_an_upward_import(tmp_path: Path) -> None:
    """The check itself: a store module that imports the web layer is caught."""
    assert unit_of("caikg.store.upward_example") == (4, "caikg.store")
    assert unit_of("caikg.web.routes.sparql") == (9, "caikg.web")
    assert unit_of("caikg.cli") > unit_of("caikg.web.app")
    source = tmp_path / "upward_example.py"
    source.write_text("from ...web.app import create_app\nfrom caikg.rdf import iris\n",
                      encoding="utf-8")
    found = imported_modules(source, "caikg.store.pool.upward_example")
    assert found == [(1, "caikg.web.app.create_app"), (2, "caikg.rdf.iris")]
    here = unit_of("caikg.store.pool.upward_example")
    assert [unit_of(target)[0] > here[0] for _, target in found] == [True, False]


def test_one_name_normaliser() -> None:
    """Names and titles are compared in one form (caikg/rdf/names.py); iris.py and bibtex.py
    fold text to ASCII to mint slugs and citation keys, which is not a comparison."""
    holders = sorted(str(p.relative_to(SRC)) for p in MODULES
                     if "unicodedata.normalize" in p.read_text(encoding="utf-8"))
    assert holders == ["export/bibtex.py", "rdf/iris.py", "rdf/names.py"], holders
