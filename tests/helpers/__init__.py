"""What several test modules share: paths and settings, servers started on 127.0.0.1
(caikg serve, Virtuoso, oxigraph serve, a fake Wikidata), and the query workers' probes."""
