"""A remote SPARQL 1.1 store (Virtuoso, oxigraph serve, ...) behind the same interface."""
