"""caikg.build: the pipeline, backups, the curated record, faults and kills."""
