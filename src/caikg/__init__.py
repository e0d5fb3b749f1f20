"""caikg: the Compound AI Knowledge Graph."""

__version__ = "0.1.0"
