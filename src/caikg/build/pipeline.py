"""``caikg build``: parse, validate with SHACL, and only then load a new store atomically."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from caikg.build import changes, void
from caikg.build import enrichment_graph as enrichment
from caikg.build import literature_graph as literature
from caikg.build.changes import WorkFacts
from caikg.build.record import read_curated
from caikg.config import Settings
from caikg.export.dumps import render_build_exports, write_rendered_exports
from caikg.rdf.namespaces import Instances
from caikg.rdf.sources import SourceError, SourceSet, read_sources, rebase_sources
from caikg.store.base import BuildInfo
from caikg.store.embedded import EmbeddedStore, build_lock, data_version, load_graphs
from caikg.store.factory import Publication, PublishError, begin_publication, store_location
from caikg.store.pool.memory import malloc_trim
from caikg.validation.report import ValidationReport, validate_sources

Progress = Callable[[str], None]


class BuildError(Exception):
    """The build was refused; the previous store is untouched."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    info: BuildInfo
    store_dir: Path | None
    """The new store's directory (None when it was loaded into a remote store)."""
    report: ValidationReport


def _timed(progress: Progress, label: str) -> Callable[[], None]:
    start = time.perf_counter()
    progress(f"{label} …")

    def done() -> None:
        progress(f"{label}: done in {time.perf_counter() - start:.2f} s")

    return done


def _read_enrichment(settings: Settings, data: SourceSet, inst: Instances,
                     progress: Progress) -> list[ox.Triple] | None:
    """The checked enrichment graph of ``caikg enrich``, if there is one (see enrichment.py)."""
    path = settings.enrichment_file
    if not path.exists():
        return None
    try:
        triples = rebase_sources(read_sources([path]), settings.base_iri).triples
    except SourceError as exc:
        raise BuildError(f"enrichment file {exc}; the store was not changed "
                         f"(re-run 'caikg enrich' or remove the file)") from None
    subjects = {t.subject.value for t in data.triples if isinstance(t.subject, ox.NamedNode)}
    try:
        keep, stale = enrichment.check(triples, inst, subjects)
    except enrichment.EnrichmentError as exc:
        raise BuildError(f"enrichment file {path}: {exc}; the store was not changed "
                         f"(re-run 'caikg enrich' or remove the file)") from None
    progress(f"      {len(keep)} enrichment triples from {path}"
             + (f" ({len(stale)} entities no longer in the data ignored)" if stale else ""))
    return keep


def _read_literature(settings: Settings, data: SourceSet, inst: Instances,
                     progress: Progress) -> dict[str, list[ox.Triple]]:
    """The checked literature graph of each source ``caikg enrich`` asked (literature_graph)."""
    out: dict[str, list[ox.Triple]] = {}
    subjects = {t.subject.value for t in data.triples if isinstance(t.subject, ox.NamedNode)}
    for source, path in literature.files(settings).items():
        try:
            triples = rebase_sources(read_sources([path]), settings.base_iri).triples
            keep, stale = literature.check(triples, inst, source, subjects)
        except SourceError as exc:
            raise BuildError(f"literature file {exc}; the store was not changed "
                             f"(re-run 'caikg enrich --source {source}' or remove the file)"
                             ) from None
        except literature.LiteratureError as exc:
            raise BuildError(f"literature file {path}: {exc}; the store was not changed "
                             f"(re-run 'caikg enrich --source {source}' or remove the file)"
                             ) from None
        progress(f"      {len(keep)} literature triples from {path}"
                 + (f" ({len(stale)} entities no longer in the data ignored)" if stale else ""))
        out[literature.graph_iri(inst, source)] = keep
    return out


@contextlib.contextmanager
def _publication(settings: Settings, version: str) -> Iterator[Publication]:
    """The publication of build ``version``, discarded if the build fails before or while it
    is published (the previous build is still served)."""
    try:
        publication = begin_publication(settings, version)
    except PublishError as exc:
        raise BuildError(str(exc)) from None
    try:
        yield publication
    except PublishError as exc:
        publication.discard()
        raise BuildError(str(exc)) from None
    except BaseException:
        publication.discard()
        raise


def _describe(graphs: dict[str, list[ox.Triple]], inst: Instances, base_iri: str,
              version: str, built_at: str) -> tuple[dict[str, bytes], dict[str, WorkFacts]]:
    """Add the VoID description to ``graphs``; render the Turtle dump and read the facts the
    change log compares, from a store in memory that is let go before returning (the curated
    graph's load runs beside it: the two together are the build's peak memory, 1.2 GB at 1M
    triples)."""
    curated = str(inst.curated_graph)
    staging = EmbeddedStore.in_memory({curated: graphs[curated]}, base_iri, version)
    graphs[str(inst.void_graph)] = void.describe(staging, version, modified=built_at)
    load_graphs(staging, {g: t for g, t in graphs.items() if g != curated})
    rendered = render_build_exports(staging)
    works = changes.snapshot(staging)
    del staging
    malloc_trim()  # give its pages back: the loader's large buffers are fresh mappings
    return rendered, works


def build(settings: Settings, data_paths: Sequence[Path] | None = None,
          progress: Progress = lambda _msg: None) -> BuildResult:
    """Build a new store from the ontology and data; raise :class:`BuildError` if refused."""
    inst = Instances(settings.base_iri)
    paths = list(data_paths) if data_paths else [settings.data_dir]

    done = _timed(progress, "[1/5] parsing ontology and data")
    ontology_file = settings.ontology_dir / "caikg.ttl"
    ontology = rebase_sources(read_sources([ontology_file]), settings.base_iri)
    data = read_curated(paths, settings.base_iri)
    if not data.files:
        raise BuildError(f"no RDF data files in {', '.join(str(p) for p in paths)}")
    done()
    progress(f"      {len(data)} data triples from {len(data.files)} file(s), "
             f"{len(ontology)} ontology triples")
    enriched = _read_enrichment(settings, data, inst, progress)
    literature_graphs = _read_literature(settings, data, inst, progress)

    done = _timed(progress, "[2/5] validating with SHACL")
    report = validate_sources(data, settings)
    malloc_trim()  # the validation's store is gone: its pages back before the next stages
    done()
    if not report.conforms:
        raise BuildError(f"the data does not conform to the shapes "
                         f"({len(report.violations)} violation(s)); the store was not changed",
                         report)

    done = _timed(progress, "[3/5] describing the dataset (VoID)")
    graphs: dict[str, list[ox.Triple]] = {
        str(inst.ontology_graph): ontology.triples,
        str(inst.curated_graph): data.triples,
    }
    if enriched is not None:
        graphs[str(inst.enrichment_graph)] = enriched
    graphs.update(literature_graphs)
    version = data_version(graphs)
    built_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with build_lock(settings), _publication(settings, version) as publication:
        # the curated graph goes into the new store while this process describes the data
        # (Oxigraph's bulk loader runs without the GIL); nothing is served before [4/5]
        publication.load_beside(str(inst.curated_graph), data.triples)
        rendered, works = _describe(graphs, inst, settings.base_iri, version, built_at)
        done()

        done = _timed(progress, f"[4/5] loading the store ({store_location(settings)})")
        info = BuildInfo(
            version=version,
            built_at=built_at,
            base_iri=settings.base_iri,
            sources=[str(p) for p in [*ontology.files, *data.files]]
            + ([str(settings.enrichment_file)] if enriched is not None else [])
            + [str(p) for p in literature.files(settings).values()],
        )
        with changes.recorded(settings, works, info, progress):
            store_dir = publication.publish(graphs, info, progress)
        done()

    done = _timed(progress, "[5/5] writing the Turtle dump")
    try:
        for path in write_rendered_exports(rendered, settings.exports_dir, version):
            progress(f"      {path}")
    except OSError as exc:  # the store is built: the dump will be written on first use
        progress(f"      cannot write the dump ({exc}); it will be written when first asked for")
    done()
    return BuildResult(info=info, store_dir=store_dir, report=report)
