"""`kg push` and `kg query --endpoint`: other SPARQL stores."""
