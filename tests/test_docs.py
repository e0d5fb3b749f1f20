"""The README documents every command, route and CAIKG_* setting, and its quick start."""

from __future__ import annotations

import re

from caikg.cli import build_parser
from caikg.config import ENV_VARS, Settings
from caikg.store.embedded import EmbeddedStore
from caikg.web.app import create_app

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


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
        assert f"`{route}`" in README, route
