"""caikg.importer: Markdown reading lists into linked data."""
