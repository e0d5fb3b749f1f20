"""The ontology, the shapes and the shipped data (data-driven: valid/invalid pairs)."""
