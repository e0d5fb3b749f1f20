"""caikg.rdf: reading source files (hostile ones too) and writing files atomically."""
