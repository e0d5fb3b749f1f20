"""Page models: what each HTML page shows, read from the store."""
