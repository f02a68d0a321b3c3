"""The plan's tables → parcel rows (地块控制指标一览表) and land-balance rows (用地平衡表).

A table is an indicator table when its columns include a parcel id and at least two indicators;
a balance table when it has a land-use column, an area and a share, and no parcel id. Header
rows merged over several lines are read column by column (a group heading spanning columns
applies to each; a unit line under a heading joins it), and rows of units printed as the first
body row are taken as header too."""

from __future__ import annotations

import functools
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from agents.compliance.model import BalanceRow, Evidence, Finding, ParcelRow
from agents.review.columns import (
    TOTAL_ROW,
    Column,
    map_columns,
    normalise,
    parse_land_use,
    parse_number,
    percent,
)
from corpus.model import Table
from kg.domain.loader import land_use_by_code

_DIGIT = re.compile(r"\d")
_INDICATORS = {"far", "density", "green_ratio", "height", "area"}
# An area column without a unit: values below this are taken as 公顷, at or above as m².
HECTARE_CEILING = 200.0


@functools.cache
def _code_by_name() -> dict[str, str]:
    return {normalise(c.name): c.code for c in land_use_by_code().values()}


@dataclass(frozen=True)
class SourceTable:
    table: Table
    file: str
    label: str  # the caption, or 表N by order in the document

    def evidence(self, body_row: int) -> Evidence:
        pages = self.table.row_pages
        page = pages[body_row] if body_row < len(pages) else (
            self.table.pages[0] if self.table.pages else None)
        return Evidence(self.file, page, self.label, body_row + 1)


def column_headings(table: Table) -> tuple[list[str], int]:
    """Each column's heading (header rows joined top to bottom, merged cells spread over their
    span) and how many leading body rows were header after all (unit lines)."""
    width = table.n_columns
    grid = [list(row) + [""] * (width - len(row)) for row in table.header]
    for r, c, rowspan, colspan in table.merges:
        if r >= len(grid):
            continue
        text = grid[r][c]
        for rr in range(r, min(r + rowspan, len(grid))):
            for cc in range(c, min(c + colspan, width)):
                if grid[rr][cc] is None:
                    grid[rr][cc] = text if rr == r else ""
    extra = 0
    for row in table.rows:
        cells = [c or "" for c in row]
        if any(cells) and not any(_DIGIT.search(c) for c in cells) and extra < 2:
            grid.append(cells + [""] * (width - len(cells)))
            extra += 1
        else:
            break
    headings = []
    for c in range(width):
        parts: list[str] = []
        for row in grid:
            text = normalise(row[c] if c < len(row) else "")
            if text and text not in parts:
                parts.append(text)
        headings.append("".join(parts))
    return headings, extra


def _is_indicator_table(columns: list[Column]) -> bool:
    fields = {c.field for c in columns}
    return "parcel_id" in fields and len(fields & _INDICATORS) >= 2


def _is_balance_table(columns: list[Column]) -> bool:
    fields = {c.field for c in columns}
    return ("parcel_id" not in fields and "area" in fields and "share" in fields
            and bool(fields & {"land_use_code", "land_use_name", "land_use"}))


def _cell(row: list[str | None], column: Column | None) -> str | None:
    if column is None or column.index >= len(row):
        return None
    return row[column.index]


def _area_factor(column: Column | None, values: list[float], source: SourceTable,
                 findings: list[Finding], what: str) -> float:
    """The column's m² per unit; when no unit is printed, inferred from the values and said so."""
    if column is None or column.area_factor is not None:
        return column.area_factor if column else 1.0
    guess = 10_000.0 if values and statistics.median(values) < HECTARE_CEILING else 1.0
    findings.append(Finding(
        "extraction.unit_inferred", "warning", "consistency", source.label,
        f"{source.label}“{column.heading}”列未注明单位，按数值大小推断为"
        f"{'公顷' if guess > 1 else '平方米'}，请核对", None, None, None,
        Evidence(source.file, source.table.pages[0] if source.table.pages else None,
                 source.label), f"在表头注明{what}单位"))
    return guess


def _recognised(source: SourceTable, accept: Callable[[list[Column]], bool]
                ) -> tuple[dict[str, Column], list[list[str | None]], int] | None:
    """(columns by field, body rows, leading rows that were header) when `accept` takes the
    table's recognised columns."""
    headings, extra = column_headings(source.table)
    columns = map_columns(headings, source.table.unit)
    if not accept(columns):
        return None
    return {c.field: c for c in columns}, source.table.rows[extra:], extra


def _column_factor(by_field: dict[str, Column], field: str, body: list[list[str | None]],
                   source: SourceTable, findings: list[Finding], what: str) -> float:
    raw = [v for row in body if (v := parse_number(_cell(row, by_field.get(field))))]
    return _area_factor(by_field.get(field), raw, source, findings, what)


def read_indicator_table(source: SourceTable) -> tuple[list[ParcelRow], list[Finding]] | None:
    recognised = _recognised(source, _is_indicator_table)
    if recognised is None:
        return None
    by_field, body, extra = recognised
    findings: list[Finding] = []
    area_factor = _column_factor(by_field, "area", body, source, findings, "用地面积")
    floor_factor = _column_factor(by_field, "floor_area", body, source, findings, "建筑面积")
    parcels = []
    for i, row in enumerate(body):
        pid = normalise(_cell(row, by_field.get("parcel_id")))
        if not pid or TOTAL_ROW.search(pid):
            continue
        code, name = parse_land_use(_cell(row, by_field.get("land_use_code"))
                                    or _cell(row, by_field.get("land_use")))
        if by_field.get("land_use_name") is not None:
            name = normalise(_cell(row, by_field["land_use_name"])) or name
        elif code is None and by_field.get("land_use") is not None:
            name = normalise(_cell(row, by_field["land_use"])) or name
        if code is None and name:
            code = _code_by_name().get(name)  # 城镇住宅用地 → 0701, so the rules apply
        area = parse_number(_cell(row, by_field.get("area")))
        floor = parse_number(_cell(row, by_field.get("floor_area")))
        parcels.append(ParcelRow(
            pid, source.evidence(extra + i), code, name,
            area * area_factor if area is not None else None,
            parse_number(_cell(row, by_field.get("far"))),
            percent(parse_number(_cell(row, by_field.get("density")))),
            percent(parse_number(_cell(row, by_field.get("green_ratio")), "lower")),
            parse_number(_cell(row, by_field.get("height"))),
            floor * floor_factor if floor is not None else None,
            parse_number(_cell(row, by_field.get("storeys")))))
    return parcels, findings


def read_balance_table(source: SourceTable) -> tuple[list[BalanceRow], list[Finding]] | None:
    recognised = _recognised(source, _is_balance_table)
    if recognised is None:
        return None
    by_field, body, extra = recognised
    findings: list[Finding] = []
    factor = _column_factor(by_field, "area", body, source, findings, "面积")
    rows = []
    for i, row in enumerate(body):
        code, name = parse_land_use(_cell(row, by_field.get("land_use_code"))
                                    or _cell(row, by_field.get("land_use")))
        label = normalise(_cell(row, by_field.get("land_use_name")) or "") or name or code or ""
        whole = "".join(normalise(c) for c in row if c)
        area = parse_number(_cell(row, by_field.get("area")))
        if not label and area is None:
            continue
        rows.append(BalanceRow(label or whole[:20], source.evidence(extra + i),
                               code if code and code.isdigit() else None,
                               area * factor if area is not None else None,
                               parse_number(_cell(row, by_field.get("share"))),
                               bool(TOTAL_ROW.search(whole))))
    return rows, findings
