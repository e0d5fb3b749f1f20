"""Flask blueprints: thin routes that parse a request and render a page model."""
