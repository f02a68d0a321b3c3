from corpus.definitions import find_definitions


def _terms(text: str) -> list[str]:
    return [d.term for d in find_definitions(text)]


def test_statutory_definition_forms() -> None:
    assert _terms("本条例所称基本农田，是指按照一定时期人口和社会经济发展对农产品的需求确定的耕地。") == ["基本农田"]
    assert _terms("本法所称湿地，是指具有显著生态功能的自然或者人工的区域。") == ["湿地"]
    text = "本条例下列用语的含义：\n（一）城镇开发边界，是指可以集中进行城镇开发建设的区域边界；\n（二）生态保护红线，是指…"
    assert _terms(text) == ["城镇开发边界", "生态保护红线"]
    assert _terms("非法占用耕地“数量较大”，是指非法占用基本农田五亩以上。") == ["数量较大"]
    assert _terms("前款所称承包方，是指…") == ["承包方"]


def test_not_definitions() -> None:
    assert _terms("县级以上人民政府应当加强耕地保护。") == []
    assert _terms("本法自2020年1月1日起施行。") == []
