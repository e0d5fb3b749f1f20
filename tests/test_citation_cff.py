"""CITATION.cff: valid Citation File Format 1.2.0 and true to pyproject.toml and the data.

The CFF project's validator (cffconvert 2.0.0, 2021) pins jsonschema 3 and is no longer
released, and no maintained package ships the CFF JSON schema, so this test checks the rules
of the 1.2.0 schema a file like ours can break: the required keys, the keys the format knows,
the types of authors and references, SPDX licences (with ``packaging``'s SPDX list), dates,
URLs and the DOI form."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from typing import Any

import pytest
import yaml
from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from caikg.build.void import LICENSE as DATA_LICENSE
from tests.helpers.project import REPO

CFF = REPO / "CITATION.cff"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

ROOT_KEYS = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
             "identifiers", "keywords", "license", "license-url", "message",
             "preferred-citation", "references", "repository", "repository-artifact",
             "repository-code", "title", "type", "url", "version"}
REQUIRED = {"authors", "cff-version", "message", "title"}
REFERENCE_TYPES = {"art", "article", "audiovisual", "bill", "blog", "book", "catalogue",
                   "conference", "conference-paper", "data", "database", "dictionary",
                   "edited-work", "encyclopedia", "film-broadcast", "generic",
                   "government-document", "grant", "hearing", "historical-work",
                   "legal-case", "legal-rule", "magazine-article", "manual", "map",
                   "multimedia", "music", "newspaper-article", "pamphlet", "patent",
                   "personal-communication", "proceedings", "report", "serial", "slides",
                   "software", "software-code", "software-container", "software-executable",
                   "software-virtual-machine", "sound-recording", "standard", "statute",
                   "thesis", "unpublished", "video", "website"}
PERSON_KEYS = {"address", "affiliation", "alias", "city", "country", "email", "family-names",
               "fax", "given-names", "name-particle", "name-suffix", "orcid", "post-code",
               "region", "tel", "website"}
ENTITY_KEYS = {"address", "alias", "city", "country", "date-end", "date-start", "email",
               "fax", "location", "name", "orcid", "post-code", "region", "tel", "website"}
URL_KEYS = {"url", "repository", "repository-code", "repository-artifact", "license-url"}


def problems_of_authors(where: str, authors: Any) -> list[str]:
    if not isinstance(authors, list) or not authors:
        return [f"{where}: authors must be a non-empty list"]
    found = []
    for author in authors:
        if not isinstance(author, dict) or not author:
            found.append(f"{where}: author {author!r}")
        elif "name" in author:  # an entity
            if set(author) - ENTITY_KEYS or not str(author["name"]).strip():
                found.append(f"{where}: entity {author!r}")
        elif set(author) - PERSON_KEYS:
            found.append(f"{where}: person with {sorted(set(author) - PERSON_KEYS)}")
    return found


def problems_of_values(where: str, data: dict[str, Any]) -> list[str]:
    found = []
    for key in URL_KEYS & set(data):
        if not re.fullmatch(r"(https|http|ftp|sftp)://.+", str(data[key])):
            found.append(f"{where}: {key} is not a URL")
    if "license" in data:
        licences = data["license"] if isinstance(data["license"], list) else [data["license"]]
        for licence in licences:
            try:
                if canonicalize_license_expression(licence) != licence:
                    found.append(f"{where}: licence {licence!r} is not an SPDX identifier")
            except InvalidLicenseExpression:
                found.append(f"{where}: licence {licence!r} is not an SPDX identifier")
    if "doi" in data and not re.fullmatch(r"10\.\d{4,9}(\.\d+)?/[A-Za-z0-9:/_;\-.()\[\]\\]+",
                                          str(data["doi"])):
        found.append(f"{where}: doi")
    if "date-released" in data and not isinstance(data["date-released"], date):
        found.append(f"{where}: date-released must be YYYY-MM-DD")
    if "version" in data and not isinstance(data["version"], str | int | float):
        found.append(f"{where}: version")
    if "keywords" in data and not (isinstance(data["keywords"], list) and all(
            isinstance(k, str) and k for k in data["keywords"])):
        found.append(f"{where}: keywords")
    return found


def cff_problems(data: Any) -> list[str]:
    """What the CFF 1.2.0 schema would refuse in ``data``."""
    if not isinstance(data, dict):
        return ["not a mapping"]
    found = [f"missing {key}" for key in sorted(REQUIRED - set(data))]
    found += [f"unknown key {key}" for key in sorted(set(data) - ROOT_KEYS)]
    if data.get("cff-version") != "1.2.0":
        found.append("cff-version must be 1.2.0")
    if data.get("type", "software") not in ("software", "dataset"):
        found.append("type must be software or dataset")
    for key in ("message", "title", "abstract"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            found.append(f"{key} must be a non-empty string")
    found += problems_of_authors("root", data.get("authors"))
    found += problems_of_values("root", data)
    references = data.get("references", [])
    if "preferred-citation" in data:
        references = [*references, data["preferred-citation"]]
    for i, ref in enumerate(references):
        where = f"reference {i + 1}"
        if not isinstance(ref, dict):
            found.append(f"{where}: not a mapping")
            continue
        found += [f"{where}: missing {k}" for k in ("type", "title", "authors") if k not in ref]
        if ref.get("type") not in REFERENCE_TYPES:
            found.append(f"{where}: type {ref.get('type')!r}")
        found += problems_of_authors(where, ref.get("authors"))
        found += problems_of_values(where, ref)
    return found


def load() -> Any:
    return yaml.safe_load(CFF.read_text(encoding="utf-8"))


def test_citation_cff_is_valid_cff_1_2_0() -> None:
    assert cff_problems(load()) == []


def test_citation_cff_says_what_the_project_says() -> None:
    data = load()
    project = PYPROJECT["project"]
    assert str(data["version"]) == project["version"]
    assert data["license"] == project["license"]
    assert data["type"] == "software"
    # no person is named: the project names none
    assert data["authors"] == [{"name": "The caikg contributors"}]
    # no repository URL: none is stated in the repository
    assert not {"repository-code", "repository", "repository-artifact"} & set(data)
    dataset, = (r for r in data["references"] if r["type"] == "data")
    assert dataset["title"] == "Compound AI Knowledge Graph"
    assert DATA_LICENSE == "https://creativecommons.org/licenses/by/4.0/"
    assert dataset["license"] == "CC-BY-4.0"


@pytest.mark.parametrize(("change", "problem"), [
    (lambda d: d.pop("title"), "missing title"),
    (lambda d: d.update({"cff-version": "1.1.0"}), "cff-version must be 1.2.0"),
    (lambda d: d.update({"licence": "MIT"}), "unknown key licence"),
    (lambda d: d.update({"license": "MIT License"}),
     "root: licence 'MIT License' is not an SPDX identifier"),
    (lambda d: d.update({"authors": []}), "root: authors must be a non-empty list"),
    (lambda d: d["authors"].append({"given": "Ann"}), "root: person with ['given']"),
    (lambda d: d.update({"type": "data"}), "type must be software or dataset"),
    (lambda d: d.update({"date-released": "06/12/2026"}),
     "root: date-released must be YYYY-MM-DD"),
    (lambda d: d.update({"repository-code": "github.com/x/y"}),
     "root: repository-code is not a URL"),
    (lambda d: d["references"][0].update({"type": "dataset"}), "reference 1: type 'dataset'"),
    (lambda d: d["references"][0].pop("authors"), "reference 1: missing authors"),
])
def test_the_check_finds_each_kind_of_mistake(change: Any, problem: str) -> None:
    data = load()
    change(data)
    assert problem in cff_problems(data)
