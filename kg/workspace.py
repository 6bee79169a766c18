"""``kg init``: a workspace, where a user's own facts are layered over the installed graph.

A workspace is a directory with ``kg.toml`` (which marks it, so kg finds it from any directory
below), ``facts/`` (the user's Turtle, validated against the installed ontology together with
the installed facts) and ``exports/`` (what ``kg build`` writes). It has no ``ontology/``: that
is what makes :meth:`kg.project.Project.open` treat it as a layer rather than a whole project.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError
from kg.project import CONFIG_FILE

__all__ = ["EXAMPLE_FACTS", "Workspace", "init_workspace"]

#: The example claim file ``kg init`` writes (relative to the workspace).
EXAMPLE_FACTS = "facts/example.ttl"

_CONFIG = """\
# A kg workspace. kg finds this file from this directory and any directory below it, like git.
# Your facts (facts/**/*.ttl) are layered over the graph installed with aichip-kg and
# validated against its ontology; `kg build` writes exports/.
#
# Settings (optional):
# store = "oxigraph:.kg-store"   # a persistent pyoxigraph store for `kg load`ed datasets
"""

_README = """\
# Your facts

Every `*.ttl` file here (subdirectories too) is loaded on top of the graph installed with
aichip-kg, so your claims can refer to its entities and sources (`kg:huawei`, `kg:nvidia`,
`kg:src-pytorch-blog-huawei-2023`…; find them with `kg search NAME` and `kg show NAME`).

- A relationship or figure is written as a statement with its source and the source's own
  sentence; `example.ttl` shows one. Edit it, copy it, or delete it.
- New entities need `rdf:type` and an English `rdfs:label`; new sources a type such as
  `aichip:WebPage` and a `dcterms:title`.
- `kg validate` checks your facts with the installed ontology's rules and prints
  `facts/FILE.ttl:LINE: TERM: [rule] message` for each problem.
- `kg build` validates, then writes every export (RDF, GraphML, CSV, the HTML viewer) of the
  combined graph to `exports/`.

The conventions in full are in `facts/README.md` of the aichip-kg repository.
"""

_EXAMPLE = """\
@prefix aichip:  <https://w3id.org/aichip-kg/ontology#> .
@prefix kg:      <https://w3id.org/aichip-kg/id/> .
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .

# An example claim: edit it, copy it for your own claims, or delete this file.
# It restates one the installed graph already holds, so that it is true as written: Huawei's
# membership of the PyTorch Foundation, from the PyTorch blog post announcing it (a source the
# installed graph declares). A claim names exactly one source (prov:wasDerivedFrom) and quotes
# its own sentence (aichip:quote, with its language tag). Check with `kg validate`.

kg:stmt-example-huawei-memberof-pytorch-foundation a aichip:Statement ;
    rdf:subject kg:huawei ; rdf:predicate org:memberOf ; rdf:object kg:pytorch-foundation ;
    org:role kg:role-premier-member ;
    aichip:startDate "2023-10-17"^^xsd:date ;
    prov:wasDerivedFrom kg:src-pytorch-blog-huawei-2023 ;
    aichip:quote "{quote}"@en ;
    aichip:verification "verified" ;
    aichip:rank aichip:Normal .
""".replace(
    "{quote}",
    "Today, the PyTorch Foundation, a neutral home for the deep learning community to "
    "collaborate on the open source PyTorch framework and ecosystem, announced that Huawei "
    "has joined as a premier member.",
)


@dataclass(frozen=True)
class Workspace:
    """A workspace just made: its root and the files written, relative to it."""

    root: Path
    files: tuple[str, ...]


def _contents() -> dict[str, str]:
    return {CONFIG_FILE: _CONFIG, "facts/README.md": _README, EXAMPLE_FACTS: _EXAMPLE}


def init_workspace(directory: Path | str) -> Workspace:
    """Make a workspace at ``directory`` (new, or an empty directory).

    Built beside it under a temporary name and renamed into place, so an interrupted ``kg init``
    leaves no half-made workspace. Raises :class:`~kg.errors.InputError` for a directory that is
    already a workspace or is not empty.
    """
    target = Path(directory).absolute()
    config = target / CONFIG_FILE
    if config.exists():
        raise InputError(f"{config} already exists: {target} is already a kg workspace")
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a directory; choose another name")
    if target.is_dir() and any(target.iterdir()):
        raise InputError(
            f"{target} is not empty; kg init makes a workspace in a new or empty directory "
            f"(e.g. kg init {target / 'kg-workspace'})"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.kg-init-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as exc:
        raise InputError(f"cannot create {target}: {exc.strerror or exc}") from None
    try:
        for name, text in _contents().items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (staging / "exports").mkdir()
        if target.is_dir():
            target.rmdir()  # empty (checked above); os.replace cannot replace it everywhere
        os.replace(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputError(f"cannot create {target}: {exc.strerror or exc}") from None
    return Workspace(root=target, files=(*_contents(), "exports/"))
