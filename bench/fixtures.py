"""Cleaning on the page shapes of ``tests/fixtures`` (text dumps and HTML with unknown read-more boxes): per
fixture, token precision / recall / F1 of ours against its gold text, or the "not an article" reason, and
the cleaning notes. Run: ``python bench/fixtures.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run as a script from anywhere

from crawler.extract.page import NotArticle, extract  # noqa: E402
from bench.quality import Score  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
URLS = {"rt_arabic": "https://arabic.rt.com/society/1600500-x/", "elbalad": "https://www.elbalad.news/6900123"}


def fixtures() -> list[Path]:
    dumps = sorted(p for p in (FIXTURES / "dumps").glob("*.txt") if not p.name.endswith(".gold.txt"))
    return dumps + sorted(p for p in (FIXTURES / "html").glob("*.html") if p.with_name(f"{p.stem}.gold.txt").exists())


def main() -> int:
    print(f"{'fixture':<32} {'P':>6} {'R':>6} {'F1':>6}  result")
    for path in fixtures():
        site = "rt_arabic" if path.name.startswith("rt_") else "elbalad"
        url = URLS[site] if path.suffix == ".html" else path.resolve().as_uri()
        result = extract(path.read_bytes(), url, site)
        gold = path.with_name(f"{path.stem}.gold.txt")
        if isinstance(result, NotArticle):
            print(f"{path.stem:<32} {'':>6} {'':>6} {'':>6}  not an article ({result.reason})")
        elif not gold.exists():
            print(f"{path.stem:<32} {'':>6} {'':>6} {'':>6}  archived, {result['word_count']} words: no gold text")
        else:
            s = Score().add(result["text"], gold.read_text("utf-8"))
            notes = ", ".join(f"{k} {v}" for k, v in result["extractor"]["notes"].items()) or "-"
            print(f"{path.stem:<32} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f}  notes: {notes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
