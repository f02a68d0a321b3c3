import pytest

from corpus.numerals import ArticleNo, cn_to_int, int_to_cn


@pytest.mark.parametrize("text,value", [
    ("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百零二", 102), ("一百一十", 110),
    ("一千零一", 1001), ("两千", 2000), ("一万零五", 10005), ("三十五", 35), ("１２", 12),
])
def test_chinese_numerals_parse(text: str, value: int) -> None:
    assert cn_to_int(text) == value


def test_round_trip() -> None:
    for value in list(range(0, 1300)) + [10005, 20000, 12345]:
        assert cn_to_int(int_to_cn(value)) == value, value


def test_statute_forms() -> None:
    assert int_to_cn(10) == "十"
    assert int_to_cn(110) == "一百一十"
    assert int_to_cn(102) == "一百零二"


def test_article_labels() -> None:
    assert ArticleNo.parse("第一百零二条") == ArticleNo(102)
    assert ArticleNo.parse("第十条之一") == ArticleNo(10, 1)
    assert ArticleNo.parse("10之1").label == "第十条之一"
    assert ArticleNo.parse("35").key == "35"
    assert ArticleNo(10, 1).key == "10之1"
    with pytest.raises(ValueError):
        ArticleNo.parse("第X条")
