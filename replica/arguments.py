"""The replica's size on a command line (``--articles N``): ``arshif replica``, ``arshif demo`` and the benches
take it alike."""
from __future__ import annotations

import argparse

from replica.older import MAX_ARTICLES


def articles_count(text: str) -> int:
    """``--articles`` value: a whole number of articles per site, the base corpus's size to 100,000."""
    try:
        count = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 50 <= count <= MAX_ARTICLES:
        raise argparse.ArgumentTypeError(f"must be 50–{MAX_ARTICLES:,}, got {count}")
    return count


def add_size_argument(parser: argparse.ArgumentParser) -> None:
    # the base corpus's figures: tests/test_replica.py holds them to what the replica serves
    parser.add_argument("--articles", type=articles_count, default=None, metavar="N",
                        help="articles per site, 50–100,000 (default: the base corpus, 54 articles and 3 pages "
                             "that are none per site)")
