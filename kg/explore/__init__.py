"""`kg ask`, `kg show`, `kg search`, `kg stats`: reading the graph."""
