"""RDF terms, identifiers, formats and source files: what everything else speaks."""
