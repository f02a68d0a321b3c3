"""Ingestion benchmark: speed (PDF pages/s, clauses/s) and structure accuracy over the shared
corpus, each speed printed as a ratio against a trivial baseline timed in the same process
(these machines are noisy, so only same-process ratios are comparable between runs).

Baselines: for Markdown, reading the files and splitting articles with one regular expression;
for PDF, PyMuPDF's plain `page.get_text()` over the same pages (the floor any PDF reader pays).
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from corpus.crosscheck import cross_check, normalise_forms
from corpus.ingest import ingest_paths
from corpus.parsers import build_document
from corpus.readers.base import no_progress
from corpus.readers.text import MarkdownReader
from corpus.store import ClauseStore
from eval.pdf_render import render_law_pdf

_ARTICLE_LINE = re.compile(r"(?m)^(第[零一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)")


@dataclass
class BenchResult:
    metrics: dict[str, float | int | str] = field(default_factory=dict)
    findings: list[dict] = field(default_factory=list)


def _timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Best of `repeat` runs (the least disturbed by other load)."""
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def bench_markdown(corpus: Path, result: BenchResult) -> None:
    files = sorted((corpus / "laws").rglob("*.md"))
    blobs = [(p, p.read_bytes()) for p in files]
    reader = MarkdownReader()

    def parse_all() -> tuple[int, int]:
        articles = nodes = 0
        for path, data in blobs:
            doc = build_document(reader.read(path, data, no_progress))
            articles += len(doc.articles())
            nodes += sum(1 for _ in doc.walk())
        return articles, nodes

    def baseline() -> int:
        return sum(len(_ARTICLE_LINE.findall(data.decode("utf-8"))) for _, data in blobs)

    t_ours, (articles, nodes) = _timed(parse_all)
    t_base, base_articles = _timed(baseline)
    with tempfile.TemporaryDirectory() as tmp:
        with ClauseStore(Path(tmp) / "corpus.sqlite") as store:
            start = time.perf_counter()
            report = ingest_paths(store, [corpus / "laws"])
            t_store = time.perf_counter() - start
    result.metrics.update({
        "markdown_files": len(files),
        "markdown_articles": articles,
        "markdown_clause_nodes": nodes,
        "markdown_articles_per_s": round(articles / t_ours),
        "markdown_clause_nodes_per_s": round(nodes / t_ours),
        "markdown_baseline_articles_per_s": round(base_articles / t_base),
        "markdown_speed_ratio_vs_regex_split": round((articles / t_ours) / (base_articles / t_base), 3),
        "markdown_ingest_with_store_articles_per_s": round(articles / t_store),
        "markdown_ingest_failures": len(report.failures),
    })


def structure_accuracy(corpus: Path, result: BenchResult) -> None:
    """Articles matched / expected, where expected = the 第X条 lines of each source file, and
    matched = the parser found that article, in order, with non-empty text."""
    expected_total = matched = 0
    reader = MarkdownReader()
    for path in sorted((corpus / "laws").rglob("*.md")):
        raw = path.read_text(encoding="utf-8")
        expected = _ARTICLE_LINE.findall(raw)
        doc = build_document(reader.read(path, raw.encode(), no_progress))
        got = [a.label for a in doc.articles() if a.text]
        expected_total += len(expected)
        hits = sum(1 for e, g in zip(expected, got) if e == g)
        matched += hits
        if hits != len(expected) or len(got) != len(expected):
            result.findings.append({"check": "structure", "file": path.name,
                                    "expected": len(expected), "got": len(got)})
    result.metrics["structure_articles_expected"] = expected_total
    result.metrics["structure_articles_matched"] = matched
    result.metrics["structure_accuracy"] = round(matched / expected_total, 5)


def bench_crosscheck(corpus: Path, result: BenchResult) -> None:
    check = cross_check(corpus / "laws" / "national")
    result.metrics.update({
        "crosscheck_laws": check.laws_compared,
        "crosscheck_articles": check.articles_compared,
        "crosscheck_agree": check.articles_agree,
        "crosscheck_identical_whitespace_only": check.articles_identical,
        "crosscheck_agreement": round(check.agreement, 5),
    })
    result.findings.extend({"check": "crosscheck", **f} for f in check.to_dict()["findings"])


def bench_pdf(corpus: Path, result: BenchResult, workdir: Path) -> None:
    """Render shared laws to PDF (text pages, and pages with ruled tables), then read them back:
    speed against plain get_text, and articles recovered against the Markdown parse."""
    import fitz

    from corpus.readers.pdf import PdfReader

    names = ["土地管理法(2019-08-26).md", "城乡规划法(2019-04-23).md", "森林法(2019-12-28).md",
             "草原法(2021-04-29).md", "水法(2016-07-02).md", "湿地保护法(2021-12-24).md"]
    reader = MarkdownReader()
    for variant, with_tables in (("text", False), ("tables", True)):
        pages = 0
        pdfs: list[tuple[Path, bytes, dict[str, str]]] = []
        for name in names:
            src = corpus / "laws" / "national" / name
            doc = build_document(reader.read(src, src.read_bytes(), no_progress))
            pdf_path = workdir / f"{src.stem}-{variant}.pdf"
            pages += render_law_pdf(doc, pdf_path, table_every_page=with_tables)
            pdfs.append((pdf_path, pdf_path.read_bytes(), {a.number: a.text for a in doc.articles()}))
        pdf_reader = PdfReader()

        def read_all() -> list:
            return [build_document(pdf_reader.read(p, data, no_progress)) for p, data, _ in pdfs]

        def baseline() -> int:
            n = 0
            for _, data, _ in pdfs:
                with fitz.open(stream=data, filetype="pdf") as pdf:
                    n += sum(len(page.get_text()) for page in pdf)
            return n

        t_ours, docs = _timed(read_all)
        t_base, _ = _timed(baseline)
        expected = correct = 0
        for (path, _, md_articles), doc in zip(pdfs, docs):
            got = {a.number: a.text for a in doc.articles()}
            for number, text in md_articles.items():
                expected += 1
                if number in got and normalise_forms(got[number]) == normalise_forms(text):
                    correct += 1
                else:
                    result.findings.append({"check": f"pdf-{variant}", "file": path.name,
                                            "article": number})
        result.metrics.update({
            f"pdf_{variant}_pages": pages,
            f"pdf_{variant}_pages_per_s": round(pages / t_ours, 1),
            f"pdf_{variant}_baseline_get_text_pages_per_s": round(pages / t_base, 1),
            f"pdf_{variant}_speed_ratio_vs_get_text": round(t_base / t_ours, 3),
            f"pdf_{variant}_article_accuracy": round(correct / expected, 5),
        })


def run_ingest_bench(corpus: Path) -> BenchResult:
    result = BenchResult()
    bench_markdown(corpus, result)
    structure_accuracy(corpus, result)
    bench_crosscheck(corpus, result)
    with tempfile.TemporaryDirectory() as tmp:
        bench_pdf(corpus, result, Path(tmp))
    return result
