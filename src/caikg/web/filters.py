"""Jinja filters shared by the templates. Text from the data is always escaped (Jinja's
autoescape); only http, https and mailto IRIs ever become links."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

from caikg import __version__
from caikg.rdf.namespaces import PREFIXES

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def safe_href(value: object) -> str | None:
    """``value`` if it is an http(s) or mailto IRI, else None (the template shows text)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if any(ord(c) < 0x21 for c in text):
        return None
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in SAFE_SCHEMES else None


def local_path(value: object, base: str) -> str | None:
    """The site path of an instance IRI under ``base`` (so links stay on this server)."""
    if isinstance(value, str) and value.startswith(base):
        return "/" + value[len(base):]
    return None


def curie(value: object) -> str:
    """A prefixed name for well-known namespaces, else the IRI."""
    text = str(value)
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text


def install(app: Flask, base_iri: str) -> None:
    app.jinja_env.filters["safe_href"] = safe_href
    app.jinja_env.filters["curie"] = curie
    app.jinja_env.filters["local_path"] = lambda v: local_path(v, base_iri)

    @app.context_processor
    def globals_() -> dict[str, object]:
        return {"software_version": __version__, "base_iri": base_iri}
