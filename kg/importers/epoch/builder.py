"""Turn planned rows into Turtle text, one row at a time.

The output is written as it is made (a 100k-row CSV never becomes one in-memory graph), in the
layout of :func:`kg.importers.turtle.render_turtle`: one block per subject, ``a`` first, then the
statement's triple, then the other predicates and objects in order. Rows come out in file
order, so the same CSV and curated facts give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS

from kg.importers.base import curated_values, same_value
from kg.importers.epoch.columns import (
    ATTRIBUTION,
    DATE_COLUMN,
    EPOCH_SOURCE,
    FIGURES,
    FOUNDRIES,
    FOUNDRY_COLUMN,
    LICENSE,
    MAKER_COLUMN,
    MAKERS,
    NAME_COLUMN,
    SCHEMA,
    TYPE_COLUMN,
)
from kg.importers.epoch.matcher import Family, epoch_class, local, related_organisations, slug
from kg.importers.epoch.reader import parse_number
from kg.importers.epoch.report import Conflict
from kg.ns import AICHIP, KG
from kg.sparql.terms import PREFIXES, TurtleTerms, quote

__all__ = ["Block", "Organisation", "Planned", "RowBuilder", "TurtleWriter", "organisations_of"]

_FIRST = {RDF.type: 0, RDF.subject: 1, RDF.predicate: 2, RDF.object: 3, RDFS.label: 4}


@dataclass(frozen=True)
class Planned:
    """One row to import, with what matching decided about it."""

    row_number: int
    name: str
    chip: URIRef
    matched: bool  # the chip is curated: compare figures, declare nothing
    primary: bool  # this row declares the chip (False: merged onto another row's chip)
    chip_class: URIRef | None
    basis: str  # where that class comes from
    parent: URIRef | None = None
    family: Family | None = None
    different_from: URIRef | None = None


@dataclass(frozen=True)
class Organisation:
    slug: str
    label: str
    cls: URIRef


Block = tuple[URIRef, list[tuple[URIRef, object]]]  # subject, (predicate, object) pairs


def organisations_of(row: dict[str, str]) -> list[Organisation]:
    """The makers and foundries a row names, as the graph will know them."""
    found = []
    maker = row.get(MAKER_COLUMN, "").strip()
    if maker:
        found.append(Organisation(*MAKERS.get(maker, (slug(maker), maker, AICHIP.Company))))
    for foundry in (f.strip() for f in row.get(FOUNDRY_COLUMN, "").split(",")):
        if foundry:
            label = FOUNDRIES.get(foundry, (slug(foundry), foundry))
            found.append(Organisation(label[0], label[1], AICHIP.Company))
    return found


class _Text(str):
    """A literal already in Turtle syntax (cheaper than an rdflib Literal per cell)."""


class TurtleWriter:
    """Blocks as Turtle text, by the project's one term writer (IRIs cached: they repeat)."""

    def __init__(self) -> None:
        self.terms = TurtleTerms(PREFIXES)
        self._cache: dict[object, str] = {}
        self.triples = 0

    def term(self, term) -> str:
        if isinstance(term, _Text):
            return str.__str__(term)
        if isinstance(term, URIRef):
            text = self._cache.get(term)
            if text is None:
                text = self._cache[term] = self.terms.term(term)
            return text
        return self.terms.term(term)

    def head(self, header: str) -> str:
        lines = [f"# {line}".rstrip() for line in header.splitlines()]
        if lines:
            lines.append("")
        lines += [f"@prefix {p}: <{ns}> ." for p, ns in sorted(PREFIXES.items())]
        return "\n".join(lines)

    def block(self, block: Block) -> str:
        subject, pairs = block
        by_predicate: dict[URIRef, list[str]] = {}
        for predicate, obj in pairs:
            by_predicate.setdefault(predicate, []).append(obj)
        ordered = sorted(by_predicate, key=lambda p: (_FIRST.get(p, len(_FIRST)), self.term(p)))
        parts = []
        for predicate in ordered:
            objects = sorted(
                {(0 if isinstance(o, URIRef) else 1, self.term(o)) for o in by_predicate[predicate]}
            )
            self.triples += len(objects)
            verb = "a" if predicate == RDF.type else self.term(predicate)
            parts.append(f"    {verb} {' , '.join(text for _, text in objects)}")
        return f"\n\n{self.term(subject)}\n" + " ;\n".join(parts) + " ."


def _plain(text: str) -> _Text:
    return _Text(quote(text))


def _decimal(value: Decimal) -> Literal:
    return Literal(format(value.normalize(), "f"), datatype=XSD.decimal)


def _row_quote(name: str, column: str, raw: str) -> str:
    return f"{name} | {column}: {raw.strip()}"


def _value_slug(value) -> str:
    if isinstance(value, URIRef):
        return str(value).rsplit("/", 1)[-1]
    return slug(str(value).replace(".", "p"))


class RowBuilder:
    """Statements for planned rows, compared with the curated facts where the chip is curated."""

    def __init__(self, curated: Graph, writer: TurtleWriter) -> None:
        self.curated = curated
        self.writer = writer
        self.conflicts: list[Conflict] = []
        self.agreements = 0
        self.statements = 0

    def source(self) -> list[Block]:
        """The dataset source with its licence, unless the curated facts declare it."""
        if (EPOCH_SOURCE, RDF.type, None) in self.curated:
            return []
        url = "https://epoch.ai/data/machine-learning-hardware"
        return [
            (
                EPOCH_SOURCE,
                [
                    (RDF.type, AICHIP.Dataset),
                    (RDFS.label, Literal("Epoch AI: Data on Machine Learning Hardware", lang="en")),
                    (DCTERMS.title, Literal("Data on Machine Learning Hardware", lang="en")),
                    (DCTERMS.publisher, KG["epoch-ai"]),
                    (DCTERMS.license, LICENSE),
                    (DCTERMS.bibliographicCitation, Literal(ATTRIBUTION)),
                    (DCTERMS.language, Literal("en")),
                    (SCHEMA.url, Literal(url, datatype=XSD.anyURI)),
                ],
            )
        ]

    def organisation(self, org: Organisation) -> Block:
        return (KG[org.slug], [(RDF.type, org.cls), (RDFS.label, Literal(org.label, lang="en"))])

    def row(self, item: Planned, row: dict[str, str]) -> list[Block]:
        """Every block the row contributes: the chip (when new), its statements, and the
        curated statements an imported value conflicts with."""
        self._blocks: list[Block] = []
        chip, name = item.chip, item.name
        if item.primary and not item.matched:
            self._blocks.append(
                (chip, [(RDF.type, item.chip_class), (RDFS.label, Literal(name, lang="en"))])
            )
        elif not item.matched:  # another row of the same thing: keep its name findable
            self._blocks.append((chip, [(SKOS.altLabel, Literal(name, lang="en"))]))
        if item.different_from is not None:
            self._blocks.append((chip, [(OWL.differentFrom, item.different_from)]))
        self._suffix = "" if item.primary else "-" + slug(name)
        name_quote = _row_quote(name, NAME_COLUMN, name)
        if item.parent is not None:
            self._statement(
                item,
                AICHIP.variantOf,
                item.parent,
                quote=name_quote,
                note="the row names a SKU of the product (kg/importers/epoch/curated_names.csv)",
                derived=True,
            )
        if item.family is not None:
            self._statement(
                item,
                AICHIP.inFamily,
                item.family.node,
                quote=name_quote,
                note="the name starts with the curated family's name",
                derived=True,
            )
        self._epoch_type(item, row)
        self._figures(item, row)
        return self._blocks

    def _epoch_type(self, item: Planned, row: dict[str, str]) -> None:
        """Keep Epoch's "Type" as Epoch's claim where the graph classes the chip otherwise."""
        raw = row.get(TYPE_COLUMN, "").strip()
        if not raw or item.chip_class is None or epoch_class(row) == item.chip_class:
            return
        self._statement(
            item,
            AICHIP.description,
            Literal(f"Epoch AI lists its type as {raw}", lang="en"),
            quote=_row_quote(item.name, TYPE_COLUMN, raw),
            note=f"column {TYPE_COLUMN!r}; the graph classes the chip {local(item.chip_class)} "
            f"from {item.basis}",
        )

    def _figures(self, item: Planned, row: dict[str, str]) -> None:
        name = item.name
        for figure in FIGURES:
            for column in figure.columns:
                raw = row.get(column, "")
                value, _ = parse_number(raw, column)
                if value is None:
                    continue
                if value == 0:
                    break  # Epoch uses 0 for "not applicable" in a few cells; not a figure
                self._statement(
                    item,
                    figure.predicate,
                    _decimal(value / figure.divisor),
                    quote=_row_quote(name, column, raw),
                    note=f"column {column!r}, {figure.unit_note}",
                    compare=True,
                )
                break
        date = row.get(DATE_COLUMN, "").strip()
        if date:
            self._statement(
                item,
                AICHIP.releaseDate,
                Literal(date, datatype=XSD.date),
                quote=_row_quote(name, DATE_COLUMN, date),
                note=f"column {DATE_COLUMN!r}",
                compare=True,
            )
        orgs = organisations_of(row)
        maker = row.get(MAKER_COLUMN, "").strip()
        for index, org in enumerate(orgs):
            is_maker = bool(maker) and index == 0
            column = MAKER_COLUMN if is_maker else FOUNDRY_COLUMN
            self._statement(
                item,
                AICHIP.designedBy if is_maker else AICHIP.fabricatedBy,
                KG[org.slug],
                quote=_row_quote(name, column, row[column]),
                note=f"column {column!r}",
                compare=True,
            )

    def _statement(
        self,
        item: Planned,
        predicate: URIRef,
        value,
        *,
        quote: str,
        note: str,
        compare: bool = False,
        derived: bool = False,
    ) -> None:
        chip = item.chip
        chip_slug = str(chip).rsplit("/", 1)[-1]
        key = str(predicate).rsplit("#", 1)[-1].casefold()
        node = KG[f"stmt-{chip_slug}-{key}-{_value_slug(value)}-epoch{self._suffix}"]
        pairs: list[tuple[URIRef, object]] = [
            (RDF.type, AICHIP.Statement),
            (RDF.subject, chip),
            (RDF.predicate, predicate),
            (RDF.object, value),
            (AICHIP.rank, AICHIP.Normal),
            (PROV.wasDerivedFrom, EPOCH_SOURCE),
            (AICHIP.quote, _plain(quote)),
            (SKOS.note, _plain(f"Epoch AI ML hardware CSV, row {item.row_number}; {note}")),
        ]
        if derived:
            pairs.append((AICHIP.verification, Literal("derived")))
        self.statements += 1
        self._blocks.append((node, pairs))
        if not (compare and item.matched):
            return
        existing = curated_values(self.curated, chip, predicate)
        if not existing:
            return
        if any(self._agrees(predicate, v, value) for _, v in existing):
            self.agreements += 1
            return
        for other, _ in existing:
            pairs.append((AICHIP.conflictsWith, other))
            self._blocks.append((other, [(AICHIP.conflictsWith, node)]))
        self.conflicts.append(
            Conflict(
                row=item.row_number,
                chip=chip_slug,
                property=local(predicate),
                curated=tuple(
                    (local(s), str(v) if isinstance(v, Literal) else local(v)) for s, v in existing
                ),
                imported=str(value) if isinstance(value, Literal) else local(value),
                imported_statement=local(node),
            )
        )

    def _agrees(self, predicate: URIRef, curated, imported) -> bool:
        if same_value(curated, imported):
            return True
        # Epoch names the parent ("Alibaba") where the curated facts name its design house
        # (T-Head): the same maker, not a conflict.
        if predicate == AICHIP.designedBy and isinstance(curated, URIRef):
            return imported in related_organisations(self.curated, [curated])
        return False
