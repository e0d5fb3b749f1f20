"""One ``caikg enrich`` run over the chosen sources: ask them, write every file atomically,
rebuild once; on any failure put every enrichment file back as it was, so that the previous
enrichment and store stay intact."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caikg.build import literature_graph
from caikg.build.pipeline import BuildError, build
from caikg.config import Settings
from caikg.enrich import literature
from caikg.enrich.client import PoliteClient, SourceError
from caikg.enrich.enricher import EnrichError, Report, enrich, read_curated
from caikg.enrich.sources.base import SOURCES
from caikg.files import write_atomically
from caikg.store.base import StoreError


def parse_sources(text: str | None) -> list[str]:
    """``--source a,b``: the sources, in their running order; all when not given."""
    if not text:
        return list(SOURCES)
    asked = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = [s for s in asked if s not in SOURCES]
    if unknown or not asked:
        raise ValueError(f"--source: unknown source(s) {', '.join(unknown) or '(none)'}; "
                         f"choose from {', '.join(SOURCES)}")
    return [s for s in SOURCES if s in asked]


@dataclass
class RunResult:
    wikidata: Report | None
    literature: literature.LiteratureReport | None

    def to_text(self) -> str:
        parts = []
        if self.wikidata is not None:
            parts.append("wikidata: " + self.wikidata.to_text())
        if self.literature is not None:
            parts.append(self.literature.to_text())
        return "\n".join(parts)


def _files(settings: Settings) -> list[Path]:
    return [settings.enrichment_file, settings.enrichment_dir / "report.json",
            settings.enrichment_dir / "drift.json",
            *(literature_graph.file_of(settings, s) for s in literature_graph.SOURCES)]


def run(settings: Settings, sources: Sequence[str], *, offline: bool = False,
        dry_run: bool = False, limit: int | None = None, rebuild: bool = True,
        now: Callable[[], float] = time.time, stream: Any = None,
        progress: Callable[[str], None] = lambda _m: None,
        wikidata_client: Any = None,
        client_factory: Callable[[str], PoliteClient] | None = None) -> RunResult:
    """Enrich from ``sources``; raise :class:`EnrichError` with everything as it was."""
    saved = {p: (p.read_bytes() if p.exists() else None) for p in _files(settings)}

    def restore() -> None:
        for path, data in saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, data)

    wikidata_report = literature_report = None
    try:
        if "wikidata" in sources:
            wikidata_report = enrich(settings, client=wikidata_client, offline=offline,
                                     dry_run=dry_run, limit=limit, rebuild=False, now=now,
                                     stream=stream).report
        others = [s for s in sources if s != "wikidata"]
        if others:
            curated = read_curated(settings)
            if limit is not None:
                curated.works = sorted(curated.works, key=lambda w: w.iri)[:limit]
            graphs, literature_report = literature.collect(
                settings, curated, others, offline=offline, now=now, stream=stream,
                client_factory=client_factory)
            if not dry_run:
                literature.write(settings, graphs, literature_report)
    except SourceError as exc:
        restore()
        raise EnrichError(f"{exc}; the previous enrichment was kept") from None
    except BaseException:  # EnrichError, Ctrl-C, a bug: nothing half-written stays
        restore()
        raise
    if rebuild and not dry_run:
        try:
            build(settings, progress=progress)
        except (BuildError, StoreError) as exc:
            restore()
            raise EnrichError(f"the rebuild failed, the previous enrichment was restored: "
                              f"{exc}") from None
    return RunResult(wikidata_report, literature_report)
