"""Plan review end to end on generated plans (PDF and DOCX; merged headings, units in a 单位
line or missing, a table continued over pages): findings and extracted values against the
gold, reports in every format, and bad input that must give a finding or a clear error."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pymupdf
import pytest
from typer.testing import CliRunner

from agents.compliance.engine import ComplianceEngine
from agents.review.conditions import read_conditions
from agents.review.errors import ReviewInputError
from agents.review.pipeline import ReviewRequest, review_plan
from agents.review.report import write_report
from app.cli import app
from corpus.readers.base import IngestLimits
from eval.review_bench import request_for, run_review_bench
from eval.sample_plans.cases import generate_cases, write_case
from eval.sample_plans.spec import LAYOUTS, make_spec

DAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def engine() -> ComplianceEngine:
    return ComplianceEngine.from_domain(None, DAY)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cases")
    generate_cases(folder, count=len(LAYOUTS), seed=11, parcels=(8, 36))
    return folder


def test_generated_cases_are_reviewed_to_their_gold(cases: Path, engine: ComplianceEngine,
                                                    tmp_path: Path) -> None:
    metrics = run_review_bench(cases, engine, tmp_path / "r.jsonl")
    assert metrics["cases"] == len(LAYOUTS) and not metrics["failed"]
    assert metrics["finding_precision"] == 1.0 and metrics["finding_recall"] == 1.0
    assert metrics["value_precision"] == 1.0 and metrics["value_recall"] == 1.0
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert {line["id"] for line in lines} == {p.name for p in cases.iterdir()}
    assert all({"findings", "summary", "score"} <= set(line) for line in lines)


def test_a_table_continued_over_pages_cites_each_rows_page(tmp_path: Path,
                                                            engine: ComplianceEngine) -> None:
    import random

    rng = random.Random(3)
    spec = make_spec("long", rng, "pdf", LAYOUTS[0], 60)
    spec.start_offset = 12
    write_case(tmp_path / "long", spec, rng)
    plan = tmp_path / "long" / "plan.pdf"
    assert pymupdf.open(plan).page_count >= 2
    report = review_plan(request_for(tmp_path / "long"), engine)
    assert len({p.parcel_id for p in report.parcels}) == 60
    pages = {p.parcel_id: p.evidence.page for p in report.parcels}
    assert pages[spec.parcels[0].pid] == 1 and pages[spec.parcels[-1].pid] >= 2
    for parcel in report.parcels:  # the page cited holds the row
        assert parcel.parcel_id.replace("-", "") in pymupdf.open(plan)[
            parcel.evidence.page - 1].get_text().replace(" ", "").replace("-", "")


def test_reports_in_every_format(cases: Path, engine: ComplianceEngine, tmp_path: Path) -> None:
    folder = min(cases.iterdir())
    report = review_plan(request_for(folder), engine)
    for suffix in (".html", ".md", ".json", ".pdf"):
        write_report(report, tmp_path / f"report{suffix}")
    data = json.loads((tmp_path / "report.json").read_text())
    assert {"plan", "findings", "summary"} <= set(data)
    finding = data["findings"][0]
    assert {"rule_id", "severity", "check", "subject", "value", "limit", "message",
            "citation", "evidence"} <= set(finding)
    assert {"file", "page", "table", "row"} <= set(finding["evidence"])
    html = (tmp_path / "report.html").read_text()
    assert report.findings[0].message in html.replace("&#39;", "'")
    pdf_text = pymupdf.open(tmp_path / "report.pdf")[0].get_text()
    assert "审查报告" in pdf_text
    assert not list(tmp_path.glob("*.partial"))
    with pytest.raises(ValueError):
        write_report(report, tmp_path / "report.docx")


def test_guihua_review_cli(cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUIHUA_DATA_DIR", str(tmp_path / "data"))
    folder = sorted(cases.iterdir())[1]
    request = request_for(folder)
    args = ["review", str(request.plan), "--parcels", str(folder / "parcels.geojson"),
            "--zones", str(folder / "zones"), "--conditions", str(folder / "conditions.json"),
            "--out", str(tmp_path / "r.html"), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    gold = json.loads((folder / "gold.json").read_text())
    found = {(f["subject"], f["check"]) for f in data["findings"]
             if f["severity"] in ("error", "warning")}
    assert {(g["subject"], g["check"]) for g in gold["findings"]} <= found
    assert (tmp_path / "r.html").exists()
    missing = CliRunner().invoke(app, ["review", str(tmp_path / "nope.pdf"), "--json"])
    assert missing.exit_code == 1 and "error" in json.loads(missing.stdout)


# --- bad input -------------------------------------------------------------------------------

def test_a_plan_without_an_indicator_table_is_a_finding(tmp_path: Path,
                                                        engine: ComplianceEngine) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "某某村村庄规划（2021—2035年）", fontname="china-s", fontsize=14)
    page.insert_text((72, 100), "本规划统筹村庄发展，保护耕地。", fontname="china-s", fontsize=10)
    doc.save(tmp_path / "plan.pdf")
    report = review_plan(ReviewRequest(tmp_path / "plan.pdf"), engine)
    assert [f.rule_id for f in report.findings] == ["extraction.no_indicator_table"]
    assert report.summary["verdict"] != "通过"
    assert report.plan["kind"] == "村庄规划"


def test_files_that_cannot_be_reviewed_are_refused_clearly(tmp_path: Path, cases: Path,
                                                          engine: ComplianceEngine) -> None:
    text = tmp_path / "plan.pdf"
    text.write_text("这不是 PDF", encoding="utf-8")
    with pytest.raises(ReviewInputError, match="PDF 或 DOCX"):
        review_plan(ReviewRequest(text), engine)
    plan = request_for(min(cases.iterdir())).plan
    # The size limit is checked before the file is read (a 500 MB upload never gets parsed).
    with pytest.raises(ReviewInputError, match="过大"):
        review_plan(ReviewRequest(plan), engine, IngestLimits(max_file_bytes=1000))


def test_conditions_files(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"A-01": {"容积率": "≤2.5", "绿地率": 30, "建筑限高": {"max": 60},
                                         "density": "不大于35%"}}, ensure_ascii=False))
    conditions, ignored = read_conditions(good)
    limits = conditions["A-01"].limits
    assert limits["far"].max == 2.5 and limits["green_ratio"].min == 30
    assert limits["height"].max == 60 and limits["density"].max == 35
    assert not ignored
    # Other systems' shapes: English keys with bounds, a list of rows under a wrapper.
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"parcels": [
        {"地块编号": "B-01", "far_max": 3.0, "far_min": 1.0, "green_ratio_min": 25,
         "max_height": 80, "容积率上限": 2.8, "备注": "商业"}]}, ensure_ascii=False))
    conditions, ignored = read_conditions(other)
    limits = conditions["B-01"].limits
    assert (limits["far"].min, limits["far"].max) == (1.0, 2.8)
    assert limits["green_ratio"].min == 25 and limits["height"].max == 80
    assert [f.rule_id for f in ignored] == ["conditions.ignored_keys"]
    assert "备注" in ignored[0].message
    for bad in ({"A-01": {"容积率": "很高"}}, [{"容积率": 2}], ["A-01"], 3):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad, ensure_ascii=False))
        with pytest.raises(ReviewInputError):
            read_conditions(path)


def test_missing_units_are_inferred_and_reported(cases: Path, engine: ComplianceEngine) -> None:
    unitless = next(f for f in sorted(cases.iterdir())
                    if json.loads((f / "gold.json").read_text())["layout"]["unit_in"] == "none")
    report = review_plan(request_for(unitless), engine)
    assert any(f.rule_id == "extraction.unit_inferred" for f in report.findings)


def test_requirements_no_rule_decides_are_left_for_review_with_clauses(
        cases: Path, engine: ComplianceEngine, tmp_path: Path) -> None:
    from agents.review.pipeline import PLAN_LIMITS, read_plan_file
    from agents.review.qualitative import qualitative_findings
    from app.indexes import open_searcher, sync_index
    from app.settings import Settings
    from corpus.ingest import ingest_paths
    from corpus.store import ClauseStore

    national = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws" / "national"
    config = Settings(data_dir=tmp_path / "data")
    folder = min(cases.iterdir())
    request = request_for(folder)
    with ClauseStore(config.store_path) as store:
        assert not ingest_paths(store, [national / "土地管理法(2019-08-26).md",
                                        national / "城乡规划法(2019-04-23).md"]).failures
        sync_index(config, store, dense=False)
        with open_searcher(config, store, use_graph=False) as searcher:
            extracted = read_plan_file(request.plan, PLAN_LIMITS, lambda *a: None)
            findings = qualitative_findings(extracted, request.plan.name, searcher, DAY)
            report = review_plan(request, engine, searcher=searcher, day=DAY)
            assert findings and all(f.severity == "review" for f in findings)
            for finding in findings:
                assert finding.citation.clause_id
                assert finding.citation.text == store.clause(finding.citation.clause_id).text
                assert finding.evidence.page == 1
            assert {f.rule_id for f in findings} <= {f.rule_id for f in report.findings}
    # Not verdicts: the scored findings are unchanged.
    assert report.summary["by_severity"]["review"] >= len(findings)


def test_indicator_tables_in_layouts_the_generator_does_not_make() -> None:
    from agents.review.plan_tables import (
        SourceTable,
        read_balance_table,
        read_indicator_table,
    )
    from corpus.model import Table

    table = Table(caption="附表 地块指标", header=[
        ["序号", "地块编码", "用地性质", "用地面积(ha)", "容积率", "建筑密度", "绿地率", "建筑控制高度(米)"]],
        rows=[["1", "DK-01", "城镇住宅用地", "1.2", "≤2.5", "≤30%", "≥35%", "≤54"],
              ["2", "DK-02", "商业用地", "0.8", "2.0～3.0", "0.4", "0.2", "60"],
              ["", "合计", "", "2.0", "", "", "", ""]], pages=[4], row_pages=[4, 4, 5])
    parcels, findings = read_indicator_table(SourceTable(table, "p.pdf", "附表 地块指标"))
    assert not findings and [p.parcel_id for p in parcels] == ["DK-01", "DK-02"]
    first, second = parcels
    assert (first.land_use, first.land_use_name) == ("0701", "城镇住宅用地")  # code from name
    assert first.area_m2 == pytest.approx(12_000) and first.far == 2.5
    assert (first.building_density, first.green_ratio, first.height_limit) == (30, 35, 54)
    assert second.far == 3.0 and second.building_density == 40 and second.green_ratio == 20
    assert first.evidence.page == 4 and first.evidence.row == 1
    # Not a balance table (it has parcel ids); a balance table is not an indicator table.
    assert read_balance_table(SourceTable(table, "p.pdf", "x")) is None
    balance = Table(caption="用地平衡表", header=[["类别名称", "面积(公顷)", "占比(%)"]],
                    rows=[["居住用地", "1.2", "60"], ["商业服务业用地", "0.8", "40"],
                          ["总用地", "2.0", "100"]])
    assert read_indicator_table(SourceTable(balance, "p.pdf", "x")) is None
    rows, _ = read_balance_table(SourceTable(balance, "p.pdf", "用地平衡表"))
    assert [r.is_total for r in rows] == [False, False, True]
    assert rows[-1].area_m2 == pytest.approx(20_000)


def test_text_that_contradicts_the_table_is_a_finding(tmp_path: Path,
                                                      engine: ComplianceEngine) -> None:
    from eval.sample_plans.tables import PrintedTable
    from eval.sample_plans.writers import write_docx

    table = PrintedTable("表1 地块控制指标一览表", None,
                         [["地块编号", "用地代码", "用地面积（公顷）", "容积率", "绿地率(%)"]], [],
                         [["A-01", "0901", "1.0000", "2.5", "30"],
                          ["A-02", "0901", "1.0000", "2.0", "30"]])
    write_docx(tmp_path / "plan.docx", "某某单元控制性详细规划",
               ["A-01地块容积率不大于3.0，A-02地块绿地率不低于30%。"], [table])
    report = review_plan(ReviewRequest(tmp_path / "plan.docx"), engine)
    claims = [f for f in report.findings if f.rule_id == "consistency.text_parcel"]
    assert [(f.subject, f.value) for f in claims] == [("A-01", 3.0)]
