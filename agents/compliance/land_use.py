"""Land-use codes: every parcel's 用地性质 must be a code of the 用地用海分类 (2023), and the name
written beside it must be that code's name. Codes of the superseded urban land classification
(GB 50137: R2, B1, A33 …) are recognised and reported as such."""

from __future__ import annotations

import re

from agents.compliance.model import Citation, Finding, ParcelRow
from kg.domain.schemas import LandUseClass

CLASSIFICATION = "国土空间调查、规划、用途管制用地用海分类指南（自然资发〔2023〕234号）"
_CODE = re.compile(r"^\d{2}(\d{2}){0,2}$")
_OLD_URBAN_CODE = re.compile(r"^[A-Z]{1,2}\d{0,2}[a-z]?$")  # GB 50137-2011: R2, B1, A33, G1 …


def _citation() -> Citation:
    # Not a verbatim quote: the guideline's code table is not in the clause corpus.
    return Citation(CLASSIFICATION, "用地用海分类名称、代码表",
                    "规划用地应采用用地用海分类的一级、二级或三级类代码及名称（规则据该指南代码表）")


def _normal_name(name: str) -> str:
    return re.sub(r"[\s（）()]", "", name)


def check_land_use(parcel: ParcelRow, classes: dict[str, LandUseClass]) -> list[Finding]:
    code, name = parcel.land_use, parcel.land_use_name
    if not code and not name:
        return [Finding("land_use.missing", "warning", "land_use_code", parcel.parcel_id,
                        f"地块 {parcel.parcel_id} 未填写用地性质", None, None, _citation(),
                        parcel.evidence, "补填用地用海分类代码和名称")]
    if not code:
        return []  # a name alone is matched by extraction; nothing to check against
    if _CODE.match(code) and code in classes:
        expected = classes[code].name
        if name and _normal_name(name) not in (_normal_name(expected), code):
            return [Finding("land_use.name_mismatch", "warning", "land_use_code",
                            parcel.parcel_id,
                            f"地块 {parcel.parcel_id} 用地代码 {code} 对应“{expected}”，表中写作“{name}”",
                            code, expected, _citation(), parcel.evidence,
                            "核对用地代码与名称，使二者一致")]
        return []
    if _OLD_URBAN_CODE.match(code):
        message = (f"地块 {parcel.parcel_id} 使用了旧版城市用地分类代码 {code}（GB 50137），"
                   "国土空间规划应采用用地用海分类代码")
        suggestion = "按用地用海分类指南的对照关系改用新代码（如 R2 → 0701 城镇住宅用地）"
    else:
        message = f"地块 {parcel.parcel_id} 的用地代码 {code} 不在用地用海分类代码表中"
        suggestion = "改为用地用海分类中的有效代码"
    return [Finding("land_use.invalid_code", "error", "land_use_code", parcel.parcel_id, message,
                    code, None, _citation(), parcel.evidence, suggestion)]
