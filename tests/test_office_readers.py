"""DOCX, HTML, CSV and XLSX readers: inputs are built in the tests, nothing is downloaded."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from openpyxl.styles import Font

from corpus.errors import IngestError
from corpus.readers.base import BlockKind, Extracted, no_progress
from corpus.readers.docx import DocxReader
from corpus.readers.html import HtmlReader
from corpus.readers.tabular import CsvReader, XlsxReader, render_cell
from corpus.readers.ziplimits import check_office_zip

# ---------------------------------------------------------------- helpers


def _texts(extracted: Extracted) -> list[tuple[str, str]]:
    return [(b.kind.value, b.text) for b in extracted.blocks]


def _assert_offsets(extracted: Extracted) -> None:
    joined = "\n".join(b.text for b in extracted.blocks)
    for block in extracted.blocks:
        assert joined[block.char_start:block.char_end] == block.text


def _docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _law_docx() -> bytes:
    document = docx.Document()
    document.add_heading("国土空间规划管理条例", level=0)
    document.add_heading("第一章 总则", level=1)
    document.add_paragraph("第一条 为了加强国土空间规划管理，制定本条例。")
    document.add_paragraph("")
    document.add_paragraph("   ")
    document.add_paragraph("第二条 本条例适用于下列活动：")
    document.add_paragraph("（一）国土空间规划的编制；")
    document.add_paragraph("（二）国土空间规划的实施。")
    document.add_paragraph("表1 用地指标（单位：公顷）")
    table = document.add_table(rows=5, cols=3)
    table.cell(0, 1).merge(table.cell(0, 2))  # horizontal: 面积 over 现状/规划
    table.cell(0, 0).merge(table.cell(1, 0))  # vertical: 用地类型 over two header rows
    table.cell(3, 0).merge(table.cell(4, 0))  # vertical, in the body: 建设用地
    values = {(0, 0): "用地类型", (0, 1): "面积", (1, 1): "现状", (1, 2): "规划",
              (2, 0): "耕地", (2, 1): "100", (2, 2): "120",
              (3, 0): "建设用地", (3, 1): "30", (3, 2): "40", (4, 1): "5", (4, 2): "6"}
    for (r, c), text in values.items():
        table.cell(r, c).text = text
    document.add_paragraph("第三条 本条例自公布之日起施行。")
    return _docx_bytes(document)


def _zip(members: dict[str, bytes], zeros: tuple[str, int] | None = None) -> bytes:
    """A zip with the given members, plus optionally `zeros` = (name, size) of zero bytes
    streamed in (so building a big bomb does not need the bytes in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if zeros:
            name, size = zeros
            chunk = bytes(1024 * 1024)
            with archive.open(name, "w") as stream:
                for _ in range(size // len(chunk)):
                    stream.write(chunk)
    return buffer.getvalue()


# ---------------------------------------------------------------- DOCX


def test_docx_law_blocks_in_document_order() -> None:
    extracted = DocxReader().read(Path("条例(2024-01-01).docx"), _law_docx(), no_progress)
    assert _texts(extracted) == [
        ("heading", "国土空间规划管理条例"),
        ("heading", "第一章 总则"),
        ("paragraph", "第一条 为了加强国土空间规划管理，制定本条例。"),
        ("paragraph", "第二条 本条例适用于下列活动："),
        ("paragraph", "（一）国土空间规划的编制；"),
        ("paragraph", "（二）国土空间规划的实施。"),
        ("table", extracted.blocks[6].table.to_text()),
        ("paragraph", "第三条 本条例自公布之日起施行。"),
    ]
    assert [b.heading_level for b in extracted.blocks[:3]] == [1, 2, 0]
    assert extracted.title_hint == "条例"
    assert extracted.meta["file_date"] == "2024-01-01"
    assert extracted.source_kind == "docx"
    _assert_offsets(extracted)


def test_docx_table_caption_unit_merges() -> None:
    extracted = DocxReader().read(Path("条例.docx"), _law_docx(), no_progress)
    table = extracted.blocks[6].table
    assert table.caption == "表1 用地指标（单位：公顷）"
    assert table.unit == "公顷"
    assert table.header == [["用地类型", "面积", None], [None, "现状", "规划"]]
    assert table.rows == [["耕地", "100", "120"], ["建设用地", "30", "40"], [None, "5", "6"]]
    assert table.merges == [(0, 0, 2, 1), (0, 1, 1, 2), (3, 0, 2, 1)]
    # The caption is consumed by the table, not repeated as a paragraph.
    assert not any(b.text == table.caption for b in extracted.blocks
                   if b.kind is BlockKind.PARAGRAPH)
    assert extracted.blocks[6].text.splitlines()[0] == "表1 用地指标（单位：公顷）"


def test_docx_unit_paragraph_and_repeated_header_row() -> None:
    document = docx.Document()
    document.add_paragraph("第一条 指标见下表。")
    document.add_paragraph("表2 投资估算")
    document.add_paragraph("单位：万元")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "项目", "金额"
    table.cell(1, 0).text, table.cell(1, 1).text = "小计", "合计"
    table.rows[1]._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    table.cell(2, 0).text, table.cell(2, 1).text = "道路", "12.5"
    extracted = DocxReader().read(Path("估算.docx"), _docx_bytes(document), no_progress)
    assert [b.kind for b in extracted.blocks] == [BlockKind.PARAGRAPH, BlockKind.TABLE]
    table_out = extracted.blocks[1].table
    assert (table_out.caption, table_out.unit) == ("表2 投资估算", "万元")
    assert table_out.header == [["项目", "金额"], ["小计", "合计"]]
    assert table_out.rows == [["道路", "12.5"]]
    assert table_out.merges == []


def test_docx_tracked_changes_and_outline_headings() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")}><w:t xml:space="preserve">第五条 规划</w:t></w:r>'))
    paragraph._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="1" w:author="a"><w:r><w:t>应当</w:t></w:r></w:ins>'))
    paragraph._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="2" w:author="a"><w:r><w:delText>可以</w:delText></w:r>'
        f'</w:del>'))
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t>公开。</w:t></w:r>'))
    outlined = document.add_paragraph("第二章 规划编制")
    outlined._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="0"/>'))
    extracted = DocxReader().read(Path("修订.docx"), _docx_bytes(document), no_progress)
    assert _texts(extracted) == [("paragraph", "第五条 规划应当公开。"),
                                 ("heading", "第二章 规划编制")]
    assert extracted.blocks[1].heading_level == 2


@pytest.fixture(scope="module")
def docx_bomb() -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"},
                zeros=("word/media/zeros.bin", 300 * 1024 * 1024))


def test_docx_zip_bomb_refused_before_parsing(docx_bomb: bytes,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(docx_bomb) < 2 * 1024 * 1024
    opened: list[bytes] = []
    monkeypatch.setattr("corpus.readers.docx._open", opened.append)
    with pytest.raises(IngestError) as err:
        DocxReader().read(Path("bomb.docx"), docx_bomb, no_progress)
    assert "压缩炸弹" in err.value.reason_zh and err.value.action
    assert opened == []


def test_zip_limits_ratio_and_total_checked_separately() -> None:
    # 20 MB of zeros is under the 200 MB total but far over the 100:1 ratio.
    ratio_bomb = _zip({"word/document.xml": b"<w:document/>"},
                      zeros=("word/zeros.bin", 20 * 1024 * 1024))
    with pytest.raises(IngestError, match="压缩比"):
        check_office_zip(ratio_bomb, "r.docx", label="DOCX", required_member="word/document.xml")
    # A normal document over a tiny total limit.
    with pytest.raises(IngestError, match="解压后共"):
        DocxReader(max_total_bytes=1000).read(Path("a.docx"), _law_docx(), no_progress)
    # The same bytes pass with the default limit.
    check_office_zip(_law_docx(), "a.docx", label="DOCX", required_member="word/document.xml")


@pytest.mark.parametrize("data", [
    random.Random(7).randbytes(4096),
    _law_docx()[:3000],  # truncated: the central directory is gone
    _zip({"word/other.xml": b"<x/>"}),  # a zip, but no word/document.xml
    _zip({"[Content_Types].xml": b"not xml", "word/document.xml": b"<broken"}),
], ids=["random", "truncated", "no-document-part", "bad-xml"])
def test_docx_corrupt_refused(data: bytes) -> None:
    with pytest.raises(IngestError) as err:
        DocxReader().read(Path("坏文件.docx"), data, no_progress)
    assert err.value.reason_zh and err.value.reason_en and err.value.action


def test_docx_encrypted_refused() -> None:
    ole = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
           + "EncryptedPackage".encode("utf-16-le") + bytes(500))
    with pytest.raises(IngestError, match="加密"):
        DocxReader().read(Path("secret.docx"), ole, no_progress)


def test_docx_without_text_refused() -> None:
    document = docx.Document()
    document.add_paragraph("")
    document.add_table(rows=1, cols=2)
    with pytest.raises(IngestError, match="文件没有可读的正文"):
        DocxReader().read(Path("空.docx"), _docx_bytes(document), no_progress)
    with pytest.raises(IngestError, match="文件没有可读的正文"):
        DocxReader().read(Path("新建.docx"), b"", no_progress)


# ---------------------------------------------------------------- HTML

_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>某省城乡规划条例_某某网</title>
<style>.x { color: red }</style><script>var a = "第九条 脚本";</script></head>
<body><header><nav>首页 | 法规库</nav></header>
<div class="content"><h1>某省城乡规划条例</h1>
  <div><p>第一条 为了加强城乡规划管理，制定本条例。</p>
    <div>第二条 本条例适用于本省。<br>第三条 规划应当<span>科学</span>合理。</div>
  </div>
  <!-- 注释不是正文 -->
  <ul><li>（一）编制；</li><li>（二）实施。</li></ul>
  <p style="display:none">隐藏文字</p>
  <h2>第二章 指标</h2>
  <p>表2 用地指标</p><p>单位：公顷</p>
  <table><thead><tr><th rowspan="2">地类</th><th colspan="2">面积</th></tr>
    <tr><th>现状</th><th>规划</th></tr></thead>
    <tbody><tr><td>耕地</td><td>1</td><td>2</td></tr>
    <tr><td rowspan="2">建设用地</td><td>3</td><td>4</td></tr>
    <tr><td>5</td><td>6</td></tr></tbody></table>
</div><footer>版权所有</footer></body></html>"""


def test_html_blocks_and_table() -> None:
    extracted = HtmlReader().read(Path("page.html"), _PAGE.encode("utf-8"), no_progress)
    table = extracted.blocks[-1].table
    assert _texts(extracted) == [
        ("heading", "某省城乡规划条例"),
        ("paragraph", "第一条 为了加强城乡规划管理，制定本条例。"),
        ("paragraph", "第二条 本条例适用于本省。"),
        ("paragraph", "第三条 规划应当科学合理。"),
        ("paragraph", "（一）编制；"),
        ("paragraph", "（二）实施。"),
        ("heading", "第二章 指标"),
        ("table", table.to_text()),
    ]
    assert [b.heading_level for b in extracted.blocks if b.kind is BlockKind.HEADING] == [1, 2]
    assert (table.caption, table.unit) == ("表2 用地指标", "公顷")
    assert table.header == [["地类", "面积", None], [None, "现状", "规划"]]
    assert table.rows == [["耕地", "1", "2"], ["建设用地", "3", "4"], [None, "5", "6"]]
    assert table.merges == [(0, 0, 2, 1), (0, 1, 1, 2), (3, 0, 2, 1)]
    assert extracted.title_hint == "某省城乡规划条例_某某网"
    _assert_offsets(extracted)


def test_html_meta_charset_caption_and_title_fallbacks() -> None:
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            '</head><body><h1>土地管理办法</h1><p>第一条 土地\n  管理 应当依法进行。</p>'
            '<table><caption>表3 人口（单位：万人）</caption>'
            '<tr><td>年份</td><td>人口</td></tr><tr><td>2020</td><td>12</td></tr></table>'
            '</body></html>')
    extracted = HtmlReader().read(Path("办法.htm"), page.encode("gb18030"), no_progress)
    assert extracted.meta["encoding"] == "gb18030"
    assert extracted.title_hint == "土地管理办法"  # no <title>: the first h1
    assert extracted.blocks[1].text == "第一条 土地管理 应当依法进行。"  # CJK wrap removed
    table = extracted.blocks[2].table
    assert (table.caption, table.unit) == ("表3 人口（单位：万人）", "万人")
    assert table.header == [["年份", "人口"]] and table.rows == [["2020", "12"]]
    no_title = HtmlReader().read(Path("文件名.html"), "<p>正文</p>".encode(), no_progress)
    assert no_title.title_hint == "文件名"


def test_html_layout_table_read_as_text() -> None:
    page = ("<table><tr><td>导航</td></tr><tr><td><table><tr><td><p>第一条 甲。</p>"
            "<p>第二条 乙。</p><p>第三条 丙。</p></td></tr></table></td></tr></table>")
    extracted = HtmlReader().read(Path("layout.html"), page.encode(), no_progress)
    assert _texts(extracted) == [("paragraph", "导航"), ("paragraph", "第一条 甲。"),
                                 ("paragraph", "第二条 乙。"), ("paragraph", "第三条 丙。")]


@pytest.mark.parametrize("page", [b"", b"   \n", b"<html><head><title>t</title></head>"
                                  b"<body><script>x()</script><nav>menu</nav></body></html>"])
def test_html_empty_refused(page: bytes) -> None:
    with pytest.raises(IngestError, match="文件没有可读的正文"):
        HtmlReader().read(Path("empty.html"), page, no_progress)


# ---------------------------------------------------------------- CSV


def test_csv_gb18030_with_quoted_delimiter() -> None:
    data = "地区,耕地面积,备注\r\n北京,100.5,\"含,逗号\"\r\n\r\n上海,200,\r\n".encode("gb18030")
    extracted = CsvReader().read(Path("耕地.csv"), data, no_progress)
    assert len(extracted.blocks) == 1
    table = extracted.blocks[0].table
    assert extracted.blocks[0].kind is BlockKind.TABLE
    assert table.caption == "耕地"
    assert table.header == [["地区", "耕地面积", "备注"]]
    assert table.rows == [["北京", "100.5", "含,逗号"], ["上海", "200", ""]]
    assert extracted.meta["encoding"] == "gb18030"
    _assert_offsets(extracted)


def test_csv_tab_delimited_and_empty() -> None:
    data = "指标\t数值\n城镇开发边界\t12\n生态保护红线\t30\n".encode("utf-8")
    extracted = CsvReader().read(Path("t.csv"), data, no_progress)
    assert extracted.meta["delimiter"] == "\t"
    assert extracted.blocks[0].table.rows == [["城镇开发边界", "12"], ["生态保护红线", "30"]]
    with pytest.raises(IngestError, match="文件没有可读的正文"):
        CsvReader().read(Path("e.csv"), b",,\r\n,,\r\n", no_progress)


# ---------------------------------------------------------------- XLSX


def _workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "现状"
    sheet["A1"], sheet["B1"] = "地类", "面积"
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:C1")
    sheet["B2"], sheet["C2"] = "现状", "规划"
    sheet["A3"], sheet["B3"], sheet["C3"] = "耕地", 100, 120.0
    sheet["A4"], sheet["B4"], sheet["C4"] = "比例", 0.25, 0.125
    sheet["B4"].number_format = "0%"
    sheet["A5"], sheet["B5"] = "日期", dt.datetime(2024, 1, 1)
    sheet["F12"].font = Font(bold=True)  # a styled but empty cell: trailing, to be trimmed
    second = book.create_sheet("规划")
    second["B3"], second["C3"] = "指标", "目标值"  # starts off A1: leading blanks trimmed
    second["B4"], second["C4"] = "林地", 3.5
    book.create_sheet("空表")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_sheets_merges_and_values() -> None:
    calls: list[tuple[int, int, str]] = []
    extracted = XlsxReader().read(Path("指标.xlsx"), _workbook_bytes(),
                                  lambda d, t, w: calls.append((d, t, w)))
    assert extracted.meta["sheets"] == ["现状", "规划"]
    first, second = (b.table for b in extracted.blocks)
    assert first.caption == "指标 / 现状"
    assert first.header == [["地类", "面积", None], [None, "现状", "规划"]]
    assert first.rows == [["耕地", "100", "120"], ["比例", "25%", "0.125"],
                          ["日期", "2024-01-01", ""]]
    assert first.merges == [(0, 0, 2, 1), (0, 1, 1, 2)]
    assert second.caption == "指标 / 规划"
    assert second.header == [["指标", "目标值"]] and second.rows == [["林地", "3.5"]]
    assert second.merges == []
    assert calls[-1] == (3, 3, "done") and len(calls) == 4
    _assert_offsets(extracted)


def test_render_cell_numbers() -> None:
    assert [render_cell(v) for v in (3.0, 0.1 + 0.2, 7, True, None, " 文 ")] == \
        ["3", "0.3", "7", "TRUE", "", "文"]


def test_xlsx_bomb_corrupt_and_empty_refused() -> None:
    bomb = _zip({"xl/workbook.xml": b"<workbook/>"}, zeros=("xl/zeros.bin", 20 * 1024 * 1024))
    with pytest.raises(IngestError, match="压缩炸弹"):
        XlsxReader().read(Path("bomb.xlsx"), bomb, no_progress)
    with pytest.raises(IngestError, match="损坏"):
        XlsxReader().read(Path("bad.xlsx"), random.Random(3).randbytes(2048), no_progress)
    with pytest.raises(IngestError, match="损坏"):
        XlsxReader().read(Path("bad.xlsx"), _zip({"xl/workbook.xml": b"<oops"}), no_progress)
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with pytest.raises(IngestError, match="文件没有可读的正文"):
        XlsxReader().read(Path("empty.xlsx"), buffer.getvalue(), no_progress)
    with pytest.raises(IngestError, match="文件没有可读的正文"):
        XlsxReader().read(Path("new.xlsx"), b"", no_progress)
