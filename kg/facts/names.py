"""Name keys that tell when two names denote the same product of one maker.

"AMD Instinct MI300A", "MI300A" and "amd instinct mi-300a"… differ only in the maker's name,
case, spacing and punctuation. :func:`name_keys` reduces a name to comparable keys; both the
``likely-duplicate`` validation rule and the Epoch importer's matcher use them, so a pair the
importer merges is a pair the validator would have flagged.

Two kinds of key come from each name, and from a parenthesised model number on its own
("Tiangai 100 (BI-V100)": "BI-V100"; not "(150W)", "(OAM)" or "(first generation)", which tell
SKUs and generations apart):

- the *name* key: case-folded letters and digits only, the maker's name dropped from the front
  ("AMD Instinct MI300A" -> "instinctmi300a");
- the *model number*: the words from the first one holding a digit to the end, when that
  holds a letter as well ("AMD Instinct MI300A" -> "mi300a", "Huawei Ascend 910C" -> "910c").
  A bare number ("Kunpeng 920", "Ascend 920") is not a model number: makers reuse them
  across product lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["NamedEntity", "compact", "duplicate_pairs", "name_keys", "name_variants"]

_PARENTHESISED = re.compile(r"\(([^()]*)\)")
_SEPARATORS = re.compile(r"[\W_]+")


def compact(text: str) -> str:
    """Case-folded letters and digits only: 'NVIDIA  H100-SXM5' -> 'nvidiah100sxm5'."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


_QUANTITY = re.compile(r"\s*[\d.]+\s*[a-z]{0,6}\s*", re.IGNORECASE)


def name_variants(name: str) -> list[str]:
    """``name`` and each parenthesised part that reads as a model number (letters and digits,
    not a quantity such as "150W" or "80 GB")."""
    variants = [name]
    for inner in _PARENTHESISED.findall(name):
        has_both = any(c.isdigit() for c in inner) and any(c.isalpha() for c in inner)
        if has_both and not _QUANTITY.fullmatch(inner):
            variants.append(inner)
    return variants


def _words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(unicodedata.normalize("NFKC", text).casefold()) if w]


def _strip_maker(words: list[str], makers: list[list[str]]) -> list[str]:
    for maker in makers:  # longest first
        if maker and len(words) > len(maker) and words[: len(maker)] == maker:
            return words[len(maker) :]
    return words


@lru_cache(maxsize=1024)
def _maker_words(maker_names: tuple[str, ...]) -> list[list[str]]:
    """The words of each maker name, longest first (a maker's names recur for each of its
    products: worked out once). Callers must not change the lists."""
    makers = sorted({tuple(_words(m)) for m in maker_names if _words(m)}, key=len, reverse=True)
    return [list(m) for m in makers]


def name_keys(names: Iterable[str], maker_names: Iterable[str] = ()) -> set[str]:
    """Every key of ``names`` (``"name:…"`` and ``"model:…"``), with any of ``maker_names``
    dropped from the front of a name."""
    maker_words = _maker_words(tuple(maker_names))
    keys: set[str] = set()
    for name in names:
        for variant in name_variants(name):
            words = _strip_maker(_words(variant), maker_words)
            if not words:
                continue
            keys.add("name:" + "".join(words))
            first = next((i for i, w in enumerate(words) if any(c.isdigit() for c in w)), None)
            if first is None:
                continue
            model = "".join(words[first:])
            if any(c.isalpha() for c in model):
                keys.add("model:" + model)
    return keys


@dataclass(frozen=True)
class NamedEntity:
    """What the duplicate check needs of an entity: its kind (``chip`` for any chip class),
    its makers (with their parents and subsidiaries), the makers' names and its own names."""

    iri: str
    kind: str
    makers: frozenset[str]
    maker_names: tuple[str, ...]
    names: tuple[str, ...]


def duplicate_pairs(
    entities: Iterable[NamedEntity], distinct: set[frozenset[str]] = frozenset()
) -> list[tuple[str, str, str, str]]:
    """``(first, second, key, maker)`` for every two entities of one kind and one maker whose
    names share a key (a shared name beats a shared model number as evidence), leaving out
    pairs declared ``distinct``. The rule behind ``kg validate``'s likely-duplicate.

    >>> chips = [
    ...     NamedEntity("kg:mi300a", "chip", frozenset({"kg:amd"}), ("AMD",), ("MI300A",)),
    ...     NamedEntity("kg:amd-mi300a", "chip", frozenset({"kg:amd"}), ("AMD",),
    ...                 ("AMD Instinct MI300A",)),
    ... ]
    >>> [(a, b) for a, b, _key, _maker in duplicate_pairs(chips)]
    [('kg:amd-mi300a', 'kg:mi300a')]
    """
    buckets: dict[tuple, set] = defaultdict(set)
    for entity in entities:
        for key in name_keys(entity.names, entity.maker_names):
            for maker in entity.makers:
                buckets[(entity.kind, maker, key)].add(entity.iri)
    pairs: dict[tuple[str, str], tuple] = {}
    for (_kind, maker, key), members in buckets.items():
        ordered = sorted(members)
        for i, first in enumerate(ordered):
            for second in ordered[i + 1 :]:
                if frozenset((first, second)) in distinct:
                    continue
                rank = (0 if key.startswith("name:") else 1, key, maker)
                if (first, second) not in pairs or rank < pairs[(first, second)]:
                    pairs[(first, second)] = rank
    return [
        (first, second, key, maker) for (first, second), (_, key, maker) in sorted(pairs.items())
    ]
