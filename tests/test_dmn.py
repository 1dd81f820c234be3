"""DMN import, S-FEEL unary tests, hostile XML, and the DMN TCK's decision-table cases."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tierkit.cli import app
from tierkit.dmn.convert import to_ruleset
from tierkit.dmn.feel import FeelError, evaluate_literal, literal, unary_condition
from tierkit.dmn.read import DmnError, read_model
from tierkit.dmn.tck import Failed, decide_case, prepare, run_folders

ROOT = Path(__file__).resolve().parents[1]


def tck_folder() -> Path | None:
    """The shared TCK cases: $TIERKIT_DMN_TCK, ``<root>/../shared/dmn-tck``, or
    /work/shared/dmn-tck."""
    candidates = [
        os.environ.get("TIERKIT_DMN_TCK"),
        str(ROOT.parent / "shared" / "dmn-tck"),
        "/work/shared/dmn-tck",
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "compliance-level-2").is_dir():
            return Path(candidate)
    return None


TCK = tck_folder()
needs_tck = pytest.mark.skipif(
    TCK is None,
    reason="the DMN TCK cases (../shared/dmn-tck, or $TIERKIT_DMN_TCK) are not here",
)


def never(name: str) -> str | None:
    return None


# --------------------------------------------------------------------------------------------
# unary tests


@pytest.mark.parametrize(
    ("entry", "condition"),
    [
        ("-", None),
        ("", None),
        ("true", "x == true"),
        ("<18", "x < 18"),
        (">= 18", "x >= 18"),
        ("[1..10]", "x >= 1 and x <= 10"),
        ("(1..10]", "x > 1 and x <= 10"),
        ("]1..10[", "x > 1 and x < 10"),
        ('"Medium","Low"', "(x == 'Medium') or (x == 'Low')"),
        ('not("x")', "not (x == 'x')"),
        ('not("a", "b")', "not ((x == 'a') or (x == 'b'))"),
        ("98.83", "x == 98.83"),
        ("-5", "x == -5"),
        ('"it\'s, here"', "x == 'it\\'s, here'"),
        ("null", "missing(x)"),
        ("<10, >20", "(x < 10) or (x > 20)"),
        ("? > 5 and ? < 10", "x > 5 and x < 10"),
        ('? = "a, b" or ? = "c"', "x == 'a, b' or x == 'c'"),
    ],
)
def test_unary_tests_become_conditions(entry: str, condition: str | None) -> None:
    assert unary_condition(entry, "x", never) == condition


def test_a_unary_test_may_compare_with_another_input() -> None:
    assert unary_condition("< Limit", "x", {"Limit": "Limit"}.get) == "x < Limit"


def test_an_unknown_unary_test_says_what_it_found() -> None:
    with pytest.raises(FeelError, match="found 'date and time"):
        unary_condition('date and time("2020-01-01T00:00:00")', "x", never)


def test_literals_are_typed() -> None:
    assert literal('"Approved"') == "Approved"
    assert literal("100") == 100 and isinstance(literal("100"), int)
    assert literal("98.83") == 98.83
    assert literal("true") is True
    assert literal("null") is None


def test_literal_expressions_are_exact() -> None:
    # 12 * 0.1 = 1.2 exactly (floats: 1.2000000000000002)
    assert evaluate_literal("12 * Monthly Salary", {"Monthly Salary": Decimal("0.1")}) == Decimal(
        "1.2"
    )
    assert evaluate_literal('"Hello " + Full Name', {"Full Name": "John Doe"}) == "Hello John Doe"
    # precedence: 2 + 3 * 4 = 14; (2 + 3) * 4 = 20
    assert evaluate_literal("2 + 3 * 4", {}) == 14
    assert evaluate_literal("(2 + 3) * 4", {}) == 20


# --------------------------------------------------------------------------------------------
# import

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="Customer Tier"
             namespace="urn:test" id="d">
  <decision name="Tier" id="tier">
    <variable name="Tier" typeRef="string"/>
    <decisionTable hitPolicy="PRIORITY">
      <input label="Net Profit"><inputExpression typeRef="number"><text>Net Profit</text>
      </inputExpression></input>
      <input label="Region"><inputExpression typeRef="string"><text>Region</text>
      </inputExpression></input>
      <output name="Tier"><outputValues><text>"A","B","C"</text></outputValues>
        <defaultOutputEntry><text>"C"</text></defaultOutputEntry></output>
      <rule><description>Loss-makers stay C</description>
        <inputEntry><text>&lt;0</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>"C"</text></outputEntry></rule>
      <rule><inputEntry><text>[10000..50000)</text></inputEntry>
        <inputEntry><text>"North","South"</text></inputEntry>
        <outputEntry><text>"B"</text></outputEntry></rule>
      <rule><inputEntry><text>&gt;=50000</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>"A"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision name="Points" id="points">
    <decisionTable hitPolicy="COLLECT" aggregation="SUM">
      <input><inputExpression typeRef="number"><text>Net Profit</text></inputExpression></input>
      <output/>
      <rule><inputEntry><text>&gt;0</text></inputEntry><outputEntry><text>0.1</text></outputEntry>
      </rule>
      <rule><inputEntry><text>&gt;100</text></inputEntry>
        <outputEntry><text>0.2</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <inputData name="Net Profit" id="np"><variable name="Net Profit" typeRef="number"/></inputData>
  <inputData name="Region" id="r"><variable name="Region" typeRef="string"/></inputData>
</definitions>
"""


def write(tmp_path: Path, text: str, name: str = "model.dmn") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_model_imports_as_a_ruleset(tmp_path: Path) -> None:
    imported = to_ruleset(read_model(write(tmp_path, MODEL)))
    ruleset = imported.ruleset
    assert ruleset["name"] == "customer-tier"
    assert ruleset["criteria"] == {
        "Net_Profit": {"use": "customer.Net_Profit", "title": "Net Profit", "type": "number"},
        "Region": {"use": "customer.Region", "title": "Region"},
    }
    tier = ruleset["decisions"]["Tier"]
    assert tier["hit"] == "priority"
    assert tier["outcomes"] == ["A", "B", "C"]
    assert tier["default"] == {"then": "C"}
    assert tier["rules"] == [
        {"when": "Net_Profit < 0", "then": "C", "because": "Loss-makers stay C"},
        {
            "when": "Net_Profit >= 10000 and Net_Profit < 50000 and "
            "((Region == 'North') or (Region == 'South'))",
            "then": "B",
        },
        {"when": "Net_Profit >= 50000", "then": "A"},
    ]
    assert ruleset["decisions"]["Points"]["hit"] == "collect sum"


def test_an_imported_model_decides_as_dmn_says(tmp_path: Path) -> None:
    prepared = prepare(write(tmp_path, MODEL))
    assert prepared.problem is None

    def decide(profit: str | None, region: str) -> tuple[object, object]:
        given = {"Net Profit": None if profit is None else Decimal(profit), "Region": region}
        result = decide_case(prepared, given)
        return result["Tier"], result["Points"]

    # 60000: rule 3 (A) only, points 0.1 + 0.2 = 0.3 exactly
    assert decide("60000", "West") == ("A", Decimal("0.3"))
    # 20000 in the North: rule 2 (B); -5: rule 1 (C), no points (DMN: null)
    assert decide("20000", "North") == ("B", Decimal("0.3"))
    assert decide("-5", "North") == ("C", None)
    # 20000 in the West: no rule, the default C; 50: 0.1 only
    assert decide("20000", "West")[0] == "C"
    assert decide("50", "West") == ("C", Decimal("0.1"))


def test_an_unreadable_unary_test_is_located(tmp_path: Path) -> None:
    bad = MODEL.replace("[10000..50000)", "between(1, 2)")
    with pytest.raises(DmnError) as caught:
        to_ruleset(read_model(write(tmp_path, bad)))
    assert "decision 'Tier', rule 2, input 'Net Profit'" in str(caught.value)


BOMB = """<?xml version="1.0"?>
<!DOCTYPE definitions [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="&c;"/>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="&secret;"/>
"""


@pytest.mark.parametrize("text", [BOMB, EXTERNAL], ids=["entity-expansion", "external-entity"])
def test_hostile_xml_is_refused_with_exit_2(tmp_path: Path, text: str) -> None:
    result = CliRunner().invoke(app, ["import", str(write(tmp_path, text))])
    assert result.exit_code == 2, result.output
    assert "refused: the XML declares entities or a DTD" in result.output
    assert "root:" not in result.output


def test_import_writes_a_ruleset_file(tmp_path: Path) -> None:
    out = tmp_path / "ruleset.yaml"
    result = CliRunner().invoke(app, ["import", str(write(tmp_path, MODEL)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 input(s), 2 decision(s)" in result.output
    # Points (collect sum) has no default output: the ruleset needs one before it loads
    assert "note: the ruleset does not load as it is" in result.output
    assert "decision 'Points' has no default" in result.output or "customer." in result.output
    assert yaml.safe_load(out.read_text())["decisions"]["Tier"]["hit"] == "priority"


def test_import_of_a_file_that_is_not_dmn_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "<testCases/>")
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 2
    assert "not a DMN model: the root element is <testCases>" in result.output


# --------------------------------------------------------------------------------------------
# the TCK


@needs_tck
def test_every_shared_tck_case_passes() -> None:
    assert TCK is not None
    results = run_folders([TCK])
    failures = [r for r in results if r.result != "SUCCESS"]
    assert not failures, failures
    assert len(results) == 45  # the README: 17 folders, 45 cases


@needs_tck
def test_the_tck_command_prints_each_case_and_writes_the_vendors_csv(tmp_path: Path) -> None:
    assert TCK is not None
    folder = TCK / "compliance-level-2" / "0004-simpletable-U"
    out = tmp_path / "tck_results.csv"
    result = CliRunner().invoke(app, ["dmn-tck", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0004-simpletable-U/0004-simpletable-U-test-01.xml 001: SUCCESS" in result.output
    assert result.output.rstrip().endswith("3 passed, 0 failed")
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["0004-simpletable-U", "0004-simpletable-U-test-01.xml", "001", "SUCCESS", ""]
    assert len(rows) == 3


def test_a_failing_case_is_an_error_with_the_reason_and_exit_1(tmp_path: Path) -> None:
    folder = tmp_path / "9001-wrong"
    folder.mkdir()
    write(folder, MODEL, "9001-wrong.dmn")
    write(
        folder,
        """<testCases xmlns="http://www.omg.org/spec/DMN/20160719/testcase"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
          <modelName>9001-wrong.dmn</modelName>
          <testCase id="001">
            <inputNode name="Net Profit"><value xsi:type="xsd:decimal">60000</value></inputNode>
            <inputNode name="Region"><value xsi:type="xsd:string">West</value></inputNode>
            <resultNode name="Tier"><expected><value xsi:type="xsd:string">B</value></expected>
            </resultNode>
          </testCase>
          <testCase id="002">
            <inputNode name="Net Profit"><value xsi:type="xsd:decimal">150</value></inputNode>
            <resultNode name="Points"><expected><value xsi:type="xsd:decimal">0.30</value>
            </expected></resultNode>
          </testCase>
        </testCases>""",
        "9001-wrong-test-01.xml",
    )
    result = CliRunner().invoke(app, ["dmn-tck", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert (report["passed"], report["failed"]) == (1, 1)
    first, second = report["cases"]
    # 60000 matches rule 3 only: A, not the B the case expects
    assert first["result"] == "ERROR" and first["detail"] == 'Tier: expected "B", got "A"'
    # 150 > 0 and > 100: 0.1 + 0.2 = 0.3, equal to 0.30 as a decimal
    assert second["result"] == "SUCCESS"


CHAINED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="chained" id="d"
             namespace="urn:test">
  <decision name="Advice" id="advice">
    <decisionTable hitPolicy="RULE ORDER">
      <input><inputExpression typeRef="string"><text>Band</text></inputExpression></input>
      <output/>
      <rule><inputEntry><text>"high","mid"</text></inputEntry>
        <outputEntry><text>"call, then visit"</text></outputEntry></rule>
      <rule><inputEntry><text>"high"</text></inputEntry>
        <outputEntry><text>"offer terms"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision name="Band" id="band">
    <decisionTable hitPolicy="UNIQUE">
      <input><inputExpression typeRef="number"><text>Score</text></inputExpression></input>
      <output/>
      <rule><inputEntry><text>&gt;=70</text></inputEntry><outputEntry><text>"high"</text>
        </outputEntry></rule>
      <rule><inputEntry><text>[40..80)</text></inputEntry><outputEntry><text>"mid"</text>
        </outputEntry></rule>
    </decisionTable>
  </decision>
  <inputData name="Score" id="s"><variable name="Score" typeRef="number"/></inputData>
</definitions>
"""


def test_a_table_may_read_a_decision_listed_after_it(tmp_path: Path) -> None:
    prepared = prepare(write(tmp_path, CHAINED))
    assert prepared.problem is None
    # 85: Band high (rule 1 only); Advice rules 1 and 2, in rule order; the comma stays inside
    got = decide_case(prepared, {"Score": Decimal("85")})
    assert got == {"Band": "high", "Advice": ["call, then visit", "offer terms"]}
    # 50: mid -> rule 1 only; 10: no band (null) -> no advice, an empty list
    assert decide_case(prepared, {"Score": Decimal("50")})["Advice"] == ["call, then visit"]
    assert decide_case(prepared, {"Score": Decimal("10")}) == {"Band": None, "Advice": []}


def test_a_unique_overlap_is_the_case_s_error_result(tmp_path: Path) -> None:
    folder = tmp_path / "9002-overlap"
    folder.mkdir()
    write(folder, CHAINED, "9002-overlap.dmn")
    write(
        folder,
        """<testCases xmlns="http://www.omg.org/spec/DMN/20160719/testcase"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
          <modelName>9002-overlap.dmn</modelName>
          <testCase id="001">
            <inputNode name="Score"><value xsi:type="xsd:decimal">75</value></inputNode>
            <resultNode name="Band" errorResult="true"><expected>
              <value xsi:nil="true"/></expected></resultNode>
          </testCase>
          <testCase id="002">
            <inputNode name="Score"><value xsi:type="xsd:decimal">75</value></inputNode>
            <resultNode name="Band"><expected><value xsi:type="xsd:string">high</value>
            </expected></resultNode>
          </testCase>
        </testCases>""",
        "9002-overlap-test-01.xml",
    )
    # 75 is >= 70 (rule 1) and in [40..80) (rule 2): UNIQUE is broken
    first, second = run_folders([tmp_path])
    assert first.result == "SUCCESS", first
    assert second.result == "ERROR"
    assert "rule 1 and rule 2 all match customer 1" in second.detail


STRUCTURED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="structured" id="d"
             namespace="urn:test">
  <itemDefinition name="tApplicant">
    <itemComponent name="Age"><typeRef>number</typeRef></itemComponent>
    <itemComponent name="Since"><typeRef>date</typeRef></itemComponent>
  </itemDefinition>
  <decision name="Loyal" id="loyal">
    <decisionTable hitPolicy="FIRST">
      <input><inputExpression typeRef="number"><text>Applicant.Age</text></inputExpression>
      </input>
      <input><inputExpression typeRef="date"><text>Applicant.Since</text></inputExpression>
      </input>
      <output/>
      <rule><inputEntry><text>&gt;=18</text></inputEntry>
        <inputEntry><text>&lt; date("2020-01-01")</text></inputEntry>
        <outputEntry><text>true</text></outputEntry></rule>
      <rule><inputEntry><text>-</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>false</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <inputData name="Applicant" id="a"><variable name="Applicant" typeRef="tApplicant"/>
  </inputData>
</definitions>
"""


def test_a_structured_input_gives_one_criterion_per_component(tmp_path: Path) -> None:
    import datetime as dt

    path = write(tmp_path, STRUCTURED)
    ruleset = to_ruleset(read_model(path)).ruleset
    assert list(ruleset["criteria"]) == ["Applicant_Age", "Applicant_Since"]
    assert ruleset["decisions"]["Loyal"]["rules"][0]["when"] == (
        "Applicant_Age >= 18 and Applicant_Since < date('2020-01-01')"
    )
    prepared = prepare(path)
    assert prepared.problem is None

    def loyal(age: str, since: str) -> object:
        given = {"Applicant": {"Age": Decimal(age), "Since": dt.date.fromisoformat(since)}}
        return decide_case(prepared, given)["Loyal"]

    # 30, since 2019: rule 1; 30, since 2020-01-01 (not before): rule 2; 17: rule 2
    assert (loyal("30", "2019-05-01"), loyal("30", "2020-01-01"), loyal("17", "2010-01-01")) == (
        True,
        False,
        False,
    )


def test_literal_arithmetic_keeps_feel_s_34_digits() -> None:
    # 1 / 3 to 34 significant digits (Python's default context keeps 28)
    assert evaluate_literal("1 / 3", {}) == Decimal("0." + "3" * 34)


HAS_DURABLE = importlib.util.find_spec("durable") is not None


@needs_tck
@pytest.mark.skipif(not HAS_DURABLE, reason="durable-rules is not installed")
def test_every_shared_tck_case_passes_on_the_durable_engine_too() -> None:
    assert TCK is not None
    results = run_folders([TCK], engine="durable")
    assert [r for r in results if r.result != "SUCCESS"] == []
    assert len(results) == 45


@pytest.mark.skipif(not HAS_DURABLE, reason="durable-rules is not installed")
def test_a_unique_overlap_is_an_error_result_on_the_durable_engine(tmp_path: Path) -> None:
    prepared = prepare(write(tmp_path, CHAINED))
    # 75: Band rules 1 and 2 overlap; Advice reads Band and still gets a value
    got = decide_case(prepared, {"Score": Decimal("75")}, engine="durable")
    assert isinstance(got["Band"], Failed)
    assert "rule 1 and rule 2 all match customer 1" in got["Band"].reason


def test_a_folder_without_test_cases_is_a_usage_error_not_a_pass(tmp_path: Path) -> None:
    """`tierkit dmn-tck ./wrong-folder` printed `0 passed, 0 failed` and ended with 0: a CI job
    pointed at the wrong folder passed without running one case."""
    (tmp_path / "notes.txt").write_text("x")
    out = tmp_path / "tck_results.csv"
    result = CliRunner().invoke(app, ["dmn-tck", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{tmp_path}: no DMN TCK test cases found" in result.output
    assert not out.exists()
