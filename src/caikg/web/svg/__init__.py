"""SVG drawings for pages (charts, co-author network)."""
