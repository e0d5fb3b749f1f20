"""SPARQL itself, independent of any store: the query guard, the HTTP protocol, result
writers, the service description."""
