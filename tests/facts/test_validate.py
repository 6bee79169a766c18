"""`kg validate`: each rule fires on a small broken fixture; the real facts are clean."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from tests.conftest import FIXTURES

BASE = (FIXTURES / "validate" / "base.ttl").read_text(encoding="utf-8")
HEADER = "\n".join(line for line in BASE.splitlines() if line.startswith("@prefix")) + "\n"

# rule -> (broken Turtle added to the valid base, a term the report must name)
BROKEN = {
    "unsourced-relation": (
        "kg:acme aichip:competesWith kg:globex .",
        "kg:acme",
    ),
    "unsourced-figure": (
        'kg:acme aichip:foundingDate "1999"^^xsd:gYear .',
        "kg:acme",
    ),
    "dangling-term": (
        "kg:stmt-x a aichip:Statement ; rdf:subject kg:acme ; rdf:predicate aichip:competesWith ;"
        ' rdf:object kg:initech ; prov:wasDerivedFrom kg:src-test ; aichip:quote "x"@en ;'
        " aichip:rank aichip:Normal .",
        "kg:initech",
    ),
    "undeclared-term": (
        'kg:acme aichip:numberOfMoons "3"^^xsd:integer .',
        "aichip:numberOfMoons",
    ),
    "share-over-100": (
        "kg:obs-initech-share a aichip:MarketShareObservation ; aichip:vendor kg:globex2 ;"
        ' aichip:market kg:test-market ; aichip:year "2022"^^xsd:gYear ; aichip:value 20.0 ;'
        ' aichip:unit aichip:Percent ; prov:wasDerivedFrom kg:src-test ; aichip:quote "20 %"@en .\n'
        'kg:globex2 a aichip:Company ; rdfs:label "Globex Two"@en .',
        "kg:test-market",
    ),
    "shacl": (
        "kg:obs-bad a aichip:MarketShareObservation ; aichip:vendor kg:acme ;"
        ' aichip:market kg:test-market ; aichip:period "2023" ; aichip:value 12.0 ;'
        ' aichip:unit aichip:Percent ; aichip:quote "12 %"@en .',
        "kg:obs-bad",
    ),
}


def run_validate(root, *args):
    return CliRunner().invoke(cli, ["--root", str(root), "validate", *args])


def test_valid_fixture_has_no_problems(make_project):
    result = run_validate(make_project({"base.ttl": BASE}))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_each_rule_fires_on_its_fixture(make_project, rule):
    snippet, term = BROKEN[rule]
    root = make_project({"base.ttl": BASE, "broken.ttl": HEADER + snippet + "\n"})
    result = run_validate(root)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stdout.splitlines() if f"[{rule}]" in line]
    assert lines, f"rule {rule} did not fire:\n{result.stdout}"
    assert any(term in line for line in lines), result.stdout
    # Each problem line says where: file:line when the term is in a file.
    assert any(line.startswith("facts/") and ".ttl:" in line for line in lines), result.stdout
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("predicate", "value"),
    [
        ("tdpWatts", '"lots"'),
        ("memoryBandwidthGBps", '"-3350"^^xsd:decimal'),
        ("fp8DenseTFLOPS", '"0"^^xsd:decimal'),
        ("tf32DenseTFLOPS", '"128"'),
        ("transistorsBillion", '"-80"^^xsd:decimal'),
    ],
)
def test_a_chip_figure_must_be_a_positive_decimal(make_project, predicate, value):
    """A figure claimed in a statement is checked like one stated directly: a word, a zero, a
    negative or an untyped number is named with its file and line."""
    snippet = (
        'kg:widget a aichip:GPU ; rdfs:label "Widget"@en .\n'
        f"kg:stmt-widget a aichip:Statement ; rdf:subject kg:widget ;"
        f" rdf:predicate aichip:{predicate} ; rdf:object {value} ;"
        ' prov:wasDerivedFrom kg:src-test ; aichip:quote "x"@en ; aichip:rank aichip:Normal .'
    )
    root = make_project({"base.ttl": BASE, "broken.ttl": HEADER + snippet + "\n"})
    result = run_validate(root)
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.stdout.splitlines() if "[shacl]" in line]
    assert line.startswith("facts/broken.ttl:") and "kg:widget" in line, line
    assert f"aichip:{predicate} is a positive xsd:decimal" in line, line


def test_deprecated_conflicting_share_does_not_count(make_project):
    """A deprecated figure kept beside a preferred one must not push the sum past 100."""
    snippet = (
        "kg:obs-acme-share-2 a aichip:MarketShareObservation ; aichip:vendor kg:acme ;"
        ' aichip:market kg:test-market ; aichip:year "2022"^^xsd:gYear ; aichip:value 90.0 ;'
        " aichip:unit aichip:Percent ; aichip:rank aichip:Deprecated ;"
        ' prov:wasDerivedFrom kg:src-test ; aichip:quote "90 %"@en .'
    )
    root = make_project({"base.ttl": BASE, "extra.ttl": HEADER + snippet + "\n"})
    result = run_validate(root)
    assert result.exit_code == 0, result.output


def test_syntax_error_names_file_and_line(make_project):
    broken = HEADER + "kg:acme aichip:competesWith .\n"
    root = make_project({"base.ttl": BASE, "zz-broken.ttl": broken})
    result = run_validate(root)
    assert result.exit_code == 2, result.output
    expected_line = broken.count("\n")  # the statement is the file's last line
    # The file is named once, at the head of file:line.
    assert result.stdout.startswith(f"facts/zz-broken.ttl:{expected_line}: [syntax] "), (
        result.stdout
    )
    assert "Traceback" not in result.output


def test_a_misspelt_ontology_term_is_reported_once_with_the_term_meant(make_project):
    snippet = (
        "kg:acme2 a aichip:Compnay ; aichip:designedBy kg:acme .\n"
        "kg:acme aichip:desingedBy kg:acme2 ."
    )
    root = make_project({"base.ttl": BASE, "extra.ttl": HEADER + snippet + "\n"})
    result = run_validate(root)
    assert result.exit_code == 2, result.output
    undeclared = [line for line in result.stdout.splitlines() if "[undeclared-term]" in line]
    assert len(undeclared) == 2, result.stdout
    assert any(
        "aichip:Compnay: [undeclared-term] class" in line
        and line.endswith("did you mean aichip:Company?")
        for line in undeclared
    ), undeclared
    assert any(
        "aichip:desingedBy: [undeclared-term] predicate" in line
        and line.endswith("did you mean aichip:designedBy?")
        for line in undeclared
    ), undeclared


def test_syntax_error_in_build_touches_no_export(make_project):
    root = make_project({"base.ttl": BASE})
    runner = CliRunner()
    first = runner.invoke(cli, ["--root", str(root), "build"])
    assert first.exit_code == 0, first.output
    exports = sorted((root / "exports").iterdir())
    before = {path.name: path.read_bytes() for path in exports}
    (root / "facts" / "zz-broken.ttl").write_text(HEADER + "kg:acme kg:x\n", encoding="utf-8")
    second = runner.invoke(cli, ["--root", str(root), "build"])
    assert second.exit_code == 2, second.output
    assert "facts/zz-broken.ttl:" in second.output
    assert "Traceback" not in second.output
    after = {path.name: path.read_bytes() for path in sorted((root / "exports").iterdir())}
    assert after == before


def test_real_facts_are_clean():
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output


# --- likely-duplicate --------------------------------------------------------------------


def _chip(slug: str, label: str, maker: str) -> str:
    return (
        f'kg:{slug} a aichip:GPU ; rdfs:label "{label}"@en .\n'
        f"kg:stmt-{slug}-designedby a aichip:Statement ; rdf:subject kg:{slug} ;"
        f" rdf:predicate aichip:designedBy ; rdf:object kg:{maker} ;"
        f' prov:wasDerivedFrom kg:src-test ; aichip:quote "{label} by {maker}"@en ;'
        " aichip:rank aichip:Normal .\n"
    )


def test_likely_duplicate_names_both_entities_and_where(make_project):
    chips = (
        HEADER
        + _chip("acme-rocket-x100", "Acme Rocket X100", "acme")
        + _chip("x100", "X100", "acme")
    )
    root = make_project({"base.ttl": BASE, "chips.ttl": chips})
    result = run_validate(root)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stdout.splitlines() if "[likely-duplicate]" in line]
    assert len(lines) == 1, result.stdout
    (line,) = lines
    assert line.startswith("facts/chips.ttl:9: kg:acme-rocket-x100:"), line
    assert "kg:x100 (facts/chips.ttl:11)" in line and "'x100'" in line
    assert "owl:differentFrom" in line


def test_likely_duplicate_ignores_other_makers(make_project):
    other_maker = (
        HEADER
        + _chip("acme-x200", "Acme X200", "acme")
        + _chip("globex-x200", "Globex X200", "globex")
    )
    result = run_validate(make_project({"base.ttl": BASE, "a.ttl": other_maker}))
    assert result.exit_code == 0, result.output


def test_likely_duplicate_silenced_by_owl_different_from(make_project):
    declared = (
        HEADER
        + "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        + _chip("acme-rocket-x100", "Acme Rocket X100", "acme")
        + _chip("x100", "X100", "acme")
        + "kg:x100 owl:differentFrom kg:acme-rocket-x100 .\n"
    )
    result = run_validate(make_project({"base.ttl": BASE, "b.ttl": declared}))
    assert result.exit_code == 0, result.output


def test_real_facts_have_no_likely_duplicates():
    from kg.facts.validate import validate_project

    report = validate_project(shacl=False)
    assert [p for p in report.problems if p.rule == "likely-duplicate"] == []
