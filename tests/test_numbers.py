"""The one formatter for numbers in messages and summaries (tierkit.numbers)."""

from __future__ import annotations

import pytest

from tierkit.numbers import money, number, percent


@pytest.mark.parametrize(
    ("value", "text"),
    [(476_235, "476,235"), (476_200.0, "476,200"), (733.333, "733.3"), (0.0000123456, "0.00001235"),
     (-1250, "-1,250"), (1_000_000.0, "1,000,000"), (0.0, "0")],
)  # fmt: skip
def test_number_has_separators_and_no_exponent(value: float, text: str) -> None:
    assert number(value) == text


def test_money_has_two_decimals() -> None:
    assert money(1234.5) == "1,234.50"
    assert money(-0.125) == "-0.12"  # round half to even, as Python formats


@pytest.mark.parametrize(
    ("share", "digits", "text"),
    [(0.4214, 1, "42.1%"), (0.4216, 1, "42.2%"), (1.0, 1, "100.0%"), (0.375, 0, "38%"),
     (0.0, 1, "0.0%")],
)  # fmt: skip
def test_percent_is_the_share_times_a_hundred(share: float, digits: int, text: str) -> None:
    assert percent(share, digits) == text
