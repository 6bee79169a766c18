"""Export-control screening: chips against ECCN 3A090.a as amended by the 2023-10-17 BIS rule.

For every chip with figures in the graph:

* **TPP** (total processing performance) = 2 × MacTOPS × bit length. BIS notes that
  "2 × MacTOPS may correspond to the reported TOPS or FLOPS on a datasheet", so each dense
  figure counts as ``value × bits`` (FP32 → 32, FP16 and BF16 → 16, FP8 and INT8 → 8, FP4 → 4)
  and TPP is the largest: the operation with the highest TPP decides, which is why a card
  whose FP16 rate is under the line can be caught by its FP8 tensor rate. TF32 is shown but
  not counted (its bit length is unsettled); a caveat says where it could change the result.
* **Performance density** = TPP ÷ die area (mm²).
* **3A090.a (2023)**: controlled when TPP ≥ 4800, or TPP ≥ 1600 and density ≥ 5.92.

Inputs are the best-ranked statements (Preferred over Normal; Deprecated ignored), each
reported with its statement, source and grade. When best-ranked figures conflict, every
combination is screened: if they disagree the chip is ``indeterminate``. A chip whose
figures do not decide the question is ``insufficient data`` — never a guess. The result is a
technical screening against the thresholds, not a legal classification (jurisdiction under the
EAR, the 3A090.b "gray zone" and licence exceptions are out of scope).

The comparison side lists the chips sources name as restricted by the rule
(``rule aichip:restricts chip`` statements, e.g. NVIDIA's 8-K of 2023-10-17) and reports where
computation and naming disagree.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.errors import InputError
from kg.facts.time import HELD, status_at
from kg.ns import AICHIP, KG

__all__ = [
    "AsOf",
    "BITS",
    "CONTROLLED",
    "INDETERMINATE",
    "INSUFFICIENT",
    "NOT_CONTROLLED",
    "Dated",
    "Disagreement",
    "ExportControlReport",
    "report_summary",
    "Figure",
    "Naming",
    "Scenario",
    "Screening",
    "Thresholds",
    "chip_id",
    "classify",
    "as_of",
    "render_as_of",
    "render_report",
    "render_screening",
    "screen",
    "screen_chip",
    "tpp_of",
]

CONTROLLED = "controlled"
NOT_CONTROLLED = "not controlled"
INSUFFICIENT = "insufficient data"
INDETERMINATE = "indeterminate"

#: Bit length of the operation each peak property measures. FP32 counts: on cards whose FP16
#: rate is a fraction of FP32 (Pascal and older), FP32 is the operation with the highest TPP.
#: TF32 does not: its 19-bit format is stored in 32 bits and the rule does not say which
#: length applies, so the screen does not choose one; where counting a TF32 figure at either
#: length could change the result, a caveat gives both readings (UNSETTLED_BITS).
BITS: dict[URIRef, int] = {
    AICHIP.fp16DenseTFLOPS: 16,
    AICHIP.bf16DenseTFLOPS: 16,
    AICHIP.fp8DenseTFLOPS: 8,
    AICHIP.int8DenseTOPS: 8,
    AICHIP.fp4DenseTFLOPS: 4,
    AICHIP.fp32TFLOPS: 32,
}
#: How each figure is written: its name and unit ("FP8 700 TFLOPS", "die 826 mm²").
_LABELS: dict[URIRef, tuple[str, str]] = {
    AICHIP.fp16DenseTFLOPS: ("FP16/BF16", "TFLOPS"),
    AICHIP.bf16DenseTFLOPS: ("BF16", "TFLOPS"),
    AICHIP.fp8DenseTFLOPS: ("FP8", "TFLOPS"),
    AICHIP.int8DenseTOPS: ("INT8", "TOPS"),
    AICHIP.fp4DenseTFLOPS: ("FP4", "TFLOPS"),
    AICHIP.fp32TFLOPS: ("FP32", "TFLOPS"),
    AICHIP.tf32DenseTFLOPS: ("TF32", "TFLOPS"),
    AICHIP.dieAreaMM2: ("die", "mm²"),
}
#: Figures whose bit length the rule leaves open: property -> the lengths a reader might take.
UNSETTLED_BITS: dict[URIRef, tuple[int, ...]] = {AICHIP.tf32DenseTFLOPS: (19, 32)}
_BIT_LENGTHS = "FP32 × 32, FP16/BF16 × 16, FP8 and INT8 × 8, FP4 × 4; the largest"
_NO_FIGURE = "no FP32 or dense FP16, BF16, FP8, INT8 or FP4 figure"
_RANKS = {AICHIP.Preferred: 0, AICHIP.Normal: 1}
_TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Thresholds:
    """3A090.a as amended on 2023-10-17 (reference sheet 5.5), and where the graph states it."""

    tpp: Decimal = Decimal(4800)
    lower_tpp: Decimal = Decimal(1600)
    density: Decimal = Decimal("5.92")
    eccn: str = "kg:eccn-3a090"
    rule: str = "kg:bis-rule-2023-10-17"
    statements: tuple[str, ...] = ()  # the graph's statements of these values


@dataclass(frozen=True)
class Figure:
    """One input: a best-ranked statement of a chip's figure."""

    chip: str
    property: str  # CURIE
    value: Decimal
    unit: str
    statement: str
    source: str
    cited: tuple[str, ...]
    rank: str
    verification: str | None

    @property
    def text(self) -> str:
        name, _unit = _LABELS.get(_expand(self.property), (self.property, ""))
        return f"{name} {_fmt(self.value)} {self.unit}"


@dataclass(frozen=True)
class Scenario:
    """One combination of the chip's best-ranked figures, classified."""

    tpp: Decimal | None
    tpp_basis: str  # e.g. "INT8 1979 TOPS × 8"
    die_area: Decimal | None
    density: Decimal | None
    classification: str
    reason: str
    figures: tuple[str, ...]  # statements used


@dataclass(frozen=True)
class Screening:
    chip: str
    label: str
    figures: tuple[Figure, ...]
    scenarios: tuple[Scenario, ...]
    classification: str
    reason: str
    via_variants: tuple[str, ...] = ()  # for a product screened through its variants
    # inputs the reference sheet grades unverified; figures left out whose bit length is open
    caveats: tuple[str, ...] = ()

    @property
    def tpp(self) -> Decimal | None:
        values = [s.tpp for s in self.scenarios if s.tpp is not None]
        return max(values) if values else None

    @property
    def density(self) -> Decimal | None:
        values = [s.density for s in self.scenarios if s.density is not None]
        return max(values) if values else None


@dataclass(frozen=True)
class Naming:
    """A source naming a chip as restricted by the rule."""

    chip: str
    statement: str
    source: str
    source_type: str
    date: str = ""  # the source's issue date, if the graph has it
    cited: tuple[str, ...] = ()  # what the source cites for it (e.g. the sheet citing TrendForce)


@dataclass(frozen=True)
class Disagreement:
    chip: str
    kind: str  # named-not-controlled | named-insufficient-data | named-indeterminate |
    #            controlled-not-named
    detail: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ExportControlReport:
    thresholds: Thresholds
    screenings: tuple[Screening, ...]
    named: tuple[Naming, ...]
    disagreements: tuple[Disagreement, ...]
    as_of: AsOf | None = None  # with a day asked about: what was in force then

    def get(self, chip: str) -> Screening | None:
        return next((s for s in self.screenings if s.chip == chip), None)


# ---------------------------------------------------------------------------------------


def _curie(term) -> str:
    text = str(term)
    for prefix, namespace in (("kg:", str(KG)), ("aichip:", str(AICHIP._NS))):
        if text.startswith(namespace):
            return prefix + text[len(namespace) :]
    return text


def _expand(curie: str) -> URIRef:
    if curie.startswith("kg:"):
        return KG[curie[3:]]
    if curie.startswith("aichip:"):
        return URIRef(str(AICHIP._NS) + curie[7:])
    return URIRef(curie)


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return text


def _label(graph: Graph, term: URIRef) -> str:
    labels = list(graph.objects(term, RDFS.label))
    english = [str(x) for x in labels if isinstance(x, Literal) and x.language == "en"]
    return sorted(english or [str(x) for x in labels] or [_curie(term)])[0]


def tpp_of(value: Decimal, prop: URIRef) -> Decimal:
    """TPP contribution of one dense figure: value × bit length."""
    return value * BITS[prop]


def classify(
    tpp: Decimal | None, die_area: Decimal | None, thresholds: Thresholds = Thresholds()
) -> tuple[str, Decimal | None, str]:
    """(classification, density, reason) for one TPP and die area."""
    density = (tpp / die_area) if tpp is not None and die_area else None
    t = thresholds
    if tpp is None:
        return INSUFFICIENT, density, _NO_FIGURE
    if tpp >= t.tpp:
        return CONTROLLED, density, f"TPP {_fmt(tpp)} ≥ {_fmt(t.tpp)}"
    if tpp < t.lower_tpp:
        return NOT_CONTROLLED, density, f"TPP {_fmt(tpp)} < {_fmt(t.lower_tpp)}"
    if density is None:
        return (
            INSUFFICIENT,
            None,
            f"TPP {_fmt(tpp)} is between {_fmt(t.lower_tpp)} and {_fmt(t.tpp)}; "
            "the density test needs a die area",
        )
    shown = density.quantize(_TWO_PLACES)
    if density >= t.density:
        return (
            CONTROLLED,
            density,
            f"TPP {_fmt(tpp)} ≥ {_fmt(t.lower_tpp)} and density {shown} ≥ {t.density}",
        )
    return (
        NOT_CONTROLLED,
        density,
        f"TPP {_fmt(tpp)} < {_fmt(t.tpp)} and density {shown} < {t.density}",
    )


def _figures(graph: Graph) -> dict[URIRef, dict[URIRef, list[Figure]]]:
    """Best-ranked figures per chip and property."""
    wanted = (*BITS, *UNSETTLED_BITS, AICHIP.dieAreaMM2)
    found: dict[URIRef, dict[URIRef, list[tuple[int, Figure]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for prop in wanted:
        for statement in graph.subjects(RDF.predicate, prop):
            if (statement, RDF.type, AICHIP.Statement) not in graph:
                continue
            rank_term = graph.value(statement, AICHIP.rank) or AICHIP.Normal
            if rank_term not in _RANKS:
                continue
            chip = graph.value(statement, RDF.subject)
            raw = graph.value(statement, RDF.object)
            try:
                value = Decimal(str(raw))
            except (InvalidOperation, ValueError):
                continue
            source = graph.value(statement, PROV.wasDerivedFrom)
            verification = graph.value(statement, AICHIP.verification)
            figure = Figure(
                chip=_curie(chip),
                property=_curie(prop),
                value=value,
                unit=_LABELS[prop][1],
                statement=_curie(statement),
                source=_curie(source) if source is not None else "",
                cited=tuple(
                    sorted(_curie(c) for c in graph.objects(statement, AICHIP.citedSource))
                ),
                rank=_curie(rank_term),
                verification=str(verification) if verification is not None else None,
            )
            found[chip][prop].append((_RANKS[rank_term], figure))
    best: dict[URIRef, dict[URIRef, list[Figure]]] = {}
    for chip, props in found.items():
        best[chip] = {}
        for prop, ranked in props.items():
            top = min(rank for rank, _ in ranked)
            best[chip][prop] = sorted(
                (f for rank, f in ranked if rank == top), key=lambda f: (f.value, f.statement)
            )
    return best


def _distinct(figures: list[Figure]) -> list[Figure]:
    """One figure per distinct value (two sources stating 312 make one scenario)."""
    seen: dict[Decimal, Figure] = {}
    for figure in figures:
        seen.setdefault(figure.value, figure)
    return list(seen.values())


def _screen(
    chip: URIRef, props: dict[URIRef, list[Figure]], label: str, thresholds: Thresholds
) -> Screening:
    compute = [_distinct(props.get(p, [])) or [None] for p in BITS]
    dies = _distinct(props.get(AICHIP.dieAreaMM2, [])) or [None]
    scenarios = []
    for combo in itertools.product(*compute, dies):
        *perf, die = combo
        contributions = [(tpp_of(f.value, _expand(f.property)), f) for f in perf if f is not None]
        tpp, basis = None, _NO_FIGURE
        if contributions:
            tpp, best = max(contributions, key=lambda c: (c[0], c[1].property))
            basis = f"{best.text} × {BITS[_expand(best.property)]}"
        die_area = die.value if die is not None else None
        classification, density, reason = classify(tpp, die_area, thresholds)
        used = tuple(f.statement for f in (*perf, die) if f is not None)
        scenarios.append(Scenario(tpp, basis, die_area, density, classification, reason, used))
    unique = sorted(
        {(s.tpp or 0, s.die_area or 0, s.classification): s for s in scenarios}.values(),
        key=lambda s: (-(s.tpp or 0), s.die_area or 0),
    )
    classes = {s.classification for s in unique}
    if len(classes) == 1:
        classification = classes.pop()
        reason = unique[0].reason
    else:
        classification = INDETERMINATE
        reason = "conflicting best-ranked figures give different results: " + "; ".join(
            f"{s.classification} ({s.reason})" for s in unique
        )
    figures = tuple(
        f for p in (*BITS, *UNSETTLED_BITS, AICHIP.dieAreaMM2) for f in props.get(p, [])
    )
    caveats = tuple(
        sorted(
            {
                f"{f.text} is graded unverified ({f.statement})"
                for f in figures
                if f.verification == "unverified"
            }
            | set(_unsettled_caveats(props, unique[0], thresholds))
        )
    )
    return Screening(
        _curie(chip), label, figures, tuple(unique), classification, reason, caveats=caveats
    )


def _unsettled_caveats(
    props: dict[URIRef, list[Figure]], screened: Scenario, thresholds: Thresholds
) -> list[str]:
    """A caveat for each figure left out for its unsettled bit length that, counted at one of
    the lengths a reader might take, would change the result, with the TPP at each."""
    caveats = []
    for prop, lengths in UNSETTLED_BITS.items():
        for figure in _distinct(props.get(prop, [])):
            readings = [(bits, figure.value * bits) for bits in lengths]
            results = {
                classify(max(tpp, screened.tpp or tpp), screened.die_area, thresholds)[0]
                for _, tpp in readings
            }
            if results != {screened.classification}:
                at = ", ".join(f"TPP {_fmt(tpp)} at {bits} bits" for bits, tpp in readings)
                caveats.append(
                    f"{figure.text} is not counted: the rule does not say whether"
                    f" {_LABELS[prop][0]} is {' or '.join(str(b) for b in lengths)} bits long,"
                    f" and counted it could change the result ({at}; {figure.statement})"
                )
    return caveats


def _thresholds(graph: Graph) -> Thresholds:
    base = Thresholds()
    eccn = _expand(base.eccn)
    expected = {
        AICHIP.tppThreshold: base.tpp,
        AICHIP.lowerTppThreshold: base.lower_tpp,
        AICHIP.densityThreshold: base.density,
    }
    # Statements of the same values under an earlier rule (the 2022 TPP prong) are not the
    # 2023 thresholds' sources: skip those that start before the 2023 rule takes effect.
    effective = graph.value(_expand(base.rule), AICHIP.effectiveDate)
    statements = []
    for statement in graph.subjects(RDF.subject, eccn):
        prop = graph.value(statement, RDF.predicate)
        start = graph.value(statement, AICHIP.startDate)
        if effective is not None and start is not None and str(start) < str(effective):
            continue
        if prop in expected:
            try:
                if Decimal(str(graph.value(statement, RDF.object))) == expected[prop]:
                    statements.append(_curie(statement))
            except (InvalidOperation, ValueError):
                continue
    return Thresholds(statements=tuple(sorted(statements)))


def _named(graph: Graph, rule: URIRef) -> list[Naming]:
    names = []
    for statement in graph.subjects(RDF.subject, rule):
        if graph.value(statement, RDF.predicate) != AICHIP.restricts:
            continue
        if graph.value(statement, AICHIP.rank) == AICHIP.Deprecated:
            continue
        chip = graph.value(statement, RDF.object)
        if not _is_chip(graph, chip):
            continue
        source = graph.value(statement, PROV.wasDerivedFrom)
        kind = graph.value(source, RDF.type) if source is not None else None
        issued = graph.value(source, DCTERMS.issued) if source is not None else None
        names.append(
            Naming(
                _curie(chip),
                _curie(statement),
                _curie(source) if source is not None else "",
                _curie(kind) if kind is not None else "",
                str(issued) if issued is not None else "",
                tuple(sorted(_curie(c) for c in graph.objects(statement, AICHIP.citedSource))),
            )
        )
    return sorted(names, key=lambda n: (n.chip, n.source))


_CHIP_CLASSES = (AICHIP.Chip, AICHIP.AIAccelerator, AICHIP.GPU, AICHIP.NPU, AICHIP.CPU)


def _is_chip(graph: Graph, term) -> bool:
    return any((term, RDF.type, cls) in graph for cls in _CHIP_CLASSES)


def _variants(graph: Graph, product: URIRef) -> list[URIRef]:
    found = set()
    for statement in graph.subjects(RDF.object, product):
        if (
            graph.value(statement, RDF.predicate) == AICHIP.variantOf
            and graph.value(statement, AICHIP.rank) != AICHIP.Deprecated
        ):
            found.add(graph.value(statement, RDF.subject))
    return sorted(found, key=str)


def _product_screening(
    graph: Graph, product: URIRef, by_chip: dict[str, Screening]
) -> Screening | None:
    """A product without figures of its own, screened through its variants' results."""
    parts = [by_chip[_curie(v)] for v in _variants(graph, product) if _curie(v) in by_chip]
    if not parts:
        return None
    classes = {p.classification for p in parts}
    classification = classes.pop() if len(classes) == 1 else INDETERMINATE
    reason = "through its variants: " + "; ".join(f"{p.chip} {p.classification}" for p in parts)
    return Screening(
        _curie(product),
        _label(graph, product),
        (),
        (),
        classification,
        reason,
        via_variants=tuple(p.chip for p in parts),
    )


def screen(graph: Graph, rule: str = "kg:bis-rule-2023-10-17") -> ExportControlReport:
    """Screen every chip with figures, and compare with the chips sources name under ``rule``."""
    thresholds = _thresholds(graph)
    figures = _figures(graph)
    screenings: dict[str, Screening] = {}
    for chip, props in figures.items():
        if not _is_chip(graph, chip):
            continue
        screenings[_curie(chip)] = _screen(chip, props, _label(graph, chip), thresholds)
    named = _named(graph, _expand(rule))
    for naming in named:
        own = screenings.get(naming.chip)
        if own is not None and own.classification != INSUFFICIENT:
            continue
        # A product named as a whole (the H100) with no compute figure of its own is screened
        # through its variants (H100 SXM, H100 PCIe), which carry the datasheet figures.
        chip = _expand(naming.chip)
        via = _product_screening(graph, chip, screenings)
        if via is not None and via.classification != INSUFFICIENT:
            screenings[naming.chip] = via
        elif own is None:
            screenings[naming.chip] = via or Screening(
                naming.chip, _label(graph, chip), (), (), INSUFFICIENT, "no figures in the graph"
            )
    disagreements = _compare(graph, screenings, named)
    ordered = tuple(sorted(screenings.values(), key=lambda s: s.chip))
    return ExportControlReport(thresholds, ordered, tuple(named), disagreements)


def _designers(graph: Graph, chip: URIRef) -> set:
    return set(graph.objects(chip, AICHIP.designedBy)) | set(
        graph.objects(chip, AICHIP.developedBy)
    )


def _compare(
    graph: Graph, screenings: dict[str, Screening], named: list[Naming]
) -> tuple[Disagreement, ...]:
    out: list[Disagreement] = []
    by_chip: dict[str, list[Naming]] = defaultdict(list)
    for naming in named:
        by_chip[naming.chip].append(naming)
    kinds = {
        NOT_CONTROLLED: "named-not-controlled",
        INSUFFICIENT: "named-insufficient-data",
        INDETERMINATE: "named-indeterminate",
    }
    for chip, namings in sorted(by_chip.items()):
        screening = screenings[chip]
        if screening.classification == CONTROLLED:
            continue
        sources = tuple(sorted({n.source for n in namings}))
        out.append(
            Disagreement(
                chip,
                kinds[screening.classification],
                f"named as restricted by {', '.join(sources)}, but the graph's figures give "
                f"{screening.classification}: {screening.reason}",
                sources,
            )
        )
    # Chips computed controlled that no source names, among the makers whose chips are named
    # (a filing speaks for its own company's products; "including but not limited to").
    named_chips = {_expand(c) for c in by_chip}
    covered = set(named_chips)
    for chip in named_chips:
        covered.update(_variants(graph, chip))
    makers = set().union(*(_designers(graph, c) for c in named_chips)) if named_chips else set()
    dates = [n.date for n in named if n.date]
    filed = min(dates) if dates else ""
    for key, screening in sorted(screenings.items()):
        chip = _expand(key)
        if screening.classification != CONTROLLED or chip in covered:
            continue
        if not (_designers(graph, chip) & makers):
            continue
        first = _first_date(graph, chip)
        if filed and first and first[:10] > filed:
            kind = "controlled-released-later"
            detail = (
                f"computed controlled ({screening.reason}); first dated {first}, after the "
                f"naming sources ({filed}), so they could not name it"
            )
        else:
            kind = "controlled-not-named"
            detail = (
                f"computed controlled ({screening.reason}) but no source in the graph names it "
                "under the rule (NVIDIA's filing lists chips 'including but not limited to', so "
                "this is a gap in the naming, not a contradiction)"
            )
        out.append(Disagreement(key, kind, detail, ()))
    return tuple(out)


def _first_date(graph: Graph, chip: URIRef) -> str:
    """The earliest release or announcement date the graph states for ``chip`` (as text)."""
    dates = [
        str(graph.value(s, RDF.object))
        for s in graph.subjects(RDF.subject, chip)
        if graph.value(s, RDF.predicate) in (AICHIP.releaseDate, AICHIP.announcedDate)
        and graph.value(s, AICHIP.rank) != AICHIP.Deprecated
    ]
    return min(dates) if dates else ""


def chip_id(term: URIRef) -> str:
    """The id screenings use for ``term`` (``kg:h20``)."""
    return _curie(term)


def screen_chip(
    graph: Graph,
    chip: str,
    rule: str = "kg:bis-rule-2023-10-17",
    report: ExportControlReport | None = None,
) -> Screening:
    """The screening of one chip (CURIE); insufficient data when the graph has no figures.

    Raises :class:`~kg.errors.InputError` when ``chip`` names something that is not a chip.
    """
    term = _expand(chip)
    if not _is_chip(graph, term):
        kinds = ", ".join(sorted(_curie(k) for k in graph.objects(term, RDF.type))) or "untyped"
        raise InputError(f"{chip} is not a chip ({kinds})")
    report = report or screen(graph, rule)
    found = report.get(chip)
    if found is not None:
        return found
    via = _product_screening(graph, term, {s.chip: s for s in report.screenings})
    return via or Screening(
        chip, _label(graph, term), (), (), INSUFFICIENT, "no figures in the graph"
    )


# ---------------------------------------------------------------------------------------
# Plain-text rendering (the CLI prints these; nothing here prints)
# ---------------------------------------------------------------------------------------


def _num(value: Decimal | None, places: str = "0.01") -> str:
    if value is None:
        return "—"
    return _fmt(value.quantize(Decimal(places)).normalize())


def render_report(report: ExportControlReport) -> str:
    """A table of every screened chip, then the naming sources and the disagreements."""
    t = report.thresholds
    lines = [
        f"ECCN 3A090.a ({t.rule}): controlled if TPP ≥ {_fmt(t.tpp)}, or TPP ≥ "
        f"{_fmt(t.lower_tpp)} and density ≥ {t.density}; TPP = dense TOPS × bit length "
        f"({_BIT_LENGTHS}), density = TPP ÷ die mm². Thresholds: "
        + (", ".join(t.statements) or "not stated in the graph (reference sheet 5.5)"),
        "",
    ]
    header = ("chip", "TPP", "die mm²", "density", "3A090.a (2023)", "basis")
    rows = []
    for s in report.screenings:
        top = s.scenarios[0] if s.scenarios else None
        basis = top.tpp_basis if top and top.tpp is not None else s.reason
        if s.via_variants:
            basis = s.reason
        die = _fmt(top.die_area) if top and top.die_area is not None else "—"
        if s.caveats:
            basis += f"  [{len(s.caveats)} caveat{'s' if len(s.caveats) > 1 else ''}]"
        rows.append((s.chip, _num(s.tpp, "0.1"), die, _num(s.density), s.classification, basis))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    for r in [header, *rows]:
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5])
    if any(s.caveats for s in report.screenings):
        lines += [
            "",
            "[caveat]: an input graded unverified, or a figure left out that could change"
            " the result; `kg analyze export-control CHIP` shows it.",
        ]
    lines += ["", f"named as restricted by {t.rule}:"]
    for n in report.named:
        cited = f" citing {', '.join(n.cited)}" if n.cited else ""
        lines.append(f"  {n.chip}: {n.source}{cited} [{n.statement}]")
    lines += ["", "disagreements between computation and naming:"]
    if not report.disagreements:
        lines.append("  none")
    for d in report.disagreements:
        lines.append(f"  {d.kind}: {d.chip}: {d.detail}")
    return "\n".join(lines) + "\n"


def render_screening(s: Screening, report: ExportControlReport | None = None) -> str:
    """One chip in detail: inputs with their sources, each scenario, the result."""
    lines = [f"{s.chip} ({s.label}): {s.classification}", f"  {s.reason}"]
    if s.via_variants:
        lines.append("  variants: " + ", ".join(s.via_variants))
    if s.figures:
        lines.append("inputs (best-ranked statements):")
        for f in s.figures:
            grade = f", {f.verification}" if f.verification else ""
            cited = f" citing {', '.join(f.cited)}" if f.cited else ""
            lines.append(f"  {f.text}  [{f.statement}; {f.source}{cited}; {f.rank}{grade}]")
    elif not s.via_variants:
        lines.append("inputs: none (insufficient data)")
    if len(s.scenarios) > 1:
        lines.append("scenarios (conflicting figures):")
    for sc in s.scenarios:
        lines.append(
            f"  TPP {_num(sc.tpp, '0.1')} ({sc.tpp_basis}); die {_fmt(sc.die_area)} mm²; "
            f"density {_num(sc.density)} -> {sc.classification}"
        )
    for caveat in s.caveats:
        lines.append(f"caveat: {caveat}")
    if report is not None:
        for n in report.named:
            if n.chip == s.chip:
                lines.append(f"named as restricted by {n.source} [{n.statement}]")
        for d in report.disagreements:
            if d.chip == s.chip:
                lines.append(f"disagreement ({d.kind}): {d.detail}")
    return "\n".join(lines) + "\n"


def report_summary(report: ExportControlReport) -> str:
    """One line: how many chips screened, by classification, and the disagreements."""
    counts: dict[str, int] = {}
    for s in report.screenings:
        counts[s.classification] = counts.get(s.classification, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    return f"{len(report.screenings)} chips: {summary}; {len(report.disagreements)} disagreement(s)"


# ---------------------------------------------------------------------------------------
# As of a day: which rules, listings and thresholds were in force
# ---------------------------------------------------------------------------------------

_THRESHOLD_PROPERTIES = (
    AICHIP.tppThreshold,
    AICHIP.lowerTppThreshold,
    AICHIP.densityThreshold,
    AICHIP.interconnectThresholdGBps,
)


@dataclass(frozen=True)
class Dated:
    """A rule, a listing or a threshold statement, and whether it held on the day."""

    node: str
    label: str
    start: str | None  # effective or start date, as precise as the source
    end: str | None
    status: str  # kg.facts.time: held, not yet, ended, uncertain, undated
    detail: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class AsOf:
    day: str
    rules: tuple[Dated, ...]  # export-control rules (not listings), by start date
    listings: tuple[Dated, ...]  # one per listed entity
    thresholds: tuple[Dated, ...]  # ECCN threshold statements
    screened_rule: str  # the rule the screening applies
    screened_rule_status: str

    @property
    def in_force(self) -> tuple[str, ...]:
        """Rules and listings that held on the day."""
        return tuple(d.node for d in (*self.rules, *self.listings) if d.status == HELD)


def _best_dates(graph: Graph, term: URIRef, prop: URIRef) -> list[str]:
    return sorted(str(v) for v in graph.objects(term, prop))


def _statement_sources(graph: Graph, subject: URIRef, prop: URIRef, obj=None) -> tuple[str, ...]:
    found = set()
    for statement in graph.subjects(RDF.subject, subject):
        if graph.value(statement, RDF.predicate) != prop:
            continue
        if obj is not None and graph.value(statement, RDF.object) != obj:
            continue
        if graph.value(statement, AICHIP.rank) == AICHIP.Deprecated:
            continue
        found.update(_curie(s) for s in graph.objects(statement, PROV.wasDerivedFrom))
    return tuple(sorted(found))


def _instances_of(graph: Graph, cls: URIRef) -> list[URIRef]:
    classes = set(graph.transitive_subjects(RDFS.subClassOf, cls))
    return sorted({s for c in classes for s in graph.subjects(RDF.type, c)}, key=str)


def as_of(graph: Graph, day: date, rule: str = "kg:bis-rule-2023-10-17") -> AsOf:
    """Which export controls held on ``day``: rules by ``aichip:effectiveDate`` (ended by an
    ``aichip:endDate``; a later rule amending the same ECCN is named), listings by their
    effective date, ECCN thresholds by the ``startDate``/``endDate`` of their statements.
    Items without a date are listed as undated.

    >>> import kg
    >>> from datetime import date
    >>> graph = kg.open().rdflib()
    >>> before, after = as_of(graph, date(2023, 1, 1)), as_of(graph, date(2024, 1, 1))
    >>> before.screened_rule_status, after.screened_rule_status
    ('not yet', 'held')
    >>> "kg:entity-listing-2023-10-17" in set(after.in_force) - set(before.in_force)
    True
    """
    listings_of = set(_instances_of(graph, AICHIP.EntityListing))
    eccns = set(_instances_of(graph, AICHIP.ECCN))
    effective: dict[URIRef, str] = {}
    for control in _instances_of(graph, AICHIP.ExportControl):
        dates = _best_dates(graph, control, AICHIP.effectiveDate)
        if dates:
            effective[control] = dates[0]
    rules, listings = [], []
    for control in _instances_of(graph, AICHIP.ExportControl):
        if control in eccns:
            continue
        start = effective.get(control)
        ends = _best_dates(graph, control, AICHIP.endDate)
        end = ends[0] if ends else None
        status = status_at(day, start, end)
        sources = _statement_sources(graph, control, AICHIP.effectiveDate)
        if control in listings_of:
            for entity in sorted(graph.objects(control, AICHIP.listedEntity), key=str):
                listings.append(
                    Dated(
                        _curie(control),
                        _label(graph, control),
                        start,
                        end,
                        status,
                        f"lists {_curie(entity)} ({_label(graph, entity)})",
                        _statement_sources(graph, control, AICHIP.listedEntity, entity),
                    )
                )
            continue
        amended = []
        for eccn in sorted(graph.objects(control, AICHIP.definesECCN), key=str):
            for other, other_start in sorted(effective.items(), key=lambda kv: kv[1]):
                if (
                    other != control
                    and start is not None
                    and start < other_start <= day.isoformat()
                    and (other, AICHIP.definesECCN, eccn) in graph
                ):
                    amended.append(f"{_curie(eccn)} amended by {_curie(other)} ({other_start})")
        rules.append(
            Dated(
                _curie(control),
                _label(graph, control),
                start,
                end,
                status,
                "; ".join(amended),
                sources,
            )
        )
    thresholds = []
    for eccn in sorted(eccns, key=str):
        for statement in sorted(graph.subjects(RDF.subject, eccn), key=str):
            prop = graph.value(statement, RDF.predicate)
            if prop not in _THRESHOLD_PROPERTIES:
                continue
            if graph.value(statement, AICHIP.rank) == AICHIP.Deprecated:
                continue
            start = graph.value(statement, AICHIP.startDate)
            end = graph.value(statement, AICHIP.endDate)
            source = graph.value(statement, PROV.wasDerivedFrom)
            thresholds.append(
                Dated(
                    _curie(statement),
                    _label(graph, eccn),
                    str(start) if start is not None else None,
                    str(end) if end is not None else None,
                    status_at(day, start, end),
                    f"{_curie(prop)} {graph.value(statement, RDF.object)}",
                    (_curie(source),) if source is not None else (),
                )
            )
    rules.sort(key=lambda d: (d.start or "9999", d.node))
    listings.sort(key=lambda d: (d.start or "9999", d.node, d.detail))
    screened = _expand(rule)
    return AsOf(
        day=day.isoformat(),
        rules=tuple(rules),
        listings=tuple(listings),
        thresholds=tuple(thresholds),
        screened_rule=rule,
        screened_rule_status=status_at(day, effective.get(screened)),
    )


_NOT_IN_FORCE = {
    "not yet": "not yet in force",
    "ended": "no longer in force",
    "uncertain": "perhaps not in force (dated too coarsely to tell)",
    "undated": "of unknown date",
}


def render_as_of(state: AsOf) -> str:
    """The rules, listings and thresholds of the day, each with its status and sources."""

    def line(d: Dated) -> str:
        span = f"{d.start or 'undated'}" + (f" to {d.end}" if d.end else "")
        detail = f"; {d.detail}" if d.detail else ""
        sources = f" [{', '.join(d.sources)}]" if d.sources else ""
        return f"  {d.status:<9} {d.node} ({span}){detail}{sources}"

    lines = [f"as of {state.day}:", "rules:"]
    lines += [line(d) for d in state.rules] or ["  none"]
    lines.append("entity listings:")
    lines += [line(d) for d in state.listings] or ["  none"]
    lines.append("ECCN thresholds:")
    lines += [line(d) for d in state.thresholds] or ["  none"]
    if state.screened_rule_status != HELD:
        lines += [
            "",
            f"note: the screening below applies {state.screened_rule}, which was "
            f"{_NOT_IN_FORCE.get(state.screened_rule_status, state.screened_rule_status)} on "
            f"{state.day}: read it as what that test gives, not as the controls of the day.",
        ]
    return "\n".join(lines) + "\n\n"
