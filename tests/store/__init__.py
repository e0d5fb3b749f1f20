"""caikg.store: the worker pool, its zygote, and remote stores on real servers."""
