"""Statistics tables (CSV or XLSX): one row per region and year, numeric columns such as 常住人口,
城镇常住人口, GDP, 用水总量. Column names are matched loosely (units in brackets are ignored)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from corpus.errors import BilingualError

REGION_COLUMNS = ("地区", "行政区", "行政区划", "region")
YEAR_COLUMNS = ("年份", "年度", "year")
_UNIT = re.compile(r"[（(].*?[)）]")


class StatisticsError(BilingualError):
    pass


def table_rows(path: Path) -> list[list[str]]:
    """The cells of a CSV (UTF-8 or GB18030) or the first sheet of an XLSX, as text."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        return [["" if v is None else str(v) for v in row]
                for row in sheet.iter_rows(values_only=True)]
    text = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return list(csv.reader(text.decode(encoding).splitlines()))
        except UnicodeDecodeError:
            continue
    raise StatisticsError("统计表编码无法识别", "cannot decode the statistics table", path.name)


def column_key(name: str) -> str:
    """A header without its unit: 常住人口(人) → 常住人口."""
    return _UNIT.sub("", name).strip()


def read_statistics(path: Path) -> dict[tuple[str, int], dict[str, float]]:
    rows = [r for r in table_rows(path) if any(cell.strip() for cell in r)]
    if not rows:
        raise StatisticsError("统计表为空", "the statistics table is empty", path.name)
    header = [column_key(h) for h in rows[0]]
    try:
        region_at = next(i for i, h in enumerate(header) if h in REGION_COLUMNS)
        year_at = next(i for i, h in enumerate(header) if h in YEAR_COLUMNS)
    except StopIteration:
        raise StatisticsError("统计表需要“地区”和“年份”两列", "the statistics table needs region and "
                              "year columns", f"{path.name}: {rows[0]}") from None
    table: dict[tuple[str, int], dict[str, float]] = {}
    for number, row in enumerate(rows[1:], start=2):
        try:
            year = int(float(row[year_at]))
        except (ValueError, IndexError):
            raise StatisticsError("年份不是数字", "the year is not a number",
                                  f"{path.name} 第 {number} 行 / row {number}") from None
        values = {}
        for i, name in enumerate(header):
            if i in (region_at, year_at) or i >= len(row) or not row[i].strip():
                continue
            try:
                values[name] = float(row[i].replace(",", ""))
            except ValueError:
                raise StatisticsError("统计值不是数字", "a statistic is not a number",
                                      f"{path.name} 第 {number} 行「{name}」: {row[i]!r}") from None
        table[(row[region_at].strip(), year)] = values
    return table
