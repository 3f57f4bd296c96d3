"""The vocabulary of a site's cleaning rules, as data: groups of whole-line patterns by what a match does
(``crawler/extract/cleaning.py`` applies them; ``RULES`` there are the rules shared by every site)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

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

    # Each group as one pattern (``any_of``), built once: the line rules ask every line of every page
    _any: dict[str, re.Pattern[str] | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_any", {f.name: any_of(getattr(self, f.name)) for f in fields(self)
                                          if f.init})

    def extend(self, other: "Rules") -> "Rules":
        return Rules(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self) if f.init})

    def matches(self, group: str, line: str) -> bool:
        """Whether one of ``group``'s patterns matches ``line`` (``re.match``: from its start)."""
        combined = self._any[group]
        if combined is not None:
            return combined.match(line) is not None
        return any(p.match(line) for p in getattr(self, group))


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One pattern that matches a string from its start exactly where one of ``patterns`` does: their
    alternation (a regex engine tries each alternative in turn), one call a line instead of one a pattern.
    None where the alternation would not be the same test: no patterns, patterns of different flags, a
    backreference (its number would move) or a group name two patterns use."""
    if not patterns or len({p.flags for p in patterns}) > 1 or any(_BACKREFERENCE.search(p.pattern) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
    except re.error:
        return None
