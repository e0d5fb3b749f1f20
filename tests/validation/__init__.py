"""caikg.validation: the SPARQL SHACL engine against pySHACL, and the report."""
