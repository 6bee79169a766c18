"""The `kg` command groups, one module each; `cli.py` at the top of the repo is the root."""
