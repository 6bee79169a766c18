"""`kg serve`: the SPARQL 1.1 endpoint, its worker pool and its engines."""
