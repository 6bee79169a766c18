"""`kg viz`: the offline HTML viewer."""
