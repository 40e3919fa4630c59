"""Numbers as residents type them: full-width, with a unit, in characters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhiyin.lib.numbers import NumberError, number_parse


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", "3"),
        ("３.５", "3.5"),
        ("3亩", "3"),
        ("2.5 亩", "2.5"),
        (" ２．５亩 ", "2.5"),
        ("3。5", "3.5"),
        ("三亩", "3"),
        ("十二", "12"),
        ("二十", "20"),
        ("一百零五", "105"),
        ("三点五亩", "3.5"),
        ("半亩", "0.5"),
        ("两亩半", "2.5"),
        ("1,234.5", "1234.5"),
        (".5", "0.5"),
    ],
)
def test_it_reads_what_people_type(text: str, value: str) -> None:
    assert number_parse(text, unit="亩") == Decimal(value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3,5", "comma"),
        ("3，5", "comma"),
        ("abc", "not_a_number"),
        ("亩", "not_a_number"),
        ("", "not_a_number"),
        ("三三", "not_a_number"),
        ("1e5", "not_a_number"),
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("9" * 40, "too_long"),
    ],
)
def test_it_refuses_what_it_cannot_read_for_sure(text: str, reason: str) -> None:
    with pytest.raises(NumberError) as caught:
        number_parse(text, unit="亩")
    assert caught.value.reason == reason
