"""PDF reader: text with page numbers, tables kept as tables, OCR for scanned pages.

A PDF has no paragraphs, only positioned lines, so the reader rebuilds them from layout. The
stages, one module each:

- `reader`: open and validate the file, drive the stages page by page, report progress;
- `lines`: a page's text layer → visual lines (`layout` holds the objects passed along);
- `ocr`: scanned or garbled pages detected and read with RapidOCR (optional, `guihua[ocr]`);
- `tables`: ruled tables found, extracted, and merged when continued on the next page;
- `headers_footers`: running headers, footers and page numbers dropped;
- `paragraphs`: lines grouped into paragraphs by margins, wraps and clause numbering;
- `blocks`: paragraphs and tables of all pages → ordered `Block`s.
"""

from corpus.readers.pdf.reader import PdfReader

__all__ = ["PdfReader"]
