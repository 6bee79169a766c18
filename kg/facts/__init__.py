"""The curated graph: load the Turtle, validate it, infer over it, cache it."""
