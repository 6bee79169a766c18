"""Plain-text renderings of analytics results for the terminal (returned, never printed).

Tables are aligned by display width (:func:`kg.tables.format_table`), so Chinese labels line up.
"""

from __future__ import annotations

from decimal import Decimal

from kg.analytics.centrality import CentralityResult
from kg.analytics.communities import CommunitiesResult
from kg.analytics.concentration import Concentration
from kg.analytics.paths import PathResult
from kg.analytics.support import SupportMatrix
from kg.analytics.whatif import Candidate, MarketWithout, WhatIfResult
from kg.tables import display_width, format_table

__all__ = [
    "render_centrality",
    "render_communities",
    "render_concentration",
    "render_path",
    "render_support",
    "render_whatif",
]


def _num(value: Decimal | float | None, places: int = 2, sep: bool = False) -> str:
    """``85``, ``71.43``, ``7,331``: no trailing zeros, ``places`` decimals at most."""
    if value is None:
        return "–"
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum).normalize()
    if rounded == rounded.to_integral_value():
        rounded = rounded.quantize(Decimal(1))
    return f"{rounded:,f}" if sep else f"{rounded:f}"


def _clip(text: str, width: int = 40) -> str:
    """``text`` cut to ``width`` terminal columns (Chinese counts two), with an ellipsis."""
    if display_width(text) <= width:
        return text
    out = ""
    for char in text:
        if display_width(out + char) > width - 1:
            break
        out += char
    return out + "…"


def _pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{_num(value)} %"


def render_centrality(result: CentralityResult) -> str:
    rows = [
        (
            str(i),
            r.node,
            _clip(r.label),
            (r.cls or "").removeprefix("aichip:"),
            str(r.degree),
            f"{r.pagerank:.4f}",
            f"{r.betweenness:.4f}",
            str(len(r.members)) if r.members else "",
            str(len(r.sources)),
        )
        for i, r in enumerate(result.rows, 1)
    ]
    headers = ("#", "id", "label", "class", "degree", "pagerank", "betweenness", "folds", "sources")
    right = (True, False, False, False, True, True, True, True, True)
    return format_table(headers, rows, align_right=right)


def render_communities(result: CommunitiesResult, *, members: int | None = 12) -> str:
    lines = [
        f"{len(result.communities)} communities, modularity {result.modularity:.4f} "
        f"(Louvain, seed {result.seed}, resolution {result.resolution:g}; "
        f"{result.nodes} entities, {result.edges} links, {result.singletons} unlinked)",
        f"on: {result.view or 'every SKU its own node'}",
        "",
    ]
    rows = []
    for community in result.communities:
        shown = community.members if members is None else community.members[:members]
        names = ", ".join(_clip(m.label, 30) for m in shown)
        if len(shown) < community.size:
            names += f", … (+{community.size - len(shown)})"
        rows.append(
            (str(community.number), str(community.size), str(len(community.sources)), names)
        )
    lines.append(
        format_table(
            ("#", "size", "sources", "members (hubs first)"),
            rows,
            align_right=(True, True, True, False),
        )
    )
    return "\n".join(lines)


def render_path(path: PathResult) -> str:
    rows = [
        (
            label_from,
            f"{hop.label} →" if hop.forward else f"← {hop.label}",
            label_to,
            " ".join(hop.sources),
        )
        for hop, label_from, label_to in zip(path.hops, path.labels, path.labels[1:], strict=False)
    ]
    table = format_table(("from", "relation", "to", "sources"), rows)
    return f"{path.text}\n\n{table}"


def _figure_source(share) -> str:
    parts = []
    for figure in share.figures:
        text = figure.source or figure.observation
        if figure.cited_source:
            text += f" citing {figure.cited_source}"
        parts.append(text)
    return "; ".join(parts)


def render_concentration(result: Concentration) -> str:
    head = f"{result.market_label} ({result.market}), {result.period}"
    rows = [
        (
            str(i),
            s.label,
            _pct(s.share),
            s.figures[0].rank.removeprefix("aichip:"),
            _figure_source(s),
        )
        for i, s in enumerate(result.shares, 1)
    ]
    table = format_table(
        ("#", "vendor", "share", "rank", "source"),
        rows,
        align_right=(True, False, True, False, False),
    )
    summary = (
        f"total {_pct(result.total)}   CR1 {_pct(result.cr1)}   CR4 {_pct(result.cr4)}   "
        f"HHI {_num(result.hhi, sep=True)} (0–10,000, on {result.basis})   "
        f"leader {result.leader_label}"
    )
    notes = [f"note: {note}" for note in result.notes]
    return "\n".join([head, "", table.rstrip("\n"), "", summary, *notes]) + "\n"


_ROUTES_SHOWN = 3


def _support_text(link) -> str:
    """``PyTorch (direct; via CANN; via torch_npu)``, or ``TensorFlow via CANN``."""
    shown = [" → ".join(route) for route in link.route_labels[:_ROUTES_SHOWN]]
    more = ", …" if len(link.route_labels) > _ROUTES_SHOWN else ""
    if shown == [""]:
        return link.label
    if len(shown) == 1:
        return f"{link.label} via {shown[0]}"
    parts = ["direct" if not text else f"via {text}" for text in shown]
    return f"{link.label} ({'; '.join(parts)}{more})"


def _candidate_lines(candidate: Candidate) -> list[str]:
    lines = [
        f"  {candidate.label}: {_pct(candidate.share)} of the market, "
        f"{_pct(candidate.renormalised)} of what is left"
    ]
    by_hardware: dict[str, list[str]] = {}
    for link in candidate.supported_by:
        by_hardware.setdefault(link.hardware, []).append(_support_text(link))
    names = dict(zip(candidate.hardware, candidate.hardware_labels, strict=True))
    for hardware in candidate.hardware:
        if hardware in by_hardware:
            lines.append(f"    {names[hardware]}: {', '.join(by_hardware[hardware])}")
    rest = [names[h] for h in candidate.hardware if h not in by_hardware]
    if rest:
        listed = ", ".join(rest[:_ROUTES_SHOWN]) + (", …" if len(rest) > _ROUTES_SHOWN else "")
        what = f"{len(rest)} more" if by_hardware else "hardware"
        lines.append(f"    {what} without supporting software in the graph: {listed}")
    if not candidate.hardware:
        lines.append("    no hardware of theirs in the graph")
    return lines


def _market_block(vendor_label: str, market: MarketWithout) -> list[str]:
    before = market.before
    lines = [
        f"Market: {before.market_label} ({before.market}), {before.period}: "
        f"{vendor_label} had {_pct(market.removed_share)}",
        "",
    ]
    rows = [(s.label, _pct(s.share), _pct(s.renormalised)) for s in market.remaining]
    if rows:
        table = format_table(
            ("vendor", "share", "renormalised"), rows, align_right=(False, True, True)
        )
        lines.append(table.rstrip("\n"))
        lines.append("")
    lines.append(
        f"HHI {_num(before.hhi, sep=True)} → {_num(market.hhi_after, sep=True)}   "
        f"CR1 {_pct(before.cr1)} → {_pct(market.cr1_after)}   "
        f"CR4 {_pct(before.cr4)} → {_pct(market.cr4_after)}   "
        f"leader {before.leader_label} → {market.leader_after_label or 'nobody'}"
    )
    lines.append(f"(before: {before.basis}; after: {market.basis_after})")
    lines.extend(f"note: {note}" for note in before.notes)
    if market.candidates:
        lines.append("")
        lines.append("Candidates to fill the gap, largest first:")
        for candidate in market.candidates:
            lines.extend(_candidate_lines(candidate))
    return lines


def _listing(names: list[str], shown: int = 5) -> str:
    return ", ".join(names[:shown]) + (", …" if len(names) > shown else "")


def _removed(result: WhatIfResult, name) -> str:
    products = set(result.removed_software) | set(result.removed_hardware)
    others = [name(n) for n in result.removed if n not in products]
    parts = [", ".join(others)]
    if result.removed_software:
        parts.append(f"its software {_listing([name(n) for n in result.removed_software])}")
    if result.removed_hardware:
        count = len(result.removed_hardware)
        hardware = _listing([name(n) for n in result.removed_hardware], 3)
        parts.append(f"{count} hardware product{'s' if count > 1 else ''}: {hardware}")
    return "; ".join(parts)


def render_whatif(result: WhatIfResult, labels: dict[str, str]) -> str:
    """``labels`` maps the CURIEs the result mentions to display labels."""

    def name(node: str) -> str:
        return labels.get(node, node)

    lines = [
        f"Without {result.vendor_label} ({result.vendor}): removes {_removed(result, name)}",
    ]
    for kept in result.kept:
        sources = f" [{', '.join(kept.sources)}]" if kept.sources else ""
        lines.append(f"Keeps {kept.label} ({kept.node}): {kept.reason}{sources}")
    lines.append("")
    if not result.markets:
        lines.append(f"Market: {result.vendor_label} has no usable share figure in any market.")
    for market in result.markets:
        lines.extend(_market_block(result.vendor_label, market))
        lines.append("")
    lines.extend(f"skipped: {s}" for s in result.skipped)
    lines.append("Ecosystem:")
    if result.stranded:
        for impact in result.stranded:
            lost = ", ".join(name(n) for n in impact.lost)
            lines.append(f"  left without supported hardware: {impact.label} (had {lost})")
    else:
        lines.append("  no framework or platform is left without supported hardware")
    for impact in result.affected:
        lost = ", ".join(name(n) for n in (*impact.lost_layers, *impact.lost))
        kept = ", ".join(name(n) for n in impact.kept) or "no hardware known to the graph"
        lines.append(f"  {impact.label} loses {lost}; keeps {kept}")
    if result.disconnected:
        parts = "; ".join(", ".join(component.labels) for component in result.disconnected)
        count = len(result.disconnected)
        lines.append(f"  cut off from the rest ({count} part{'s' if count > 1 else ''}): {parts}")
    else:
        lines.append("  nothing else is cut off from the rest of the graph")
    return "\n".join(lines) + "\n"


#: The mark of a pair without any claim: not an "unsupported" (the graph has no such claim).
NO_CLAIM = "·"


def render_support(matrix: SupportMatrix, *, as_list: bool = False, sources: bool = False) -> str:
    """The grid (or, ``as_list``, one row per pair) with a legend; ``sources`` adds the
    documents behind each cell."""
    labels = {r.node: r.label for r in matrix.rows} | {c.node: c.label for c in matrix.columns}

    def route_text(cell) -> str:
        if cell.direct:
            return "direct"
        return " or ".join("via " + " → ".join(labels.get(n, n) for n in r) for r in cell.routes)

    if as_list:
        makers = {c.node: ", ".join(c.maker_labels) for c in matrix.columns}
        rows = [
            (labels[c.software], labels[c.hardware], makers[c.hardware], route_text(c))
            + ((" ".join(c.sources) or "none",) if sources else ())
            for c in matrix.cells
        ]
        headers = ("software", "hardware", "maker", "how") + (("sources",) if sources else ())
        note = (
            "pairs not listed: no sourced claim (not a claim that they are unsupported; "
            "the graph records no negative claims)\n"
        )
        return format_table(headers, rows) + note
    headers = ["software", *(c.label for c in matrix.columns)]
    body = []
    footnotes = []
    for row in matrix.rows:
        line = [row.label]
        for column in matrix.columns:
            cell = matrix.cell(row.node, column.node)
            if cell is None:
                line.append(NO_CLAIM)
            elif cell.direct:
                line.append("✓")
            else:
                footnotes.append(
                    f"[{len(footnotes) + 1}] {row.label} × {column.label}: {route_text(cell)}"
                )
                line.append(f"[{len(footnotes)}]")
        body.append(line)
    makers_line = "makers: " + "; ".join(
        f"{c.label}: {', '.join(c.maker_labels) or '?'}" for c in matrix.columns
    )
    out = format_table(headers, body)
    legend = [
        f"✓ {matrix.legend['direct']}; [n] {matrix.legend['via']} (below)",
        f"{NO_CLAIM} no sourced claim: {matrix.legend['no sourced claim']}",
    ]
    cell_sources = []
    if sources:
        cell_sources = ["", "sources:"] + [
            f"  {labels[c.software]} × {labels[c.hardware]}: {' '.join(c.sources) or 'none'}"
            for c in matrix.cells
        ]
    return out + "\n" + "\n".join([*legend, "", *footnotes, makers_line, *cell_sources]) + "\n"
