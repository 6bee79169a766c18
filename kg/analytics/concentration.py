"""How concentrated a market is: vendor shares, CR1/CR4 and the Herfindahl–Hirschman index.

Shares come from the ``share`` edges the projection collapses out of
``aichip:MarketShareObservation`` nodes. For each vendor the best-ranked figure is used
(Preferred, then Normal; Deprecated figures never count); two best-ranked figures with
different values are a conflict nobody has resolved, and the analysis refuses rather than
guess. HHI is the sum of squared percentage shares (0–10,000) over the shares as published:
when they do not add up to 100 % the result says so instead of silently renormalising.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import networkx as nx

from kg.analytics.projection import OBSERVATION, RANK_ORDER, has_class, node_label
from kg.errors import InputError, KGError

__all__ = [
    "Concentration",
    "NoSharesError",
    "ShareConflictError",
    "ShareFigure",
    "VendorShare",
    "concentration",
    "concentration_ratio",
    "hhi",
    "market_shares",
    "share_periods",
]

_SHARE = "aichip:MarketShareObservation"
_HUNDRED = Decimal(100)


class NoSharesError(InputError):
    """The market has no usable share figures (for that period)."""


class ShareConflictError(KGError):
    """Two best-ranked figures for one vendor, market and period disagree."""


@dataclass(frozen=True)
class ShareFigure:
    """One observation, as evidence."""

    observation: str
    value: Decimal
    rank: str
    source: str | None
    source_label: str | None
    cited_source: str | None
    quote: str | None
    approximate: bool


@dataclass(frozen=True)
class VendorShare:
    vendor: str
    label: str
    share: Decimal  # percent, as published
    figures: tuple[ShareFigure, ...]  # the best-ranked figure(s) this share rests on
    set_aside: tuple[ShareFigure, ...]  # lower-ranked figures for the same vendor and period

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({f.source for f in self.figures if f.source}))


@dataclass(frozen=True)
class Concentration:
    market: str
    market_label: str
    period: str
    shares: tuple[VendorShare, ...]  # largest first, ties by CURIE
    total: Decimal  # sum of the published shares
    cr1: Decimal
    cr4: Decimal
    hhi: Decimal  # on the published shares (not renormalised), 0–10,000
    leader: str
    leader_label: str
    notes: tuple[str, ...]
    basis: str = "published shares, not renormalised"


def hhi(shares) -> Decimal:
    """Herfindahl–Hirschman index of percentage shares: ``sum(s²)``, 0–10,000.

    >>> hhi([85, 10, 2, 1, 1])
    Decimal('7331')
    """
    return sum((Decimal(s) ** 2 for s in shares), Decimal(0))


def concentration_ratio(shares, k: int) -> Decimal:
    """CRk: the combined share of the ``k`` largest vendors.

    >>> concentration_ratio([85, 10, 2, 1, 1], 4)
    Decimal('98')
    """
    return sum(sorted((Decimal(s) for s in shares), reverse=True)[:k], Decimal(0))


def _share_edges(G: nx.MultiDiGraph, market: str):
    for vendor, _market, key, data in G.in_edges(market, keys=True, data=True):
        if (
            data.get("kind") == OBSERVATION
            and data.get("predicate") == _SHARE
            and data.get("unit") in (None, "aichip:Percent")
        ):
            yield vendor, key, data


def share_periods(G: nx.MultiDiGraph, market: str) -> tuple[str, ...]:
    """The periods for which ``market`` has vendor share figures, sorted.

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> "2022" in share_periods(G, "kg:market-china-ai-accelerator-cards")
    True
    """
    return tuple(sorted({data.get("period") or "" for _v, _k, data in _share_edges(G, market)}))


def _markets_with_shares(G: nx.MultiDiGraph) -> list[str]:
    return sorted(
        node
        for node in G
        if has_class(G, node, "aichip:Market") and any(True for _ in _share_edges(G, node))
    )


def _figure(data: dict) -> ShareFigure:
    return ShareFigure(
        observation=data["observation"],
        value=data["value"],
        rank=data.get("rank") or "aichip:Normal",
        source=data.get("source"),
        source_label=data.get("source_label"),
        cited_source=data.get("cited_source"),
        quote=data.get("quote"),
        approximate=bool(data.get("approximate")),
    )


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _pick_period(G: nx.MultiDiGraph, market: str, period: str | None) -> str:
    periods = share_periods(G, market)
    label = f"{market} ({node_label(G, market)})"
    if not periods:
        others = ", ".join(_markets_with_shares(G)) or "none"
        raise NoSharesError(f"no market-share figures for {label}; markets with shares: {others}")
    if period is None:
        if len(periods) > 1:
            raise InputError(
                f"{label} has shares for several periods ({', '.join(periods)}); "
                "choose one with --year"
            )
        return periods[0]
    if str(period) not in periods:
        raise NoSharesError(
            f"no market-share figures for {label} in {period}; "
            f"periods with shares: {', '.join(periods)}"
        )
    return str(period)


def market_shares(
    G: nx.MultiDiGraph, market: str, period: str | None = None, *, lang: str = "en"
) -> tuple[str, tuple[VendorShare, ...], tuple[str, ...]]:
    """``(period, shares, notes)``: one best-ranked share per vendor, largest first.

    Raises :class:`NoSharesError` when there are none, ``InputError`` when several periods
    exist and none is chosen, :class:`ShareConflictError` when best-ranked figures disagree.
    """
    chosen = _pick_period(G, market, period)
    by_vendor: dict[str, list[ShareFigure]] = defaultdict(list)
    for vendor, _key, data in _share_edges(G, market):
        if (data.get("period") or "") == chosen:
            by_vendor[vendor].append(_figure(data))
    shares: list[VendorShare] = []
    notes: list[str] = []
    for vendor in sorted(by_vendor):
        figures = sorted(
            by_vendor[vendor], key=lambda f: (RANK_ORDER.get(f.rank, 1), f.observation)
        )
        best = min(RANK_ORDER.get(f.rank, 1) for f in figures)
        name = node_label(G, vendor, lang)
        if best >= RANK_ORDER["aichip:Deprecated"]:
            notes.append(f"{name}: only deprecated figures; left out")
            continue
        top = [f for f in figures if RANK_ORDER.get(f.rank, 1) == best]
        if len({f.value for f in top}) > 1:
            detail = " vs ".join(f"{_fmt(f.value)} % ({f.source or f.observation})" for f in top)
            raise ShareConflictError(
                f"conflict unranked: {name}'s share of {market} in {chosen} is {detail}, "
                "all at the same rank; mark one aichip:Preferred (or the other Deprecated) "
                "before computing concentration"
            )
        rest = tuple(f for f in figures if RANK_ORDER.get(f.rank, 1) != best)
        for f in rest:
            notes.append(
                f"{name}: {_fmt(f.value)} % ({f.source}, {f.rank.split(':')[-1]}) set aside "
                f"for {_fmt(top[0].value)} % ({top[0].rank.split(':')[-1]})"
            )
        shares.append(
            VendorShare(
                vendor=vendor,
                label=name,
                share=top[0].value,
                figures=tuple(top),
                set_aside=rest,
            )
        )
    if not shares:
        raise NoSharesError(f"no usable market-share figures for {market} in {chosen}")
    shares.sort(key=lambda s: (-s.share, s.vendor))
    return chosen, tuple(shares), tuple(notes)


def concentration(
    G: nx.MultiDiGraph, market: str, period: str | None = None, *, lang: str = "en"
) -> Concentration:
    """Shares, CR1, CR4 and HHI of ``market`` in ``period`` (the only one if omitted).

    >>> import kg
    >>> G = kg.open().analytics_graph()
    >>> c = concentration(G, "kg:market-china-ai-accelerator-cards", "2022")
    >>> c.leader, c.cr1, c.hhi
    ('kg:nvidia', Decimal('85'), Decimal('7331'))
    """
    chosen, shares, notes = market_shares(G, market, period, lang=lang)
    values = [s.share for s in shares]
    total = sum(values, Decimal(0))
    extra = list(notes)
    if total < _HUNDRED:
        extra.append(
            f"shares sum to {_fmt(total)} %, not 100 %: {_fmt(_HUNDRED - total)} % is not "
            "attributed to any vendor in the graph. CR and HHI use the shares as published "
            "(not renormalised), so the HHI is a lower bound."
        )
    elif total > _HUNDRED:
        extra.append(f"shares sum to {_fmt(total)} %, more than 100 %: check the figures.")
    if any(f.approximate for s in shares for f in s.figures):
        extra.append("some figures are approximate in their source.")
    if len(shares) > 1 and shares[0].share == shares[1].share:
        tied = ", ".join(s.label for s in shares if s.share == shares[0].share)
        extra.append(f"{tied} are tied for the lead; the leader shown is the first by id.")
    if len(shares) < 4:
        extra.append(f"only {len(shares)} vendor(s) have figures: CR4 covers them all.")
    return Concentration(
        market=market,
        market_label=node_label(G, market, lang),
        period=chosen,
        shares=shares,
        total=total,
        cr1=concentration_ratio(values, 1),
        cr4=concentration_ratio(values, 4),
        hhi=hhi(values),
        leader=shares[0].vendor,
        leader_label=shares[0].label,
        notes=tuple(extra),
    )
