"""Import Epoch AI's "Data on Machine Learning Hardware" CSV as sourced statements.

Every imported figure is an ``aichip:Statement`` derived from the dataset source
``kg:src-epoch-ml-hardware`` (CC BY 4.0, with Epoch's attribution text), quoting the row's
name, column and raw value. Rows are matched to curated chips through :data:`NAME_TABLE`
(normalised name plus manufacturer); unmatched rows become new chips. Where an imported
value disagrees with a curated one, both are kept, linked with ``aichip:conflictsWith`` and
listed in the report.

New chips are classed from what the curated facts know first: the class of the curated chip a
row is a variant of, or of the curated family its name starts with (the family's
``aichip:chipClass``, refined by the classes of its curated member chips); then from
:data:`CLASS_TABLE`; only then from Epoch's "Type" column, which calls some NPUs "GPU" (every
Huawei Ascend, AWS Trainium). Where the class differs from Epoch's Type, Epoch's own reading
is kept as a sourced ``aichip:description`` ("Epoch AI lists its type as GPU"). A new chip
whose name starts with a curated family's English label or alternative name ("Huawei Ascend
910C": kg:ascend) gets an ``aichip:inFamily`` statement quoting the name.

Row numbers count CSV records with the header as row 1, as a spreadsheet shows them (a
quoted field may span several lines, so they are not file line numbers).

Nothing is half-imported: any malformed row or unknown column yields errors and an empty
graph.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, SKOS

from kg.errors import ParseError
from kg.importers.base import curated_values, live_statements, same_value
from kg.ns import AICHIP, KG

__all__ = [
    "CLASS_TABLE",
    "COLUMNS",
    "EPOCH_SOURCE",
    "NAME_TABLE",
    "VARIANT_TABLE",
    "Conflict",
    "EpochImport",
    "EpochReport",
    "Family",
    "Match",
    "NewChip",
    "RowError",
    "chip_class",
    "curated_families",
    "family_of",
    "import_epoch",
    "normalise_name",
    "summary_lines",
]

SCHEMA = Namespace("https://schema.org/")

EPOCH_SOURCE = KG["src-epoch-ml-hardware"]
EPOCH_ORG = KG["epoch-ai"]
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
ATTRIBUTION = (
    "Epoch AI, \u201cData on Machine Learning Hardware\u201d, 2024, "
    "https://epoch.ai/data/machine-learning-hardware"
)

# Every column of the 2025-12 snapshot. "Notes" is absent from older copies.
NAME_COLUMN = "Hardware name"
MAKER_COLUMN = "Manufacturer"
TYPE_COLUMN = "Type"
DATE_COLUMN = "Release date"
FOUNDRY_COLUMN = "Foundry"
_TEXT_COLUMNS = (
    NAME_COLUMN,
    MAKER_COLUMN,
    TYPE_COLUMN,
    "Notes",
    DATE_COLUMN,
    FOUNDRY_COLUMN,
    "Link to datasheet",
    "Source for the price",
    "ML models",
    "Last modified",
)
_NUMBER_COLUMNS = (
    "Release price (USD)",
    "FP64 (double precision) performance (FLOP/s)",
    "FP32 (single precision) performance (FLOP/s)",
    "FP16 (half precision) performance (FLOP/s)",
    "TF32 (TensorFloat-32) performance (FLOP/s)",
    "Tensor-FP16/BF16 performance (FLOP/s)",
    "INT16 performance (OP/s)",
    "INT8 performance (OP/s)",
    "INT4 performance (OP/s)",
    "Memory size per board (Byte)",
    "Memory bandwidth (byte/s)",
    "Intranode bandwidth (byte/s)",
    "Internode bandwidth (bit/s)",
    "Die Size (mm^2)",
    "TDP (W)",
    "Base clock (MHz)",
    "Boost clock (MHz)",
    "Memory clock (MHz)",
    "Memory bus (bit)",
    "Tensor cores",
    "Process size (nm)",
    "Transistors (millions)",
    "Max performance",
    "Energy efficiency",
    "FP8 performance (FLOP/s)",
    "FP4 performance (FLOP/s)",
    "Total processing performance (bit-OP/s)",
    "Price-performance",
    "ML OP/s",
)
COLUMNS: tuple[str, ...] = _TEXT_COLUMNS + _NUMBER_COLUMNS
_OPTIONAL = {"Notes"}
# Epoch writes "inf" for ratios whose denominator (price, power) is zero or missing.
_INFINITY_ALLOWED = {"Price-performance", "Energy efficiency"}

_TERA = Decimal(10) ** 12
_GIGA = Decimal(10) ** 9


@dataclass(frozen=True)
class _Figure:
    """How one ontology property is read from the CSV."""

    predicate: URIRef
    columns: tuple[str, ...]  # first non-empty wins
    divisor: Decimal
    unit_note: str


FIGURES: tuple[_Figure, ...] = (
    # Tensor-core (matrix) peak where Epoch has it; accelerators without tensor cores list
    # their matrix peak as plain FP16.
    _Figure(
        AICHIP.fp16DenseTFLOPS,
        ("Tensor-FP16/BF16 performance (FLOP/s)", "FP16 (half precision) performance (FLOP/s)"),
        _TERA,
        "converted from FLOP/s to TFLOPS",
    ),
    _Figure(
        AICHIP.int8DenseTOPS, ("INT8 performance (OP/s)",), _TERA, "converted from OP/s to TOPS"
    ),
    _Figure(
        AICHIP.memoryGB,
        ("Memory size per board (Byte)",),
        _GIGA,
        "converted from bytes to GB (10^9)",
    ),
    _Figure(AICHIP.dieAreaMM2, ("Die Size (mm^2)",), Decimal(1), "in mm\u00b2"),
    _Figure(AICHIP.processNode, ("Process size (nm)",), Decimal(1), "in nm"),
    _Figure(AICHIP.tdpWatts, ("TDP (W)",), Decimal(1), "in W"),
)

# ---------------------------------------------------------------------------------------
# Matching tables
# ---------------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """Case-folded, punctuation-free, single-spaced: 'NVIDIA  H100-SXM5' -> 'nvidia h100 sxm5'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.casefold()).split())


#: Epoch row (normalised name, manufacturer as Epoch spells it) -> curated chip slug.
#: One row per curated chip: where Epoch lists several SKUs of one product, the row whose
#: figures and date the reference sheet uses stands for it; the other SKUs import as chips
#: of their own.
NAME_TABLE: dict[tuple[str, str], str] = {
    ("nvidia v100", "NVIDIA"): "v100",
    ("nvidia a100 sxm4 40 gb", "NVIDIA"): "a100",
    ("nvidia h100 sxm5 80gb", "NVIDIA"): "h100-sxm",
    ("nvidia h100 pcie", "NVIDIA"): "h100-pcie",
    ("nvidia a800 pcie 40 gb", "NVIDIA"): "a800",
    ("nvidia h800 sxm5", "NVIDIA"): "h800",
    ("nvidia hgx h20", "NVIDIA"): "h20",
    ("nvidia h200 sxm", "NVIDIA"): "h200",
    ("nvidia l40", "NVIDIA"): "l40",
    ("nvidia geforce rtx 4090", "NVIDIA"): "rtx-4090",
    ("huawei ascend 310", "Huawei"): "ascend-310",
    ("huawei ascend 910", "Huawei"): "ascend-910",
    ("huawei ascend 910b", "Huawei"): "ascend-910b",
    ("baidu kunlun i", "Kunlunxin Baidu"): "kunlun-1",
    ("baidu kunlun ii", "Kunlunxin Baidu"): "kunlun-2",
    ("cambricon mlu290 m5", "Cambricon"): "mlu290",
    ("cambricon mlu370 x8", "Cambricon"): "mlu370-x8",
    ("amd radeon instinct mi250x", "AMD"): "mi250x",
    ("amd instinct mi300x", "AMD"): "mi300x",
    ("intel habana gaudi2", "Intel"): "gaudi-2",
    ("intel habana gaudi3", "Intel"): "gaudi-3",
    ("google tpu v4", "Google"): "tpu-v4",
    ("google tpu v5e", "Google"): "tpu-v5e",
}

#: Epoch rows that are other SKUs of a curated product: imported as chips of their own with an
#: ``aichip:variantOf`` statement (graded derived: the row's name names the product).
VARIANT_TABLE: dict[tuple[str, str], str] = {
    **{
        (name, "NVIDIA"): "v100"
        for name in (
            "nvidia tesla v100 sxm2",
            "nvidia tesla v100 sxm2 16 gb",
            "nvidia tesla v100 sxm2 32 gb",
            "nvidia tesla v100 sxm3 32 gb",
            "nvidia tesla v100 pcie 16 gb",
            "nvidia tesla v100 pcie 32 gb",
            "nvidia tesla v100 dgxs 16 gb",
            "nvidia tesla v100 dgxs 32 gb",
        )
    },
    ("nvidia a100", "NVIDIA"): "a100",
    ("nvidia a100 pcie", "NVIDIA"): "a100",
    ("nvidia a100 sxm4 80 gb", "NVIDIA"): "a100",
    ("nvidia a800 pcie 80 gb", "NVIDIA"): "a800",
    ("nvidia a800 sxm", "NVIDIA"): "a800",
    ("nvidia h100 nvl", "NVIDIA"): "h100",
    **{
        (name, "Huawei"): "ascend-910"
        for name in (
            "huawei ascend 910a",
            "huawei ascend 910a pro",
            "huawei ascend 910a premium",
            "huawei ascend 910 320 tflops",
        )
    },
    **{
        (name, "Huawei"): "ascend-910b"
        for name in (
            "huawei ascend 910b pro",
            "huawei ascend 910b1 v1",
            "huawei ascend 910b1 v2",
            "huawei ascend 910b2",
            "huawei ascend 910b3",
            "huawei ascend 910b4",
        )
    },
    ("baidu kunlun k200", "Kunlunxin Baidu"): "kunlun-1",
}

#: Epoch "Manufacturer" -> (organisation slug, English label, class if it must be declared).
MAKERS: dict[str, tuple[str, str, URIRef]] = {
    "NVIDIA": ("nvidia", "NVIDIA", AICHIP.Company),
    "AMD": ("amd", "AMD", AICHIP.Company),
    "Intel": ("intel", "Intel", AICHIP.Company),
    "Google": ("google", "Google", AICHIP.Company),
    "Huawei": ("huawei", "Huawei", AICHIP.Company),
    "Cambricon": ("cambricon", "Cambricon", AICHIP.Company),
    "Kunlunxin Baidu": ("kunlunxin", "Kunlunxin", AICHIP.Company),
    "Amazon AWS": ("aws", "Amazon Web Services", AICHIP.Company),
    "Microsoft": ("microsoft", "Microsoft", AICHIP.Company),
    "Meta": ("meta", "Meta", AICHIP.Company),
    "Alibaba": ("alibaba", "Alibaba", AICHIP.Company),
    "Moore Threads (Tencent)": ("moore-threads", "Moore Threads", AICHIP.Company),
    "MetaX": ("metax", "MetaX", AICHIP.Company),
    "Iluvatar CoreX": ("iluvatar-corex", "Iluvatar CoreX", AICHIP.Company),
    "Hygon": ("hygon", "Hygon", AICHIP.Company),
    "Biren": ("biren", "Biren", AICHIP.Company),
    "Tesla": ("tesla", "Tesla", AICHIP.Company),
    "PEZY": ("pezy", "PEZY Computing", AICHIP.Company),
    "Sunway": ("sunway", "Sunway", AICHIP.Organization),
    "National University of Defense Technology": (
        "nudt",
        "National University of Defense Technology",
        AICHIP.Organization,
    ),
}

#: Epoch "Foundry" entries (comma-separated) -> (slug, label).
FOUNDRIES: dict[str, tuple[str, str]] = {
    "TSMC": ("tsmc", "TSMC"),
    "SMIC": ("smic", "SMIC"),
    "Samsung": ("samsung", "Samsung"),
    "Intel": ("intel", "Intel"),
    "GlobalFoundries": ("globalfoundries", "GlobalFoundries"),
}

#: Epoch "Type" (case-folded) -> class. Epoch's own reading, used only when neither the curated
#: facts nor :data:`CLASS_TABLE` know better (see :func:`chip_class`).
_TYPES: dict[str, URIRef] = {
    "gpu": AICHIP.GPU,
    "gpgpu": AICHIP.GPU,
    "dcu (gpgpu)": AICHIP.GPU,
    "tpu": AICHIP.NPU,
    "npu": AICHIP.NPU,
    "asic": AICHIP.NPU,
    "lpu": AICHIP.NPU,
    "xpu": AICHIP.NPU,
    "xpu-r": AICHIP.NPU,
}

#: (Epoch "Manufacturer", normalised name prefix) -> class, for product lines the curated facts
#: do not classify. Epoch's "Type" calls several AI ASICs "GPU" (Trainium, Maia, Dojo) or leaves
#: them blank or "Other" (Gaudi, Inferentia, MTIA); the ontology defines aichip:NPU as "a
#: purpose-built neural processing unit or AI ASIC (e.g. Huawei Ascend, Google TPU, Cambricon
#: MLU)", and these lines are such ASICs, not graphics processors. Curated families (Ascend,
#: Kunlun, Cambricon MLU…) need no row here: their class comes from the curated facts.
CLASS_TABLE: dict[tuple[str, str], URIRef] = {
    ("Google", "google tpu"): AICHIP.NPU,  # Tensor Processing Units
    ("Intel", "intel habana gaudi"): AICHIP.NPU,  # Habana's Gaudi AI processors
    ("Amazon AWS", "amazon trainium"): AICHIP.NPU,  # AWS's training ASIC
    ("Amazon AWS", "aws inferentia"): AICHIP.NPU,  # AWS's inference ASIC
    ("Microsoft", "maia"): AICHIP.NPU,  # Microsoft's AI accelerator ASIC
    ("Meta", "meta mtia"): AICHIP.NPU,  # "Meta Training and Inference Accelerator"
    ("Tesla", "tesla d1"): AICHIP.NPU,  # Dojo's D1 training chip
}

#: The chip classes' hierarchy (from ontology/aichip.ttl), to tell a class from its refinements.
_BROADER: dict[URIRef, URIRef] = {
    AICHIP.GPU: AICHIP.AIAccelerator,
    AICHIP.NPU: AICHIP.AIAccelerator,
    AICHIP.AIAccelerator: AICHIP.Chip,
    AICHIP.CPU: AICHIP.Chip,
}
#: Classes specific enough to settle a chip's class on their own.
_SPECIFIC = frozenset({AICHIP.GPU, AICHIP.NPU, AICHIP.CPU})

# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    column: str
    problem: str

    def format(self, file: str) -> str:
        return f"{file}:{self.row}: {self.column}: {self.problem}"


@dataclass(frozen=True)
class Match:
    row: int
    name: str
    chip: str  # slug


@dataclass(frozen=True)
class NewChip:
    row: int
    name: str
    chip: str  # slug
    chip_class: str  # CURIE of the class
    variant_of: str | None = None  # slug of the curated product, from VARIANT_TABLE
    family: str | None = None  # slug of the curated chip family its name starts with


@dataclass(frozen=True)
class Conflict:
    row: int
    chip: str
    property: str  # CURIE
    curated: tuple[tuple[str, str], ...]  # (statement slug, value)
    imported: str
    imported_statement: str


@dataclass(frozen=True)
class EpochReport:
    file: str
    sha256: str
    rows: int
    matches: tuple[Match, ...] = ()
    new_chips: tuple[NewChip, ...] = ()
    new_organizations: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    agreements: int = 0
    statements: int = 0
    errors: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class EpochImport:
    graph: Graph
    report: EpochReport
    header: str = field(default="")


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def _parse_number(text: str, column: str) -> tuple[Decimal | None, str | None]:
    """(value, problem): empty cells are None; malformed ones name the problem."""
    text = text.strip()
    if not text:
        return None, None
    if text.casefold() in {"inf", "+inf", "infinity"} and column in _INFINITY_ALLOWED:
        return None, None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, f"not a number: {text!r}"
    if not value.is_finite():
        return None, f"not a finite number: {text!r}"
    if value < 0:
        return None, f"negative value: {text!r}"
    return value, None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _read(path: Path, display: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ParseError(display, None, "no such file") from None
    except UnicodeDecodeError as exc:
        raise ParseError(display, None, f"not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise ParseError(display, None, exc.strerror or str(exc)) from None
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowError(1, "(header)", "the file is empty")]
    except csv.Error as exc:
        return [], [RowError(1, "(header)", f"malformed CSV: {exc}")]
    known = set(COLUMNS)
    for column in header:
        if column not in known:
            errors.append(RowError(1, column or "(empty)", "unknown column"))
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(RowError(1, column, "column appears twice"))
        seen.add(column)
    for column in COLUMNS:
        if column not in seen and column not in _OPTIONAL:
            errors.append(RowError(1, column, "required column is missing"))
    rows: list[tuple[int, dict[str, str]]] = []
    number = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(number + 1, "(row)", f"malformed CSV: {exc}"))
            break
        number += 1
        if not any(cell.strip() for cell in fields):
            continue  # blank line
        if len(fields) != len(header):
            errors.append(
                RowError(number, "(row)", f"has {len(fields)} fields, the header has {len(header)}")
            )
            continue
        rows.append((number, dict(zip(header, fields, strict=True))))
    return rows, errors


def _check_row(number: int, row: dict[str, str]) -> list[RowError]:
    errors = []
    if not row.get(NAME_COLUMN, "").strip():
        errors.append(RowError(number, NAME_COLUMN, "empty"))
    for column in _NUMBER_COLUMNS:
        if column in row:
            _, problem = _parse_number(row[column], column)
            if problem:
                errors.append(RowError(number, column, problem))
    date = row.get(DATE_COLUMN, "").strip()
    if date and not _DATE.match(date):
        errors.append(RowError(number, DATE_COLUMN, f"not a YYYY-MM-DD date: {date!r}"))
    return errors


# ---------------------------------------------------------------------------------------
# Building the graph
# ---------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.casefold()).strip("-")


def _value_slug(value) -> str:
    if isinstance(value, URIRef):
        return str(value).rsplit("/", 1)[-1]
    return _slug(str(value).replace(".", "p"))


def _decimal_literal(value: Decimal) -> Literal:
    text = format(value.normalize(), "f")
    return Literal(text, datatype=XSD.decimal)


def _declared(facts: Graph, term: URIRef) -> bool:
    return (term, RDF.type, None) in facts


def _local(term: URIRef) -> str:
    text = str(term)
    for prefix, namespace in (("kg:", str(KG)), ("aichip:", str(AICHIP._NS))):
        if text.startswith(namespace):
            return prefix + text[len(namespace) :]
    return text


class _Builder:
    def __init__(self, curated: Graph) -> None:
        self.curated = curated
        self.graph = Graph()
        self.conflicts: list[Conflict] = []
        self.agreements = 0
        self.statements = 0
        self.new_orgs: set[str] = set()

    def organisation(self, slug: str, label: str, cls: URIRef) -> URIRef:
        term = KG[slug]
        if not _declared(self.curated, term) and (term, RDF.type, None) not in self.graph:
            self.graph.add((term, RDF.type, cls))
            self.graph.add((term, RDFS.label, Literal(label, lang="en")))
            self.new_orgs.add(slug)
        return term

    def source(self) -> None:
        if _declared(self.curated, EPOCH_SOURCE):
            return
        org = self.organisation("epoch-ai", "Epoch AI", AICHIP.ResearchFirm)
        g, s = self.graph, EPOCH_SOURCE
        g.add((s, RDF.type, AICHIP.Dataset))
        g.add((s, RDFS.label, Literal("Epoch AI: Data on Machine Learning Hardware", lang="en")))
        g.add((s, DCTERMS.title, Literal("Data on Machine Learning Hardware", lang="en")))
        g.add((s, DCTERMS.publisher, org))
        g.add((s, DCTERMS.license, LICENSE))
        g.add((s, DCTERMS.bibliographicCitation, Literal(ATTRIBUTION)))
        g.add((s, DCTERMS.language, Literal("en")))
        url = "https://epoch.ai/data/machine-learning-hardware"
        g.add((s, SCHEMA.url, Literal(url, datatype=XSD.anyURI)))

    def statement(
        self,
        chip: URIRef,
        predicate: URIRef,
        value,
        *,
        row: int,
        quote: str,
        note: str,
        compare: bool,
    ) -> URIRef:
        slug = str(chip).rsplit("/", 1)[-1]
        local = str(predicate).rsplit("#", 1)[-1].casefold()
        node = KG[f"stmt-{slug}-{local}-{_value_slug(value)}-epoch"]
        g = self.graph
        g.add((node, RDF.type, AICHIP.Statement))
        g.add((node, RDF.subject, chip))
        g.add((node, RDF.predicate, predicate))
        g.add((node, RDF.object, value))
        g.add((node, AICHIP.rank, AICHIP.Normal))
        g.add((node, PROV.wasDerivedFrom, EPOCH_SOURCE))
        g.add((node, AICHIP.quote, Literal(quote)))
        g.add((node, SKOS.note, Literal(f"Epoch AI ML hardware CSV, row {row}; {note}")))
        self.statements += 1
        if not compare:
            return node
        existing = [(s, v) for s, v in curated_values(self.curated, chip, predicate)]
        if not existing:
            return node
        if any(same_value(v, value) for _, v in existing):
            self.agreements += 1
            return node
        for other, _ in existing:
            g.add((node, AICHIP.conflictsWith, other))
            g.add((other, AICHIP.conflictsWith, node))
        self.conflicts.append(
            Conflict(
                row=row,
                chip=slug,
                property=_local(predicate),
                curated=tuple(
                    (_local(s), str(v) if isinstance(v, Literal) else _local(v))
                    for s, v in existing
                ),
                imported=str(value) if isinstance(value, Literal) else _local(value),
                imported_statement=_local(node),
            )
        )
        return node


def _row_quote(name: str, column: str, raw: str) -> str:
    return f"{name} | {column}: {raw.strip()}"


def _add_row(builder: _Builder, number: int, row: dict[str, str], chip: URIRef, matched: bool):
    name = row[NAME_COLUMN].strip()
    for figure in FIGURES:
        for column in figure.columns:
            raw = row.get(column, "")
            value, _ = _parse_number(raw, column)
            if value is None:
                continue
            if value == 0:
                break  # Epoch uses 0 for "not applicable" in a few cells; not a figure
            builder.statement(
                chip,
                figure.predicate,
                _decimal_literal(value / figure.divisor),
                row=number,
                quote=_row_quote(name, column, raw),
                note=f"column {column!r}, {figure.unit_note}",
                compare=matched,
            )
            break
    date = row.get(DATE_COLUMN, "").strip()
    if date:
        builder.statement(
            chip,
            AICHIP.releaseDate,
            Literal(date, datatype=XSD.date),
            row=number,
            quote=_row_quote(name, DATE_COLUMN, date),
            note=f"column {DATE_COLUMN!r}",
            compare=matched,
        )
    maker = row.get(MAKER_COLUMN, "").strip()
    if maker:
        slug, label, cls = MAKERS.get(maker, (_slug(maker), maker, AICHIP.Company))
        org = builder.organisation(slug, label, cls)
        builder.statement(
            chip,
            AICHIP.designedBy,
            org,
            row=number,
            quote=_row_quote(name, MAKER_COLUMN, maker),
            note=f"column {MAKER_COLUMN!r}",
            compare=matched,
        )
    for foundry in (f.strip() for f in row.get(FOUNDRY_COLUMN, "").split(",")):
        if not foundry:
            continue
        slug, label = FOUNDRIES.get(foundry, (_slug(foundry), foundry))
        org = builder.organisation(slug, label, AICHIP.Company)
        builder.statement(
            chip,
            AICHIP.fabricatedBy,
            org,
            row=number,
            quote=_row_quote(name, FOUNDRY_COLUMN, row[FOUNDRY_COLUMN]),
            note=f"column {FOUNDRY_COLUMN!r}",
            compare=matched,
        )


def _chip_class(row: dict[str, str]) -> URIRef:
    """Epoch's own reading of the row's "Type"."""
    return _TYPES.get(row.get(TYPE_COLUMN, "").strip().casefold(), AICHIP.AIAccelerator)


# ---------------------------------------------------------------------------------------
# Chip families and classes from the curated facts
# ---------------------------------------------------------------------------------------


def _chain(cls: URIRef) -> list[URIRef]:
    """``cls`` and its broader classes, most specific first."""
    chain = [cls]
    while chain[-1] in _BROADER:
        chain.append(_BROADER[chain[-1]])
    return chain


def _most_specific(classes: Iterable[URIRef]) -> URIRef | None:
    """The most specific of ``classes`` when they lie on one line (AIAccelerator, NPU: NPU);
    otherwise the most specific class they all fall under (GPU, NPU: AIAccelerator)."""
    known = sorted({c for c in classes if c in _BROADER or c == AICHIP.Chip}, key=str)
    if not known:
        return None
    chains = [_chain(c) for c in known]
    deepest = max(chains, key=len)
    if all(c in deepest for c in known):
        return deepest[0]
    return next(c for c in deepest if all(c in chain for chain in chains))


def _claimed(curated: Graph, predicate: URIRef, obj: URIRef) -> list[URIRef]:
    """Subjects of the non-deprecated statements claiming ``? predicate obj``."""
    found = {
        subject
        for _, subject, _ in live_statements(curated, predicate, obj=obj)
        if isinstance(subject, URIRef)
    }
    return sorted(found, key=str)


def _curated_chip_class(curated: Graph, chip: URIRef) -> URIRef | None:
    return _most_specific(curated.objects(chip, RDF.type))


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
        names = {
            normalise_name(str(label))
            for predicate in (RDFS.label, SKOS.altLabel)
            for label in curated.objects(node, predicate)
            if isinstance(label, Literal) and (label.language or "en").startswith("en")
        }
        names.discard("")
        makers = {
            value
            for predicate in (AICHIP.designedBy, AICHIP.developedBy)
            for _, value in curated_values(curated, node, predicate)
            if isinstance(value, URIRef)
        }
        related = set(makers)
        for maker in makers:  # HiSilicon designs for Huawei; Kunlunxin is Baidu's
            related.update(v for _, v in curated_values(curated, maker, ORG.subOrganizationOf))
            related.update(_claimed(curated, ORG.subOrganizationOf, maker))
        declared = [v for _, v in curated_values(curated, node, AICHIP.chipClass)]
        members = [
            _curated_chip_class(curated, c) for c in _claimed(curated, AICHIP.inFamily, node)
        ]
        families.append(
            Family(
                node=node,
                names=tuple(sorted(names)),
                makers=frozenset(related),
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
        known = _curated_chip_class(curated, parent)
        basis = f"the curated chip {_local(parent)} it is a variant of"
    if known not in _SPECIFIC and family is not None and family.chip_class is not None:
        combined = _most_specific([c for c in (known, family.chip_class) if c is not None])
        if combined != known:
            known, basis = combined, f"the curated family {_local(family.node)}"
    if known in _SPECIFIC:
        return known, basis
    key = normalise_name(row.get(NAME_COLUMN, ""))
    maker = row.get(MAKER_COLUMN, "").strip()
    table = next(
        (cls for (m, prefix), cls in CLASS_TABLE.items() if m == maker and key.startswith(prefix)),
        None,
    )
    if table is not None and (known is None or known in _chain(table)):
        return table, "the class table in kg/importers/epoch.py"
    if known is not None:
        return known, basis
    return _chip_class(row), f"Epoch's {TYPE_COLUMN!r} column"


def _header(display: str, digest: str) -> str:
    return "\n".join(
        [
            "GENERATED by `kg import epoch` from " + display + "; do not edit by hand.",
            f"Input sha256: {digest}",
            "Data: " + ATTRIBUTION + ".",
            "Licensed under Creative Commons Attribution 4.0 (CC BY 4.0): "
            "https://creativecommons.org/licenses/by/4.0/",
            "Each figure is a statement derived from kg:src-epoch-ml-hardware quoting its row;",
            "values that disagree with curated facts are kept side by side (aichip:conflictsWith).",
        ]
    )


@dataclass(frozen=True)
class _Planned:
    """One row to import, with what matching decided about it."""

    row_number: int
    row: dict[str, str]
    chip: URIRef
    matched: bool
    chip_class: URIRef | None  # the class it is typed with (curated, or decided here)
    basis: str  # where that class comes from
    parent: URIRef | None = None
    family: Family | None = None


def _epoch_type(builder: _Builder, item: _Planned) -> None:
    """Keep Epoch's "Type" as Epoch's claim where the graph classes the chip otherwise."""
    raw = item.row.get(TYPE_COLUMN, "").strip()
    if not raw or item.chip_class is None or _chip_class(item.row) == item.chip_class:
        return
    name = item.row[NAME_COLUMN].strip()
    builder.statement(
        item.chip,
        AICHIP.description,
        Literal(f"Epoch AI lists its type as {raw}", lang="en"),
        row=item.row_number,
        quote=_row_quote(name, TYPE_COLUMN, raw),
        note=f"column {TYPE_COLUMN!r}; the graph classes the chip {_local(item.chip_class)} "
        f"from {item.basis}",
        compare=False,
    )


def import_epoch(path: Path, curated: Graph, display: str | None = None) -> EpochImport:
    """Read Epoch's ML hardware CSV at ``path`` and match it against ``curated`` facts.

    Returns the new triples and a report. With any error in the report the graph is empty.
    Raises :class:`~kg.errors.ParseError` only when the file cannot be read at all.
    """
    display = display or path.name
    rows, errors = _read(path, display)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for number, row in rows:
        errors.extend(_check_row(number, row))

    matches: list[Match] = []
    new_chips: list[NewChip] = []
    resolved: dict[URIRef, int] = {}
    plan: list[_Planned] = []
    families = curated_families(curated)
    for number, row in rows:
        name = row.get(NAME_COLUMN, "").strip()
        if not name:
            continue
        maker = row.get(MAKER_COLUMN, "").strip()
        key = normalise_name(name)
        slug = next((s for (n, m), s in NAME_TABLE.items() if n == key and m == maker), None)
        wrong_maker = next((m for (n, m) in NAME_TABLE if n == key and m != maker), None)
        if slug is None and wrong_maker is not None:
            errors.append(
                RowError(
                    number,
                    MAKER_COLUMN,
                    f"{maker!r} is not the maker the name table expects for {name!r} "
                    f"({wrong_maker!r}); fix the row or the table",
                )
            )
            continue
        if slug is not None:
            chip, matched = KG[slug], True
            if not _declared(curated, chip):
                matched = False  # the table names a chip the curated facts lack: import it new
        else:
            slug = _slug(name)
            chip, matched = KG[slug], False
            if _declared(curated, chip):
                errors.append(
                    RowError(
                        number,
                        NAME_COLUMN,
                        f"{name!r} would become kg:{slug}, which the curated facts already "
                        "declare; add the row to the name table in kg/importers/epoch.py",
                    )
                )
                continue
        if chip in resolved:
            errors.append(
                RowError(number, NAME_COLUMN, f"names the same chip as row {resolved[chip]}")
            )
            continue
        resolved[chip] = number
        if matched:
            cls = _curated_chip_class(curated, chip)
            plan.append(_Planned(number, row, chip, True, cls, "the curated facts"))
            matches.append(Match(number, name, slug))
            continue
        parent_slug = VARIANT_TABLE.get((key, maker))
        parent = KG[parent_slug] if parent_slug and _declared(curated, KG[parent_slug]) else None
        maker_org = KG[MAKERS.get(maker, (_slug(maker),))[0]] if maker else None
        family = family_of(name, maker_org, families)
        cls, basis = chip_class(row, parent=parent, family=family, curated=curated)
        plan.append(_Planned(number, row, chip, False, cls, basis, parent, family))
        new_chips.append(
            NewChip(
                number,
                name,
                slug,
                _local(cls),
                str(parent).rsplit("/", 1)[-1] if parent is not None else None,
                str(family.node).rsplit("/", 1)[-1] if family is not None else None,
            )
        )

    if errors:
        report = EpochReport(
            file=display, sha256=digest, rows=len(rows), errors=tuple(sorted(set(errors)))
        )
        return EpochImport(Graph(), report)

    builder = _Builder(curated)
    builder.source()
    for item in plan:
        number, row, chip = item.row_number, item.row, item.chip
        name = row[NAME_COLUMN].strip()
        if not item.matched:
            builder.graph.add((chip, RDF.type, item.chip_class))
            builder.graph.add((chip, RDFS.label, Literal(name, lang="en")))
        if item.parent is not None:
            node = builder.statement(
                chip,
                AICHIP.variantOf,
                item.parent,
                row=number,
                quote=_row_quote(name, NAME_COLUMN, name),
                note="the row names a SKU of the curated product (variant table in "
                "kg/importers/epoch.py)",
                compare=False,
            )
            builder.graph.add((node, AICHIP.verification, Literal("derived")))
        if item.family is not None:
            node = builder.statement(
                chip,
                AICHIP.inFamily,
                item.family.node,
                row=number,
                quote=_row_quote(name, NAME_COLUMN, name),
                note="the name starts with the curated family's name",
                compare=False,
            )
            builder.graph.add((node, AICHIP.verification, Literal("derived")))
        _epoch_type(builder, item)
        _add_row(builder, number, row, chip, item.matched)

    report = EpochReport(
        file=display,
        sha256=digest,
        rows=len(rows),
        matches=tuple(matches),
        new_chips=tuple(new_chips),
        new_organizations=tuple(sorted(builder.new_orgs)),
        conflicts=tuple(sorted(builder.conflicts, key=lambda c: (c.chip, c.property, c.row))),
        agreements=builder.agreements,
        statements=builder.statements,
    )
    return EpochImport(builder.graph, report, _header(display, digest))


def summary_lines(report: EpochReport) -> Iterable[str]:
    """The report as plain text lines (for the CLI and for logs)."""
    yield (
        f"{report.file}: {report.rows} rows; {len(report.matches)} matched curated chips, "
        f"{len(report.new_chips)} new chips, {len(report.new_organizations)} new organisations, "
        f"{report.statements} statements; {report.agreements} values agree with curated facts, "
        f"{len(report.conflicts)} conflict"
    )
    if report.matches:
        yield "matched:"
        for m in report.matches:
            yield f"  row {m.row:>3}  {m.name}  ->  kg:{m.chip}"
    if report.conflicts:
        yield "conflicts (both values kept, linked with aichip:conflictsWith):"
        for c in report.conflicts:
            curated = "; ".join(f"{value} [{stmt}]" for stmt, value in c.curated)
            yield (
                f"  kg:{c.chip} {c.property}: curated {curated}  vs  Epoch {c.imported} "
                f"(row {c.row}) [{c.imported_statement}]"
            )
    if report.new_chips:
        yield "new chips:"
        for n in report.new_chips:
            variant = f", variant of kg:{n.variant_of}" if n.variant_of else ""
            variant += f", in family kg:{n.family}" if n.family else ""
            yield f"  row {n.row:>3}  {n.name}  ->  kg:{n.chip} ({n.chip_class}{variant})"
    if report.new_organizations:
        yield "new organisations: " + ", ".join(f"kg:{s}" for s in report.new_organizations)


@dataclass(frozen=True)
class PreparedImport:
    """An import that checked out: the Turtle to write, where, and the report to show."""

    target: Path
    text: str
    triples: int
    report: Any


def prepare_epoch_import(
    project: Any,
    file: Path,
    *,
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> PreparedImport:
    """Read, match and validate Epoch's CSV against ``project``; write nothing. ``progress``
    hears a line before each slow step.

    Raises :class:`~kg.errors.ImportFailed` listing ``FILE:ROW: column: problem`` lines for a
    malformed CSV, or the validation problems the import would add to the facts.
    """
    from kg.errors import ImportFailed
    from kg.importers.base import import_problems, load_curated
    from kg.importers.turtle import render_turtle

    say = progress or (lambda _message: None)
    target = out or project.facts_dir / "imported" / "epoch.ttl"
    say("loading the curated facts…")
    curated = load_curated(project, exclude=target)
    say(f"matching the rows of {file}…")
    result = import_epoch(file, curated.facts, display=file.name)
    report = result.report
    if report.errors:
        raise ImportFailed(
            [error.format(str(file)) for error in report.errors],
            f"{len(report.errors)} problem(s) in {file}; nothing written",
        )
    text = render_turtle(result.graph, result.header)
    say(f"validating the {len(result.graph)} imported triples with the facts…")
    problems = import_problems(curated, result.graph, project.display(target), text)
    if problems:
        raise ImportFailed(
            [str(problem) for problem in problems],
            f"the import would add {len(problems)} validation problem(s); nothing written",
        )
    return PreparedImport(target=target, text=text, triples=len(result.graph), report=report)
