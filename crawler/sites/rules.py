"""The vocabulary of a site's cleaning rules, as data: groups of whole-line patterns by what a match does
(``crawler/extract/cleaning.py`` applies them; ``RULES`` there are the rules shared by every site)."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

__all__ = ["Rules", "whole_lines"]


def whole_lines(*patterns: str) -> tuple[re.Pattern[str], ...]:
    """Compile whole-line patterns (optional bullet in front, optional colon/dash at the end)."""
    return tuple(re.compile(rf"^[\s•·\-–—*]*(?:{p})[\s:：.\-–—]*$", re.IGNORECASE) for p in patterns)


@dataclass(frozen=True)
class Rules:
    """Groups of compiled whole-line patterns, by what a match does (crawler/extract/cleaning.py says what each does)."""

    drop: tuple[re.Pattern[str], ...] = ()
    end: tuple[re.Pattern[str], ...] = ()
    boxes: tuple[re.Pattern[str], ...] = ()       # a named group ``headline``: the headline on the label's line
    roles: tuple[re.Pattern[str], ...] = ()
    widgets: tuple[re.Pattern[str], ...] = ()
    header: tuple[re.Pattern[str], ...] = ()      # the page's header between a ticker and the title
    ticker: tuple[re.Pattern[str], ...] = ()      # a ticker's opening line: its headlines follow

    def extend(self, other: "Rules") -> "Rules":
        return Rules(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})
