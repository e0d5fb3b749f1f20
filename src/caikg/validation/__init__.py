"""SHACL validation of source files, with file and line for every result."""
