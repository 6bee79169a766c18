"""What Epoch AI's ML hardware CSV holds and how its columns map onto the ontology.

Column names, the plausible range of every numeric column, the figures read into aichip
properties, and the small tables of makers, foundries and classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rdflib import Namespace, URIRef

from kg.ns import AICHIP, KG

__all__ = [
    "ATTRIBUTION",
    "BOUNDS",
    "BROADER",
    "CLASS_TABLE",
    "COLUMNS",
    "DATE_COLUMN",
    "EPOCH_ORG",
    "EPOCH_SOURCE",
    "FIGURES",
    "FOUNDRIES",
    "FOUNDRY_COLUMN",
    "FREE_TEXT_COLUMNS",
    "INFINITY_ALLOWED",
    "LICENSE",
    "MAKERS",
    "MAKER_COLUMN",
    "NAME_COLUMN",
    "NUMBER_COLUMNS",
    "OPTIONAL",
    "SCHEMA",
    "SMALLEST",
    "SPECIFIC",
    "TEXT_COLUMNS",
    "TYPES",
    "TYPE_COLUMN",
    "Figure",
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
TEXT_COLUMNS = (
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
NUMBER_COLUMNS = (
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
COLUMNS: tuple[str, ...] = TEXT_COLUMNS + NUMBER_COLUMNS
OPTIONAL = {"Notes"}
# Epoch writes "inf" for ratios whose denominator (price, power) is zero or missing.
INFINITY_ALLOWED = {"Price-performance", "Energy efficiency"}

#: Free text (notes, links, sources) may hold line breaks and tabs; no other cell may.
FREE_TEXT_COLUMNS = frozenset({"Notes", "Link to datasheet", "Source for the price", "ML models"})

_FLOPS = Decimal("1e19")  # 10 EFLOP/s on one device: well above a wafer-scale engine (1.25e17)
#: Largest plausible value of each numeric column (all must be >= 0). Generous: a bound exists
#: to refuse a typo or a hostile "1e999999" before any arithmetic, not to police Epoch's data;
#: the 2025-12 snapshot peaks at a few percent of each bound.
BOUNDS: dict[str, Decimal] = {
    "Release price (USD)": Decimal("1e8"),
    "FP64 (double precision) performance (FLOP/s)": _FLOPS,
    "FP32 (single precision) performance (FLOP/s)": _FLOPS,
    "FP16 (half precision) performance (FLOP/s)": _FLOPS,
    "TF32 (TensorFloat-32) performance (FLOP/s)": _FLOPS,
    "Tensor-FP16/BF16 performance (FLOP/s)": _FLOPS,
    "INT16 performance (OP/s)": _FLOPS,
    "INT8 performance (OP/s)": _FLOPS,
    "INT4 performance (OP/s)": _FLOPS,
    "Memory size per board (Byte)": Decimal("1e15"),  # 1 PB per board
    "Memory bandwidth (byte/s)": Decimal("1e17"),  # wafer-scale SRAM: 2.1e16
    "Intranode bandwidth (byte/s)": Decimal("1e16"),
    "Internode bandwidth (bit/s)": Decimal("1e16"),
    "Die Size (mm^2)": Decimal("1e5"),  # a whole 300 mm wafer is 7e4 mm^2
    "TDP (W)": Decimal("1e5"),  # wafer-scale engine: 2.3e4 W
    "Base clock (MHz)": Decimal("1e5"),
    "Boost clock (MHz)": Decimal("1e5"),
    "Memory clock (MHz)": Decimal("1e5"),
    "Memory bus (bit)": Decimal("1e6"),
    "Tensor cores": Decimal("1e8"),
    "Process size (nm)": Decimal("1e5"),
    "Transistors (millions)": Decimal("1e9"),  # wafer-scale engine: 4e6
    "Max performance": _FLOPS,
    "Energy efficiency": Decimal("1e18"),  # FLOP/s per W
    "FP8 performance (FLOP/s)": _FLOPS,
    "FP4 performance (FLOP/s)": _FLOPS,
    "Total processing performance (bit-OP/s)": Decimal("1e22"),
    "Price-performance": Decimal("1e18"),  # FLOP/s per USD
    "ML OP/s": _FLOPS,
}
#: Smallest plausible magnitude of a non-zero value (the smallest unit above is 1 FLOP/s per
#: USD or a 1 nm process; nothing real needs 30 more decimal places).
SMALLEST = Decimal("1e-30")

_TERA = Decimal(10) ** 12
_GIGA = Decimal(10) ** 9


@dataclass(frozen=True)
class Figure:
    """How one ontology property is read from the CSV."""

    predicate: URIRef
    columns: tuple[str, ...]  # first non-empty wins
    divisor: Decimal
    unit_note: str


FIGURES: tuple[Figure, ...] = (
    # Tensor-core (matrix) peak where Epoch has it; accelerators without tensor cores list
    # their matrix peak as plain FP16.
    Figure(
        AICHIP.fp16DenseTFLOPS,
        ("Tensor-FP16/BF16 performance (FLOP/s)", "FP16 (half precision) performance (FLOP/s)"),
        _TERA,
        "converted from FLOP/s to TFLOPS",
    ),
    Figure(
        AICHIP.int8DenseTOPS, ("INT8 performance (OP/s)",), _TERA, "converted from OP/s to TOPS"
    ),
    Figure(
        AICHIP.memoryGB,
        ("Memory size per board (Byte)",),
        _GIGA,
        "converted from bytes to GB (10^9)",
    ),
    Figure(AICHIP.dieAreaMM2, ("Die Size (mm^2)",), Decimal(1), "in mm\u00b2"),
    Figure(AICHIP.processNode, ("Process size (nm)",), Decimal(1), "in nm"),
    Figure(AICHIP.tdpWatts, ("TDP (W)",), Decimal(1), "in W"),
    Figure(
        AICHIP.memoryBandwidthGBps,
        ("Memory bandwidth (byte/s)",),
        _GIGA,
        "converted from bytes/s to GB/s (10^9)",
    ),
    Figure(
        AICHIP.fp32TFLOPS,
        ("FP32 (single precision) performance (FLOP/s)",),
        _TERA,
        "converted from FLOP/s to TFLOPS",
    ),
    # Read as dense peaks, like the tensor FP16 column: Epoch's Blackwell rows say "without
    # sparsity", and its B200 FP8 (4.5 PFLOPS) is NVIDIA's dense figure, not the 9 sparse.
    Figure(
        AICHIP.fp8DenseTFLOPS,
        ("FP8 performance (FLOP/s)",),
        _TERA,
        "converted from FLOP/s to TFLOPS",
    ),
    Figure(
        AICHIP.fp4DenseTFLOPS,
        ("FP4 performance (FLOP/s)",),
        _TERA,
        "converted from FLOP/s to TFLOPS",
    ),
    # Epoch's TF32 column holds dense tensor peaks (H100 SXM 494.7, half its 989 sparse).
    Figure(
        AICHIP.tf32DenseTFLOPS,
        ("TF32 (TensorFloat-32) performance (FLOP/s)",),
        _TERA,
        "converted from FLOP/s to TFLOPS",
    ),
    Figure(
        AICHIP.transistorsBillion,
        ("Transistors (millions)",),
        Decimal(1000),
        "converted from millions to billions",
    ),
)

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
TYPES: dict[str, URIRef] = {
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
BROADER: dict[URIRef, URIRef] = {
    AICHIP.GPU: AICHIP.AIAccelerator,
    AICHIP.NPU: AICHIP.AIAccelerator,
    AICHIP.AIAccelerator: AICHIP.Chip,
    AICHIP.CPU: AICHIP.Chip,
}
#: Classes specific enough to settle a chip's class on their own.
SPECIFIC = frozenset({AICHIP.GPU, AICHIP.NPU, AICHIP.CPU})
