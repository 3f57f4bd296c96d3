"""Token precision / recall / F1 of an extracted text against its gold text (bench and fixture tests).

Tokens are runs of letters, digits and Arabic marks (white space and punctuation separate them); a
score counts the tokens common to the output and the gold text (bag of tokens), summed over pages.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["Score", "tokens"]

_TOKEN = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+")


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.replace("_", " ")))


@dataclass
class Score:
    """Token counts summed over pages: common, predicted, gold."""

    common: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, predicted: str, gold: str) -> "Score":
        p, g = tokens(predicted), tokens(gold)
        self.common += sum((p & g).values())
        self.predicted += sum(p.values())
        self.gold += sum(g.values())
        return self

    @property
    def precision(self) -> float:
        return self.common / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.common / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0
