"""caikg.export: dumps in every RDF format."""
