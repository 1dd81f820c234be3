"""Numbers written for people: thousands separators, never scientific notation.

One formatter for every message that shows a value (``explain``, the near miss, the console
summaries), so that 476,200 never reads ``4.762e+05``.
"""

from __future__ import annotations

import math
from typing import Any


def number(value: float | int, significant: int = 4) -> str:
    """``value`` with thousands separators and no exponent.

    The whole part is always shown in full; decimals are kept up to ``significant`` significant
    digits, without trailing zeros: ``476,235``, ``8,168``, ``733.3``, ``0.8217``,
    ``0.00001235``, ``-1,250``. Integers are shown exactly; NaN and infinities as Python
    writes them.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    whole_digits = math.floor(math.log10(abs(value))) + 1
    decimals = max(0, significant - whole_digits)
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def value_text(value: Any, significant: int = 4) -> str:
    """Any value of a result for a message: numbers by :func:`number`, ``true``/``false``,
    ``missing`` for none, anything else as its text."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number(value, significant)
    return str(value)


def money(value: float | int) -> str:
    """An amount of money: thousands separators and two decimals (``1,234.50``)."""
    return f"{value:,.2f}"


def percent(share: float, digits: int = 1) -> str:
    """A share as a percentage: ``0.4215`` is ``42.2%`` (``digits`` decimals)."""
    return f"{share * 100:.{digits}f}%"


def literal(value: Any) -> str:
    """A value as a ruleset writes it, for messages: ``'A'``, ``true``, ``12``, ``0.5``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)
