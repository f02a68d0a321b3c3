"""A clause's neighbourhood in the knowledge graph as a picture: the clause in the middle, what
it links to around it, arrows showing the direction of each relationship."""

from __future__ import annotations

import math
from html import escape

RELATION_LABELS = {"PART_OF": "属于", "CITES": "引用", "CITES_DOCUMENT": "引用文件",
                   "HAS_CLAUSE": "包含", "DEFINED_IN": "定义于", "MENTIONS": "提及",
                   "REGULATED_BY": "规范", "SUPERSEDES": "取代"}
SIZE = 640
RADIUS = 230


def _short(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def neighbourhood_svg(centre: str, links: list[dict]) -> str:
    """`links`: rows of kg.queries.neighbours (relationship, outgoing, labels, key, name)."""
    if not links:
        return f'<div class="gh-note">图谱中没有与「{escape(centre)}」相连的节点。</div>'
    c = SIZE / 2
    parts = [f'<defs><marker id="gh-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
             f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             f'<path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>']
    nodes = []
    for i, link in enumerate(links):
        angle = 2 * math.pi * i / len(links) - math.pi / 2
        x, y = c + RADIUS * math.cos(angle), c + RADIUS * math.sin(angle)
        start, end = ((c, c), (x, y)) if link["outgoing"] else ((x, y), (c, c))
        # Stop the arrow short of the node's circle.
        dx, dy = end[0] - start[0], end[1] - start[1]
        length = math.hypot(dx, dy) or 1
        tip = (end[0] - dx / length * 26, end[1] - dy / length * 26)
        relation = RELATION_LABELS.get(link["relationship"], link["relationship"])
        parts.append(f'<line x1="{start[0]:.0f}" y1="{start[1]:.0f}" x2="{tip[0]:.0f}" '
                     f'y2="{tip[1]:.0f}" stroke="#888" marker-end="url(#gh-arrow)"/>'
                     f'<text x="{(c + x) / 2:.0f}" y="{(c + y) / 2:.0f}" font-size="10" '
                     f'fill="#555" text-anchor="middle">{escape(relation)}</text>')
        label = (link.get("labels") or ["?"])[0]
        name = link.get("name") or link.get("key") or ""
        nodes.append(f'<g><circle cx="{x:.0f}" cy="{y:.0f}" r="24" fill="#e8f0fb" stroke="#2f6fde"/>'
                     f'<text x="{x:.0f}" y="{y - 30:.0f}" font-size="11" text-anchor="middle">'
                     f'{escape(_short(str(name)))}</text><text x="{x:.0f}" y="{y + 4:.0f}" '
                     f'font-size="9" text-anchor="middle" fill="#2f6fde">{escape(label)}</text>'
                     f'<title>{escape(str(link.get("key") or ""))}</title></g>')
    centre_node = (f'<g><circle cx="{c}" cy="{c}" r="34" fill="#fff4d6" stroke="#e8900c" '
                   f'stroke-width="2"/><text x="{c}" y="{c + 4}" font-size="11" '
                   f'text-anchor="middle">{escape(_short(centre, 12))}</text>'
                   f'<title>{escape(centre)}</title></g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
            f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="知识图谱邻域">'
            f'{"".join(parts)}{"".join(nodes)}{centre_node}</svg>')
