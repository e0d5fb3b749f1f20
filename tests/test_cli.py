"""The caikg command line, run as a user would (subprocesses)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from caikg.cli import build_parser
from tests.helpers.project import REPO


def caikg(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "caikg.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _subcommands() -> list[str]:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(action.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", [None, *_subcommands()])
def test_help(command: str | None, cli_env: dict[str, str]) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    out = caikg(*args, env=cli_env).stdout
    assert "usage: caikg" in out


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "caikg"
    assert script.exists() or shutil.which("caikg")


def test_build_validate_query_stats_export(cli_env: dict[str, str], tmp_path: Path) -> None:
    built = caikg("build", env=cli_env)
    assert "built store" in built.stdout
    assert "[5/5]" in built.stderr  # progress is shown

    validated = caikg("validate", env=cli_env)
    assert "Data conforms" in validated.stdout

    ttl = caikg("validate", "--format", "ttl", env=cli_env).stdout
    assert "sh:ValidationReport" in ttl

    q = ("SELECT ?title WHERE { ?w a schema:ScholarlyArticle ; caikg:arxivId \"2407.16831\" ;"
         " dcterms:title ?title }")
    table = caikg("query", q, env=cli_env).stdout
    assert "Networks of Networks" in table and "(1 row)" in table
    rows = list(csv.reader(io.StringIO(caikg("query", q, "--format", "csv",
                                             env=cli_env).stdout)))
    assert rows[0] == ["title"] and rows[1][0].startswith("Networks of Networks")
    js = json.loads(caikg("query", q, "--format", "json", env=cli_env).stdout)
    assert js["results"]["bindings"][0]["title"]["value"].startswith("Networks of Networks")
    query_file = tmp_path / "q.rq"
    query_file.write_text("ASK { ?p a schema:Person }", encoding="utf-8")
    assert caikg("query", f"@{query_file}", env=cli_env).stdout.strip() == "true"

    stats = caikg("stats", "--format", "json", env=cli_env).stdout
    data = json.loads(stats)
    counts = {row["class"]: row["count"] for row in data["classes"]}
    assert counts["https://schema.org/ScholarlyArticle"] == 41
    assert counts["https://schema.org/BlogPosting"] == 1
    assert data["top_authors"][0]["count"] >= 3
    assert any(t["count"] > 0 for t in data["techniques"])
    text = caikg("stats", env=cli_env).stdout
    assert "Top 10 authors" in text and "Papers per technique" in text

    out = tmp_path / "kg.nt"
    caikg("export", "--format", "nt", "-o", str(out), env=cli_env)
    assert out.read_text(encoding="utf-8").count("\n") > 500


def test_query_syntax_error(cli_env: dict[str, str]) -> None:
    caikg("build", env=cli_env)
    proc = caikg("query", "SELECT ?x WHERE { ?x ", env=cli_env, check=False)
    assert proc.returncode == 2
    assert "error" in proc.stderr


def test_query_makes_no_outbound_requests(cli_env: dict[str, str]) -> None:
    from tests.helpers.servers import Canary

    caikg("build", env=cli_env)
    with Canary() as canary:
        for q in [f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
                  f"SELECT * FROM <{canary.url}x.ttl> WHERE {{ ?s ?p ?o }}"]:
            proc = caikg("query", q, env=cli_env, check=False)
            assert proc.returncode == 2 and "refused" in proc.stderr
        assert canary.requests == []


def test_commands_without_store_explain(cli_env: dict[str, str]) -> None:
    proc = caikg("stats", env=cli_env, check=False)
    assert proc.returncode == 1
    assert "caikg build" in proc.stderr


def test_validate_bad_data_names_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix schema: <https://schema.org/> .\n"
                   "<https://w3id.org/caikg/person/x> a schema:Person .\n", encoding="utf-8")
    proc = caikg("validate", "--data", str(bad), env=cli_env, check=False)
    assert proc.returncode == 1
    assert f"{bad}:2" in proc.stdout
    assert "Violation" in proc.stdout


def test_build_bad_turtle_names_file_and_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix schema: <https://schema.org/> .\n<x> schema:name .\n",
                   encoding="utf-8")
    proc = caikg("build", "--data", str(bad), env=cli_env, check=False)
    assert proc.returncode == 1
    assert f"{bad}:2" in proc.stderr


def test_bad_setting_is_named(cli_env: dict[str, str]) -> None:
    proc = caikg("stats", env={**cli_env, "CAIKG_PORT": "x"}, check=False)
    assert proc.returncode == 2 and "CAIKG_PORT" in proc.stderr


def test_repo_layout() -> None:
    for path in ["ontology/caikg.ttl", "ontology/shapes.ttl", "data/survey.ttl",
                 "pyproject.toml", ".ci/run", "Makefile"]:
        assert (REPO / path).exists(), path
