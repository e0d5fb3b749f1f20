"""The web application: app factory, routes, page models and drawings."""
