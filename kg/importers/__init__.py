"""Importers: turn third-party tables into statements of the aichip ontology.

Each importer is a pure function from an input file (and the curated graph it must match
against) to an rdflib graph of *new* triples plus a frozen report. Writing, validating and
printing happen in ``cli.py`` through :mod:`kg.importers.base`.
"""

from __future__ import annotations

__all__ = ["base", "epoch", "turtle"]
