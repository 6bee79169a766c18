"""Errors raised by the kg package. The CLI maps them to exit codes in one place."""

from __future__ import annotations

import errno
import os

__all__ = [
    "KGError",
    "InputError",
    "ParseError",
    "ValidationFailed",
    "ImportFailed",
    "QueryError",
    "UpdateRefused",
    "QueryWarnings",
    "UnknownTermError",
    "ExportError",
    "RemoteError",
    "StoreError",
    "disk_error",
]


class KGError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with: 2 for bad input, 1 otherwise."""

    exit_code = 1


class InputError(KGError):
    """The user gave something unusable: a bad option value, a missing file, a bad parameter."""

    exit_code = 2


class ParseError(InputError):
    """A data file could not be parsed. ``str()`` is ``file:line: message``."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # rebuilt from its fields when it crosses a process boundary
        return type(self), (self.path, self.line, self.message)


class ValidationFailed(InputError):
    """The graph broke SHACL shapes or integrity rules; ``problems`` lists them."""

    def __init__(self, problems: list) -> None:  # list[kg.facts.validate.Problem]
        self.problems = problems
        super().__init__(f"{len(problems)} validation problem(s)")

    def __reduce__(self):
        return type(self), (self.problems,)


class ImportFailed(InputError):
    """An import that would be wrong: ``problems`` lists one ``FILE:ROW: …`` line each."""

    def __init__(self, problems: list[str], message: str) -> None:
        self.problems = problems
        super().__init__(message)

    def __reduce__(self):
        return type(self), (self.problems, str(self))


class QueryError(InputError):
    """A SPARQL query is malformed or uses a refused feature."""


class UpdateRefused(QueryError):
    """A SPARQL UPDATE sent where the graph is read-only (the endpoint answers 403)."""


class QueryWarnings(QueryError):
    """A query with warnings (a term the graph lacks…), refused because strictness was asked
    for; ``problems`` lists them as ``warning: …`` lines."""

    def __init__(self, warnings: tuple[str, ...] | list[str]) -> None:
        self.warnings = tuple(warnings)
        self.problems = [f"warning: {w}" for w in self.warnings]
        count = len(self.warnings)
        super().__init__(
            f"{count} warning{'' if count == 1 else 's'} and --strict: the query was not run"
        )

    def __reduce__(self):
        return type(self), (self.warnings,)


class UnknownTermError(InputError):
    """A name (entity, query, market…) is not in the graph; ``suggestions`` lists near misses."""

    def __init__(self, kind: str, name: str, suggestions: list[str] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = list(suggestions or [])
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")

    def __reduce__(self):
        return type(self), (self.kind, self.name, self.suggestions)


class ExportError(KGError):
    """An export could not be written faithfully (e.g. a character the format cannot carry)."""

    exit_code = 2


class RemoteError(KGError):
    """A remote SPARQL endpoint failed or answered something unusable."""


class StoreError(KGError):
    """An on-disk store cannot be used as it is (e.g. a load into it was interrupted)."""


_HINTS = {
    errno.ENOSPC: "free some space and retry",
    errno.EDQUOT: "free some space and retry",
    errno.EACCES: "check the permissions",
    errno.EPERM: "check the permissions",
    errno.EROFS: "the file system is read-only",
}


def disk_error(
    exc: OSError, path: object, doing: str = "cannot write", cls=KGError, *, name_file: bool = True
) -> KGError:
    """A one-line error for a failed read or write of ``path``: what, where and what to do.

    pyoxigraph reports RocksDB failures as ``OSError`` without an errno, so the message is
    looked at too. ``name_file`` names the file the error names rather than ``path``."""
    code = exc.errno
    text = str(exc)
    if code is None and "No space left" in text:
        code = errno.ENOSPC
    reason = os.strerror(code) if code else text
    where = exc.filename if name_file and code and exc.filename else path
    hint = _HINTS.get(code)
    return cls(f"{where}: {doing}: {reason}" + (f"; {hint}" if hint else ""))
