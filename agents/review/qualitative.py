"""Requirements no rule can decide — a plan that touches 永久基本农田, a historic district, the
green line — become `review` findings (需人工复核) carrying the clauses in force that a person
should check the plan against, found by the searcher. They are never verdicts."""

from __future__ import annotations

import re
from datetime import date

from agents.compliance.model import Citation, Evidence, Finding
from corpus.readers.base import BlockKind, Extracted
from retrieval.search import Searcher

# topic → (what in the text mentions it, the query for the clauses that govern it)
TOPICS: dict[str, tuple[str, str]] = {
    "永久基本农田": (r"永久基本农田", "永久基本农田 占用 保护 审批"),
    "生态保护红线": (r"生态保护红线", "生态保护红线 管控 禁止开发"),
    "历史文化保护": (r"历史文化(?:街区|名城|名镇|名村)|文物保护单位|历史建筑",
                 "历史文化街区 历史建筑 保护 建设控制"),
    "城市绿线": (r"绿线", "城市绿线 管理 不得改作他用"),
    "城市蓝线": (r"蓝线", "城市蓝线 水域 保护"),
    "城市紫线": (r"紫线", "城市紫线 历史文化街区 保护范围"),
    "城市黄线": (r"黄线", "城市黄线 基础设施 用地控制"),
    "规划修改": (r"(?:修改|调整)(?:控制性详细规划|规划)", "修改控制性详细规划 程序 论证 征求意见"),
}
CLAUSES_PER_TOPIC = 2


def qualitative_findings(extracted: Extracted, file: str, searcher: Searcher,
                         day: date) -> list[Finding]:
    blocks = [b for b in extracted.blocks if b.kind is not BlockKind.TABLE and b.text.strip()]
    findings = []
    for topic, (pattern, query) in TOPICS.items():
        block = next((b for b in blocks if re.search(pattern, b.text)), None)
        if block is None:
            continue
        hits = searcher.search(query, k=CLAUSES_PER_TOPIC, as_of=day).hits
        if not hits:
            continue
        top = hits[0]
        others = "；".join(f"《{h.law}》{h.label}" for h in hits[1:])
        findings.append(Finding(
            f"qualitative.{topic}", "review", "qualitative", topic,
            f"规划文本涉及{topic}（“{block.text.strip()[:40]}…”），无法由规则判定，请对照"
            f"《{top.law}》{top.label}" + (f"及{others}" if others else "") + "人工复核",
            None, None, Citation(top.law, top.label, top.text, top.id),
            Evidence(file, block.page), "由审查人员对照所列条文核对规划内容"))
    return findings
