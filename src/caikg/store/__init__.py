"""The store layer: one interface (base), the embedded Oxigraph store, the worker pool and
remote SPARQL stores. Only this layer runs SPARQL against a store."""
