"""aichip-kg: a sourced knowledge graph of the AI-chip ecosystem.

Modules, one job each: ``load`` (ontology + facts into rdflib), ``validate`` (SHACL and
integrity rules), ``build`` (all exports), ``query``, ``export``, ``viz``, ``analytics``,
``serve``. Nothing here prints or imports click; errors are ``kg.errors.KGError`` subclasses.
"""

__version__ = "0.1.0"
