"""What every console form reads the same way (web.pages): typed numbers and ticked ids."""

import pytest
from litestar.datastructures import FormMultiDict

from voting.errors import Refused
from web.pages import chosen_ids, typed_number


def test_a_typed_number_is_read_or_refused_in_chinese_naming_the_field():
    assert typed_number(" 42 ", "应选项目数") == 42
    assert typed_number("", "年度预算", optional=True) is None
    assert typed_number("  ", "年度预算", optional=True) is None
    for text in ("", "4.5", "-3", "²", "12a", str(10**10), "1,200"):
        with pytest.raises(Refused, match="^预算应填整数。$"):
            typed_number(text, "预算")


def test_thousands_separators_are_read_only_where_a_page_allows_them():
    assert typed_number("1,200", "累计支出", commas=True) == 1200
    assert typed_number(" , ", "预算", optional=True, commas=True) is None
    with pytest.raises(Refused, match="累计支出应填整数"):
        typed_number("1，200", "累计支出", commas=True)


def test_chosen_ids_keep_the_whole_numbers_of_a_repeated_field():
    form = FormMultiDict([("deputy", "3"), ("deputy", "x"), ("deputy", "12"), ("deputy", ""), ("other", "5")])
    assert chosen_ids(form, "deputy") == [3, 12]
    assert chosen_ids(form, "project") == []
