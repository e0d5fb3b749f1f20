"""The README documents every command, route and CAIKG_* setting, and its quick start."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from caikg.cli import build_parser
from caikg.config import ENV_VARS, Settings
from caikg.store.embedded import EmbeddedStore
from caikg.web.app import create_app
from tests.helpers.project import REPO, SRC

README = (REPO / "README.md").read_text(encoding="utf-8")
USING = (REPO / "docs" / "USING.md").read_text(encoding="utf-8")
"""The user manual: the web routes are documented there."""


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)  # type: ignore[arg-type]


def test_quick_start_is_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [ln for ln in block.group(1).splitlines() if ln.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["make run", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_every_command_is_documented() -> None:
    for command in _subcommands():
        assert f"`caikg {command}" in README, command


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`(CAIKG_[A-Z_]+)`", README))
    assert set(ENV_VARS) <= documented
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "src").rglob("*.py"))
    used = set(re.findall(r"CAIKG_[A-Z_]+", source))
    assert used <= documented | {"CAIKG_"}, used - documented


def test_every_route_is_documented(built_settings: Settings, store: EmbeddedStore) -> None:
    app = create_app(built_settings, store=store)
    app.extensions["caikg_executor"].close()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        route = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"<\1>", rule.rule)
        assert f"`{route}`" in README + USING, route


DOCS = sorted((REPO / "docs").glob("*.md"))
PATH_REFERENCE = re.compile(r"`((?:src|tests|benchmarks|ontology|data|web|docs)/[\w./-]*)`")
MODULE_REFERENCE = re.compile(r"`(caikg(?:\.\w+)+)(?:::(\w+))?`|`((?:\w+/)+\w+\.py)::(\w+)`")


def _resolve_module(dotted: str) -> tuple[object, str]:
    """The module a dotted name starts with, and the attribute path after it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        return module, ".".join(parts[cut:])
    raise AssertionError(f"{dotted}: no such module")


@pytest.mark.parametrize("doc", [REPO / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = [ref for ref in PATH_REFERENCE.findall(text)
               if "<" not in ref and "*" not in ref
               and not any((root / ref.rstrip("/")).exists() for root in (REPO, SRC))]
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def test_architecture_names_real_modules_and_functions() -> None:
    """Every `caikg.x.y`, `caikg.x::name` and `pkg/module.py::name` of docs/ARCHITECTURE.md
    exists, and every package of the layer table is a package of the code."""
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    checked = 0
    for dotted, attr, path, name in MODULE_REFERENCE.findall(text):
        if path:
            root = REPO if path.startswith("tests/") else SRC.parent
            module_path = root / path if path.startswith("tests/") else SRC / path
            assert module_path.exists(), path
            dotted = ".".join(module_path.relative_to(root).with_suffix("").parts)
            attr = name
        module, rest = _resolve_module(dotted)
        for part in [p for p in (rest.split(".") if rest else []) + ([attr] if attr else []) if p]:
            assert hasattr(module, part), f"{dotted}::{attr}: no {part}"
            module = getattr(module, part)
        checked += 1
    assert checked >= 10
    packages = set(re.findall(r"`caikg/(\w+)/`", text))
    on_disk = {p.parent.name for p in (REPO / "src" / "caikg").glob("*/__init__.py")}
    assert on_disk - {"resources"} <= packages, on_disk - packages
