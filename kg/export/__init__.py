"""`kg build` and `kg export`: the graph in every format."""
