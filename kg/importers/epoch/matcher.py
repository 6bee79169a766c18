"""Decide what each Epoch row denotes: a curated entity, a SKU of one, or a new chip.

One entity per real-world thing. A row is mapped onto a curated entity when

1. ``curated_names.csv`` (beside this module; curators edit it) says so: ``same`` (the row is
   that entity), ``variant`` (the row is a SKU of it: a new chip with ``aichip:variantOf``) or
   ``distinct`` (the row only looks like it: a new chip with ``owl:differentFrom``); or
2. the row's maker is the curated entity's designer (or its parent or subsidiary) and their
   names share a key of :func:`kg.facts.names.name_keys` ("AMD Instinct MI300A" and "MI300A"):
   the same evidence the ``likely-duplicate`` validation rule uses.

Every merge is reported with its evidence. New chips are classed from the curated facts first
(the product a SKU belongs to, the curated family its name starts with), then from
:data:`~kg.importers.epoch.columns.CLASS_TABLE`, only then from Epoch's "Type" column.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import ORG, SKOS

from kg.errors import ParseError
from kg.facts.names import name_keys
from kg.importers.base import curated_values, live_statements
from kg.importers.epoch.columns import (
    BROADER,
    CLASS_TABLE,
    MAKER_COLUMN,
    MAKERS,
    NAME_COLUMN,
    SPECIFIC,
    TYPE_COLUMN,
    TYPES,
)
from kg.ns import AICHIP, KG

__all__ = [
    "NAMES_CSV",
    "RELATIONS",
    "CuratedIndex",
    "Family",
    "NameEntry",
    "chip_class",
    "curated_families",
    "epoch_class",
    "family_of",
    "load_names",
    "local",
    "maker_term",
    "normalise_name",
    "related_organisations",
    "slug",
]

NAMES_CSV = Path(__file__).with_name("curated_names.csv")
RELATIONS = ("same", "variant", "distinct")
_CHIP_CLASSES = frozenset({AICHIP.Chip, *BROADER})


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


# Matching a row normalises its name several times (the name table, families, the class
# table); the cache makes that once per row, and once per name for the curated facts'.
@lru_cache(maxsize=4096)
def normalise_name(name: str) -> str:
    """Case-folded, punctuation-free, single-spaced: 'NVIDIA  H100-SXM5' -> 'nvidia h100 sxm5'."""
    return " ".join(_NOT_ALNUM.sub(" ", name.casefold()).split())


def slug(text: str) -> str:
    return _NOT_ALNUM.sub("-", text.casefold()).strip("-")


def local(term: URIRef) -> str:
    """``kg:x`` / ``aichip:X`` for the project's namespaces, else the IRI."""
    text = str(term)
    for prefix, namespace in (("kg:", str(KG)), ("aichip:", str(AICHIP._NS))):
        if text.startswith(namespace):
            return prefix + text[len(namespace) :]
    return text


def maker_term(maker: str) -> URIRef | None:
    """The organisation an Epoch "Manufacturer" names."""
    if not maker:
        return None
    return KG[MAKERS.get(maker, (slug(maker),))[0]]


# -- the curated name table ----------------------------------------------------------------


@dataclass(frozen=True)
class NameEntry:
    """One line of curated_names.csv."""

    line: int
    epoch_name: str
    manufacturer: str
    relation: str  # one of RELATIONS
    entity: URIRef
    reason: str


def load_names(path: Path = NAMES_CSV) -> dict[str, NameEntry]:
    """The table by normalised Epoch name; a malformed line is a ParseError naming it."""
    display = f"kg/importers/epoch/{path.name}" if path == NAMES_CSV else str(path)
    entries: dict[str, NameEntry] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        expected = ["epoch_name", "manufacturer", "relation", "entity", "reason"]
        if reader.fieldnames != expected:
            raise ParseError(display, 1, f"the header must be {','.join(expected)}")
        for number, record in enumerate(reader, start=2):
            name = (record.get("epoch_name") or "").strip()
            relation = (record.get("relation") or "").strip()
            entity = (record.get("entity") or "").strip()
            reason = (record.get("reason") or "").strip()
            if not name or relation not in RELATIONS:
                raise ParseError(
                    display, number, f"need an epoch_name and a relation in {', '.join(RELATIONS)}"
                )
            if not re.fullmatch(r"kg:[a-z0-9][a-z0-9-]*", entity):
                raise ParseError(display, number, f"entity must be a kg: name, not {entity!r}")
            if not reason:
                raise ParseError(display, number, "say why in the reason column")
            key = normalise_name(name)
            if key in entries:
                raise ParseError(display, number, f"{name!r} is listed twice")
            entries[key] = NameEntry(
                number,
                name,
                (record.get("manufacturer") or "").strip(),
                relation,
                KG[entity.removeprefix("kg:")],
                reason,
            )
    return entries


# -- classes -------------------------------------------------------------------------------


def _chain(cls: URIRef) -> list[URIRef]:
    """``cls`` and its broader classes, most specific first."""
    chain = [cls]
    while chain[-1] in BROADER:
        chain.append(BROADER[chain[-1]])
    return chain


def _most_specific(classes: Iterable[URIRef]) -> URIRef | None:
    """The most specific of ``classes`` when they lie on one line (AIAccelerator, NPU: NPU);
    otherwise the most specific class they all fall under (GPU, NPU: AIAccelerator)."""
    known = sorted({c for c in classes if c in BROADER or c == AICHIP.Chip}, key=str)
    if not known:
        return None
    chains = [_chain(c) for c in known]
    deepest = max(chains, key=len)
    if all(c in deepest for c in known):
        return deepest[0]
    return next(c for c in deepest if all(c in chain for chain in chains))


def curated_chip_class(curated: Graph, chip: URIRef) -> URIRef | None:
    return _most_specific(curated.objects(chip, RDF.type))


def epoch_class(row: dict[str, str]) -> URIRef:
    """Epoch's own reading of the row's "Type"."""
    return TYPES.get(row.get(TYPE_COLUMN, "").strip().casefold(), AICHIP.AIAccelerator)


def _claimed(curated: Graph, predicate: URIRef, obj: URIRef) -> list[URIRef]:
    """Subjects of the non-deprecated statements claiming ``? predicate obj``."""
    found = {
        subject
        for _, subject, _ in live_statements(curated, predicate, obj=obj)
        if isinstance(subject, URIRef)
    }
    return sorted(found, key=str)


def _english_names(curated: Graph, term: URIRef) -> list[str]:
    return [
        str(label)
        for predicate in (RDFS.label, SKOS.altLabel)
        for label in curated.objects(term, predicate)
        if isinstance(label, Literal) and (label.language or "en").startswith("en")
    ]


def related_organisations(curated: Graph, makers: Iterable[URIRef]) -> set[URIRef]:
    """``makers`` with their parent and child organisations (HiSilicon designs for Huawei)."""
    related = set(makers)
    for maker in list(related):
        related.update(v for _, v in curated_values(curated, maker, ORG.subOrganizationOf))
        related.update(_claimed(curated, ORG.subOrganizationOf, maker))
    return {m for m in related if isinstance(m, URIRef)}


# -- families ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A curated chip family as the importer matches names against it."""

    node: URIRef
    names: tuple[str, ...]  # normalised English labels and alternative names
    makers: frozenset[URIRef]  # designers/developers and their parent or child organisations
    chip_class: URIRef | None  # chipClass refined by its curated member chips


def curated_families(curated: Graph) -> tuple[Family, ...]:
    """Every ``aichip:ChipFamily`` of ``curated`` with its names, makers and class."""
    families = []
    for node in sorted(set(curated.subjects(RDF.type, AICHIP.ChipFamily)), key=str):
        if not isinstance(node, URIRef):
            continue
        names = {normalise_name(n) for n in _english_names(curated, node)}
        names.discard("")
        makers = {
            value
            for predicate in (AICHIP.designedBy, AICHIP.developedBy)
            for _, value in curated_values(curated, node, predicate)
            if isinstance(value, URIRef)
        }
        declared = [v for _, v in curated_values(curated, node, AICHIP.chipClass)]
        members = [curated_chip_class(curated, c) for c in _claimed(curated, AICHIP.inFamily, node)]
        families.append(
            Family(
                node=node,
                names=tuple(sorted(names)),
                makers=frozenset(related_organisations(curated, makers)),
                chip_class=_most_specific([*declared, *(m for m in members if m is not None)]),
            )
        )
    return tuple(families)


def family_of(name: str, maker: URIRef | None, families: Iterable[Family]) -> Family | None:
    """The family whose name ``name`` starts with ("Huawei Ascend 910C": Huawei Ascend).

    The name must go on past the family's name with a number or a new word ("Cambricon MLU370"
    is an MLU, "Kunlunxin" is not a "Kunlun"); a family with known makers only takes chips of
    those makers. The longest family name wins; a tie between families matches none.
    """
    key = normalise_name(name)
    found: dict[int, set[Family]] = {}
    for family in families:
        if family.makers and maker not in family.makers:
            continue
        for prefix in family.names:
            if len(key) > len(prefix) and key.startswith(prefix) and not key[len(prefix)].isalpha():
                found.setdefault(len(prefix), set()).add(family)
    if not found:
        return None
    best = found[max(found)]
    return next(iter(best)) if len(best) == 1 else None


def chip_class(
    row: dict[str, str],
    *,
    parent: URIRef | None = None,
    family: Family | None = None,
    curated: Graph | None = None,
) -> tuple[URIRef, str]:
    """(class, why) for a new chip: what the curated facts say of the product it is a variant
    of (``parent``) or of its ``family``; a general curated class (AIAccelerator) refined by
    :data:`CLASS_TABLE`; without curated knowledge, the table, then Epoch's "Type"."""
    known, basis = None, ""
    if parent is not None and curated is not None:
        known = curated_chip_class(curated, parent)
        basis = f"the curated chip {local(parent)} it is a variant of"
    if known not in SPECIFIC and family is not None and family.chip_class is not None:
        combined = _most_specific([c for c in (known, family.chip_class) if c is not None])
        if combined != known:
            known, basis = combined, f"the curated family {local(family.node)}"
    if known in SPECIFIC:
        return known, basis
    key = normalise_name(row.get(NAME_COLUMN, ""))
    maker = row.get(MAKER_COLUMN, "").strip()
    table = next(
        (cls for (m, prefix), cls in CLASS_TABLE.items() if m == maker and key.startswith(prefix)),
        None,
    )
    if table is not None and (known is None or known in _chain(table)):
        return table, "the class table in kg/importers/epoch/columns.py"
    if known is not None:
        return known, basis
    return epoch_class(row), f"Epoch's {TYPE_COLUMN!r} column"


# -- matching by maker and name -------------------------------------------------------------


class CuratedIndex:
    """Curated chips by (maker, name key), to find the one a row denotes."""

    def __init__(self, curated: Graph) -> None:
        self.curated = curated
        self._by_key: dict[tuple[URIRef, str], set[URIRef]] = defaultdict(set)
        self._names: dict[URIRef, list[str]] = {}
        self._related: dict[URIRef, set[URIRef]] = {}
        self._row_makers: dict[str, tuple[str, ...]] = {}  # a row's maker: all its names
        for chip in sorted({s for s in curated.subjects(RDF.type, None) if isinstance(s, URIRef)}):
            if not set(curated.objects(chip, RDF.type)) & _CHIP_CLASSES:
                continue
            makers = {
                v
                for _, v in curated_values(curated, chip, AICHIP.designedBy)
                if isinstance(v, URIRef)
            }
            if not makers:
                continue
            orgs = set().union(*(self.organisations(m) for m in makers))
            for key in name_keys(_english_names(curated, chip), self._maker_names(orgs)):
                for org in orgs:
                    self._by_key[(org, key)].add(chip)

    def organisations(self, maker: URIRef) -> set[URIRef]:
        if maker not in self._related:
            self._related[maker] = related_organisations(self.curated, [maker])
        return self._related[maker]

    def _maker_names(self, orgs: Iterable[URIRef]) -> list[str]:
        names = []
        for org in orgs:
            if org not in self._names:
                self._names[org] = _english_names(self.curated, org) + [str(org).rsplit("/", 1)[-1]]
            names.extend(self._names[org])
        return names

    def find(self, name: str, maker: str) -> tuple[list[URIRef], str]:
        """(curated chips the row's name and maker point at, evidence). A shared name beats a
        shared model number; several chips on the best evidence are all returned."""
        org = maker_term(maker)
        if org is None:
            return [], ""
        makers = self._row_makers.get(maker)
        if makers is None:
            makers = self._row_makers[maker] = (maker, *self._maker_names(self.organisations(org)))
        keys = name_keys([name], makers)
        for kind in ("name", "model"):
            found: dict[URIRef, str] = {}
            for key in sorted(k for k in keys if k.startswith(kind + ":")):
                for chip in self._by_key.get((org, key), ()):
                    found.setdefault(chip, key.partition(":")[2])
            if found:
                chips = sorted(found)
                what = "normalised name" if kind == "name" else "model number"
                evidence = (
                    f"same maker ({local(org)}) and {what} {found[chips[0]]!r}"
                    if len(chips) == 1
                    else ""
                )
                return chips, evidence
        return [], ""
