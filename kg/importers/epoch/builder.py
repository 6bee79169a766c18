"""Turn planned rows into Turtle text, one row at a time.

The output is written as it is made (a 100k-row CSV never becomes one in-memory graph), in the
layout of :func:`kg.importers.turtle.render_turtle`: one block per subject, ``a`` first, then the
statement's triple, then the other predicates and objects in order. Rows come out in file
order, so the same CSV and curated facts give the same bytes.

A row makes about seven statements and a 100k-row file millions of triples, so terms that are
new in every row (the chip, the statement nodes, the values) are written straight to Turtle
text by the project's term writer, without an rdflib term each; an rdflib ``Literal`` is made
only to compare a value with the curated facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

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
from kg.sparql.terms import PREFIXES, TurtleTerms

__all__ = ["Block", "Organisation", "Planned", "RowBuilder", "TurtleWriter", "organisations_of"]

_FIRST = {RDF.type: 0, RDF.subject: 1, RDF.predicate: 2, RDF.object: 3, RDFS.label: 4}

# Namespace attribute look-ups cost microseconds each (and make a new term each time, so a
# dictionary compares rather than recognises them); a row needs dozens of them.
_TYPE = RDF.type
_SUBJECT = RDF.subject
_PREDICATE = RDF.predicate
_OBJECT = RDF.object
_LABEL = RDFS.label
_ALT_LABEL = SKOS.altLabel
_NOTE = SKOS.note
_DERIVED_FROM = PROV.wasDerivedFrom
_DIFFERENT_FROM = OWL.differentFrom
_STATEMENT = AICHIP.Statement
_NORMAL = AICHIP.Normal
_RANK = AICHIP.rank
_QUOTE = AICHIP.quote
_VERIFICATION = AICHIP.verification
_CONFLICTS_WITH = AICHIP.conflictsWith
_DESCRIPTION = AICHIP.description
_RELEASE_DATE = AICHIP.releaseDate
_DESIGNED_BY = AICHIP.designedBy
_FABRICATED_BY = AICHIP.fabricatedBy
_VARIANT_OF = AICHIP.variantOf
_IN_FAMILY = AICHIP.inFamily
_COMPANY = AICHIP.Company
_KG = str(KG)
_XSD_DECIMAL = str(XSD.decimal)
_XSD_DATE = str(XSD.date)


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


# subject, (predicate, object) pairs; a row's own terms come already written (_Iri, _Text)
Block = tuple[URIRef | str, list[tuple[URIRef, object]]]


def organisations_of(row: dict[str, str]) -> list[Organisation]:
    """The makers and foundries a row names, as the graph will know them."""
    return list(_organisations(row.get(MAKER_COLUMN, ""), row.get(FOUNDRY_COLUMN, "")))


@lru_cache(maxsize=1024)  # a catalogue names a few dozen makers and foundries
def _organisations(maker_cell: str, foundry_cell: str) -> tuple[Organisation, ...]:
    found = []
    maker = maker_cell.strip()
    if maker:
        found.append(Organisation(*MAKERS.get(maker, (slug(maker), maker, _COMPANY))))
    for foundry in (f.strip() for f in foundry_cell.split(",")):
        if foundry:
            label = FOUNDRIES.get(foundry, (slug(foundry), foundry))
            found.append(Organisation(label[0], label[1], _COMPANY))
    return tuple(found)


class _Text(str):
    """A literal already in Turtle syntax (cheaper than an rdflib Literal per cell)."""


class _Iri(str):
    """An IRI already in Turtle syntax: a term of one row, not worth remembering."""


class _Value(NamedTuple):
    """A literal value of a statement as its parts; an rdflib Literal only when compared."""

    lexical: str
    datatype: str | None = None
    language: str | None = None

    def literal(self) -> Literal:
        return Literal(
            self.lexical,
            lang=self.language,
            datatype=URIRef(self.datatype) if self.datatype else None,
        )


class TurtleWriter:
    """Blocks as Turtle text, by the project's one term writer. IRIs that repeat (predicates,
    classes, organisations) are remembered; a row's own terms come as ``_Iri``/``_Text``."""

    def __init__(self) -> None:
        self.terms = TurtleTerms(PREFIXES)
        self._cache: dict[URIRef, str] = {}
        self._predicates: dict[URIRef, tuple[tuple[int, str], str]] = {}
        # predicates of a block, in the order given -> (pair indexes in written order, the
        # block's text with a {} for the subject and each object)
        self._layouts: dict[tuple, tuple[tuple[int, ...], str] | None] = {}
        self.triples = 0

    def term(self, term) -> str:
        kind = type(term)
        if kind is _Iri or kind is _Text:
            return term  # already Turtle
        if isinstance(term, URIRef):
            text = self._cache.get(term)
            if text is None:
                text = self._cache[term] = self.terms.term(term)
            return text
        return self.terms.term(term)

    def iri(self, iri: str) -> _Iri:
        """A row's own IRI (a new chip, a statement node) as Turtle, not remembered."""
        return _Iri(self.terms.iri(iri))

    def literal(
        self, value: str, language: str | None = None, datatype: str | None = None
    ) -> _Text:
        return _Text(self.terms.literal(value, language, datatype))

    def head(self, header: str) -> str:
        lines = [f"# {line}".rstrip() for line in header.splitlines()]
        if lines:
            lines.append("")
        lines += [f"@prefix {p}: <{ns}> ." for p, ns in sorted(PREFIXES.items())]
        return "\n".join(lines)

    def _predicate(self, predicate: URIRef) -> tuple[tuple[int, str], str]:
        """(sort key, verb) of ``predicate``: ``a`` and the statement's triple first."""
        known = self._predicates.get(predicate)
        if known is None:
            text = self.term(predicate)
            verb = "a" if predicate == RDF.type else text
            known = self._predicates[predicate] = ((_FIRST.get(predicate, len(_FIRST)), text), verb)
        return known

    def _object_key(self, term) -> tuple[int, str]:
        kind = 0 if isinstance(term, URIRef | _Iri) else 1
        return kind, self.term(term)

    def _layout(self, predicates: tuple) -> tuple[tuple[int, ...], str] | None:
        """How a block with these predicates is written, when each has one object."""
        if len(set(predicates)) != len(predicates):
            return None
        keyed = sorted((self._predicate(p), i) for i, p in enumerate(predicates))
        lines = [
            "    " + verb.replace("{", "{{").replace("}", "}}") + " {}" for (_, verb), _ in keyed
        ]
        return tuple(i for _, i in keyed), "\n\n{}\n" + " ;\n".join(lines) + " ."

    def block(self, block: Block) -> str:
        subject, pairs = block
        # Most blocks (every statement) repeat a few shapes: sort their predicates once.
        predicates = tuple([p for p, _ in pairs])
        if predicates in self._layouts:
            layout = self._layouts[predicates]
        else:
            layout = self._layouts[predicates] = self._layout(predicates)
        if layout is not None:
            order, text = layout
            term = self.term
            self.triples += len(order)
            return text.format(term(subject), *[term(pairs[i][1]) for i in order])
        by_predicate: dict[URIRef, list] = {}
        for predicate, obj in pairs:
            objects = by_predicate.get(predicate)
            if objects is None:
                by_predicate[predicate] = [obj]
            else:
                objects.append(obj)
        ordered = sorted((self._predicate(p), p) for p in by_predicate)
        parts = []
        for (_, verb), predicate in ordered:
            objects = by_predicate[predicate]
            if len(objects) == 1:
                texts = [self.term(objects[0])]
            else:
                texts = [text for _, text in sorted({self._object_key(o) for o in objects})]
            self.triples += len(texts)
            parts.append(f"    {verb} {' , '.join(texts)}")
        return f"\n\n{self.term(subject)}\n" + " ;\n".join(parts) + " ."


def _decimal(value: Decimal) -> _Value:
    return _Value(format(value.normalize(), "f"), _XSD_DECIMAL)


def _row_quote(name: str, column: str, raw: str) -> str:
    return f"{name} | {column}: {raw.strip()}"


@lru_cache(maxsize=256)
def _predicate_key(predicate: URIRef) -> str:
    """The predicate's part of a statement node's name: ``fp16densetflops``."""
    return str(predicate).rsplit("#", 1)[-1].casefold()


def _value_slug(value) -> str:
    if isinstance(value, URIRef):
        return str(value).rsplit("/", 1)[-1]
    return slug(value.lexical.replace(".", "p"))


def _local_text(iri: str) -> str:
    """:func:`local` of an IRI given as a string."""
    return local(URIRef(iri)) if not iri.startswith(_KG) else "kg:" + iri[len(_KG) :]


class RowBuilder:
    """Statements for planned rows, compared with the curated facts where the chip is curated."""

    def __init__(self, curated: Graph, writer: TurtleWriter) -> None:
        self.curated = curated
        self.writer = writer
        self.conflicts: list[Conflict] = []
        self.agreements = 0
        self.statements = 0
        # what every statement says, written once
        self._a_statement = _Iri(writer.term(_STATEMENT))
        self._normal = _Iri(writer.term(_NORMAL))
        self._source = _Iri(writer.term(EPOCH_SOURCE))
        self._derived = writer.literal("derived")

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
        # a curated chip recurs (rows merged onto it, conflicts); a new one is the row's own
        self._chip = _Iri(self.writer.term(chip)) if item.matched else self.writer.iri(str(chip))
        self._chip_slug = str(chip).rsplit("/", 1)[-1]
        if item.primary and not item.matched:
            self._blocks.append(
                (
                    self._chip,
                    [(_TYPE, item.chip_class), (_LABEL, self.writer.literal(name, "en"))],
                )
            )
        elif not item.matched:  # another row of the same thing: keep its name findable
            self._blocks.append((self._chip, [(_ALT_LABEL, self.writer.literal(name, "en"))]))
        if item.different_from is not None:
            self._blocks.append((self._chip, [(_DIFFERENT_FROM, item.different_from)]))
        self._suffix = "" if item.primary else "-" + slug(name)
        self._note_head = f"Epoch AI ML hardware CSV, row {item.row_number}; "
        name_quote = _row_quote(name, NAME_COLUMN, name)
        if item.parent is not None:
            self._statement(
                item,
                _VARIANT_OF,
                item.parent,
                quote=name_quote,
                note="the row names a SKU of the product (kg/importers/epoch/curated_names.csv)",
                derived=True,
            )
        if item.family is not None:
            self._statement(
                item,
                _IN_FAMILY,
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
            _DESCRIPTION,
            _Value(f"Epoch AI lists its type as {raw}", language="en"),
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
                _RELEASE_DATE,
                _Value(date, _XSD_DATE),
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
                _DESIGNED_BY if is_maker else _FABRICATED_BY,
                KG[org.slug],
                quote=_row_quote(name, column, row[column]),
                note=f"column {column!r}",
                compare=True,
            )

    def _statement(
        self,
        item: Planned,
        predicate: URIRef,
        value: URIRef | _Value,
        *,
        quote: str,
        note: str,
        compare: bool = False,
        derived: bool = False,
    ) -> None:
        writer = self.writer
        node = (
            f"{_KG}stmt-{self._chip_slug}-{_predicate_key(predicate)}-{_value_slug(value)}"
            f"-epoch{self._suffix}"
        )
        node_text = writer.iri(node)
        if isinstance(value, URIRef):
            obj = value
        else:
            obj = writer.literal(value.lexical, value.language, value.datatype)
        pairs: list[tuple[URIRef, object]] = [
            (_TYPE, self._a_statement),
            (_SUBJECT, self._chip),
            (_PREDICATE, predicate),
            (_OBJECT, obj),
            (_RANK, self._normal),
            (_DERIVED_FROM, self._source),
            (_QUOTE, writer.literal(quote)),
            (_NOTE, writer.literal(self._note_head + note)),
        ]
        if derived:
            pairs.append((_VERIFICATION, self._derived))
        self.statements += 1
        self._blocks.append((node_text, pairs))
        if not (compare and item.matched):
            return
        chip = item.chip
        existing = curated_values(self.curated, chip, predicate)
        if not existing:
            return
        compared = value if isinstance(value, URIRef) else value.literal()
        if any(self._agrees(predicate, v, compared) for _, v in existing):
            self.agreements += 1
            return
        for other, _ in existing:
            pairs.append((_CONFLICTS_WITH, other))
            self._blocks.append((other, [(_CONFLICTS_WITH, node_text)]))
        self.conflicts.append(
            Conflict(
                row=item.row_number,
                chip=self._chip_slug,
                property=local(predicate),
                curated=tuple(
                    (local(s), str(v) if isinstance(v, Literal) else local(v)) for s, v in existing
                ),
                imported=value.lexical if isinstance(value, _Value) else local(value),
                imported_statement=_local_text(node),
            )
        )

    def _agrees(self, predicate: URIRef, curated, imported) -> bool:
        if same_value(curated, imported):
            return True
        # Epoch names the parent ("Alibaba") where the curated facts name its design house
        # (T-Head): the same maker, not a conflict.
        if predicate == _DESIGNED_BY and isinstance(curated, URIRef):
            return imported in related_organisations(self.curated, [curated])
        return False
