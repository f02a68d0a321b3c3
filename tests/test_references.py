from corpus.references import Reference, find_references


def _targets(text: str, **kw) -> list[tuple]:
    return [(r.law, r.article, r.paragraph, r.item) for r in find_references(text, **kw)]


def test_quoted_law_and_article() -> None:
    text = "县级以上地方人民政府认为符合《土地管理法》第四十五条规定的，应当发布征收土地预公告。"
    assert _targets(text) == [("土地管理法", "45", None, None)]
    ref = find_references(text)[0]
    assert text[ref.start:ref.end] == "《土地管理法》第四十五条"


def test_self_references_lists_and_ranges() -> None:
    text = "违反本法第四十四条、第四十五条第二款规定的，依照第七十四条至第七十七条处罚。"
    assert _targets(text) == [(None, "44", None, None), (None, "45", 2, None),
                              (None, "74", None, None), (None, "75", None, None),
                              (None, "76", None, None), (None, "77", None, None)]


def test_unquoted_law_names() -> None:
    assert _targets("参照适用行政诉讼法第七十四条第一款第一项规定") == [
        ("行政诉讼法", "74", 1, 1)]
    assert _targets("违反本条例第十条之一的") == [(None, "10之1", None, None)]


def test_document_only_reference() -> None:
    assert _targets("依照《中华人民共和国城乡规划法》的规定执行。") == [
        ("中华人民共和国城乡规划法", None, None, None)]


def test_previous_paragraph() -> None:
    text = "违反前款规定的，由县级以上人民政府责令改正。"
    assert _targets(text, own_article="35", own_paragraph=2) == [(None, "35", 1, None)]
    assert _targets("本条第一款所称的", own_article="4", own_paragraph=3) == [(None, "4", 1, None)]
    assert find_references(text) == []  # without its own location, 前款 can't be resolved
    assert isinstance(find_references("《城乡规划法》第四十条")[0], Reference)


def test_span_starts_at_the_law_name() -> None:
    text = "土地利用年度计划应当对本法第六十三条规定的集体经营性建设用地作出安排"
    ref = find_references(text)[0]
    assert (ref.law, ref.article) == (None, "63")
    assert text[ref.start:ref.end] == "本法第六十三条"
    text = "并依照土地管理法第四十四条的规定办理"
    ref = find_references(text)[0]
    assert text[ref.start:ref.end] == "土地管理法第四十四条" and ref.law == "土地管理法"


def test_amendments_and_repeals() -> None:
    from corpus.references import amended_titles, repealed_titles

    assert amended_titles("全国人民代表大会常务委员会关于修改《中华人民共和国环境保护税法》的决定") == [
        "中华人民共和国环境保护税法"]
    assert amended_titles("中华人民共和国刑法修正案（十一）") == ["刑法"]
    assert amended_titles("中华人民共和国土地管理法") == []
    text = "本法自2019年9月1日起施行。2007年12月1日国务院公布的《中华人民共和国耕地占用税暂行条例》同时废止。"
    assert repealed_titles(text) == ["中华人民共和国耕地占用税暂行条例"]
