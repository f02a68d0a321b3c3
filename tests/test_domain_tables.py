"""Domain tables: schema validation, hierarchy integrity, cross-checks against the shared
code lists and law texts, and rule-pack validation of broken local packs."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError

from kg.domain import (
    DomainDataError,
    Rule,
    land_use_by_code,
    load_indicators,
    load_land_use_classes,
    load_rule_packs,
    load_zone_types,
)
from kg.domain.loader import data_dir

REPO = Path(__file__).resolve().parents[1]
CODES_DIR = REPO.parent / "shared" / "corpus" / "standards" / "land_use_codes"
LAWS_DIR = REPO.parent / "shared" / "corpus" / "laws" / "national"

SEA_TOP = {"18", "19", "20", "21", "22", "24"}


def _shared(path: Path) -> Path:
    # Only the cross-check tests depend on ../shared; everything else runs without it.
    if not path.exists():
        pytest.skip(f"shared corpus file missing: {path}")
    return path


def _read_csv(path: Path) -> list[list[str]]:
    with _shared(path).open(encoding="utf-8-sig", newline="") as f:
        return [row for row in csv.reader(f)]


# ================================================================ 用地用海分类


def test_land_use_counts_per_level() -> None:
    levels = Counter(c.level for c in load_land_use_classes())
    assert levels == {1: 24, 2: 111, 3: 40}


def test_land_use_top_level_is_01_to_24() -> None:
    top = [c for c in load_land_use_classes() if c.level == 1]
    assert [c.code for c in top] == [f"{i:02d}" for i in range(1, 25)]
    assert (top[0].name, top[-1].name) == ("耕地", "其他海域")


def test_land_use_hierarchy_integrity() -> None:
    classes = load_land_use_classes()
    by_code = land_use_by_code()
    assert len(by_code) == len(classes), "duplicate codes"
    for c in classes:
        assert len(c.code) == 2 * c.level, c.code
        if c.level == 1:
            assert c.parent is None, c.code
        else:
            parent = by_code.get(c.parent)
            assert parent is not None, f"{c.code}: parent {c.parent} missing"
            assert parent.level == c.level - 1, c.code
            assert c.code.startswith(parent.code), c.code
    # File order is code order, so a reader sees each parent before its children.
    assert [c.code for c in classes] == sorted(by_code)


def test_land_use_construction_flags_follow_parent_unless_noted() -> None:
    # A child may differ from its parent only with a note saying why (e.g. 2301 空闲地).
    by_code = land_use_by_code()
    for c in by_code.values():
        if c.parent and c.construction != by_code[c.parent].construction:
            assert c.note, f"{c.code} {c.name} differs from parent {c.parent} without a note"


def test_land_use_sea_classes_are_exactly_the_sea_chapters() -> None:
    for c in load_land_use_classes():
        assert (c.construction == "海域") == (c.code[:2] in SEA_TOP), c.code


def test_land_use_spot_facts() -> None:
    by_code = land_use_by_code()
    assert by_code["0701"].name == "城镇住宅用地"
    assert by_code["0701"].parent == "07"
    assert by_code["07"].name == "居住用地"
    assert by_code["0701"].construction == "建设用地"
    assert by_code["070101"].parent == "0701"
    assert by_code["0101"].name == "水田" and by_code["0101"].construction == "非建设用地"
    assert by_code["16"].construction == "建设用地" and by_code["16"].level == 1
    assert by_code["1207"].name == "城镇村道路用地"
    for code in ("07", "08", "09", "10", "11", "12", "13", "14", "15", "16"):
        assert by_code[code].construction == "建设用地", code


def test_land_use_file_cites_the_2023_guide() -> None:
    from kg.domain.loader import land_use_source

    src = land_use_source()
    assert "用地用海分类指南" in src.document
    assert src.number == "自然资发〔2023〕234号" and src.year == 2023


def test_land_use_codes_and_names_match_shared_code_list() -> None:
    rows = _read_csv(CODES_DIR / "新版用地用海_DM_to_MC.csv")
    assert rows[0] == ["用地代码", "用地名称"]
    theirs = {code.strip(): name.strip() for code, name in rows[1:] if code.strip()}
    assert len(theirs) == 175
    ours = {c.code: c.name for c in load_land_use_classes()}
    assert set(ours) == set(theirs), (
        f"only ours: {sorted(set(ours) - set(theirs))}; only shared: {sorted(set(theirs) - set(ours))}")
    wrong = {code: (ours[code], theirs[code]) for code in ours if ours[code] != theirs[code]}
    assert not wrong, f"name mismatches (ours, shared): {wrong}"


# The shared 建设/非建设 归纳表 uses the 2020 试行 code list. Where we knowingly differ, the
# reason is recorded here; any other disagreement fails the test.
EXPECTED_CONSTRUCTION_DISAGREEMENTS = {
    "06": "农业设施建设用地: 农村道路、设施农用地按土地管理法三大类属农用地",
    "060101": "村道用地 (2023 版归 0601 农村道路) 按三大类属农用地",
    "060201": "设施农用地按农用地管理",
    "060202": "设施农用地按农用地管理",
    "060203": "设施农用地按农用地管理",
    "2301": "空闲地按三大类属建设用地 (城镇村范围内尚未使用的建设用地)",
}


def test_construction_flags_against_shared_grouping() -> None:
    grouping = _read_csv(CODES_DIR / "用地用海_归纳建设非建设用地.csv")
    old_list = _read_csv(CODES_DIR / "用地用海_DM_to_MC.csv")
    assert grouping[0] == ["地类", "建设用地归纳"]
    # The file lists every 2020 code, then every 2020 name, each with its flag.
    by_code = {k: v for k, v in grouping[1:] if k.isdigit()}
    by_name = {k: v for k, v in grouping[1:] if k and not k.isdigit()}
    assert set(by_code.values()) | set(by_name.values()) == {"建设用地", "非建设用地"}
    old_name = {code: name for code, name in old_list[1:]}

    disagreements: dict[str, str] = {}
    compared = 0
    for c in load_land_use_classes():
        ours = "非建设用地" if c.construction == "海域" else c.construction
        # Compare by name first; by code only where the 2020 code meant the same class, since
        # several codes were renumbered in 2023 (e.g. 2302 田坎 -> 2303).
        if c.name in by_name:
            theirs = by_name[c.name]
        elif c.code in by_code and old_name.get(c.code) == c.name:
            theirs = by_code[c.code]
        else:
            continue
        compared += 1
        if ours != theirs:
            disagreements[c.code] = f"{c.name}: ours {c.construction}, shared {theirs}"

    assert compared >= 160, f"only {compared} classes could be compared"
    unexplained = {k: v for k, v in disagreements.items() if k not in EXPECTED_CONSTRUCTION_DISAGREEMENTS}
    stale = sorted(set(EXPECTED_CONSTRUCTION_DISAGREEMENTS) - set(disagreements))
    assert not unexplained and not stale, (
        f"unexplained disagreements: {unexplained}; expected but now agreeing: {stale}")


# ================================================================ 三区三线与规划分区


def test_zone_types_cover_three_lines_three_spaces_and_planning_zones() -> None:
    zones = load_zone_types()
    names = {z.kind: [] for z in zones}
    for z in zones:
        names[z.kind].append(z.name)
    assert sorted(names["control_line"]) == sorted(["永久基本农田", "生态保护红线", "城镇开发边界"])
    assert sorted(names["functional_space"]) == sorted(["农业空间", "生态空间", "城镇空间"])
    by_id = {z.id: z for z in zones}
    level1 = [z.name for z in zones if z.kind == "planning_zone" and z.level == 1]
    assert level1 == ["生态保护区", "生态控制区", "农田保护区", "城镇发展区", "乡村发展区",
                      "海洋发展区", "矿产能源发展区"]

    def children(name: str) -> list[str]:
        parent = next(z for z in zones if z.name == name)
        return [z.name for z in zones if z.parent == parent.id]

    assert children("城镇发展区") == ["城镇集中建设区", "城镇弹性发展区", "特别用途区"]
    assert children("城镇集中建设区") == ["居住生活区", "综合服务区", "商业商务区", "工业发展区",
                                      "物流仓储区", "绿地休闲区", "交通枢纽区", "战略预留区"]
    assert children("乡村发展区") == ["村庄建设区", "一般农业区", "林业发展区", "牧业发展区"]
    assert len(children("海洋发展区")) == 6
    assert by_id["farmland_protection_zone"].governed_by == ("permanent_basic_farmland",)


def test_zone_rules_cite_article_and_codes_exist() -> None:
    codes = set(land_use_by_code())
    rules = [(z, r) for z in load_zone_types() for r in z.rules]
    assert len(rules) >= 10
    for z, r in rules:
        assert r.source.document and (r.source.article or r.source.clause), (z.id, r.activity)
        assert set(r.land_use) <= codes, (z.id, r.land_use)


def test_permanent_basic_farmland_prohibits_orchards_and_fish_ponds() -> None:
    pbf = next(z for z in load_zone_types() if z.name == "永久基本农田")
    rule = next(r for r in pbf.rules if "1704" in r.land_use)
    assert rule.effect == "prohibit"
    assert {"02", "03"} <= set(rule.land_use)
    assert rule.source.article.startswith("第三十七条")
    assert "土地管理法" in rule.source.document


_LAW_FILES = {
    "中华人民共和国土地管理法（2019年修正）": "土地管理法(2019-08-26).md",
    "基本农田保护条例（2011年修订）": "基本农田保护条例(2011-01-08).md",
    "中华人民共和国海洋环境保护法（2023年修订）": "海洋环境保护法(2023-10-24).md",
}
_ARTICLE = re.compile(r"^(第[零〇一二三四五六七八九十百千]+条)")


def _article_text(law: Path, article: str) -> str:
    lines = law.read_text(encoding="utf-8").splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith(article + " ")), None)
    assert start is not None, f"{article} not found in {law.name}"
    end = next((i for i in range(start + 1, len(lines)) if _ARTICLE.match(lines[i])), len(lines))
    return "\n".join(lines[start:end])


def test_checked_zone_rules_quote_the_cited_article() -> None:
    # A rule marked checked must carry a verbatim quote found in the cited article of the law
    # text in the shared corpus: the citation is verified, not just asserted.
    checked = [(z, r) for z in load_zone_types() for r in z.rules if r.confidence == "checked"]
    assert len(checked) >= 6
    for z, r in checked:
        assert r.source.quote, f"{z.id}: checked rule without quote ({r.activity})"
        assert r.source.document in _LAW_FILES, f"{z.id}: no corpus file for {r.source.document}"
        law = _shared(LAWS_DIR / _LAW_FILES[r.source.document])
        article = _ARTICLE.match(r.source.article or "")
        assert article, f"{z.id}: unparseable article {r.source.article!r}"
        text = _article_text(law, article.group(1))
        assert r.source.quote in text, f"{z.id}: quote not in {article.group(1)}: {r.source.quote}"


# ================================================================ 指标


def test_indicators_required_set_and_units() -> None:
    by_id = {i.id: i for i in load_indicators()}
    expected_units = {
        "far": "1", "building_density": "%", "green_space_ratio": "%", "building_height": "m",
        "per_capita_urban_construction_land": "m²/人", "cultivated_land_retention": "hm²",
        "permanent_basic_farmland_area": "hm²", "ecological_red_line_area": "hm²",
        "udb_expansion_ratio": "1", "average_residential_storeys": "层",
        "per_capita_green_space": "m²/人", "forest_coverage": "%", "wetland_area": "hm²",
        "construction_land_total": "hm²", "urban_rural_construction_land": "hm²",
        "road_network_density": "km/km²",
    }
    for ind_id, unit in expected_units.items():
        assert ind_id in by_id, ind_id
        assert by_id[ind_id].unit == unit, ind_id
    assert by_id["far"].name == "容积率"
    for ind in by_id.values():
        assert ind.source.document and (ind.source.number or ind.source.clause), ind.id


def test_assessment_catalogue_covers_the_core_indicators(tmp_path: Path) -> None:
    assessed = {i.name: i.assessment for i in load_indicators() if i.assessment}
    for name in ("耕地保有量", "永久基本农田保护面积", "生态保护红线面积", "城镇开发边界面积",
                 "城镇开发边界扩展倍数", "人均城镇建设用地面积", "城乡建设用地面积",
                 "单位GDP建设用地使用面积下降", "林地保有量", "湿地面积", "用水总量",
                 "城镇开发边界内建设用地比例", "新增建设用地占用耕地面积"):
        assert name in assessed, name
    assert assessed["耕地保有量"].kind == "约束性" and assessed["耕地保有量"].direction == "higher"
    assert assessed["用水总量"].compute.method == "statistic"
    # An operand that names no assessment indicator is refused on load.
    broken = (tmp_path / "indicators.yaml")
    text = (data_dir() / "indicators.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("numerator: urban_construction_land,",
                                   "numerator: no_such_indicator,"), encoding="utf-8")
    with pytest.raises(DomainDataError, match="no_such_indicator"):
        load_indicators(broken)


# ================================================================ 规则包


def _gb50180() -> list[Rule]:
    packs = {p.pack.id: p for p in load_rule_packs()}
    return list(packs["gb50180-2018"].rules)


def test_builtin_pack_loads_and_is_sourced() -> None:
    rules = _gb50180()
    assert len(rules) == 119
    assert len({r.id for r in rules}) == len(rules)
    for r in rules:
        assert r.source.document == "GB 50180-2018" and r.source.clause, r.id


def test_table_4_0_2_shape_and_monotonicity() -> None:
    # 3 climate groups x 5 storey classes x 5 indicators; catches transcription slips.
    rules = [r for r in _gb50180() if r.source.table == "表4.0.2"]
    assert len(rules) == 75
    classes = ["低层", "多层I类", "多层II类", "高层I类", "高层II类"]
    groups = {("I", "VII"), ("II", "VI"), ("III", "IV", "V")}
    assert {r.conditions.climate_zone for r in rules} == groups
    for group in groups:
        def pick(ind: str) -> list[Rule]:
            sel = [r for r in rules if r.conditions.climate_zone == group and r.indicator == ind]
            return sorted(sel, key=lambda r: classes.index(r.conditions.height_class[0]))

        heights = [r.threshold for r in pick("building_height")]
        assert heights == [18, 27, 36, 54, 80], group
        density = [r.threshold for r in pick("building_density")]
        assert density == sorted(density, reverse=True), group
        per_capita = [r.threshold for r in pick("per_capita_residential_land")]
        assert per_capita == sorted(per_capita, reverse=True), group
        far = pick("far")
        # Contiguous FAR bands: each class starts 0.1 above the previous upper bound.
        uppers = [r.max if r.operator == "between" else r.threshold for r in far]
        lowers = [r.min for r in far[1:]]
        assert all(abs(lo - (up + 0.1)) < 1e-9 for lo, up in zip(lowers, uppers)), group
        assert all(r.conditions.land_use == ("0701",) for r in far)


def test_spot_rule_values() -> None:
    by_id = {r.id: r for r in _gb50180()}
    r = by_id["gb50180-2018.t4.0.2.III-IV-V.high1.far"]
    assert (r.operator, r.min, r.max) == ("between", 2.2, 2.8)
    assert r.check(2.5) and not r.check(3.0)
    g = by_id["gb50180-2018.t4.0.2.II-VI.high2.green_space_ratio"]
    assert (g.operator, g.threshold, g.unit) == (">=", 35, "%")
    assert not g.check(30)
    assert by_id["gb50180-2018.t4.0.4.15min.per_capita_public_green_space"].threshold == 2.0


_VALID_RULE = """
  - id: local.test.gsr
    indicator: green_space_ratio
    operator: ">="
    threshold: 35
    unit: "%"
    conditions: {land_use: ["0701"], region: [测试市]}
    severity: error
    source: {document: 测试市技术规定, clause: "3.1"}
    confidence: checked
"""


def _write_pack(folder: Path, name: str, rules: str, pack_id: str = "local-test") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        "schema_version: 1\n"
        f"pack: {{id: {pack_id}, title: 测试包, jurisdiction: local, region: 测试市}}\n"
        "source: {document: 测试市技术规定, year: 2025}\n"
        "rules:\n" + rules, encoding="utf-8")
    return path


def test_valid_local_pack_loads_after_builtin(tmp_path: Path) -> None:
    extra = _VALID_RULE + _VALID_RULE.replace("local.test.gsr", "local.test.gsr2").replace(
        "conditions:", "supersedes: [gb50180-2018.t4.0.2.III-IV-V.high1.green_space_ratio]\n    conditions:")
    _write_pack(tmp_path / "packs", "local.yaml", extra)
    packs = load_rule_packs([tmp_path / "packs"])
    assert [p.pack.id for p in packs] == ["gb50180-2018", "hangzhou-2026", "local-test"]
    assert packs[2].rules[1].supersedes == ("gb50180-2018.t4.0.2.III-IV-V.high1.green_space_ratio",)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("indicator: green_space_ratio", "indicator: greenery_rate", "rules[0](id=local.test.gsr).indicator",
         "unknown indicator 'greenery_rate'"),
        ('land_use: ["0701"]', 'land_use: ["0799"]', "rules[0](id=local.test.gsr).conditions.land_use[0]",
         "unknown 用地用海 code '0799'"),
        ('unit: "%"', 'unit: "1"', "rules[0](id=local.test.gsr).unit", "differs from indicator"),
        ('operator: ">="', "operator: between", "rules[0](id=local.test.gsr)", "needs min and max"),
        ("severity: error", "severity: fatal", "rules[0](id=local.test.gsr).severity", "severity"),
        ("confidence: checked", "confidence: checked\n    colour: red", "rules[0](id=local.test.gsr).colour",
         "Extra inputs"),
        # YAML 1.1 reads an unquoted 0701 as the octal integer 449: must not pass as a code.
        ('land_use: ["0701"]', "land_use: [0701]", "rules[0](id=local.test.gsr).conditions.land_use[0]",
         "string"),
    ],
)
def test_broken_local_pack_is_rejected_with_file_and_field(
        tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    assert old in _VALID_RULE
    path = _write_pack(tmp_path / "packs", "broken.yaml", _VALID_RULE.replace(old, new))
    with pytest.raises(DomainDataError) as info:
        load_rule_packs([tmp_path / "packs"])
    err = info.value
    assert err.file == str(path)
    assert err.field == field
    assert message in err.message
    assert str(path) in str(err) and field in str(err)


def test_duplicate_rule_id_across_packs_is_rejected(tmp_path: Path) -> None:
    _write_pack(tmp_path / "a", "a.yaml", _VALID_RULE, pack_id="pack-a")
    path = _write_pack(tmp_path / "b", "b.yaml", _VALID_RULE, pack_id="pack-b")
    with pytest.raises(DomainDataError, match="already defined") as info:
        load_rule_packs([tmp_path / "a", tmp_path / "b"])
    assert info.value.file == str(path)


def test_supersedes_unknown_rule_is_rejected(tmp_path: Path) -> None:
    rule = _VALID_RULE.replace("conditions:", "supersedes: [no.such.rule]\n    conditions:")
    _write_pack(tmp_path / "p", "p.yaml", rule)
    with pytest.raises(DomainDataError, match="no loaded rule has id 'no.such.rule'"):
        load_rule_packs([tmp_path / "p"])


def test_duplicate_yaml_key_and_missing_folder_are_rejected(tmp_path: Path) -> None:
    rule = _VALID_RULE.replace("severity: error", "severity: error\n    severity: warning")
    _write_pack(tmp_path / "p", "p.yaml", rule)
    with pytest.raises(DomainDataError, match="duplicate key 'severity'"):
        load_rule_packs([tmp_path / "p"])
    with pytest.raises(DomainDataError, match="does not exist"):
        load_rule_packs([tmp_path / "nowhere"])


def test_height_class_and_storeys_must_agree() -> None:
    with pytest.raises(ValidationError, match="outside height_class"):
        Rule.model_validate({
            "id": "x", "indicator": "far", "operator": "<=", "threshold": 1.0, "unit": "1",
            "conditions": {"height_class": ["低层"], "average_storeys": {"min": 4, "max": 6}},
            "severity": "error", "source": {"document": "d", "clause": "1"}, "confidence": "checked"})


# ================================================================ broken shipped-style tables


def test_broken_land_use_file_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "lu.yaml"
    path.write_text(
        "schema_version: 1\nsource: {document: d}\nclasses:\n"
        '  - {code: "07", name: 居住用地, level: 1, parent: null, construction: 建设用地}\n'
        '  - {code: "0701", name: 城镇住宅用地, level: 2, parent: "08", construction: 建设用地}\n',
        encoding="utf-8")
    with pytest.raises(DomainDataError) as info:
        load_land_use_classes(path)
    assert info.value.field == "classes[1](code=0701)"
    assert "parent of '0701' must be '07'" in info.value.message

    path.write_text(
        "schema_version: 1\nsource: {document: d}\nclasses:\n"
        '  - {code: "0701", name: 城镇住宅用地, level: 2, parent: "07", construction: 建设用地}\n',
        encoding="utf-8")
    with pytest.raises(DomainDataError, match=r"classes\[0\]\(code=0701\)\.parent"):
        load_land_use_classes(path)


def test_zone_rule_with_unknown_code_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "z.yaml"
    path.write_text(
        "schema_version: 1\nsource: {document: d}\nzones:\n"
        "  - id: pbf\n    name: 永久基本农田\n    kind: control_line\n    definition: x\n"
        "    rules:\n      - {effect: prohibit, activity: a, land_use: ['9999'],"
        " source: {document: d, article: 第一条}, confidence: uncertain}\n",
        encoding="utf-8")
    with pytest.raises(DomainDataError) as info:
        load_zone_types(path)
    assert info.value.field == "zones[0](id=pbf).rules[0].land_use[0]"


def test_data_files_are_package_resources() -> None:
    root = data_dir()
    names = {p.name for p in root.iterdir()}
    assert {"land_use_classes.yaml", "zone_types.yaml", "indicators.yaml", "rules"} <= names
    assert (root / "rules" / "gb50180-2018.yaml").is_file()
    assert (root / "rules" / "README.md").is_file()
