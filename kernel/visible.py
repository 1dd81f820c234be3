"""Text from the data made safe to print on a terminal.

A customer's name or id comes from a company's export and may carry control characters: BEL
rings the terminal, an escape sequence clears it or moves its cursor, a line break forges a
line of the output, and the right-to-left override shows the line other than it is. Every
command that prints such text shows these characters as their escapes (``\\x07``, ``\\u202e``).
"""

from __future__ import annotations

import re

_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with each control or reordering character written as its escape."""
    return _HIDDEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
