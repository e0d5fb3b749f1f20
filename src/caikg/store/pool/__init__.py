"""Worker processes that answer user queries over the embedded store, with deadlines and a
memory policy."""
