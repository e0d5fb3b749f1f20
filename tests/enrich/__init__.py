"""caikg.enrich: Wikidata enrichment against a local fake Wikidata."""
