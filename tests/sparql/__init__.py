"""caikg.sparql: the guard, the protocol, SPARQL JSON terms and the result writers."""
