"""PDF reader: paragraphs, tables, headers/footers, OCR and bad input, on PDFs built here."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from corpus.errors import IngestError
from corpus.readers.base import BlockKind, Extracted, content_hash
from corpus.readers.pdf import PdfReader
from corpus.readers.pdf import ocr as pdf_ocr

LEFT, RIGHT = 72.0, 500.0
SIZE = 12.0
LEADING = 20.0


class Writer:
    """Typesets hard-wrapped Chinese paragraphs the way a word processor's PDF export does."""

    def __init__(self, doc: pymupdf.Document, header: str | None = None,
                 leading: float = LEADING, mirror: float = 0.0) -> None:
        self.doc = doc
        self.header = header
        self.leading = leading
        self.mirror = mirror  # even pages shifted right by this much, as in a bound book
        self.left, self.right = LEFT, RIGHT
        self.page: pymupdf.Page | None = None
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=595, height=842)
        number = self.doc.page_count
        shift = self.mirror if number % 2 == 0 else 0.0
        self.left, self.right = LEFT + shift, RIGHT + shift
        if self.header:
            self.page.insert_text((LEFT, 50), self.header, fontname="china-s", fontsize=9)
        self.page.insert_text((280, 810), f"— {number} —", fontname="china-s", fontsize=9)
        self.y = 100.0

    def text(self, x: float, text: str, size: float = SIZE) -> None:
        if self.y + size > 780:  # the bottom margin: continue on a new page
            self.new_page()
        self.page.insert_text((x, self.y + size), text, fontname="china-s", fontsize=size)
        self.y += self.leading * size / SIZE

    def centered(self, text: str, size: float = SIZE) -> None:
        width = pymupdf.get_text_length(text, "china-s", size)
        self.text((self.left + self.right - width) / 2, text, size)

    def paragraph(self, text: str, indent: bool = True) -> None:
        """Greedy wrap at the right margin; the first line indented two characters."""
        x = self.left + (2 * SIZE if indent else 0)
        line = ""
        for ch in text:
            if pymupdf.get_text_length(line + ch, "china-s", SIZE) > self.right - x:
                self.text(x, line)
                x, line = self.left, ""
            line += ch
        if line:
            self.text(x, line)

    def gap(self, points: float = 10) -> None:
        self.y += points

    def table(self, cells: list[tuple[int, int, int, int, str]], xs: list[float],
              row_height: float = 22) -> None:
        """cells: (row, col, rowspan, colspan, text); every cell drawn as its own box."""
        top = self.y
        for row, col, rowspan, colspan, text in cells:
            box = pymupdf.Rect(xs[col], top + row * row_height, xs[col + colspan],
                               top + (row + rowspan) * row_height)
            self.page.draw_rect(box, color=(0, 0, 0), width=0.8)
            self.page.insert_text((box.x0 + 4, box.y0 + 15), text, fontname="china-s",
                                  fontsize=10)
        rows = max(r + rs for r, _, rs, _, _ in cells)
        self.y = top + rows * row_height + 12


def read(data: bytes, name: str = "测试.pdf", reader: PdfReader | None = None) -> Extracted:
    return (reader or PdfReader()).read(Path(name), data, lambda done, total, what: None)


def paragraphs(extracted: Extracted) -> list[tuple[str, int | None]]:
    return [(b.text, b.page) for b in extracted.blocks if b.kind is BlockKind.PARAGRAPH]


def assert_offsets(extracted: Extracted) -> None:
    joined = "\n".join(b.text for b in extracted.blocks)
    last = -1
    for block in extracted.blocks:
        assert block.char_start is not None and block.char_end is not None
        assert block.char_start > last
        assert joined[block.char_start:block.char_end] == block.text
        last = block.char_end


ARTICLE_1 = ("第一条　为了加强国土空间规划管理，统筹安排各类用地，保护耕地和生态环境，促进经济社会"
             "可持续发展，根据宪法，制定本法。")
ARTICLE_2A = "第二条　在中华人民共和国领域内编制、审批、实施国土空间规划，适用本法。"
ARTICLE_2B = "法律、行政法规对海域使用另有规定的，依照其规定；没有规定的，适用本法的有关规定。"
ARTICLE_3 = "第三条　有下列情形之一的，可以修改国土空间规划："
ITEMS = ["（一）上级国土空间规划发生变更，提出修改规划要求的；",
         "（二）因国家重大战略调整、重大项目建设或者行政区划调整等确需修改规划的；",
         "（三）评估后确需修改规划的。"]
ARTICLE_4 = ("第四条　各类用地面积指标应当符合下表的规定。县级以上地方人民政府应当根据本地区的实际"
             "情况，合理确定各类用地规模，严格控制建设用地总量，优先保障基础设施和公共服务设施"
             "用地，节约集约利用土地资源，防止盲目扩张和低效利用，维护国土空间开发保护格局。")
ARTICLE_5 = "第五条　本法自公布之日起施行。"


def law_pdf(leading: float = LEADING) -> bytes:
    doc = pymupdf.open()
    w = Writer(doc, leading=leading)
    w.centered("中华人民共和国国土空间规划测试法", size=18)
    w.gap()
    w.centered("第一章　总　则")
    w.paragraph(ARTICLE_1)
    w.paragraph(ARTICLE_2A)
    w.paragraph(ARTICLE_2B)
    w.paragraph(ARTICLE_3)
    for item in ITEMS:
        w.paragraph(item)
    w.gap()
    w.centered("表 1　各类用地面积指标")
    w.text(430, "单位：公顷", size=10)
    w.table([(0, 0, 1, 1, "用地类别"), (0, 1, 1, 1, "现状"), (0, 2, 1, 1, "规划"),
             (1, 0, 1, 1, "耕地"), (1, 1, 1, 1, "1200.5"), (1, 2, 1, 1, "1250.0"),
             (2, 0, 1, 1, "建设用地"), (2, 1, 1, 1, "300.2"), (2, 2, 1, 1, "320.0")],
            xs=[LEFT, 200, 350, RIGHT])
    w.y = 740  # 第四条 starts near the page bottom and runs onto page 2
    w.paragraph(ARTICLE_4)
    w.paragraph(ARTICLE_5)
    return doc.tobytes()


# Loose leading puts every line in its own PyMuPDF text block; tight leading groups a whole page
# of lines into one block. Paragraphs must come out the same either way.
@pytest.mark.parametrize("leading", [LEADING, 14.5])
def test_law_pdf_paragraphs_table_and_pages(leading: float) -> None:
    data = law_pdf(leading)
    calls: list[tuple[int, int, str]] = []
    extracted = PdfReader().read(Path("国土空间规划测试法(2024-01-01).pdf"), data,
                                 lambda d, t, w: calls.append((d, t, w)))
    assert extracted.source_kind == "pdf"
    assert extracted.pages == 2
    assert extracted.title_hint == "国土空间规划测试法"
    assert extracted.meta["file_date"] == "2024-01-01"
    assert extracted.meta["ocr_pages"] == []
    assert extracted.content_hash == content_hash(data)
    assert calls == [(1, 2, "pages"), (2, 2, "pages")]

    assert paragraphs(extracted) == [
        ("中华人民共和国国土空间规划测试法", 1),
        ("第一章　总　则", 1),
        (ARTICLE_1, 1),
        (ARTICLE_2A, 1),
        (ARTICLE_2B, 1),
        (ARTICLE_3, 1),
        *[(item, 1) for item in ITEMS],
        (ARTICLE_4, 1),
        (ARTICLE_5, 2),
    ]
    article_4 = next(b for b in extracted.blocks if b.text == ARTICLE_4)
    assert article_4.page_end == 2  # the paragraph was stitched across the page break

    tables = [b for b in extracted.blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1
    table = tables[0].table
    assert table.caption == "表 1　各类用地面积指标"
    assert table.unit == "公顷"
    assert table.header == [["用地类别", "现状", "规划"]]
    assert table.rows == [["耕地", "1200.5", "1250.0"], ["建设用地", "300.2", "320.0"]]
    assert table.pages == [1]
    assert tables[0].page == 1 and tables[0].page_end == 1
    # The table sits between 第三条's items and 第四条, and its cells are not paragraphs too.
    kinds = [b.kind for b in extracted.blocks]
    assert kinds.index(BlockKind.TABLE) == 9
    assert not any("1200.5" in text or "单位" in text for text, _ in paragraphs(extracted))
    # Page footers (— 1 —) are gone.
    assert not any("—" in text for text, _ in paragraphs(extracted))
    assert_offsets(extracted)


STANDARD_HEADER = "GB 59999—2024　国土空间规划用地指标标准"
HEAD = [(0, 0, 2, 1, "气候区"), (0, 1, 1, 2, "人均建设用地指标"),
        (1, 1, 1, 1, "下限"), (1, 2, 1, 1, "上限")]
XS = [LEFT, 220, 360, RIGHT]


def body_rows(names: list[str], first_row: int) -> list[tuple[int, int, int, int, str]]:
    cells = []
    for k, name in enumerate(names):
        row = first_row + k
        cells += [(row, 0, 1, 1, name), (row, 1, 1, 1, f"{60 + k}.0"),
                  (row, 2, 1, 1, f"{90 + k}.0")]
    return cells


def standard_pdf(continued_caption: str | None = None) -> bytes:
    doc = pymupdf.open()
    w = Writer(doc, header=STANDARD_HEADER)
    w.text(LEFT, "1　总　则", size=14)
    w.paragraph("1.0.1 为规范国土空间规划用地指标的确定，节约集约利用土地，制定本标准。",
                indent=False)
    w.paragraph("1.0.2 本标准适用于市县国土空间总体规划和详细规划的编制、审批和实施管理，"
                "以及相关的用地指标核定工作。", indent=False)
    w.new_page()
    w.text(LEFT, "3　用地指标", size=14)
    w.paragraph("3.2.1 规划人均城市建设用地面积指标应根据气候区和现状人均城市建设用地面积指标"
                "确定，并应符合表 3.2.1 的规定。", indent=False)
    w.y = 560
    w.centered("表 3.2.1　规划人均城市建设用地面积指标（单位：平方米/人）", size=10.5)
    w.table(HEAD + body_rows(["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"], 2), xs=XS)
    w.new_page()
    if continued_caption:
        w.centered(continued_caption, size=10.5)
    w.table(HEAD + body_rows(["Ⅴ", "Ⅵ", "Ⅶ"], 2), xs=XS)
    w.paragraph("3.2.2 新建城市的规划人均城市建设用地面积指标宜在 85.1～105.0 平方米/人内确定。",
                indent=False)
    return doc.tobytes()


@pytest.mark.parametrize("continued_caption", [None, "续表 3.2.1"])
def test_standard_clauses_and_table_across_pages(continued_caption: str | None) -> None:
    extracted = read(standard_pdf(continued_caption), "国土空间规划用地指标标准.pdf")
    assert extracted.pages == 3
    texts = paragraphs(extracted)
    assert texts == [
        ("1　总　则", 1),
        ("1.0.1 为规范国土空间规划用地指标的确定，节约集约利用土地，制定本标准。", 1),
        ("1.0.2 本标准适用于市县国土空间总体规划和详细规划的编制、审批和实施管理，"
         "以及相关的用地指标核定工作。", 1),
        ("3　用地指标", 2),
        ("3.2.1 规划人均城市建设用地面积指标应根据气候区和现状人均城市建设用地面积指标"
         "确定，并应符合表 3.2.1 的规定。", 2),
        ("3.2.2 新建城市的规划人均城市建设用地面积指标宜在 85.1～105.0 平方米/人内确定。", 3),
    ]
    # The running header (standard code) is gone from every page.
    assert not any("GB 59999" in text for text, _ in texts)

    tables = [b for b in extracted.blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1
    block = tables[0]
    table = block.table
    assert table.pages == [2, 3]
    assert (block.page, block.page_end) == (2, 3)
    assert table.caption == "表 3.2.1　规划人均城市建设用地面积指标（单位：平方米/人）"
    assert table.unit == "平方米/人"
    assert table.header == [["气候区", "人均建设用地指标", None], [None, "下限", "上限"]]
    assert [r[0] for r in table.rows] == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "Ⅵ", "Ⅶ"]
    assert table.rows[4] == ["Ⅴ", "60.0", "90.0"]
    assert sorted(table.merges) == [(0, 0, 2, 1), (0, 1, 1, 2)]
    assert [b.kind for b in extracted.blocks].index(BlockKind.TABLE) == 5
    assert_offsets(extracted)


def test_a_new_caption_starts_a_new_table() -> None:
    doc = pymupdf.open()
    w = Writer(doc)
    w.y = 640
    w.centered("表 1　现状用地")
    w.table(HEAD + body_rows(["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"], 2), xs=XS)
    w.new_page()
    w.centered("表 2　规划用地")
    w.table(HEAD + body_rows(["Ⅴ"], 2), xs=XS)
    tables = [b.table for b in read(doc.tobytes()).blocks if b.kind is BlockKind.TABLE]
    assert [(t.caption, t.pages, len(t.rows)) for t in tables] == [
        ("表 1　现状用地", [1], 4), ("表 2　规划用地", [2], 1)]


SENTENCE_AT_MARGIN = ("第六条　城乡建设用地应当集中布局，严格控制新增建设用地的总体规模。"
                      "盘活利用闲置土地和低效用地，提高土地利用效率。")
SECOND_CLAUSE = "县级以上人民政府自然资源主管部门负责本行政区域内的监督检查工作。"


def test_paragraph_heuristics_with_mirrored_margins() -> None:
    """A line that happens to end in 。 at the margin does not end its paragraph; an indented
    line after it does; and pages whose margins alternate (odd/even) read alike."""
    assert len(SENTENCE_AT_MARGIN.split("。")[0]) + 1 == 33  # fills the first line exactly
    doc = pymupdf.open()
    w = Writer(doc, mirror=30)
    for page in range(3):
        w.paragraph(SENTENCE_AT_MARGIN)
        w.paragraph(SECOND_CLAUSE)
        w.paragraph(ARTICLE_4)
        w.paragraph(ARTICLE_1)
        if page < 2:
            w.new_page()
    extracted = read(doc.tobytes())
    expected = [SENTENCE_AT_MARGIN, SECOND_CLAUSE, ARTICLE_4, ARTICLE_1]
    assert paragraphs(extracted) == [(t, p) for p in (1, 2, 3) for t in expected]


def test_tables_are_only_searched_on_pages_with_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    searched: list[int] = []
    original = pymupdf.Page.find_tables

    def spy(self: pymupdf.Page, *args: object, **kwargs: object) -> object:
        searched.append(self.number + 1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pymupdf.Page, "find_tables", spy)
    read(law_pdf())
    assert searched == [1]  # page 2 has no grid lines


def scanned_page_pdf(with_text_page: bool) -> bytes:
    source = pymupdf.open()
    page = source.new_page(width=595, height=842)
    page.insert_text((72, 150), "第一条　城市规划区内的建设活动应当符合规划要求。",
                     fontname="china-s", fontsize=20)
    page.insert_text((72, 200), "第二条　本办法自发布之日起施行。", fontname="china-s",
                     fontsize=20)
    pixmap = page.get_pixmap(dpi=150)
    doc = pymupdf.open()
    if with_text_page:
        doc.new_page(width=595, height=842).insert_text(
            (72, 100), "说明：下一页为扫描件。", fontname="china-s", fontsize=12)
    scan = doc.new_page(width=595, height=842)
    scan.insert_image(scan.rect, pixmap=pixmap)
    return doc.tobytes()


def test_scanned_page_is_ocred() -> None:
    import rapidocr_onnxruntime  # noqa: F401  (guihua[ocr] is part of the test install)
    extracted = read(scanned_page_pdf(with_text_page=False))
    assert extracted.meta["ocr_pages"] == [1]
    texts = paragraphs(extracted)
    assert all(page == 1 for _, page in texts)
    joined = "".join(text for text, _ in texts)
    assert "城市规划区内的建设活动" in joined
    assert "自发布之日起施行" in joined
    # One paragraph per article: the OCR lines were grouped, not run together.
    assert len([t for t, _ in texts if t.startswith("第")]) == 2
    assert_offsets(extracted)


def test_missing_ocr_names_the_scanned_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_ocr, "ocr_available", lambda: False)
    with pytest.raises(IngestError) as err:
        read(scanned_page_pdf(with_text_page=True))
    message = str(err.value)
    assert "第 2 页" in message and "page(s) 2" in message
    assert "guihua[ocr]" in err.value.action


def small_pdf(pages: int = 1) -> bytes:
    doc = pymupdf.open()
    for k in range(pages):
        doc.new_page().insert_text((72, 100), f"第{k + 1}页正文内容。", fontname="china-s")
    return doc.tobytes()


def test_encrypted_pdf_is_refused() -> None:
    doc = pymupdf.open(stream=small_pdf(), filetype="pdf")
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret",
                       owner_pw="owner")
    with pytest.raises(IngestError) as err:
        read(data)
    assert "加密" in err.value.reason_zh and "password" in err.value.reason_en


def test_truncated_pdf_is_refused() -> None:
    data = small_pdf(pages=3)
    with pytest.raises(IngestError) as err:
        read(data[: len(data) * 2 // 3])
    assert "不完整" in err.value.reason_zh and "truncated" in err.value.reason_en


def test_garbage_and_empty_files_are_refused() -> None:
    with pytest.raises(IngestError) as err:
        read(b"this is not a PDF at all")
    assert "损坏" in err.value.reason_zh
    with pytest.raises(IngestError) as err:
        read(b"")
    assert "0 字节" in err.value.reason_zh and "empty" in err.value.reason_en


def test_zero_pages_and_page_limit() -> None:
    empty = (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
             b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
             b"trailer <</Root 1 0 R>>\n%%EOF\n")
    with pytest.raises(IngestError) as err:
        read(empty)
    assert "没有任何页面" in err.value.reason_zh
    with pytest.raises(IngestError) as err:
        read(small_pdf(pages=3), reader=PdfReader(max_pages=2))
    assert "3" in err.value.reason_zh and "limit of 2" in err.value.reason_en
    # At the limit is fine.
    extracted = read(small_pdf(pages=2), reader=PdfReader(max_pages=2))
    assert paragraphs(extracted) == [("第1页正文内容。", 1), ("第2页正文内容。", 2)]
