"""Enrichment from outside sources (Wikidata), kept apart from curated facts."""
