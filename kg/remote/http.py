"""The HTTP side of the remote client: which URLs are contacted, how, and for how long.

Rules every exchange with a remote store keeps (``kg push``, ``kg query --endpoint``):

* only ``http://`` and ``https://`` URLs, and only the URL given: redirects are never followed
  (a 3xx is an error naming its ``Location``). Followed, a redirected POST becomes a GET, so an
  update would be dropped while the store answered 200, and credentials would go elsewhere;
* credentials come from the URL (``http://user:pass@host/…``), from the caller (``--user``), or
  from ``KG_REMOTE_USER`` / ``KG_REMOTE_PASSWORD``; they are sent as HTTP Basic, or as Digest
  when the server asks for it (Virtuoso's ``/sparql-auth``), and never appear in a message;
* each exchange has a deadline covering connect, send and receive (the parse of the answer is
  bounded by the same deadline, see :mod:`kg.remote.answers`), a connect timeout of its own,
  and a size limit on the answer.
"""

from __future__ import annotations

import base64
import os
import re
import time
import urllib.parse
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field

import httpx

from kg.errors import InputError, RemoteError

__all__ = [
    "ENV_PASSWORD",
    "ENV_USER",
    "Connection",
    "Endpoint",
    "Redirected",
    "Reply",
    "Timeouts",
    "Unreachable",
    "endpoint",
    "strip_userinfo",
]

ENV_USER = "KG_REMOTE_USER"
ENV_PASSWORD = "KG_REMOTE_PASSWORD"
USER_AGENT = "aichip-kg (kg push / kg query --endpoint)"
_ERROR_BODY_LIMIT = 1 << 16
_USERINFO = re.compile(r"(?<=://)[^/?#\s@]*@")


class Unreachable(RemoteError):
    """The request never reached the store (refused, no route, name unknown, connect timeout)."""


class Redirected(RemoteError):
    """The store answered a redirect, which is not followed: it took nothing."""


def strip_userinfo(text: str) -> str:
    """``text`` with the ``user:pass@`` part of every URL in it removed."""
    return _USERINFO.sub("", text)


@dataclass(frozen=True)
class Timeouts:
    """``total`` bounds one exchange (connect, send, receive, parse); ``connect`` the connect."""

    total: float = 60.0
    connect: float = 10.0

    def remaining(self, deadline: float) -> httpx.Timeout:
        left = max(deadline - time.monotonic(), 0.001)
        return httpx.Timeout(left, connect=min(self.connect, left))


@dataclass(frozen=True)
class Endpoint:
    """A store URL without its user info, and the credentials to send to it (if any)."""

    url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    def redact(self, text: str) -> str:
        """``text`` without the password (raw or percent-encoded) or any URL's user info."""
        text = strip_userinfo(text)
        if self.password:
            for form in {self.password, urllib.parse.quote(self.password, safe="")}:
                text = text.replace(form, "***")
        return text


def endpoint(
    url: str,
    *,
    user: str | None = None,
    password: str | None = None,
    env: Mapping[str, str] | None = None,
    option: str = "--endpoint",
) -> Endpoint:
    """Check ``url`` and settle its credentials: ``user``/``password`` given here first, then
    the URL's ``user:pass@``, then ``KG_REMOTE_USER``/``KG_REMOTE_PASSWORD`` from ``env``.

    Raises :class:`InputError` for a URL that is not ``http(s)://host…`` (``file://`` would
    read a local file) or a user without a password.
    """
    env = os.environ if env is None else env
    shown = strip_userinfo(url)
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise InputError(f"{option}: not a URL: {shown} ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{option}: {shown} is not an http:// or https:// URL; kg talks to SPARQL stores "
            "over HTTP only (e.g. http://localhost:7878/update)"
        )
    url_user = urllib.parse.unquote(parts.username) if parts.username is not None else None
    url_password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    netloc = parts.netloc.rpartition("@")[2]
    clean = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    if user is None and url_user:
        user, password = url_user, password if password is not None else url_password
    if user is None and env.get(ENV_USER):
        user = env[ENV_USER]
    if user is not None and password is None:
        password = env.get(ENV_PASSWORD)
        if password is None:
            raise InputError(
                f"{option}: no password for user {user!r}: give USER:PASS, or set {ENV_PASSWORD}"
            )
    return Endpoint(clean, user or None, password if user else None)


class _BasicOrDigest(httpx.Auth):
    """HTTP Basic up front; Digest from the first 401 on, when the server offers Digest.

    Virtuoso's ``/sparql-auth`` answers a Basic attempt with a 401 that carries no challenge,
    so after a refused Basic attempt the request goes once more without credentials to learn
    whether the server wants Digest (httpx's DigestAuth then caches the challenge).
    """

    requires_request_body = True

    def __init__(self, user: str, password: str) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self._basic = f"Basic {token}"
        self._digest = httpx.DigestAuth(user, password)
        self._use_digest = False

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._use_digest:
            request.headers["Authorization"] = self._basic
            response = yield request
            if response.status_code != 401:
                return
            offers = " ".join(response.headers.get_list("www-authenticate")).lower()
            if offers and "digest" not in offers:
                return  # a Basic-only server refused the credentials
            self._use_digest = True
            del request.headers["Authorization"]
        yield from self._digest.auth_flow(request)


@dataclass(frozen=True)
class Reply:
    """A non-redirect answer: status, media type (no parameters) and the body as read."""

    status: int
    media: str
    body: bytes = field(repr=False)
    cut_at: str | None = None  # Virtuoso's X-SPARQL-MaxRows: it cut the answer at that many rows

    def first_line(self, limit: int = 200) -> str:
        text = self.body.decode("utf-8", errors="replace").strip()
        line = text.splitlines()[0] if text else ""
        return line[:limit] + ("…" if len(line) > limit else "")


class Connection:
    """One endpoint's HTTP client (kept alive across a push's requests)."""

    def __init__(self, where: Endpoint, timeouts: Timeouts) -> None:
        self.endpoint = where
        self.timeouts = timeouts
        auth = _BasicOrDigest(where.user, where.password or "") if where.user else None
        self._client = httpx.Client(
            follow_redirects=False,
            auth=auth,
            timeout=httpx.Timeout(timeouts.total, connect=min(timeouts.connect, timeouts.total)),
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def post(
        self,
        content: bytes,
        headers: Mapping[str, str],
        *,
        what: str,
        deadline: float,
        max_bytes: int,
    ) -> Reply:
        """POST ``content``; the whole answer, read by ``deadline`` and within ``max_bytes``.

        Raises :class:`Unreachable` when the request could not be sent, :class:`RemoteError`
        for a redirect, a timeout, a cut or oversized answer.
        """
        url = self.endpoint.url
        try:
            with self._client.stream(
                "POST",
                url,
                content=content,
                headers=dict(headers),
                timeout=self.timeouts.remaining(deadline),
            ) as response:
                status = response.status_code
                if 300 <= status < 400:
                    location = response.headers.get("Location", "(no Location header)")
                    raise Redirected(
                        f"{what}: {url} answered HTTP {status}, a redirect to "
                        f"{self.endpoint.redact(location)}; kg does not follow redirects (a "
                        "redirected update is lost or goes elsewhere): give that URL instead if "
                        "it is the store"
                    )
                limit = max_bytes if status == 200 else _ERROR_BODY_LIMIT
                body = self._read(response, deadline, limit, cut=status != 200, what=what)
                media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                return Reply(status, media, body, response.headers.get("X-SPARQL-MaxRows"))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            reason = str(exc) or type(exc).__name__
            raise Unreachable(
                self.endpoint.redact(f"{what}: cannot reach {url}: {reason}")
            ) from None
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            if isinstance(exc, httpx.TimeoutException):
                reason = f"no complete answer within the timeout ({type(exc).__name__})"
            else:
                reason = f"{type(exc).__name__}: {exc}"
            raise RemoteError(self.endpoint.redact(f"{what}: {url}: {reason}")) from None

    def _read(
        self, response: httpx.Response, deadline: float, limit: int, *, cut: bool, what: str
    ) -> bytes:
        """The body (decoded from gzip etc.; the limit counts decoded bytes), by ``deadline``."""
        url = self.endpoint.url
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise RemoteError(f"{what}: {url}: the answer was not complete within the timeout")
            size += len(chunk)
            if size > limit:
                if cut:  # an error page: its first line is all that is shown
                    chunks.append(chunk[: limit - size + len(chunk)])
                    break
                raise RemoteError(
                    f"{what}: {url}: the answer is larger than {limit} bytes; add a LIMIT"
                )
            chunks.append(chunk)
        return b"".join(chunks)
