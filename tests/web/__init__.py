"""caikg.web: routes, pages, caching, the endpoint, and the system tests of the server."""
