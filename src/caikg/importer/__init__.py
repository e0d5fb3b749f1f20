"""Importing a curator's Markdown reading list into data/*.ttl."""
