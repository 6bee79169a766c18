"""Synthetic ecosystem graphs shaped like the real one, as N-Triples, for benchmarks and tests.

The output looks like what :func:`kg.facts.load.load` makes of the curated facts, only bigger:

* entities with ``rdf:type`` and labels in English (Chinese ones also ``@zh-Hans``/``@zh-Hant``):
  companies, people, countries, chip families, chips (GPU/NPU/CPU/AIAccelerator),
  architectures, frameworks, platforms, markets, foundations, sources;
* every relationship and literal fact as an ``aichip:Statement`` node (``rdf:subject``/
  ``predicate``/``object``, ``prov:wasDerivedFrom`` a source, ``aichip:quote`` in the source's
  language, ``aichip:rank``, ``aichip:verification``) plus the truthy triple of the best-ranked
  claim, and the ``org:Membership`` view of ``org:memberOf`` statements, as the loader derives;
* figures as observations (market shares, sizes, shipments) with value, unit, market, vendor,
  year and the same references;
* the ontology itself (``ontology/aichip.ttl``), so the competency queries' ``rdfs:subClassOf*``
  paths work on the file alone (``--no-ontology`` leaves it out).

The canonical slugs of the real graph (kg:huawei, kg:nvidia, kg:pytorch-foundation,
kg:market-china-ai-accelerator-cards, kg:src-seed-article…) are the first members of their pools
and makers are picked with Zipf weights, so the competency questions (``kg/queries/*.rq``) have
answers, and hub entities have many claims as real hubs do.

Exactly ``--triples`` lines are written, all distinct (the last entity may be cut short).
Same ``--triples`` and ``--seed`` -> byte-identical output.

Usage::

    python bench/synth.py --triples 100000 -o /tmp/synth-100k.nt
    python bench/synth.py --triples 5000 --seed 7 | head
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["generate", "write", "main"]

REPO = Path(__file__).resolve().parent.parent
KG = "https://w3id.org/aichip-kg/id/"
AICHIP = "https://w3id.org/aichip-kg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"


def _iri(namespace: str, local: str) -> str:
    return f"<{namespace}{local}>"


def _kg(slug: str) -> str:
    return f"<{KG}{slug}>"


def _ai(local: str) -> str:
    return f"<{AICHIP}{local}>"


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    body = f'"{text.translate(_ESCAPES)}"'
    if lang:
        return f"{body}@{lang}"
    if datatype:
        return f"{body}^^<{XSD}{datatype}>"
    return body


TYPE = _iri(RDF, "type")
LABEL = _iri(RDFS, "label")
ALT = _iri(SKOS, "altLabel")
SUBJ, PRED, OBJ = _iri(RDF, "subject"), _iri(RDF, "predicate"), _iri(RDF, "object")
DERIVED = _iri(PROV, "wasDerivedFrom")
MEMBER_OF = _iri(ORG, "memberOf")

# Real slugs first (see notes/slugs.md), then synthetic ones.
REAL_COMPANIES = {
    "nvidia": ("NVIDIA", "英伟达", "輝達", "united-states"),
    "huawei": ("Huawei", "华为", "華為", "china"),
    "baidu": ("Baidu", "百度", "百度", "china"),
    "cambricon": ("Cambricon", "寒武纪", "寒武紀", "china"),
    "enflame": ("Enflame", "燧原科技", "燧原科技", "china"),
    "meta": ("Meta", None, None, "united-states"),
    "google": ("Google", "谷歌", "谷歌", "united-states"),
    "intel": ("Intel", "英特尔", "英特爾", "united-states"),
    "amd": ("AMD", "超威", "超微", "united-states"),
    "arm": ("Arm", None, None, "united-kingdom"),
    "hisilicon": ("HiSilicon", "海思", "海思", "china"),
    "kunlunxin": ("Kunlunxin", "昆仑芯", "崑崙芯", "china"),
    "habana-labs": ("Habana Labs", None, None, "israel"),
    "tsmc": ("TSMC", "台积电", "台積電", "taiwan"),
    "smic": ("SMIC", "中芯国际", "中芯國際", "china"),
    "samsung": ("Samsung", "三星", "三星", "south-korea"),
    "microsoft": ("Microsoft", "微软", "微軟", "united-states"),
    "aws": ("Amazon Web Services", None, None, "united-states"),
    "ibm": ("IBM", None, None, "united-states"),
    "tencent": ("Tencent", "腾讯", "騰訊", "china"),
    "alibaba": ("Alibaba", "阿里巴巴", "阿里巴巴", "china"),
    "iflytek": ("iFlytek", "科大讯飞", "科大訊飛", "china"),
}
COUNTRIES = {
    "china": ("China", "中国", "中國"),
    "united-states": ("United States", "美国", "美國"),
    "taiwan": ("Taiwan", "台湾", "台灣"),
    "united-kingdom": ("United Kingdom", "英国", "英國"),
    "south-korea": ("South Korea", "韩国", "韓國"),
    "israel": ("Israel", "以色列", "以色列"),
    "japan": ("Japan", "日本", "日本"),
    "germany": ("Germany", "德国", "德國"),
}
REAL_FAMILIES = {  # slug: (label, maker, class of its members)
    "ascend": ("Ascend", "huawei", "NPU"),
    "kunpeng": ("Kunpeng", "huawei", "CPU"),
    "kunlun": ("Kunlun", "kunlunxin", "NPU"),
    "cambricon-mlu": ("Cambricon MLU", "cambricon", "NPU"),
    "enflame-cloudblazer": ("Enflame CloudBlazer", "enflame", "AIAccelerator"),
    "nvidia-datacenter-gpus": ("NVIDIA data-centre GPUs", "nvidia", "GPU"),
}
REAL_ARCHITECTURES = ["arm-architecture", "da-vinci", "hopper", "ampere", "volta", "cdna-2"]
REAL_FRAMEWORKS = {"pytorch": "meta", "tensorflow": "google", "mindspore": "huawei"}
REAL_FRAMEWORKS["paddlepaddle"] = "baidu"
REAL_PLATFORMS = {"cuda": "nvidia", "cann": "huawei", "rocm": "amd", "oneapi": "intel"}
REAL_MARKETS = [
    "market-china-ai-accelerator-cards",
    "market-china-accelerated-computing",
    "market-china-accelerated-servers",
    "market-china-servers",
    "market-china-ai-servers",
    "market-global-discrete-gpu",
    "market-china-ai-chips",
    "market-ai-compute",
]
REAL_FOUNDATIONS = ["pytorch-foundation", "linux-foundation"]
ROLES = ["role-premier-member", "role-general-member", "role-founding-member"]
REAL_OUTLETS = {
    "financial-times": "en",
    "21st-century-business-herald": "zh-Hans",
    "beijing-business-today": "zh-Hans",
    "idc": "en",
    "trendforce": "zh-Hant",
}
CEOS = {"nvidia": "jensen-huang"}
CHIP_CLASSES = ["GPU", "NPU", "AIAccelerator", "CPU"]
USE_CASES = ["AI training", "AI inference", "servers", "edge inference", "HPC"]
VERIFICATION = ["verified", "verified", "verified (secondary)", "unverified", "derived"]
SOURCE_KINDS = ["NewsArticle", "NewsArticle", "WebPage", "Report", "Filing", "Interview"]
LANGS = ["zh-Hans", "zh-Hant", "en"]
_SYLLABLES = ["ka", "lo", "mi", "ra", "ne", "tu", "vo", "shi", "xin", "hua", "long", "tai"]
_SYLLABLES += ["feng", "yun", "qi", "zhi", "an", "ke", "de", "li"]
_HANZI = "华芯智算云天龙星海光达微晶科信创通明"


class _Namer:
    """Deterministic made-up names: 'Kalomi', '芯智算'."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def latin(self) -> str:
        parts = [self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 3))]
        return "".join(parts).capitalize()

    def hanzi(self) -> str:
        return "".join(self.rng.choice(_HANZI) for _ in range(self.rng.randint(2, 3)))


class _Zipf:
    """Pick pool members with weight 1/(rank+1): the first (real) slugs are the hubs."""

    def __init__(self, items: list[str], rng: random.Random, exponent: float = 1.0) -> None:
        self.items = items
        self.rng = rng
        total = 0.0
        self.cumulative = []
        for rank in range(len(items)):
            total += 1.0 / (rank + 1) ** exponent
            self.cumulative.append(total)

    def pick(self) -> str:
        x = self.rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect_left(self.cumulative, x), len(self.items) - 1)]


def _ontology_lines() -> list[str]:
    import pyoxigraph as ox

    path = REPO / "ontology" / "aichip.ttl"
    triples = [quad.triple for quad in ox.parse(path=str(path), base_iri=path.as_uri())]
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return sorted(line + "\n" for line in text.splitlines() if line.strip())


class _World:
    """Entity pools sized for ``triples``, and the claim generators over them."""

    def __init__(self, triples: int, rng: random.Random) -> None:
        self.rng = rng
        self.names = _Namer(rng)
        n = max(triples, 1000)
        self.companies = list(REAL_COMPANIES) + [
            f"company-{i:05d}" for i in range(max(40, n // 250) - len(REAL_COMPANIES))
        ]
        self.countries = list(COUNTRIES)
        self.people = list(CEOS.values()) + [f"person-{i:05d}" for i in range(len(self.companies))]
        self.families = list(REAL_FAMILIES) + [f"family-{i:05d}" for i in range(max(10, n // 600))]
        self.chips = [f"chip-{i:06d}" for i in range(max(30, n // 90))]
        self.architectures = REAL_ARCHITECTURES + [f"arch-{i:04d}" for i in range(n // 20000)]
        self.frameworks = list(REAL_FRAMEWORKS) + [f"framework-{i:04d}" for i in range(n // 5000)]
        self.platforms = list(REAL_PLATFORMS) + [f"platform-{i:04d}" for i in range(n // 5000)]
        self.markets = REAL_MARKETS + [f"market-{i:04d}" for i in range(n // 8000)]
        self.foundations = REAL_FOUNDATIONS + [f"foundation-{i:04d}" for i in range(n // 50000)]
        self.outlets = list(REAL_OUTLETS) + [f"outlet-{i:04d}" for i in range(max(5, n // 5000))]
        self.sources = ["src-seed-article"] + [f"src-synth-{i:06d}" for i in range(n // 150)]
        self.source_lang: dict[str, str] = {"src-seed-article": "zh-Hant"}
        self.country_of: dict[str, str] = {}
        self.chinese: set[str] = set()
        self.maker = _Zipf(self.companies, rng)
        self.source = _Zipf(self.sources, rng, 0.6)
        self.maker_of: dict[str, str] = {}  # family -> its maker
        self.chip_family: dict[str, str] = {}
        self.label_of: dict[str, str] = {}
        self.statements = itertools.count()

    # -- declarations ------------------------------------------------------------------------

    def _labels(self, slug: str, en: str, hans: str | None = None, hant: str | None = None):
        self.label_of[slug] = en
        node = _kg(slug)
        yield f"{node} {LABEL} {_lit(en, 'en')} .\n"
        if hans:
            yield f"{node} {LABEL} {_lit(hans, 'zh-Hans')} .\n"
            yield f"{node} {LABEL} {_lit(hant or hans, 'zh-Hant')} .\n"

    def declarations(self) -> Iterator[str]:
        rng = self.rng
        for slug, (en, hans, hant) in COUNTRIES.items():
            yield f"{_kg(slug)} {TYPE} {_ai('Country')} .\n"
            yield from self._labels(slug, en, hans, hant)
        for slug in self.companies:
            if slug in REAL_COMPANIES:
                en, hans, hant, country = REAL_COMPANIES[slug]
            else:
                country = rng.choice(
                    ["china", "china", "united-states", "united-states"]
                    + ["taiwan", "south-korea", "japan", "germany", "israel", "united-kingdom"]
                )
                en = f"{self.names.latin()} {rng.choice(['Semiconductor', 'AI', 'Technologies'])}"
                hans = hant = self.names.hanzi() + "科技" if country == "china" else None
            self.country_of[slug] = country
            if country == "china":
                self.chinese.add(slug)
            yield f"{_kg(slug)} {TYPE} {_ai('Company')} .\n"
            yield from self._labels(slug, en, hans, hant)
        for slug in self.outlets:
            yield f"{_kg(slug)} {TYPE} {_ai('NewsOutlet')} .\n"
            yield from self._labels(slug, slug.replace("-", " ").title())
        for slug in self.foundations:
            yield f"{_kg(slug)} {TYPE} {_ai('Foundation')} .\n"
            yield from self._labels(slug, slug.replace("-", " ").title())
        for slug in ROLES:
            yield f"{_kg(slug)} {TYPE} {_iri(ORG, 'Role')} .\n"
            yield from self._labels(slug, slug[5:].replace("-", " "))
        for slug in self.people:
            yield f"{_kg(slug)} {TYPE} {_ai('Person')} .\n"
            yield from self._labels(slug, f"{self.names.latin()} {self.names.latin()}")
        for slug in self.architectures:
            yield f"{_kg(slug)} {TYPE} {_ai('Architecture')} .\n"
            yield from self._labels(slug, slug.replace("-", " ").title())
        for slug in self.frameworks:
            yield f"{_kg(slug)} {TYPE} {_ai('SoftwareFramework')} .\n"
            yield from self._labels(slug, slug.replace("-", " ").title())
        for slug in self.platforms:
            yield f"{_kg(slug)} {TYPE} {_ai('SoftwarePlatform')} .\n"
            yield from self._labels(slug, slug.upper() if len(slug) < 6 else slug.title())
        for slug in self.markets:
            yield f"{_kg(slug)} {TYPE} {_ai('Market')} .\n"
            yield from self._labels(slug, slug[7:].replace("-", " "))
            category = "AI accelerator cards" if rng.random() < 0.4 else "servers"
            if slug == "market-china-ai-accelerator-cards":
                category = "AI accelerator cards"
            yield f"{_kg(slug)} {_ai('productCategory')} {_lit(category)} .\n"
        for slug in self.sources:
            lang = self.source_lang.get(slug) or rng.choice(LANGS)
            self.source_lang[slug] = lang
            node = _kg(slug)
            kind = "NewsArticle" if slug == "src-seed-article" else rng.choice(SOURCE_KINDS)
            yield f"{node} {TYPE} {_ai(kind)} .\n"
            title = _lit(f"{self.names.latin()} report", lang)
            yield f"{node} {_iri(DCTERMS, 'title')} {title} .\n"
            outlet = rng.choice(self.outlets)
            yield f"{node} {_iri(DCTERMS, 'publisher')} {_kg(outlet)} .\n"
            day = f"{rng.randint(2016, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            yield f"{node} {_iri(DCTERMS, 'issued')} {_lit(day, datatype='date')} .\n"
            yield f"{node} {_iri(DCTERMS, 'language')} {_lit(lang[:2])} .\n"
            url = f"https://example.org/{slug}"
            yield f"{node} {_iri(SCHEMA, 'url')} {_lit(url, datatype='anyURI')} .\n"
        for slug in self.families:
            if slug in REAL_FAMILIES:
                en, maker, klass = REAL_FAMILIES[slug]
            else:
                maker, klass = self.maker.pick(), rng.choice(CHIP_CLASSES)
                en = f"{self.names.latin()} series"
            self.maker_of[slug] = maker
            yield f"{_kg(slug)} {TYPE} {_ai('ChipFamily')} .\n"
            yield from self._labels(slug, en)
            yield f"{_kg(slug)} {_ai('chipClass')} {_ai(klass)} .\n"
        for slug in self.chips:
            yield f"{_kg(slug)} {TYPE} {_ai(rng.choice(CHIP_CLASSES))} .\n"
            yield from self._labels(slug, f"{self.names.latin()} {rng.randint(100, 990)}")

    # -- claims -----------------------------------------------------------------------------

    def _statement(self, subject: str, predicate: str, obj: str, round_: int, slug_obj: str):
        """A statement node with its references; the truthy triple for round 0 only."""
        rng = self.rng
        source = self.source.pick()
        lang = self.source_lang[source]
        number = next(self.statements)
        pred_local = predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1].rstrip(">").lower()
        node = _kg(f"stmt-{subject}-{pred_local}-{slug_obj}-{source[4:]}-{number}")
        rank = "Preferred" if round_ == 0 else ("Normal" if rng.random() < 0.85 else "Deprecated")
        label = self.label_of.get(subject, subject)
        quote = (
            f"据报道,{label}的{pred_local}为{slug_obj}。(第{number}条)"
            if lang.startswith("zh")
            else f"{label} reportedly has {pred_local} {slug_obj} (claim {number})."
        )
        yield f"{node} {TYPE} {_ai('Statement')} .\n"
        yield f"{node} {SUBJ} {_kg(subject)} .\n"
        yield f"{node} {PRED} {predicate} .\n"
        yield f"{node} {OBJ} {obj} .\n"
        yield f"{node} {DERIVED} {_kg(source)} .\n"
        yield f"{node} {_ai('quote')} {_lit(quote, lang)} .\n"
        yield f"{node} {_ai('rank')} {_ai(rank)} .\n"
        yield f"{node} {_ai('verification')} {_lit(rng.choice(VERIFICATION))} .\n"
        if rng.random() < 0.3:
            yield f"{node} {_ai('citedSource')} {_kg(rng.choice(self.sources))} .\n"
        if predicate == MEMBER_OF:
            yield f"{node} {_iri(ORG, 'role')} {_kg(rng.choice(ROLES))} .\n"
            day = f"{rng.randint(2019, 2024)}-{rng.randint(1, 12):02d}-01"
            yield f"{node} {_ai('startDate')} {_lit(day, datatype='date')} .\n"
            yield f"{node} {TYPE} {_iri(ORG, 'Membership')} .\n"
            yield f"{node} {_iri(ORG, 'member')} {_kg(subject)} .\n"
            yield f"{node} {_iri(ORG, 'organization')} {obj} .\n"
        if predicate == _ai("competesWith") and rng.random() < 0.5:
            yield f"{node} {_ai('market')} {_kg('market-ai-compute')} .\n"
        if round_ == 0:
            yield f"{_kg(subject)} {predicate} {obj} .\n"

    def _chip_claims(self, chip: str, round_: int) -> Iterator[str]:
        rng = self.rng
        family = self.chip_family.get(chip)
        if family is None:
            family = self.chip_family[chip] = rng.choice(self.families)
        maker = self.maker_of[family]
        yield from self._statement(chip, _ai("designedBy"), _kg(maker), round_, maker)
        yield from self._statement(chip, _ai("inFamily"), _kg(family), round_, family)
        fab = rng.choice(["tsmc", "smic", "samsung", "intel"])
        yield from self._statement(chip, _ai("fabricatedBy"), _kg(fab), round_, fab)
        arch = rng.choice(self.architectures)
        yield from self._statement(chip, _ai("basedOnArchitecture"), _kg(arch), round_, arch)
        year = str(rng.randint(2015, 2024))
        yield from self._statement(
            chip, _ai("releaseDate"), _lit(year, datatype="gYear"), round_, year
        )
        for prop, low, high in (
            ("processNode", 3, 28),
            ("memoryGB", 8, 192),
            ("tdpWatts", 75, 700),
        ):
            value = str(rng.randint(low, high))
            yield from self._statement(
                chip, _ai(prop), _lit(value, datatype="decimal"), round_, value
            )
        use = rng.choice(USE_CASES)
        yield from self._statement(chip, _ai("useCase"), _lit(use), round_, use.replace(" ", "-"))

    def _company_claims(self, company: str, round_: int) -> Iterator[str]:
        rng = self.rng
        country = self.country_of[company]
        yield from self._statement(company, _ai("country"), _kg(country), round_, country)
        if rng.random() < 0.3 or company in REAL_COMPANIES:
            foundation = rng.choice(self.foundations)
            yield from self._statement(company, MEMBER_OF, _kg(foundation), round_, foundation)
        rival = self.maker.pick()
        if rival != company:
            yield from self._statement(company, _ai("competesWith"), _kg(rival), round_, rival)
        ceo = CEOS.get(company) or rng.choice(self.people)
        yield from self._statement(company, _ai("chiefExecutive"), _kg(ceo), round_, ceo)
        if company in REAL_PLATFORMS.values() or rng.random() < 0.1:
            platform = next(
                (p for p, owner in REAL_PLATFORMS.items() if owner == company),
                rng.choice(self.platforms),
            )
            yield from self._statement(
                company, _ai("anchorPlatform"), _kg(platform), round_, platform
            )

    def _software_claims(self, round_: int) -> Iterator[str]:
        rng = self.rng
        for framework in self.frameworks:
            developer = REAL_FRAMEWORKS.get(framework) or self.maker.pick()
            yield from self._statement(
                framework, _ai("developedBy"), _kg(developer), round_, developer
            )
            year = str(rng.randint(2012, 2023))
            yield from self._statement(
                framework, _ai("releaseDate"), _lit(year, datatype="gYear"), round_, year
            )
        for platform in self.platforms:
            developer = REAL_PLATFORMS.get(platform) or self.maker.pick()
            yield from self._statement(
                platform, _ai("developedBy"), _kg(developer), round_, developer
            )

    def _observations(self, round_: int) -> Iterator[str]:
        rng = self.rng
        year = str(2018 + round_ % 7)  # round 4 is 2022, the year cq05 asks about
        for market in self.markets:
            source = self.source.pick()
            lang = self.source_lang[source]
            vendors = sorted({self.maker.pick() for _ in range(rng.randint(2, 8))})
            cuts = sorted(rng.random() for _ in vendors)
            shares = [round((b - a) * 90, 1) for a, b in zip([0.0, *cuts], cuts, strict=False)]
            for vendor, share in zip(vendors, shares, strict=True):
                node = _kg(f"obs-{market}-{year}-{vendor}-{source[4:]}-r{round_}")
                yield from self._observation(
                    node,
                    "MarketShareObservation",
                    market,
                    year,
                    str(share),
                    "Percent",
                    source,
                    lang,
                    vendor,
                )
            node = _kg(f"obs-{market}-{year}-total-{source[4:]}-r{round_}")
            total = str(rng.randint(10_000, 5_000_000))
            yield from self._observation(
                node, "ShipmentObservation", market, year, total, "UnitCount", source, lang
            )
            node = _kg(f"obs-{market}-{year}-size-{source[4:]}-r{round_}")
            size = str(rng.randint(10**8, 10**11))
            yield from self._observation(
                node, "MarketSizeObservation", market, year, size, "USD", source, lang
            )

    def _observation(self, node, kind, market, year, value, unit, source, lang, vendor=None):
        yield f"{node} {TYPE} {_ai(kind)} .\n"
        yield f"{node} {_ai('market')} {_kg(market)} .\n"
        yield f"{node} {_ai('year')} {_lit(year, datatype='gYear')} .\n"
        yield f"{node} {_ai('value')} {_lit(value, datatype='decimal')} .\n"
        yield f"{node} {_ai('unit')} {_ai(unit)} .\n"
        if vendor:
            yield f"{node} {_ai('vendor')} {_kg(vendor)} .\n"
        yield f"{node} {DERIVED} {_kg(source)} .\n"
        text = f"{market} {year}: {value}"
        yield f"{node} {_ai('quote')} {_lit(text, lang)} .\n"
        yield f"{node} {_ai('rank')} {_ai('Normal')} .\n"
        yield f"{node} {_ai('verification')} {_lit(self.rng.choice(VERIFICATION))} .\n"

    def claims(self) -> Iterator[str]:
        """Rounds of claims over every pool, forever: round 0 is preferred and truthy, later
        rounds add corroborating or conflicting claims from other sources."""
        for round_ in itertools.count():
            for company in self.companies:
                yield from self._company_claims(company, round_)
            yield from self._software_claims(round_)
            yield from self._observations(round_)
            for chip in self.chips:
                yield from self._chip_claims(chip, round_)


def generate(triples: int, *, seed: int = 0, ontology: bool = True) -> Iterator[str]:
    """Exactly ``triples`` distinct N-Triples lines (each ending in a newline)."""
    rng = random.Random(seed)
    world = _World(triples, rng)
    head = _ontology_lines() if ontology else []
    lines = itertools.chain(head, world.declarations(), world.claims())
    return itertools.islice(lines, triples)


def write(path: Path | str | None, triples: int, *, seed: int = 0, ontology: bool = True) -> int:
    """Write the graph to ``path`` (stdout when None or '-'); returns the number of lines."""
    count = 0
    to_stdout = path in (None, "-")
    out = sys.stdout.buffer if to_stdout else open(path, "wb")  # noqa: SIM115 - closed below
    try:
        buffer = []
        for line in generate(triples, seed=seed, ontology=ontology):
            buffer.append(line)
            count += 1
            if len(buffer) >= 10_000:
                out.write("".join(buffer).encode("utf-8"))
                buffer.clear()
        out.write("".join(buffer).encode("utf-8"))
    finally:
        if out is not sys.stdout.buffer:
            out.close()
        else:
            out.flush()
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", "-n", type=int, required=True, help="How many triples.")
    parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
    parser.add_argument("-o", "--output", default="-", help="N-Triples file (default stdout).")
    parser.add_argument(
        "--no-ontology", action="store_true", help="Leave out the ontology's triples."
    )
    args = parser.parse_args(argv)
    if args.triples < 1:
        parser.error("--triples must be at least 1")
    write(args.output, args.triples, seed=args.seed, ontology=not args.no_ontology)
    return 0


if __name__ == "__main__":
    sys.exit(main())
