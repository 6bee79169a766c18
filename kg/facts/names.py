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
from collections.abc import Iterable

__all__ = ["compact", "name_keys", "name_variants"]

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


def name_keys(names: Iterable[str], maker_names: Iterable[str] = ()) -> set[str]:
    """Every key of ``names`` (``"name:…"`` and ``"model:…"``), with any of ``maker_names``
    dropped from the front of a name."""
    makers = sorted({tuple(_words(m)) for m in maker_names if _words(m)}, key=len, reverse=True)
    maker_words = [list(m) for m in makers]
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
