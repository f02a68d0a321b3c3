"""HTML → PDF with PyMuPDF's Story engine and its built-in CJK font (no system fonts needed).
Pictures (SVG charts and maps) travel in the archive and are referenced by `<img src=name>`."""

from __future__ import annotations

from pathlib import Path

import pymupdf


def html_to_pdf(html: str, path: Path, images: dict[str, bytes] | None = None) -> None:
    # MuPDF's built-in CJK font (Droid Sans Fallback), handed to the HTML engine as a file.
    archive = pymupdf.Archive()
    archive.add(pymupdf.Font("china-s").buffer, "cjk.ttf")
    for name, data in (images or {}).items():
        archive.add(data, name)
    css = ("@font-face { font-family: cjk; src: url(cjk.ttf); } "
           "* { font-family: cjk; } body { font-size: 9pt; }")
    story = pymupdf.Story(html, user_css=css, archive=archive)
    writer = pymupdf.DocumentWriter(str(path))
    page = pymupdf.paper_rect("a4")
    content = page + (36, 36, -36, -36)
    more = True
    while more:
        device = writer.begin_page(page)
        more, _ = story.place(content)
        story.draw(device)
        writer.end_page()
    writer.close()
    # Keep only the glyphs used: the whole CJK font would add megabytes to every report.
    doc = pymupdf.open(path)
    doc.subset_fonts()
    doc.ez_save(str(path) + ".small")
    doc.close()
    Path(str(path) + ".small").replace(path)
