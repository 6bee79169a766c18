"""Graph analytics over the knowledge graph with networkx.

``project(rdflib_graph)`` gives the analytics graph (a plain ``networkx.MultiDiGraph``: entity
nodes keyed by CURIE, predicate-labelled edges, and figures collapsed into
``vendor —share→ market`` edges). Every analysis takes that graph and returns frozen
dataclasses; nothing here prints. One module per job:

``projection``     the analytics graph and its undirected simple view
``centrality``     degree, PageRank, betweenness, ranked and filterable by class
``communities``    Louvain communities with modularity (fixed seed)
``paths``          shortest explanation between two entities, as a readable chain
``concentration``  shares, CR1/CR4, HHI of a market, refusing unranked conflicts
``whatif``         a market and the ecosystem without one vendor
``support``        framework/platform × hardware support matrix
``resolve``        what the user typed → node (via kg.explore.search) or class
``serialize``      results as JSON-ready data
``render``         results as terminal text (display-width-aware tables)

Example::

    from kg.facts.cache import cached_graph
    from kg.analytics import project, concentration
    G = project(cached_graph())
    concentration(G, "kg:market-china-ai-accelerator-cards", "2022").hhi   # Decimal('7331')
"""

from kg.analytics.centrality import SORT_KEYS, CentralityResult, CentralityRow, centrality
from kg.analytics.communities import CommunitiesResult, Community, Member, communities
from kg.analytics.concentration import (
    Concentration,
    NoSharesError,
    ShareConflictError,
    ShareFigure,
    VendorShare,
    concentration,
    concentration_ratio,
    hhi,
    market_shares,
    share_periods,
)
from kg.analytics.paths import Hop, PathResult, chain_text, shortest_path
from kg.analytics.projection import (
    curie,
    has_class,
    is_hardware,
    is_software,
    node_label,
    project,
    simple_view,
)
from kg.analytics.resolve import resolve_class, resolve_node
from kg.analytics.serialize import to_jsonable
from kg.analytics.support import (
    Column,
    Row,
    SupportCell,
    SupportMatrix,
    hardware_routes,
    support_matrix,
)
from kg.analytics.whatif import (
    Candidate,
    Component,
    Kept,
    MarketWithout,
    RenormalisedShare,
    SoftwareImpact,
    SupportLink,
    WhatIfResult,
    removal_set,
    whatif,
)

__all__ = [
    "SORT_KEYS",
    "Candidate",
    "CentralityResult",
    "CentralityRow",
    "Column",
    "CommunitiesResult",
    "Community",
    "Component",
    "Concentration",
    "Hop",
    "Kept",
    "MarketWithout",
    "Member",
    "NoSharesError",
    "PathResult",
    "RenormalisedShare",
    "Row",
    "ShareConflictError",
    "ShareFigure",
    "SoftwareImpact",
    "SupportCell",
    "SupportLink",
    "SupportMatrix",
    "VendorShare",
    "WhatIfResult",
    "centrality",
    "chain_text",
    "communities",
    "concentration",
    "concentration_ratio",
    "curie",
    "hardware_routes",
    "has_class",
    "hhi",
    "is_hardware",
    "is_software",
    "market_shares",
    "node_label",
    "project",
    "removal_set",
    "resolve_class",
    "resolve_node",
    "share_periods",
    "shortest_path",
    "simple_view",
    "support_matrix",
    "to_jsonable",
    "whatif",
]
